"""torch.native_batch_norm / native_layer_norm / native_group_norm (the output with the statistics it
used: mean and reciprocal standard deviation) and torch.grid_sampler_2d / grid_sampler_3d."""
import tinygrad_ext as tg

_REDUCED = (tg.float16, tg.bfloat16)


def _stats(input, dims, eps):
    """(mean, 1 / sqrt(biased variance + eps)) over dims, kept; float16/bfloat16 computed in float32."""
    x = input.float() if input.dtype in _REDUCED else input
    mean = x.mean(dims, keepdim=True)
    rstd = (x.var(dims, correction=0, keepdim=True) + eps).rsqrt()
    return mean.to(input.dtype), rstd.to(input.dtype)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    out = tg.nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:  # torch returns empty statistics in evaluation
        return out, input.new_empty(0), input.new_empty(0)
    dims = [0] + list(range(2, input.dim()))
    mean, rstd = _stats(input, dims, eps)
    return out, mean.reshape(-1), rstd.reshape(-1)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    normalized_shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    out = tg.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)
    dims = list(range(input.dim() - len(normalized_shape), input.dim()))
    mean, rstd = _stats(input, dims, eps)
    return out, mean, rstd


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    out = tg.nn.functional.group_norm(input, group, weight, bias, eps)
    grouped = input.reshape(N, group, -1)
    if grouped.shape[2] == 0 or N == 0:
        empty = input.new_zeros(N, group)
        return out, empty, empty.clone()
    mean, rstd = _stats(grouped, [2], eps)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def _grid_modes(interpolation_mode, padding_mode):
    modes = ("bilinear", "nearest", "bicubic")
    pads = ("zeros", "border", "reflection")
    return modes[interpolation_mode], pads[padding_mode]


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    mode, pad = _grid_modes(interpolation_mode, padding_mode)
    return tg.nn.functional.grid_sample(input, grid, mode, pad, bool(align_corners))


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    mode, pad = _grid_modes(interpolation_mode, padding_mode)
    return tg.nn.functional.grid_sample(input, grid, mode, pad, bool(align_corners))


NATIVE_EXPORTS = {name: globals()[name] for name in (
    "native_batch_norm", "native_layer_norm", "native_group_norm", "grid_sampler_2d", "grid_sampler_3d")}
