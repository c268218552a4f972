"""out= for the functions torch gives it, in one place: the function computes its result as usual,
then the result is written into `out` with torch's rules for out tensors:
- autograd: none (RuntimeError when grad mode is on and an argument requires grad);
- overlap: `out` may not share memory with an input, except as that very input of the result's shape
  (torch.add(a, b, out=a)), nor have elements that share memory (an expanded tensor);
- dtype: the result must be castable to out's dtype (same dtype for EXACT_DTYPE functions);
- shape: an `out` of another shape is resized to the result's (with torch's warning when it held
  elements); results that are tuples (values, indices) take a tuple of out tensors.
"""
import functools
import inspect
import re
import warnings

from . import _C
from ._C import Tensor
from .autograd import is_grad_enabled

# Functions whose out must have the result's dtype exactly (torch checks it instead of casting).
EXACT_DTYPE = {"amax", "amin", "aminmax", "cat", "concat", "concatenate", "stack", "index_select",
               "gather", "masked_select", "take_along_dim", "matmul", "mm", "bmm", "mv", "dot",
               "addmm", "addmv", "addbmm", "baddbmm", "outer", "ger", "inner", "kthvalue", "sort",
               "topk", "max", "min", "cummax", "cummin", "tril", "triu", "diag"}


# Functions whose out may not be one of the inputs even exactly (torch's assert_no_overlap, where an
# elementwise op allows torch.add(a, b, out=a)).
NO_ALIAS = {"cat", "concat", "concatenate", "stack", "take", "gather", "index_select", "take_along_dim",
            "masked_select"}

# Factories: with out= and no dtype=, they compute in out's dtype.
FACTORIES = {"arange", "linspace", "logspace", "zeros", "ones", "full", "eye", "rand", "randn", "randint",
             "randperm", "empty"}

# The torch functions that take out= (torch.overrides' signatures), wrapped where tg has them and
# does not take out= itself.
OUT_NAMES = """abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr amax amin aminmax angle any
all arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort asin asinh atan atan2 atanh
baddbmm bincount bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm
bucketize cat ceil cholesky chain_matmul clamp clamp_max clamp_min clip concat concatenate copysign cos cosh
count_nonzero cross cummax cummin cumprod cumsum deg2rad diag diff digamma div divide dot eq erf erfc erfinv exp
exp2 expm1 eye fix float_power floor floor_divide fmax fmin fmod frac full gather gcd ge ger gt heaviside histc
hypot i0 index_select inner isin isneginf isposinf kron kthvalue lcm ldexp le lerp lgamma linspace log log10 log1p
log2 logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or logical_xor logit logspace logsumexp
lt masked_select matmul max maximum mean median min minimum mm mode mul multiply mv nan_to_num nanmean
nanmedian nanquantile nansum narrow_copy ne neg negative nextafter norm normal not_equal ones outer polygamma
positive pow prod quantile rad2deg rand randint randn randperm reciprocal remainder renorm round rsqrt
searchsorted sgn sigmoid sign signbit sin sinc sinh sort sqrt square stack std sub subtract sum take take_along_dim
tan tanh tensordot topk tril triu true_divide trunc var xlogy zeros""".split()


def install(namespace):
    """Wraps namespace[name] (tg's module globals) with out= for every name of OUT_NAMES it has whose
    function does not already take out=."""
    for name in OUT_NAMES:
        fn = namespace.get(name)
        if fn is None or getattr(fn, "out_of", None) is not None or accepts_keyword(fn, "out"):
            continue
        namespace[name] = with_out(name, fn)


def accepts_keyword(fn, keyword):
    """Whether fn has a parameter named `keyword` (read from its signature, or from the docstring
    pybind11 writes for a C++ function)."""
    try:
        return keyword in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return re.search(rf"[(,]\s*{keyword}\s*[:=]", fn.__doc__ or "") is not None


def _tensors(values):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _tensors(v)


def _span(t):
    """The [start, end) byte range of t's elements (None when it has none)."""
    if t.numel() == 0:
        return None
    last = sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s > 0)
    start = t.data_ptr() + min(0, sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s < 0)) * t.element_size()
    return start, t.data_ptr() + (last + 1) * t.element_size()


def _overlap_error(name):
    return RuntimeError(f"{name}(): unsupported operation: some elements of the input tensor and the written-to "
                        "tensor refer to a single memory location. Please clone() the tensor before performing the "
                        "operation.")


def _check_overlap(name, out, result, inputs):
    if any(s == 0 and n > 1 for n, s in zip(out.shape, out.stride())):
        raise RuntimeError(f"{name}(): unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before performing the operation.")
    span = _span(out)
    for t in _tensors(inputs):
        if t is out and name in NO_ALIAS and result.numel() > 0:
            raise _overlap_error(name)
        other = _span(t)
        if span is None or other is None or other[1] <= span[0] or span[1] <= other[0]:
            continue
        same = (name not in NO_ALIAS and t.data_ptr() == out.data_ptr()
                and tuple(t.shape) == tuple(out.shape) == tuple(result.shape) and t.stride() == out.stride())
        if not same:
            raise _overlap_error(name)


def _write(name, result, out, inputs):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out.dtype != result.dtype and (name in EXACT_DTYPE or not _C.can_cast(result.dtype, out.dtype)):
        raise RuntimeError(f"{name}(): result type {result.dtype} can't be cast to the desired output type {out.dtype}"
                           if name not in EXACT_DTYPE else
                           f"{name}(): Expected out tensor to have dtype {result.dtype}, but got {out.dtype} instead")
    _check_overlap(name, out, result, inputs)
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          "which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch release "
                          "outputs will not be resized unless they have zero elements. You can explicitly reuse "
                          "an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                          UserWarning, stacklevel=4)
        out.resize_(result.shape)
        _check_overlap(name, out, result, inputs)  # grown in place, out may now reach an input (torch's gather)
    out.copy_(result)
    return out


def check_no_grad(name, inputs):
    if is_grad_enabled() and any(t.requires_grad for t in _tensors(inputs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


def write_out(name, result, out, inputs):
    """Writes result (a tensor or a tuple of tensors) into out as torch's out= does; returns out."""
    if isinstance(result, Tensor):
        return _write(name, result, out, inputs)
    if not isinstance(out, (tuple, list)) or len(out) != len(result):
        raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
    for r, o in zip(result, out):
        _write(name, r, o, inputs)
    return type(result)(*out) if hasattr(result, "_fields") else tuple(out)


def with_out(name, fn):
    """fn with torch's keyword-only out= added."""
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if name in FACTORIES and kwargs.get("dtype") is None and isinstance(out, Tensor):
            kwargs["dtype"] = out.dtype  # a factory makes out's dtype, as torch
        inputs = list(args) + list(kwargs.values()) + [out]
        check_no_grad(name, inputs)
        return write_out(name, fn(*args, **kwargs), out, inputs[:-1])
    call.out_of = fn  # what it wraps (tests/test_keyword_names.py reads the keywords from it)
    return call
