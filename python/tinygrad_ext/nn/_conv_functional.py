"""nn.functional's CNN ops: convolution, transposed convolution, pooling, batch_norm (C++ in _C._conv)."""
import math
import numbers
import warnings

import tinygrad_ext as tg
from .._C import Tensor
from .._C import _conv as _k

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d", "fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices", "batch_norm"]


def _tuple(value, n, name, op):
    """An int (or a 1-sequence) repeated n times, or a sequence of n ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [int(value)] * n
    if isinstance(value, (tuple, list, tg.Size)):
        vals = list(value)
        if len(vals) == 1:
            vals = vals * n
        if len(vals) == n and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in vals):
            return [int(v) for v in vals]
    raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} values to match "
                       f"the {n}-d spatial dimensions, but got {name}={value!r}")


def _batched(input, nsp, op, what="tensor"):
    """(input with a batch dim, whether one was added); raises for a rank that is neither."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a tg.Tensor, not {type(input).__name__}")
    if input.dim() == nsp + 2:
        return input, False
    if input.dim() == nsp + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to {op}, "
                       f"but got input of size: {list(input.shape)}")


def _unbatch(out, added):
    return out.squeeze(0) if added else out


# ---- convolution ----
def _same_padding(input, weight, dilation, nsp):
    """padding='same': torch pads d (k - 1) in total, the odd one out on the right."""
    if weight.dim() != nsp + 2:  # the kernel reports the rank mismatch in torch's words
        return input, [0] * nsp
    pad, extra = [], []
    for i in range(nsp):
        total = dilation[i] * (weight.shape[2 + i] - 1)
        pad.append(total // 2)
        extra.append(total - 2 * (total // 2))
    if any(extra):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", UserWarning, stacklevel=4)
        right = []
        for e in reversed(extra):
            right += [0, e]
        input = tg.nn.functional.pad(input, right)
    return input, pad


def _conv(nsp, input, weight, bias, stride, padding, dilation, groups):
    op = f"conv{nsp}d"
    x, added = _batched(input, nsp, op)
    stride = _tuple(stride, nsp, "stride", op)
    dilation = _tuple(dilation, nsp, "dilation", op)
    if isinstance(padding, str):
        if padding == "valid":
            padding = [0] * nsp
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            x, padding = _same_padding(x, weight, dilation, nsp)
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    else:
        padding = _tuple(padding, nsp, "padding", op)
    out = _k.convolution(x, weight, bias, stride, padding, dilation, int(groups), op)
    return _unbatch(out, added)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(nsp, input, weight, bias, stride, padding, output_padding, groups, dilation):
    op = f"conv_transpose{nsp}d"
    x, added = _batched(input, nsp, op)
    args = [_tuple(v, nsp, name, op) for v, name in ((stride, "stride"), (padding, "padding"),
                                                      (output_padding, "output_padding"), (dilation, "dilation"))]
    stride, padding, output_padding, dilation = args
    out = _k.conv_transpose(x, weight, bias, stride, padding, output_padding, dilation, int(groups), op)
    return _unbatch(out, added)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


# ---- pooling ----
def _pool_stride(stride, kernel, nsp, op):
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return _tuple(stride, nsp, "stride", op)


def _max_pool(nsp, input, kernel_size, stride, padding, dilation, ceil_mode):
    op = f"max_pool{nsp}d"
    x, added = _batched(input, nsp, op)
    k = _tuple(kernel_size, nsp, "kernel_size", op)
    out, idx = _k.max_pool(x, k, _pool_stride(stride, k, nsp, op), _tuple(padding, nsp, "padding", op),
                           _tuple(dilation, nsp, "dilation", op), bool(ceil_mode), op)
    return _unbatch(out, added), _unbatch(idx, added)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out = _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out = _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out = _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def _avg_pool(nsp, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    op = f"avg_pool{nsp}d"
    x, added = _batched(input, nsp, op)
    k = _tuple(kernel_size, nsp, "kernel_size", op)
    out = _k.avg_pool(x, k, _pool_stride(stride, k, nsp, op), _tuple(padding, nsp, "padding", op),
                      bool(ceil_mode), bool(count_include_pad), divisor_override, op)
    return _unbatch(out, added)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(output_size, x, nsp, op):
    """output_size as a list; None entries keep the input's size."""
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = [output_size] * nsp
    sizes = list(output_size)
    if len(sizes) == 1:
        sizes = sizes * nsp
    if len(sizes) != nsp:
        raise RuntimeError(f"{op}: output_size must be {nsp}, got {len(sizes)}")
    return [x.shape[2 + i] if s is None else int(s) for i, s in enumerate(sizes)]


def _check_adaptive_rank(input, output_size, nsp):
    """torch's 2-d and 3-d adaptive pools first require more input dims than output sizes."""
    if nsp > 1 and isinstance(input, Tensor) and isinstance(output_size, (tuple, list, tg.Size)) \
            and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")


def _adaptive_avg(nsp, input, output_size):
    op = f"adaptive_avg_pool{nsp}d"
    _check_adaptive_rank(input, output_size, nsp)
    x, added = _batched(input, nsp, op)
    return _unbatch(_k.adaptive_avg_pool(x, _adaptive_size(output_size, x, nsp, op), op), added)


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nsp, input, output_size):
    op = f"adaptive_max_pool{nsp}d"
    _check_adaptive_rank(input, output_size, nsp)
    x, added = _batched(input, nsp, op)
    out, idx = _k.adaptive_max_pool(x, _adaptive_size(output_size, x, nsp, op), op)
    return _unbatch(out, added), _unbatch(idx, added)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(1, input, output_size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(2, input, output_size)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(3, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = _adaptive_max(1, input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out = _adaptive_max(2, input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    out = _adaptive_max(3, input, output_size)
    return out if return_indices else out[0]


def _lp_pool(nsp, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's definition: (sum over the window of x^p)^(1/p), via avg_pool times the window size."""
    op = f"lp_pool{nsp}d"
    k = _tuple(kernel_size, nsp, "kernel_size", op)
    out = _avg_pool(nsp, input.pow(norm_type), k, stride, 0, ceil_mode, True, None)
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _unpool_size(x, nsp, kernel, stride, padding, output_size):
    """torch's default (in - 1) stride - 2 padding + kernel, or output_size checked against it."""
    default = [(x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + kernel[i] for i in range(nsp)]
    if output_size is None:
        return default
    sizes = list(output_size)
    if len(sizes) == nsp + 2:
        sizes = sizes[2:]
    if len(sizes) != nsp:
        raise ValueError(f"output_size should be a sequence containing {nsp} or {nsp + 2} elements, "
                         f"but it has a length of '{len(sizes)}'")
    for d in range(nsp):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < sizes[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be between {lo} and {hi})')
    return [int(s) for s in sizes]


def _max_unpool(nsp, input, indices, kernel_size, stride, padding, output_size):
    op = f"max_unpool{nsp}d"
    x, added = _batched(input, nsp, op)
    idx = indices.unsqueeze(0) if added and indices.dim() == nsp + 1 else indices
    k = _tuple(kernel_size, nsp, "kernel_size", op)
    s = _pool_stride(stride, k, nsp, op)
    size = _unpool_size(x, nsp, k, s, _tuple(padding, nsp, "padding", op), output_size)
    return _unbatch(_k.max_unpool(x, idx, size, op), added)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# ---- fractional max pooling ----
def _ints(value, n, name, op):
    """An int repeated n times or a sequence of exactly n ints (torch's IntArrayRef[n] arguments)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [int(value)] * n
    if isinstance(value, (tuple, list, tg.Size)) and len(value) == n:
        return [int(v) for v in value]
    raise RuntimeError(f"{op}: {name} must either be a single Int or tuple of Ints")


def _fractional_max_pool(nsp, input, kernel_size, output_size, output_ratio, _random_samples):
    op = f"fractional_max_pool{nsp}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nsp == 2 and len(output_ratio) > 2:  # torch's check (a float ratio has no len there either)
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = list(output_ratio) if isinstance(output_ratio, (tuple, list)) else [output_ratio] * nsp
        output_size = [int(input.size(i - nsp) * ratio[i]) for i in range(nsp)]
    if _random_samples is None:  # one uniform [0, 1) sample per plane and spatial dim, as torch draws them
        n_batch = 1 if input.dim() == nsp + 1 else input.size(0)
        _random_samples = tg.rand(n_batch, input.size(-nsp - 1), nsp, dtype=input.dtype)
    x, added = _batched(input, nsp, op)
    out, idx = _k.fractional_max_pool(x, _ints(kernel_size, nsp, "kernel_size", op),
                                      _ints(output_size, nsp, "output_size", op), _random_samples, op)
    return _unbatch(out, added), _unbatch(idx, added)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    out = _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    out = _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


# ---- batch norm ----
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    if training:
        size = input.shape[0]
        for s in input.shape[2:]:
            size *= s
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    return _k.batch_norm(input, weight, bias, running_mean, running_var, bool(training),
                         0.0 if momentum is None else float(momentum), float(eps))


# ---- torch.* names (torch exports these beside torch.nn.functional) ----
def _torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _torch_adaptive_max_pool1d(input, output_size):
    return _adaptive_max(1, input, output_size)


TORCH_EXPORTS = {name: globals()[name] for name in (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d",
    "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d")}
TORCH_EXPORTS.update(batch_norm=_torch_batch_norm, adaptive_max_pool1d=_torch_adaptive_max_pool1d)

from ._native_functional import NATIVE_EXPORTS  # noqa: E402  (torch.native_*_norm, torch.grid_sampler_*d)
TORCH_EXPORTS.update(NATIVE_EXPORTS)
