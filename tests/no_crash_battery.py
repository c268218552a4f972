"""The calls of the whole-surface crash test (tests/test_no_crash.py): every public callable of
tinygrad_ext with a battery of odd arguments. Run as a program it makes calls [start, stop) of the
list, writing each call's number to a log before making it, so a parent that sees the process die
knows which call killed it:  python tests/no_crash_battery.py START STOP LOGFILE"""
import faulthandler
import inspect
import math
import os
import sys
import types
import warnings

import tinygrad_ext as tg

# Argument values, by label. Tensors are made fresh for every call (in-place ops change them).
# Sizes are either small or far beyond any memory (2**40 elements and up), so a call that
# wrongly tries to allocate fails fast instead of eating the machine.
_F32 = tg.tensor([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]])
_NONFINITE = tg.tensor([math.nan, math.inf, -math.inf, 0.0], dtype=tg.float64)
_I64 = tg.tensor([[0, 1, 2], [2, 1, 0]])
_I64_NEGATIVE = tg.tensor([-1, 5, -(2 ** 62)])
TENSORS = {
    "f32": lambda: _F32.clone(),
    "f32_0d": lambda: tg.full((), 1.5),
    "f32_empty": lambda: tg.ones(0, 3),
    "f32_noncontig": lambda: tg.arange(12.0).reshape(3, 4)[:, ::2],
    "f32_expanded": lambda: tg.ones(1, 3).expand(2, 3),
    "f32_4d": lambda: tg.ones(1, 2, 1, 3),
    "f32_grad": lambda: tg.ones(2, 3, requires_grad=True),
    "f64_nonfinite": lambda: _NONFINITE.clone(),
    "i64": lambda: _I64.clone(),
    "i64_0d": lambda: tg.full((), 1),
    "i64_negative": lambda: _I64_NEGATIVE.clone(),
    "bool": lambda: _I64.clone() == 1,
}
VALUES = {
    "None": lambda: None,
    "0": lambda: 0, "1": lambda: 1, "2": lambda: 2, "-1": lambda: -1, "-4": lambda: -4,
    "2**40": lambda: 2 ** 40, "2**62": lambda: 2 ** 62, "2**63-1": lambda: 2 ** 63 - 1,
    "-2**63": lambda: -(2 ** 63), "2**64": lambda: 2 ** 64,
    "0.5": lambda: 0.5, "nan": lambda: math.nan, "inf": lambda: math.inf, "-inf": lambda: -math.inf,
    "True": lambda: True,
    "'abc'": lambda: "abc", "''": lambda: "",
    "[1, 2]": lambda: [1, 2], "[[1, 2], [3]]": lambda: [[1, 2], [3]], "()": lambda: (),
    "(2, -1)": lambda: (2, -1), "(2**40, 2**40)": lambda: (2 ** 40, 2 ** 40), "[None]": lambda: [None],
    "[f32, i64]": lambda: [TENSORS["f32"](), TENSORS["i64"]()],
    "float32": lambda: tg.float32, "int64": lambda: tg.int64, "bool_dtype": lambda: tg.bool,
    "slice(None, None, -1)": lambda: slice(None, None, -1), "{}": lambda: {}, "object()": lambda: object(),
}
BATTERY = {**TENSORS, **VALUES}
ALL = list(BATTERY)
SHORT = ["None", "0", "1", "-1", "-4", "2**62", "2**64", "nan", "'abc'", "(2, -1)", "f32", "i64", "bool",
         "f32_0d", "f32_empty"]
KEYWORDS = ["dim", "dtype", "out", "keepdim", "size"]
# The other tensors a function or method gets as its first argument besides f32.
MAIN_TENSORS = ["f32_0d", "f32_empty", "f32_noncontig", "i64", "bool"]

# Dunder methods of Tensor that are not ops (object protocol, construction, pickling).
SKIP_DUNDERS = {"__init__", "__dict__", "__doc__", "__module__", "__hash__", "__reduce_ex__",
                "__array_priority__", "__weakref__"}


