"""nn.functional's normalization: layer_norm, group_norm, instance_norm, rms_norm, local_response_norm."""
import math

import tinygrad_ext as tg
from .._C import Tensor
from .._C import _layers as _k

__all__ = ["layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]


def _check_input(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for '{str(input.dtype).split('.')[-1]}' input "
                                  f"of shape {list(input.shape)}")


_MACHINE_EPS = {tg.float32: 1.1920928955078125e-07, tg.float64: 2.220446049250313e-16,
                tg.float16: 0.0009765625, tg.bfloat16: 0.0078125}


def _shape_list(normalized_shape):
    return [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    _check_input(input, "layer_norm")
    return _k.layer_norm(input, _shape_list(normalized_shape), weight, bias, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    _check_input(input, "group_norm")
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    if num_groups == 0:
        raise ZeroDivisionError("group_norm: num_groups must be positive, got 0")
    size = [input.shape[0] * input.shape[1] // num_groups, num_groups] + list(input.shape[2:])
    if math.prod(size) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    return _k.group_norm(input, num_groups, weight, bias, float(eps))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2) + eps) * weight; eps defaults to the dtype's machine epsilon."""
    _check_input(input, "rms_norm")
    if eps is None:
        eps = _MACHINE_EPS[input.dtype]
    return _k.rms_norm(input, _shape_list(normalized_shape), weight, float(eps))


def _verify_spatial_size(input):
    spatial = 1
    for s in input.shape[2:]:
        spatial *= s
    if input.dim() < 3 or spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Per-(sample, channel) statistics over the spatial dims; with running stats, their batch averages
    (unbiased variance) are blended in with `momentum`, and use_input_stats=False normalizes by them."""
    _check_input(input, "instance_norm")
    if use_input_stats:
        _verify_spatial_size(input)
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(f"instance_norm: expected {name} of shape [{channels}], got {list(t.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        stat_shape = [1, channels] + [1] * (input.dim() - 2)
        out = (input - running_mean.reshape(stat_shape)) * (running_var.reshape(stat_shape) + eps).rsqrt()
        if weight is not None:
            out = out * weight.reshape(stat_shape)
        return out if bias is None else out + bias.reshape(stat_shape)
    if running_mean is not None or running_var is not None:
        with tg.no_grad():
            dims = tuple(range(2, input.dim()))
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(input.mean(dims).mean(0) * momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(input.var(dims, correction=1).mean(0) * momentum)
    if input.dtype in (tg.float16, tg.bfloat16):
        # torch runs batch norm over [1, N * C, *]; for these dtypes its kernel normalizes with the
        # per-plane mean and 1/std rounded to the dtype, which batch_norm reproduces
        n = input.shape[0]
        w = None if weight is None else weight.repeat(n)
        b = None if bias is None else bias.repeat(n)
        planes = input.reshape(1, n * channels, *input.shape[2:])
        return tg.nn.functional.batch_norm(planes, None, None, w, b, True, 0.0, eps).reshape(input.shape)
    return _k.group_norm(input, channels, weight, bias, float(eps))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels)^beta (zeros beyond the edges)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"local_response_norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input.clone()
    if size <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {size} kW: 1")
    if input.is_floating_point():
        div = _k.channel_window_mean(input * input, size)
    else:  # as torch: the window mean of the squares is an integer average (truncated), then float32
        squares = input.to(tg.float64) * input.to(tg.float64)
        div = _k.channel_window_mean(squares, size).trunc().to(tg.get_default_dtype())
    return input / (div * alpha + k) ** beta
