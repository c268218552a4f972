"""The checks run for one op_db entry: tg against torch on the entry's own sample inputs.

`run_entry(entry_id)` returns {unit: None (passed) or a one-line failure}. The units of an entry:
  "<dtype>"   forward values, shapes and dtypes for each dtype tg has and the OpInfo lists
              (`supported_dtypes("cpu")`), on at most SAMPLE_CAP samples;
  "grad"      gradients of every differentiable output for a fixed random upstream gradient
              (float64, or float32 when the entry has no float64), at most GRAD_CAP samples;
  "gradgrad"  second derivatives (float64), at most GRADGRAD_CAP samples;
  "variants"  the method, in-place and operator variants give the function's results;
  "errors"    every `error_inputs` sample raises the exception type torch raises (the message
              is not compared), at most ERROR_CAP of them;
  "entry"     the whole entry, when tg has no counterpart at all.
Samples are taken in op_db's order and capped deterministically (the first N), so the run stays
within a few minutes. A sample torch itself rejects is skipped; so is a sample whose tensors tg
cannot represent (complex, sparse; a dtype tg lacks appears as that dtype's unit failing).

torch's own expectations are respected where they mark a check torch itself fails on the CPU:
a `skip`/`expectedFailure` DecorateInfo active for the CPU and the dtype on TestBwdGradients'
test_fn_grad / test_fn_gradgrad, TestCommon's test_variant_consistency_eager or test_errors turns
the matching unit off; `toleranceOverride` / `precisionOverride` decorators active on the CPU
widen the value tolerances (never narrower than torch.testing's defaults).
"""
import contextlib
import itertools
import warnings

import torch
from torch.testing._internal.common_methods_invocations import op_db
from torch.testing._internal.opinfo.core import DecorateInfo

import tinygrad_ext as tg
from opinfo_bridge import Mismatch, Missing, compare, method_name, resolve, rebind, tg_dtypes, to_tg

SAMPLE_CAP = 10
GRAD_CAP = 4
GRADGRAD_CAP = 2
VARIANT_CAP = 3
ERROR_CAP = 12

# entries whose output is random (compared by shape, dtype and statistics) or uninitialized
# (shape and dtype only); entries flagged in op_db or seen to change with the seed are added
RANDOM_NAMES = {"bernoulli", "multinomial", "normal", "uniform", "randn", "rand_like", "randn_like",
                "randint_like", "randint", "nn.functional.dropout", "nn.functional.dropout2d",
                "nn.functional.dropout3d", "nn.functional.alpha_dropout", "nn.functional.rrelu",
                "nn.functional.feature_alpha_dropout", "nn.functional.fractional_max_pool2d",
                "nn.functional.fractional_max_pool3d", "native_dropout_backward", "cauchy",
                "exponential", "geometric", "log_normal", "random", "randn"}

ENTRIES = {(o.name + ("." + o.variant_test_name if o.variant_test_name else "")): o for o in op_db}


def entry_ids():
    return list(ENTRIES)


def _compare_mode(opinfo):
    """How outputs are compared: "layout" for uninitialized memory, "stats" for random ops."""
    if opinfo.has_nondeterministic_output or "empty" in opinfo.name:
        return "layout"
    return "stats" if opinfo.name in RANDOM_NAMES else "values"


def _torch_marks(opinfo, cls, test, dtype):
    """True when torch's own skips/decorators turn this check off on the CPU for dtype."""
    for info in itertools.chain(opinfo.skips, opinfo.decorators):
        if isinstance(info, DecorateInfo) and info.cls_name == cls and info.test_name == test \
                and info.is_active(cls, test, "cpu", dtype, {}):
            return True
    return False


def _tolerance_overrides(opinfo):
    """{dtype: (rtol, atol)} from the entry's toleranceOverride / precisionOverride for the CPU."""
    out = {}

    def add(dec):
        for dtype, value in getattr(dec, "d", {}).items():
            rtol, atol = (value.rtol, value.atol) if hasattr(value, "rtol") else (0.0, value)
            old = out.get(dtype, (0.0, 0.0))
            out[dtype] = (max(old[0], rtol), max(old[1], atol))
    for info in opinfo.decorators:
        if isinstance(info, DecorateInfo):
            if info.device_type in (None, "cpu") and info.active_if:
                for dec in info.decorators:
                    add(dec)
        else:
            add(info)
    return out


def _call(fn, args):
    inp, a, kw = args
    return fn(inp, *a, **kw)


def _sample_args(sample):
    return sample.input, tuple(sample.args), dict(sample.kwargs)


def _samples(opinfo, dtype, requires_grad, cap):
    torch.manual_seed(0)
    return list(itertools.islice(opinfo.sample_inputs("cpu", dtype, requires_grad=requires_grad), cap))