def _public_callables(prefix, module):
    out = []
    for name in sorted(dir(module)):
        obj = getattr(module, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        out.append((f"{prefix}.{name}", obj))
    return out


def _functions():
    out = _public_callables("tg", tg) + _public_callables("tg.nn.functional", tg.nn.functional)
    out += _public_callables("tg.nn", tg.nn) + _public_callables("tg.nn.init", tg.nn.init)
    for sub in ("linalg", "special", "fft"):
        if isinstance(getattr(tg, sub, None), types.ModuleType):
            out += _public_callables(f"tg.{sub}", getattr(tg, sub))
    return out


def _tensor_members():
    methods, setters = [], []
    for name in sorted(dir(tg.Tensor)):
        static = inspect.getattr_static(tg.Tensor, name)
        if name.startswith("__") and (name in SKIP_DUNDERS or name not in vars(tg.Tensor)):
            continue
        if name.startswith("_") and not name.startswith("__"):
            continue
        if isinstance(static, property):
            if static.fset is not None:
                setters.append(name)
        elif callable(static):
            methods.append(name)
    return methods, setters


def calls():
    """Every call as (label, target kind, target, argument labels, keyword argument labels)."""
    out = []
    keywords = [(("f32",), {k: v}) for k in KEYWORDS for v in SHORT]
    for label, fn in _functions():
        specs = [((), {})] + [((v,), {}) for v in ALL] + [(("f32", v), {}) for v in ALL]
        specs += [((t, v), {}) for t in MAIN_TENSORS for v in SHORT]
        specs += [(("f32", "0", v), {}) for v in ALL] + [(("f32", v, "0"), {}) for v in SHORT]
        specs += [(("f32_0d", "0", v), {}) for v in SHORT] + [(("f32", "f32", v), {}) for v in SHORT]
        out += [(label, "function", fn, a, k) for a, k in specs + keywords]
    methods, setters = _tensor_members()
    for name in methods:
        specs = [((self,), {}) for self in TENSORS] + [(("f32", v), {}) for v in ALL]
        specs += [((self, v), {}) for self in TENSORS if self != "f32" for v in SHORT]
        specs += [(("f32", "0", v), {}) for v in ALL] + [((self, "0", v), {}) for self in MAIN_TENSORS for v in SHORT]
        specs += [((self, v, "0"), {}) for self in ("f32", "f32_0d", "i64") for v in SHORT]
        specs += [(("f32", "1", "1", v), {}) for v in SHORT]
        out += [(f"Tensor.{name}", "method", name, a, k) for a, k in specs + keywords]
    for name in setters:
        out += [(f"Tensor.{name} =", "setter", name, (self, v), {})
                for self in ("f32", "f32_grad", "i64") for v in ALL]
    stride = int(os.environ.get("TG_NO_CRASH_STRIDE", "1"))
    return _subset(out, stride) if stride > 1 else out


# Calls that crashed once (tests/test_no_crash.py checks the battery still makes them).
KNOWN_CRASHES = ["Tensor.matmul(f32, None)", "Tensor.maximum(f32, None)", "Tensor.copy_(f32, None)",
                 "tg.nn.functional.nll_loss(f32, None)", "Tensor.stride(f32_0d, 0)", "tg.logsumexp(f32_0d, 0)",
                 "Tensor.roll(f32_0d, 1, 0)", "tg.unflatten(f32_0d, 0, (2, -1))", "tg.ones((2, -1))",
                 "tg.empty((2**40, 2**40))", "f32.grad = None", "tg.histc(f32, 2**40)",
                 "tg.nn.functional.adaptive_avg_pool1d(f32, 2**40)", "tg.nn.functional.adaptive_max_pool1d(f32, 2**40)"]
HUGE = {"2**40", "2**62", "2**63-1", "-2**63", "2**64", "(2**40, 2**40)"}


def _subset(all_calls, stride):
    """The sanitizer job's share of the battery (TG_NO_CRASH_STRIDE=n): every call with a huge size
    argument (where the sanitizer's allocator behaves differently from the C library's), every known
    crash, and every n-th of the other calls."""
    return [c for i, c in enumerate(all_calls)
            if i % stride == 0 or HUGE & (set(c[3]) | set(c[4].values())) or describe(c) in KNOWN_CRASHES]


def describe(call):
    label, kind, _, args, kwargs = call
    parts = list(args) + [f"{k}={v}" for k, v in kwargs.items()]
    if kind == "setter":
        return f"{args[0]}.{label[len('Tensor.'):]} {args[1]}"
    return f"{label}({', '.join(parts)})"


def run(call):
    _, kind, target, arg_labels, kwarg_labels = call
    args = [BATTERY[a]() for a in arg_labels]
    kwargs = {k: BATTERY[v]() for k, v in kwarg_labels.items()}
    if kind == "function":
        return target(*args, **kwargs)
    if kind == "setter":
        return setattr(args[0], target, args[1])
    return getattr(args[0], target)(*args[1:], **kwargs)


def main(start, stop, log_path):
    faulthandler.enable()
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(10000)
    all_calls = calls()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for i in range(start, min(stop, len(all_calls))):
        os.write(fd, f"{i}\n".encode())
        try:
            run(all_calls[i])
        except BaseException as e:  # any exception is fine; only a dead process is not
            if isinstance(e, KeyboardInterrupt):
                raise
        tg.set_grad_enabled(True)  # calls such as tg.set_grad_enabled(False) must not leak
    os.write(fd, b"done\n")
    os.close(fd)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
