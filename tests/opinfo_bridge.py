"""The bridge between PyTorch's operator database (op_db) and tinygrad_ext.

Finds tg's counterpart of an OpInfo's callables, converts torch sample inputs to tg (through
numpy, keeping requires_grad and, where tg's views can express it, the strides), converts tg
results back and compares them with torch's. Used by opinfo_checks.py; no test lives here.
"""
import builtins
import functools
import operator
import types

import numpy as np
import torch

import tinygrad_ext as tg


class Missing(Exception):
    """tg has no counterpart for something the entry needs (a function, a method, a dtype)."""


class Mismatch(AssertionError):
    """tg's result differs from torch's."""


# torch namespaces whose functions have a tg counterpart of the same dotted name
_NAMESPACES = ["", "nn.functional", "special", "linalg", "fft", "masked", "signal.windows", "Tensor"]


def qualified_get(root, path):
    for part in path.split("."):
        root = getattr(root, part)
    return root


def tg_dtypes():
    """tg's dtypes, discovered from tg itself (new dtypes are picked up when they land), as torch dtypes."""
    out = []
    for name in tg.dtype.__members__:
        if hasattr(torch, name):
            out.append(getattr(torch, name))
    return out


def tg_dtype(torch_dtype):
    name = str(torch_dtype).split(".")[-1]
    if name not in tg.dtype.__members__:
        raise Missing(f"dtype {name}")
    return getattr(tg, name)


# ---------------------------------------------------------------------------------------------
# Finding tg's counterpart


def _torch_path(fn, preferred):
    """The dotted name under `torch` of a torch callable (`preferred` first), or None."""
    candidates = [preferred] if preferred else []
    name = getattr(fn, "__name__", None)
    if name:
        candidates += [f"{ns}.{name}" if ns else name for ns in _NAMESPACES]
    for path in candidates:
        try:
            if qualified_get(torch, path) is fn:
                return path
        except AttributeError:
            continue
    return None


def _is_testing_function(fn):
    return isinstance(fn, types.FunctionType) and (fn.__module__ or "").startswith("torch.testing")


_TORCH_MODULES = {torch: "", torch.nn: "nn", torch.nn.functional: "nn.functional",
                  torch.special: "special", torch.linalg: "linalg", torch.fft: "fft"}


class _AbsentModule:
    """Stands for a torch submodule that tg does not have yet: any attribute is Missing."""

    def __init__(self, path):
        self._path = path

    def __getattr__(self, name):
        raise Missing(f"tg.{self._path}.{name} (tg has no {self._path})")


def _tg_module(path):
    try:
        return qualified_get(tg, path) if path else tg
    except AttributeError:
        return _AbsentModule(path)


def rebind(fn, memo=None):
    """`fn` (a function from torch's testing modules) with `torch` (and F, its submodules, and the
    helper functions it calls) meaning tg: the same lambda then runs on tg."""
    memo = {} if memo is None else memo
    if fn in memo:
        return memo[fn]
    if isinstance(fn, functools.partial):  # op_db's partial(F.hardsigmoid, inplace=True) and its like
        func = resolve(fn.func)[0] if not _is_testing_function(fn.func) and _torch_path(fn.func, None) else fn.func
        return functools.partial(rebind(func, memo), *fn.args, **fn.keywords)
    if not _is_testing_function(fn):
        return fn
    names = set()

    def collect(code):
        names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                collect(const)
    collect(fn.__code__)
    new_globals = dict(fn.__globals__)
    new = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    memo[fn] = new
    for name in names:
        value = fn.__globals__.get(name)
        if isinstance(value, types.ModuleType) and value in _TORCH_MODULES:
            new_globals[name] = _tg_module(_TORCH_MODULES[value])
        elif _is_testing_function(value):
            new_globals[name] = rebind(value, memo)
    return new


def resolve(fn, name=None):
    """(tg callable, description) for a torch callable from an OpInfo (op, method or in-place variant)."""
    if fn is None:
        return None, None
    if _is_testing_function(fn) or isinstance(fn, functools.partial):
        return rebind(fn), f"{getattr(fn, '__name__', 'partial')} (op_db's function, run with torch=tg)"
    if getattr(fn, "__module__", None) == "_operator" or fn in vars(operator).values():
        return fn, f"operator.{fn.__name__}"
    path = _torch_path(fn, name)
    if path is None:
        raise Missing(f"no tg counterpart known for {fn!r}")
    try:
        return qualified_get(tg, path), f"tg.{path}"
    except AttributeError:
        raise Missing(f"tg.{path}") from None


def method_name(fn):
    return getattr(fn, "__name__", None)


# ---------------------------------------------------------------------------------------------
# torch -> tg


