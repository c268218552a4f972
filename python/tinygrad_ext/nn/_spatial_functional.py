"""nn.functional's spatial ops: pad (every mode), interpolate/upsample, pixel and channel shuffles,
fold/unfold, affine_grid and grid_sample."""
import math
import warnings

import tinygrad_ext as tg
from .._C import Tensor
from .._C import _layers as _k
from .._C import _nn as _nn_k

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "fold", "unfold", "affine_grid", "grid_sample"]


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _pad(input, pad, mode="constant", value=None):
    """F.pad: constant mode pads any dims (negative pads crop); reflect, replicate and circular pad the
    last 1-3 dims of a batched or unbatched input, with torch's rules."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be Tensor, not {type(input).__name__}")
    pad = [int(p) for p in pad]
    if mode == "constant":
        if len(pad) % 2:
            raise RuntimeError("Padding length must be divisible by 2")
        if len(pad) // 2 > input.dim():
            raise RuntimeError("Padding length should be less than or equal to two times the input dimension but "
                               f"got padding length {len(pad)} and input of dimension {input.dim()}")
        return _nn_k.constant_pad(input, pad, 0.0 if value is None else float(value))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if len(pad) % 2 == 0 and k <= input.dim() and not (1 <= k <= 3 and input.dim() in (k + 1, k + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.")
    if input.dtype == tg.bool and mode != "circular":
        raise NotImplementedError(f'"{mode}_pad{k}d" not implemented for \'Bool\'')
    if mode == "circular" and k <= input.dim():
        # torch wraps around what is left after cropping; a pad wider than that reads unwritten memory there
        for j in range(k):
            left, right, size = pad[2 * j], pad[2 * j + 1], input.shape[-1 - j]
            kept = size - max(-left, 0) - max(-right, 0)
            if max(left, right) > max(kept, 0) and max(left, right) <= size and size + left + right > 0:
                raise RuntimeError("Padding value causes wrapping around more than once.")
    return _k.pad(input, pad, mode)


# ---- interpolate ----
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _output_geometry(input, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, scales passed to the kernel) as torch's interpolate computes them."""
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    spatial = list(input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            return [int(s) for s in size], []
        return [int(size)] * dim, []
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,"
                             "sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [math.floor(float(s) * f) for s, f in zip(spatial, scales)]
    recompute = recompute_scale_factor or mode == "area"  # area always works from sizes
    return out, ([] if recompute else scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_MODE_DIMS):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  "for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    out_size, scales = _output_geometry(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D "
                             "tensor as input")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != input.dim() - 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    uint8_ok = mode in ("nearest", "nearest-exact", "bilinear", "bicubic")  # bilinear/bicubic in torch's fixed point
    if not input.is_floating_point() and not (uint8_ok and input.dtype == tg.uint8):
        raise NotImplementedError(f"interpolate: not implemented for '{_dtype_name(input)}' input")
    kernel_mode = "linear" if mode in ("bilinear", "trilinear") else "cubic" if mode == "bicubic" else mode
    if antialias:
        kernel_mode += "_aa"
    return _k.interpolate(input, out_size, kernel_mode, bool(align_corners), scales)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- shuffles: pure data movement (reshape / permute / reshape) ----
def pixel_shuffle(input, upscale_factor):
    """[*, C r^2, H, W] -> [*, C, H r, W r]."""
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    nb = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """[*, C, H r, W r] -> [*, C r^2, H, W]."""
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *batch, c, h, w = input.shape
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    nb = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """[N, g k, *] -> channels reordered as [N, k g, *] (ShuffleNet's channel shuffle)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


# ---- fold / unfold ----
def _pair(v, name):
    if isinstance(v, int):
        return [v, v]
    v = list(v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return [int(i) for i in v]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: [N, C, H, W] -> [N, C kh kw, L] (or unbatched [C, H, W] -> [C kh kw, L])."""
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{input.dim()}, {input.dim() - 1}], "
                         f"but got {input.dim()})")
    if not input.is_floating_point() and input.dtype != tg.bool:  # torch's im2col: floating types and bool
        raise NotImplementedError(f'"im2col" not implemented for \'{_dtype_name(input)}\'')
    return _k.unfold(input, _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                     _pair(padding, "padding"), _pair(stride, "stride"))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: [N, C kh kw, L] -> [N, C, H, W], summing where patches overlap."""
    if not input.is_floating_point():
        raise NotImplementedError(f'"col2im" not implemented for \'{_dtype_name(input)}\'')
    return _k.fold(input, _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size"),
                   _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride"))


# ---- affine_grid / grid_sample ----
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _base_coords(steps, align_corners, dtype):
    """Pixel positions along one dim in [-1, 1] (corner pixels' centres at +-1, or scaled in by (n-1)/n)."""
    if steps <= 1:
        return tg.zeros(max(steps, 0), dtype=dtype)
    c = tg.linspace(-1.0, 1.0, steps, dtype=dtype)
    return c if align_corners else c * ((steps - 1) / steps)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid [N, *spatial, k] = base grid (homogeneous coordinates) @ theta^T, for k = 2 or 3."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {tuple(size)}.")
    k = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        kind = "2D affine matrices of shape Nx2x3" if k == 2 else "3D affine matrices of shape Nx3x4"
        raise ValueError(f"Expected a batch of {kind} for size {tuple(size)}. Got {theta.shape}.")
    if not align_corners and min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {tuple(size)}")
    n, spatial = size[0], size[2:]
    # homogeneous (x, y[, z], 1) at every position; x runs along the last spatial dim
    coords = []
    for d in reversed(range(k)):
        view = [1] * k
        view[d] = spatial[d]
        coords.append(_base_coords(spatial[d], align_corners, theta.dtype).reshape(view).expand(*spatial))
    base = tg.stack([*coords, tg.ones(*spatial, dtype=theta.dtype)], -1).reshape(1, -1, k + 1)
    grid = base.matmul(theta.transpose(1, 2))
    return grid.reshape(n, *spatial, k)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return _k.grid_sample(input, grid, mode, padding_mode, bool(align_corners))