def _torch_result(opinfo, fn, sample, seed=0):
    torch.manual_seed(seed)
    return _call(fn, _sample_args(sample))


class _Skip(Exception):
    """A sample not run: torch rejects it (no reason), or tg cannot hold its inputs (`reason`;
    `lacking` names a dtype tg lacks)."""

    def __init__(self, reason=None, lacking=None):
        super().__init__(reason)
        self.reason, self.lacking = reason, lacking


class _Tally:
    """Counts the samples a check ran; a check that could run none because tg cannot hold the
    inputs (a dtype it lacks, a tensor kind) fails rather than passing with nothing tested."""

    def __init__(self):
        self.ran = 0
        self.lacking = set()
        self.unheld = set()

    def skipped(self, skip):
        if skip.lacking:
            self.lacking.add(skip.lacking)
        elif skip.reason:
            self.unheld.add(skip.reason)

    def result(self):
        if self.ran == 0 and self.lacking:
            return "no sample could run: tg lacks dtype " + ", ".join(sorted(self.lacking))
        if self.ran == 0 and self.unheld:
            return "no sample could run: inputs tg cannot hold: " + "; ".join(sorted(self.unheld))[:200]
        return None


def _convert(sample, memo):
    try:
        return to_tg(_sample_args(sample), memo)
    except Missing as exc:
        if str(exc).startswith("dtype"):
            raise _Skip(lacking=str(exc)[len("dtype "):]) from None
        raise _Skip(reason=str(exc)) from None
    except Exception as exc:  # noqa: BLE001  (e.g. more dims than numpy holds: not tg's fault)
        raise _Skip(reason=f"{type(exc).__name__}: {exc}") from None


def _both(opinfo, torch_fn, tg_fn, sample):
    """(torch's result, tg's result, tg's converted args) for a sample; _Skip when torch rejects it
    or tg cannot hold its inputs; tg's exception propagates."""
    memo = {}
    args = _convert(sample, memo)  # before torch runs: in-place variants change the input
    try:
        expected = _torch_result(opinfo, torch_fn, sample)
    except Exception:
        raise _Skip() from None
    tg.manual_seed(0)
    return expected, _call(tg_fn, args), args, memo


def _fail(i, sample, exc):
    kind = type(exc).__name__
    msg = " ".join(str(exc).split())[:300]
    return f"sample {i}: {kind}: {msg}"


@contextlib.contextmanager
def _unseeded(fn):
    """op_db runs random ops through wrapper_set_seed (the same seed on every call): within this, it
    passes the call through, so that a change of the global seed shows in the result."""
    namespace = getattr(fn, "__globals__", {})
    saved = namespace.get("wrapper_set_seed")
    if saved is not None:
        namespace["wrapper_set_seed"] = lambda op, *args, **kwargs: op(*args, **kwargs)
    try:
        yield
    finally:
        if saved is not None:
            namespace["wrapper_set_seed"] = saved


def _changes_with_seed(opinfo, sample):
    """True when torch's result for the sample differs under another seed (a random op)."""
    with _unseeded(opinfo.op):
        first = _flat_tensors(_torch_result(opinfo, opinfo.op, sample, seed=0))
        other = _flat_tensors(_torch_result(opinfo, opinfo.op, sample, seed=1))
    return len(other) != len(first) or not all(
        a.shape == b.shape and torch.equal(torch.nan_to_num(a.detach()), torch.nan_to_num(b.detach()))
        for a, b in zip(first, other) if not a.is_complex())


def _entry_mode(opinfo, dtype):
    """_compare_mode, plus "stats" for an entry whose first sample's result changes with the seed."""
    mode = _compare_mode(opinfo)
    if mode == "values":
        for sample in _samples(opinfo, dtype, False, 1):
            try:
                if _changes_with_seed(opinfo, sample):
                    mode = "stats"
            except Exception:  # noqa: BLE001  (torch rejects the sample: nothing to learn)
                pass
    return mode


def _compare_sample(opinfo, sample, compare_in_mode, mode):
    """compare_in_mode(mode), except that a sample whose torch result changes with the seed (dropout
    inside an otherwise deterministic entry) is compared by statistics when its values differ."""
    try:
        compare_in_mode(mode)
    except Mismatch:
        if mode != "values" or not _changes_with_seed(opinfo, sample):
            raise
        compare_in_mode("stats")


def check_forward(opinfo, tg_fn, dtype, mode):
    overrides = _tolerance_overrides(opinfo)
    tally = _Tally()
    for i, sample in enumerate(_samples(opinfo, dtype, False, SAMPLE_CAP)):
        try:
            expected, actual, _, _ = _both(opinfo, opinfo.op, tg_fn, sample)
            _compare_sample(opinfo, sample,
                            lambda m: compare(actual, expected, overrides, "output", m), mode)
            tally.ran += 1
        except _Skip as skip:
            tally.skipped(skip)
        except Exception as exc:  # noqa: BLE001  (any failure of tg is reported, never raised)
            return _fail(i, sample, exc)
    return tally.result()