def _strided_like(t, make):
    """A tg tensor with t's values laid out with t's strides where tg's views can express them
    (transposes, steps, broadcasting); otherwise contiguous. `make(array)` builds a tg tensor."""
    values = t.detach().resolve_conj().resolve_neg()
    sizes, strides = list(t.shape), list(t.stride())
    live = [d for d in range(t.dim()) if strides[d] != 0 and sizes[d] != 1]
    order = sorted(live, key=lambda d: -strides[d])  # outermost first
    if not live and t.numel() > 1:  # one element seen everywhere (an expanded scalar): keep it expanded
        return make(np.array(values.reshape(-1)[:1].numpy()).reshape([1] * t.dim())).expand(*sizes)
    ok = bool(order) and not t.is_contiguous() and t.numel() > 1
    for a, b in zip(order, order[1:]):
        ok = ok and strides[a] % strides[b] == 0 and strides[a] // strides[b] >= sizes[b]
    if not ok:
        return make(np.array(values.numpy(), order="C"))
    # base: dim order[0] full, each inner dim as wide as the gap to its outer neighbour, and a
    # trailing dim as wide as the innermost stride; slicing each back down gives t's strides
    base_shape = [sizes[order[0]]] + [strides[a] // strides[b] for a, b in zip(order, order[1:])] \
        + [strides[order[-1]]]
    base = np.zeros(base_shape, dtype=values.numpy().dtype)
    live_values = values[tuple(slice(None) if d in live else 0 for d in range(t.dim()))]
    index = tuple(slice(0, sizes[d]) for d in order) + (0,)
    base[index] = live_values.permute(*[live.index(d) for d in order]).numpy()
    view = make(base)[index]
    view = view.permute(*[order.index(d) for d in live])  # live dims back in t's order
    for d in range(t.dim()):
        if d not in live:
            view = view.unsqueeze(d)
    if any(strides[d] == 0 and sizes[d] != 1 for d in range(t.dim())):
        view = view.expand(*sizes)
    return view


def _storage_key(t):
    """The storage a torch tensor's elements live in, with its dtype (None for no elements)."""
    if t.untyped_storage().nbytes() == 0 or t.is_complex() or t.is_sparse or t.is_quantized or t.is_nested:
        return None
    return t.untyped_storage().data_ptr(), t.dtype


def _torch_tensors(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _torch_tensors(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _torch_tensors(v)


def _shared_storages(x):
    """The storages whose layout tg must see: under a view (an op like as_strided reads the storage
    beyond the view's elements), or held by two different tensors of the value (they alias)."""
    holders = {}
    for t in _torch_tensors(x):
        key = _storage_key(t)
        if key is not None:
            holders.setdefault(key, {})[id(t)] = t
    return {key for key, ts in holders.items()
            if len(ts) > 1 or any(t._base is not None for t in ts.values())}


def _in_storage(x, key, make, memo):
    """x as a tg view of a tg copy of its whole storage (shared by every tensor of the value that
    lives in it): the same offset, strides and aliasing as torch's."""
    stores = memo["storages"][1]
    if key not in stores:
        flat = torch.as_strided(x.detach(), (x.untyped_storage().nbytes() // x.element_size(),), (1,), 0)
        stores[key] = make((flat.float() if x.dtype == torch.bfloat16 else flat).numpy())
    return stores[key].as_strided(tuple(x.shape), tuple(x.stride()), x.storage_offset())


def to_tg(x, memo):
    """A torch value (tensor, dtype, nested list, ...) as tg's; the same torch tensor object maps to
    the same tg tensor, and tensors sharing a storage (views) are views of one tg storage, so tg
    sees the same aliasing."""
    if "storages" not in memo:  # the whole value: which storages its tensors share
        memo["storages"] = (_shared_storages(x), {})
    if isinstance(x, torch.Tensor):
        if id(x) in memo:
            return memo[id(x)][1]
        dt = tg_dtype(x.dtype)
        if x.dtype in (torch.bfloat16,):  # numpy cannot hold it: go through float32
            def make(a):
                return tg.from_numpy(a.astype(np.float32)).to(dt)
            src = x.float()
        else:
            def make(a):
                return tg.from_numpy(np.array(a, copy=True))
            src = x
        if x.is_complex() or x.is_sparse or x.is_quantized or x.is_nested:
            raise Missing(f"tensor kind {x.layout}/{x.dtype}")
        key = _storage_key(x)
        if key in memo["storages"][0] and not x.is_neg() and not x.is_conj():
            out = _in_storage(x, key, make, memo)
        else:
            out = _strided_like(src, make)
        if x.requires_grad:
            if out.grad_fn is not None or not out.is_leaf:  # a view of a fresh base: detach keeps strides
                out = out.detach()
            out.requires_grad_(True)
        memo[id(x)] = (x, out)  # keep x alive so its id stays unique
        return out
    if isinstance(x, (list, tuple)):
        converted = [to_tg(v, memo) for v in x]
        if isinstance(x, torch.Size):
            return tuple(converted)
        if hasattr(x, "_fields"):
            return type(x)(*converted)
        return type(x)(converted)
    if isinstance(x, dict):
        return {k: to_tg(v, memo) for k, v in x.items()}
    if isinstance(x, torch.dtype):
        return tg_dtype(x)
    if isinstance(x, torch.device):
        return tg.device(str(x)) if isinstance(getattr(tg, "device", None), type) else x  # op_db lambdas read .type
    if isinstance(x, (torch.layout, torch.memory_format, torch.Generator)):
        path = str(x).split(".")[-1] if not isinstance(x, torch.Generator) else None
        if path and hasattr(tg, path):
            return getattr(tg, path)
        raise Missing(f"argument {x!r}")
    if callable(x) and _is_testing_function(x):
        return rebind(x)
    if callable(x) and not isinstance(x, type) and _torch_path(x, None):  # a torch function given as an
        return resolve(x)[0]                                               # argument (distance_function=)
    if isinstance(x, torch.nn.Module) and not list(x.parameters()) and hasattr(tg.nn, type(x).__name__):
        module = getattr(tg.nn, type(x).__name__)()  # a parameterless module (PairwiseDistance()): its settings
        for key, value in vars(x).items():
            if not key.startswith("_") and key in vars(module):
                setattr(module, key, value)
        return module
    return x


# ---------------------------------------------------------------------------------------------
# comparing


def tolerance(dtype, overrides):
    """(rtol, atol): torch.testing's defaults for the dtype, widened by the OpInfo's overrides."""
    rtol, atol = {torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
                  torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7)}.get(dtype, (0, 0))
    if dtype in overrides:
        o_rtol, o_atol = overrides[dtype]
        rtol, atol = builtins.max(rtol, o_rtol), builtins.max(atol, o_atol)
    return rtol, atol


def tg_to_torch(t):
    name = str(t.dtype).split(".")[-1]
    if name == "bfloat16":
        return torch.from_numpy(t.detach().float().numpy().copy()).to(torch.bfloat16)
    return torch.from_numpy(np.array(t.detach().numpy(), copy=True))


def compare(actual, expected, overrides, where="output", mode="values"):
    """Raises Mismatch when tg's `actual` differs from torch's `expected` (structure, shape, dtype,
    values within the dtype's tolerance). mode "stats" (random ops) compares simple statistics instead
    of values, mode "layout" (uninitialized memory: empty*) only shapes and dtypes."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, tg.Tensor):
            raise Mismatch(f"{where}: expected a Tensor, got {type(actual).__name__}")
        if tuple(actual.shape) != tuple(expected.shape):
            raise Mismatch(f"{where}: shape {tuple(actual.shape)} != torch's {tuple(expected.shape)}")
        if str(actual.dtype).split(".")[-1] != str(expected.dtype).split(".")[-1]:
            raise Mismatch(f"{where}: dtype {actual.dtype} != torch's {expected.dtype}")
        got = tg_to_torch(actual)
        if mode == "layout":
            return
        if mode == "stats":
            _compare_stats(got, expected.detach(), where)
            return
        rtol, atol = tolerance(expected.dtype, overrides)
        try:
            torch.testing.assert_close(got, expected.detach(), rtol=rtol, atol=atol, equal_nan=True,
                                       check_dtype=False, check_stride=False)
        except AssertionError as exc:
            first = " ".join(str(exc).split("\n")[:4])
            raise Mismatch(f"{where}: values differ: {first}") from None
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            raise Mismatch(f"{where}: expected a {type(expected).__name__}, got {type(actual).__name__}")
        if len(actual) != len(expected):
            raise Mismatch(f"{where}: {len(actual)} results != torch's {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, overrides, f"{where}[{i}]", mode)
        return
    if isinstance(expected, float) and isinstance(actual, (float, int)) and not isinstance(actual, bool):
        if not (np.isnan(expected) and np.isnan(actual)) and not np.isclose(actual, expected, rtol=1e-6):
            raise Mismatch(f"{where}: {actual!r} != torch's {expected!r}")
        return
    if isinstance(expected, torch.dtype):
        if str(actual).split(".")[-1] != str(expected).split(".")[-1]:
            raise Mismatch(f"{where}: {actual} != torch's {expected}")
        return
    if isinstance(actual, tg.Tensor) or type(actual) is not type(expected) or actual != expected:
        if not (isinstance(expected, int) and isinstance(actual, int) and actual == expected):
            raise Mismatch(f"{where}: {actual!r} != torch's {expected!r}")


def _compare_stats(got, expected, where):
    """Random ops: finite where torch's is finite, and for 256+ floating values mean and standard
    deviation within a quarter of torch's spread."""
    if got.numel() == 0 or not expected.is_floating_point():
        return
    g, e = got.double(), expected.double()
    if bool(torch.isfinite(e).all()) and not bool(torch.isfinite(g).all()):
        raise Mismatch(f"{where}: non-finite values where torch's are all finite")
    if e.numel() >= 256 and bool(torch.isfinite(e).all()):
        spread = float(e.std()) + 1e-12
        if abs(float(g.mean()) - float(e.mean())) > 0.25 * spread + 1e-6 \
                or abs(float(g.std()) - float(e.std())) > 0.25 * spread + 1e-6:
            raise Mismatch(f"{where}: statistics differ: mean {float(g.mean()):.4g} std {float(g.std()):.4g}"
                           f" vs torch's {float(e.mean()):.4g} {float(e.std()):.4g}")
