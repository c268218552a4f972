"""tg.masked: reductions and normalizations that ignore masked-out elements (torch.masked's semantics).

A mask is a boolean tensor broadcastable to the input (of no more dims). Each op replaces the
masked-out elements by the identity of its reduction (0 for sum, 1 for prod, -inf for amax, ...)
and runs the ordinary tg op, so gradients flow to the masked-in elements only.
"""
import math

import tinygrad_ext as tg
from .._dims import wrap_dim

_WIDENED_TO_INT64 = ("bool", "uint8", "int8", "int16", "int32")


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _is_float(dtype):
    return _dtype_name(dtype) in ("float16", "bfloat16", "float32", "float64")


def _canonical_dim(dim, ndim):
    """`dim` as a sorted tuple of non-negative dims; None and () mean every dim (as torch.masked)."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    dims = []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        dims.append(wrap_dim(d, ndim, wrap_scalar=True))
    return tuple(sorted(dims))


def _input_mask(input, mask):
    """The mask broadcast to input's shape, as bool."""
    if tuple(mask.shape) != tuple(input.shape):
        if mask.dim() > input.dim():
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher than of the input)")
        mask = mask.expand(tuple(input.shape))
    return mask.to(tg.bool)


def _identity(op, input, ord=2.0):
    """The value that leaves op's reduction unchanged, as a 0-d tensor of input's dtype."""
    dtype = input.dtype
    if op in ("sum", "norm") and not (op == "norm" and ord == -math.inf):
        value = 0
    elif op == "prod":
        value = 1
    elif op in ("amax", "amin", "norm"):
        lowest = op == "amax"
        if _is_float(dtype):
            value = -math.inf if lowest else math.inf
        else:
            info = tg.iinfo(dtype)
            value = info.min if lowest else info.max
    elif op == "median":
        value, dtype = math.nan, (dtype if _is_float(dtype) else tg.float32)
    else:
        raise NotImplementedError(f"identity of {op} on {dtype} input")
    return tg.tensor(value, dtype=dtype)


def _masked_input(op, input, mask, ord=2.0):
    """input with its masked-out elements replaced by op's identity."""
    if mask is None:
        return input
    return tg.where(_input_mask(input, mask), input, _identity(op, input, ord))


def _widened(input, dtype):
    if dtype is None:
        return tg.int64 if _dtype_name(input.dtype) in _WIDENED_TO_INT64 else input.dtype
    return dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = _widened(input, dtype)
    dims = _canonical_dim(dim, input.dim())
    return tg.sum(_masked_input("sum", input, mask), dims, bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    result = _masked_input("prod", input, mask).to(_widened(input, dtype))
    for d in reversed(_canonical_dim(dim, input.dim())):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return tg.cumsum(_masked_input("sum", input, mask), d, dtype=dtype).to(dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return tg.cumprod(_masked_input("prod", input, mask), d, dtype=dtype).to(dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.dim())
    return tg.amax(_masked_input("amax", input, mask), dims, bool(keepdim)).to(dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.dim())
    return tg.amin(_masked_input("amin", input, mask), dims, bool(keepdim)).to(dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return tg.argmax(_masked_input("amax", input, mask), dim, bool(keepdim)).to(dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return tg.argmin(_masked_input("amin", input, mask), dim, bool(keepdim)).to(dtype)


def _count(input, dim, keepdim, mask):
    """How many masked-in elements each reduction sees (int64)."""
    if mask is None:
        ones = tg.ones(tuple(input.shape), dtype=tg.int64)
        return sum(ones, dim, keepdim=keepdim)
    return sum(_input_mask(input, mask), dim, keepdim=keepdim)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    source = "Input" if dtype is None else "Optional"
    dtype = input.dtype if dtype is None else dtype
    if not _is_float(dtype):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either "
                         f"a floating point or complex dtype. Got: {dtype}")
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, dim, keepdim, mask)


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    is_float = _is_float(input.dtype)
    if not is_float:
        input = input.to(tg.float32)
    output = tg.nanmedian(_masked_input("median", input, mask), d, keepdim).values
    if is_float:
        return output
    if bool(tg.isnan(output).any()):
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")
    return output.to(dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.dim())
    return tg.logsumexp(_masked_input("amax", input, mask), dims, keepdim=keepdim).to(dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    dtype = input.dtype if dtype is None else dtype
    a = _masked_input("amax", input, input_mask)
    b = _masked_input("amax", other, other_mask)
    return tg.logaddexp(a, b).to(dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.dim())
    return tg.linalg.vector_norm(_masked_input("norm", input, mask, ord), ord, dims, bool(keepdim), dtype=dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    corr = 1.0
    if unbiased is not None:
        corr = 1.0 if unbiased else 0.0
    if correction is not None:
        corr = float(correction)
    if dtype is None:
        dtype = input.dtype if _is_float(input.dtype) else tg.float32
    compute_dtype = dtype if _is_float(dtype) else tg.float32
    mask = None if mask is None else _input_mask(input, mask)
    count = _count(input, dim, True, mask)
    sample_mean = sum(input, dim, keepdim=True, dtype=dtype, mask=mask) / count
    x = input - sample_mean
    total = sum(x * x, dim, keepdim=keepdim, dtype=compute_dtype, mask=mask)
    if not keepdim:
        count = count.reshape(tuple(total.shape))
    if corr != 0:
        count = tg.clamp(count.to(compute_dtype) - corr, min=0)
    output = (total / count).to(dtype)
    return tg.sqrt(output) if take_sqrt else output


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt=False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt=True)


def softmax(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return tg.nn.functional.softmax(_masked_input("amax", input, mask), d, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return tg.nn.functional.log_softmax(_masked_input("amax", input, mask), d, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return tg.nn.functional.softmin(_masked_input("amin", input, mask), d, dtype=dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    denom = tg.clamp(nrm, min=eps)
    return _masked_input("sum", input, mask) / denom