def _flat_tensors(x):
    if isinstance(x, (torch.Tensor, tg.Tensor)):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _flat_tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _flat_tensors(v)]
    return []


def _grad_dtype(opinfo):
    dtypes = opinfo.supported_backward_dtypes("cpu") if hasattr(opinfo, "supported_backward_dtypes") \
        else opinfo.supported_dtypes("cpu")
    available = set(tg_dtypes()) & set(dtypes) & set(opinfo.supported_dtypes("cpu"))
    for dtype in (torch.float64, torch.float32):
        if dtype in available:
            return dtype
    return None


def _upstream(outputs, seed):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(o.shape, dtype=o.dtype, generator=gen) for o in outputs]


def _grads(lib, outputs, inputs, upstream, create_graph=False):
    for inp in inputs:
        if inp.grad is not None:
            inp.grad = None
    return lib.autograd.grad(outputs, inputs, upstream, allow_unused=True, create_graph=create_graph)


def _differentiable(outs_torch, outs_tg):
    pairs = [(a, b) for a, b in zip(outs_torch, outs_tg)
             if a.requires_grad and a.dtype.is_floating_point]
    return [a for a, _ in pairs], [b for _, b in pairs]


def _compare_grads(g_tg, g_torch, inputs_torch, overrides, where, mode):
    for k, (a, e) in enumerate(zip(g_tg, g_torch)):
        if e is None:
            e = torch.zeros_like(inputs_torch[k])
        if a is None:
            a = tg.zeros(*inputs_torch[k].shape, dtype=tg.float64 if e.dtype == torch.float64 else tg.float32)
        compare(a, e, overrides, f"{where} of input {k}", "values" if mode == "values" else "layout")


def check_grad(opinfo, tg_fn, dtype, mode, second_order=False):
    overrides = _tolerance_overrides(opinfo)
    cap = GRADGRAD_CAP if second_order else GRAD_CAP
    tally = _Tally()
    for i, sample in enumerate(_samples(opinfo, dtype, True, cap * 2)):
        if tally.ran >= cap:
            break
        try:
            expected, actual, args, memo = _both(opinfo, opinfo.op, tg_fn, sample)
            process = sample.output_process_fn_grad
            outs_t = _flat_tensors(process(expected))
            outs_g = _flat_tensors(rebind(process)(actual))
            if len(outs_t) != len(outs_g):
                raise Mismatch(f"{len(outs_g)} outputs != torch's {len(outs_t)}")
            outs_t, outs_g = _differentiable(outs_t, outs_g)
            inputs_t = [t for t in _flat_tensors(_sample_args(sample)) if t.requires_grad]
            inputs_t = list({id(t): t for t in inputs_t}.values())
            if not outs_t or not inputs_t:
                continue
            inputs_g = [memo[id(t)][1] for t in inputs_t]
            up_t = _upstream(outs_t, 1234 + i)
            up_g = [to_tg(u, {}) for u in up_t]
            if second_order:  # as gradgradcheck: the upstream gradient is an input too
                up_t = [u.requires_grad_() for u in up_t]
                up_g = [u.requires_grad_() for u in up_g]
            g_t = _grads(torch, outs_t, inputs_t, up_t, create_graph=second_order)
            if any(getattr(o, "grad_fn", None) is None and not o.requires_grad for o in outs_g):
                raise Mismatch("an output torch differentiates does not require grad in tg")
            g_g = _grads(tg, outs_g, inputs_g, up_g, create_graph=second_order)
            if not second_order:
                _compare_sample(opinfo, sample,
                                lambda m: _compare_grads(g_g, g_t, inputs_t, overrides, "grad", m), mode)
            else:
                keep = [k for k, g in enumerate(g_t) if g is not None and g.requires_grad]
                if not keep:
                    continue
                if any(g_g[k] is None or not g_g[k].requires_grad for k in keep):
                    raise Mismatch("first derivative is not differentiable in tg (create_graph)")
                v_t = _upstream([g_t[k] for k in keep], 99 + i)
                v_g = [to_tg(v, {}) for v in v_t]
                gg_t = _grads(torch, [g_t[k] for k in keep], inputs_t + up_t, v_t)
                gg_g = _grads(tg, [g_g[k] for k in keep], inputs_g + up_g, v_g)
                _compare_sample(opinfo, sample, lambda m: _compare_grads(
                    gg_g, gg_t, inputs_t + up_t, overrides, "second derivative", m), mode)
            tally.ran += 1
        except _Skip as skip:
            tally.skipped(skip)
        except Exception as exc:  # noqa: BLE001
            return _fail(i, sample, exc)
    return tally.result()


def _variants(opinfo):
    """[(label, torch callable, tg callable or Missing, in_place)] for the entry's variants."""
    out = []
    for label, fn, inplace in (("method", opinfo.method_variant, False),
                               ("in-place", opinfo.inplace_variant, True),
                               ("operator", opinfo.operator_variant, False),
                               ("in-place operator", opinfo.inplace_operator_variant, True)):
        if fn is None:
            continue
        name = method_name(fn)
        if label in ("method", "in-place") and name and hasattr(torch.Tensor, name) \
                and getattr(torch.Tensor, name) is fn:
            target = getattr(tg.Tensor, name, None)
            if target is None:
                target = Missing(f"tg.Tensor.{name}")
        else:
            try:
                target = resolve(fn)[0]
            except Missing as exc:
                target = exc
        out.append((label, fn, target, inplace))
    return out


def check_variants(opinfo, dtype, mode):
    overrides = _tolerance_overrides(opinfo)
    for label, torch_fn, tg_fn, inplace in _variants(opinfo):
        if isinstance(tg_fn, Missing):
            return f"{label} variant: missing {tg_fn}"
        tally = _Tally()
        for i, sample in enumerate(_samples(opinfo, dtype, False, VARIANT_CAP)):
            if inplace:
                sample = sample.transform(lambda t: t.clone() if isinstance(t, torch.Tensor) else t)
            try:
                expected, actual, args, _ = _both(opinfo, torch_fn, tg_fn, sample)
                if inplace:
                    if actual is not args[0]:
                        raise Mismatch("the in-place variant does not return its input")
                    expected, actual = sample.input, args[0]
                compare(actual, expected, overrides, f"{label} variant", mode)
                tally.ran += 1
            except _Skip as skip:
                tally.skipped(skip)
            except Exception as exc:  # noqa: BLE001
                return f"{label} variant: " + _fail(i, sample, exc)
        if tally.result():
            return f"{label} variant: {tally.result()}"
    return None


def check_errors(opinfo):
    try:
        error_inputs = list(itertools.islice(opinfo.error_inputs("cpu"), ERROR_CAP))
    except Exception:  # noqa: BLE001  (torch could not build them on this machine)
        return None
    tg_fn = resolve(opinfo.op, opinfo.name)[0]
    for i, err in enumerate(error_inputs):
        sample = err.sample_input
        try:
            args = _convert(sample, {})
        except _Skip:
            continue
        try:
            _call(tg_fn, args)
        except err.error_type:
            continue
        except Exception as exc:  # noqa: BLE001
            return f"error input {i}: raised {type(exc).__name__} ({str(exc)[:120]}), torch raises {err.error_type.__name__}"
        return f"error input {i}: no error raised, torch raises {err.error_type.__name__}: {err.error_regex[:80]}"
    return None


def run_entry(entry_id):
    """{unit: None or failure message} for one op_db entry."""
    opinfo = ENTRIES[entry_id]
    warnings.simplefilter("ignore")
    try:
        tg_fn = resolve(opinfo.op, opinfo.name)[0]
    except Missing as exc:
        return {"entry": f"missing: {exc}"}
    results = {}
    supported = opinfo.supported_dtypes("cpu")
    dtypes = [d for d in tg_dtypes() if d in supported]
    if not dtypes:
        return {"entry": "no dtype in common: tg has " + ", ".join(map(str, tg_dtypes()))}
    mode = _entry_mode(opinfo, dtypes[-1])
    for dtype in dtypes:
        results[str(dtype).split(".")[-1]] = check_forward(opinfo, tg_fn, dtype, mode)
    grad_dtype = _grad_dtype(opinfo)
    if opinfo.supports_autograd and grad_dtype is not None \
            and not _torch_marks(opinfo, "TestBwdGradients", "test_fn_grad", grad_dtype):
        results["grad"] = check_grad(opinfo, tg_fn, grad_dtype, mode)
        if opinfo.supports_gradgrad and grad_dtype == torch.float64 \
                and not _torch_marks(opinfo, "TestBwdGradients", "test_fn_gradgrad", grad_dtype):
            results["gradgrad"] = check_grad(opinfo, tg_fn, grad_dtype, mode, second_order=True)
    variant_dtype = torch.float32 if torch.float32 in dtypes else dtypes[0]
    if _variants(opinfo) and not _torch_marks(opinfo, "TestCommon", "test_variant_consistency_eager", variant_dtype):
        results["variants"] = check_variants(opinfo, variant_dtype, mode)
    if opinfo.error_inputs_func is not None and not _torch_marks(opinfo, "TestCommon", "test_errors", None):
        results["errors"] = check_errors(opinfo)
    return results


if __name__ == "__main__":
    import sys
    for eid in sys.argv[1:]:
        print(eid, run_entry(eid))
