# Image transforms shaped like torchvision.transforms, per sample and batched over a numpy array.
"""Images come in two forms, as in torchvision:

* an *image*: a numpy array H x W (grayscale) or H x W x C, usually uint8 (what torchvision holds
  as a PIL image; ``ToTensor`` also takes a uint8 tg tensor H x W [x C], e.g. ``FashionMNIST.data[i]``);
* a *tensor*: a tg float tensor (..., C, H, W), what ``ToTensor`` produces.

``ToTensor``, ``Normalize`` and ``Resize`` (and a ``Compose`` of them) can also run once over a
whole stack of images (``apply_batched``); datasets use that to transform all their data up
front, so that a DataLoader batch is a single gather.
"""
import numbers

import numpy as np

import tinygrad_ext as tg

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "Lambda", "RandomHorizontalFlip",
           "RandomCrop", "is_batchable", "apply_batched"]


def _is_tensor(x):
    return isinstance(x, tg.Tensor)


def _to_numpy(t):
    return t.detach().numpy()


_TG_INTS = (np.uint8, np.int8, np.int16, np.int32, np.int64)


def _from_numpy(a):
    a = np.ascontiguousarray(a)
    if a.dtype.kind in "iu" and a.dtype.type not in _TG_INTS:  # uint16/32/64: no tg dtype
        a = a.astype(np.int64)
    return tg.from_numpy(a)


def _round_uint8(a):
    # PIL and torchvision round an interpolated uint8 image half up and saturate.
    return np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)


def _bilinear_matrix(n_in, n_out):
    """Interpolation weights W (n_out x n_in) so that out = W @ in along one axis.

    Half-pixel centres (align_corners=False, antialias=False), as torch's upsample_bilinear2d:
    src = (dst + 0.5) * n_in / n_out - 0.5, clamped below at 0; i0 = floor(src),
    i1 = min(i0 + 1, n_in - 1), out = (1 - l) * in[i0] + l * in[i1] with l = src - i0.
    """
    scale = n_in / n_out
    dst = np.arange(n_out, dtype=np.float64)
    src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    w = np.zeros((n_out, n_in), dtype=np.float64)
    np.add.at(w, (np.arange(n_out), i0), 1.0 - lam)
    np.add.at(w, (np.arange(n_out), i1), lam)
    return w


def _resize_hw(a, h_axis, out_h, out_w):
    """Bilinear resize of the two axes h_axis, h_axis + 1 of a float array."""
    h, w = a.shape[h_axis], a.shape[h_axis + 1]
    if (h, w) == (out_h, out_w):
        return a
    wy = _bilinear_matrix(h, out_h).astype(np.float32 if a.dtype == np.float32 else np.float64)
    wx = _bilinear_matrix(w, out_w).astype(wy.dtype)
    moved = np.moveaxis(a, (h_axis, h_axis + 1), (-2, -1))  # (..., H, W)
    out = wy @ moved @ wx.T
    return np.moveaxis(out, (-2, -1), (h_axis, h_axis + 1))


class Compose:
    """Applies transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """Image H x W or H x W x C (numpy array or uint8 tg tensor) -> tg tensor C x H x W; uint8 is
    scaled to float32 in [0, 1]."""

    def __call__(self, pic):
        if _is_tensor(pic) and pic.dtype == tg.uint8:  # a raw image such as FashionMNIST.data[i]
            pic = _to_numpy(pic)
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a numpy ndarray (H x W or H x W x C). "
                            f"Got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional. Got {pic.ndim} dimensions.")
        return _from_numpy(self._batch(pic[None], "image")[0][0])

    def _batch(self, a, kind):
        if kind != "image":
            raise TypeError("ToTensor: input is already a tensor")
        if a.ndim == 3:
            a = a[:, None]                    # N x H x W -> N x 1 x H x W
        else:
            a = a.transpose(0, 3, 1, 2)       # N x H x W x C -> N x C x H x W
        if a.dtype == np.uint8:
            a = a.astype(np.float32) / np.float32(255)
        return np.ascontiguousarray(a), "tensor"

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean[c]) / std[c] per channel of a float tensor (..., C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean = list(mean) if isinstance(mean, (list, tuple)) else [mean]
        self.std = list(std) if isinstance(std, (list, tuple)) else [std]
        self.inplace = inplace

    def __call__(self, tensor):
        if not _is_tensor(tensor):
            raise TypeError(f"Normalize: input should be a tg.Tensor. Got {type(tensor).__name__}")
        if tensor.dim() < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(tensor.shape)}")
        out = _from_numpy(self._batch(_to_numpy(tensor), "tensor")[0])
        if self.inplace:
            tensor.copy_(out)
            return tensor
        return out

    def _batch(self, a, kind):
        if kind != "tensor":
            raise TypeError("Normalize: input should be a tensor (apply ToTensor first)")
        if a.dtype not in (np.float32, np.float64):
            raise TypeError(f"Normalize: input tensor should be a float tensor. Got {a.dtype}.")
        mean = np.asarray(self.mean, dtype=a.dtype)
        std = np.asarray(self.std, dtype=a.dtype)
        if (std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {a.dtype}, "
                             f"leading to division by zero.")
        c = a.shape[-3]
        if mean.size not in (1, c) or std.size not in (1, c):
            raise ValueError(f"Normalize: mean ({mean.size} values) and std ({std.size} values) "
                             f"must have 1 or C = {c} entries")
        return (a - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1), kind

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize:
    """Bilinear resize (half-pixel centres, no antialiasing) of an image or a tensor (..., H, W).

    `size` int: the smaller edge becomes `size`, keeping the aspect ratio; (h, w): exact size.
    uint8 images are rounded back to uint8 like PIL / torchvision. Upsampling matches torchvision
    (PIL bilinear) within 1/255; downsampling does not antialias (torchvision's antialias=False).
    """

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=None):
        if isinstance(size, numbers.Integral):
            size = int(size)
        elif isinstance(size, (list, tuple)) and len(size) in (1, 2):
            size = tuple(int(s) for s in size)
            size = size[0] if len(size) == 1 else size
        else:
            raise TypeError(f"Resize: size should be an int or a sequence of 1 or 2 ints. Got {size!r}")
        if str(interpolation).lower().split(".")[-1] != "bilinear":
            raise ValueError(f"Resize: only bilinear interpolation is implemented, got {interpolation}")
        if max_size is not None and not isinstance(size, int):
            raise ValueError("Resize: max_size is only supported when size is an int")
        self.size, self.max_size, self.antialias = size, max_size, antialias

    def output_size(self, h, w):
        if not isinstance(self.size, int):
            return self.size
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = self.size, int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def _check_antialias(self, h, w, oh, ow):
        if self.antialias and (oh < h or ow < w):
            raise NotImplementedError("Resize: antialiased downsampling is not implemented; pass "
                                      "antialias=False for plain bilinear")

    def __call__(self, img):
        if _is_tensor(img):
            if img.dim() < 2:
                raise ValueError(f"Resize: expected a tensor (..., H, W), got shape {tuple(img.shape)}")
            return _from_numpy(self._batch(_to_numpy(img)[None], "tensor")[0][0])
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise TypeError(f"Resize: expected a numpy image (H x W [x C]) or a tg.Tensor, got "
                            f"{type(img).__name__}")
        return self._batch(img[None], "image")[0][0]

    def _batch(self, a, kind):
        h_axis = 1 if kind == "image" else a.ndim - 2
        h, w = a.shape[h_axis], a.shape[h_axis + 1]
        oh, ow = self.output_size(h, w)
        self._check_antialias(h, w, oh, ow)
        if (oh, ow) == (h, w):
            return a, kind
        is_u8 = a.dtype == np.uint8
        out = _resize_hw(a.astype(np.float32) if is_u8 or a.dtype.kind != "f" else a, h_axis, oh, ow)
        if is_u8:
            out = _round_uint8(out)
        elif a.dtype.kind != "f":
            out = np.round(out).astype(a.dtype)
        return np.ascontiguousarray(out), kind

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation=bilinear)"


class Lambda:
    """Applies a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


def _flip_w(img):
    if _is_tensor(img):
        return _from_numpy(_to_numpy(img)[..., ::-1])
    return np.ascontiguousarray(img[:, ::-1])


class RandomHorizontalFlip:
    """Flips an image left-right with probability p (draws from tg's default generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if tg.rand(1).item() < self.p:
            return _flip_w(img)
        return img

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


def _hw(img):
    if _is_tensor(img):
        return int(img.shape[-2]), int(img.shape[-1])
    return img.shape[0], img.shape[1]


class RandomCrop:
    """Pads (constant fill) then crops a random size window, as torchvision.transforms.RandomCrop."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else tuple(size)
        if len(self.size) != 2:
            raise ValueError(f"RandomCrop: size should be an int or (h, w), got {size!r}")
        if padding is None:
            pad = (0, 0, 0, 0)
        elif isinstance(padding, numbers.Integral):
            pad = (padding,) * 4
        elif len(padding) == 2:
            pad = (padding[0], padding[1], padding[0], padding[1])
        elif len(padding) == 4:
            pad = tuple(padding)
        else:
            raise ValueError(f"RandomCrop: padding must be an int or 2 or 4 ints, got {padding!r}")
        if padding_mode != "constant":
            raise ValueError(f"RandomCrop: only padding_mode='constant' is implemented, got {padding_mode!r}")
        self.padding, self.pad, self.pad_if_needed, self.fill = padding, pad, pad_if_needed, fill

    def _pad(self, img, left, top, right, bottom):
        if not (left or top or right or bottom):
            return img
        if _is_tensor(img):
            a = _to_numpy(img)
            width = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
            return _from_numpy(np.pad(a, width, constant_values=self.fill))
        width = [(top, bottom), (left, right)] + [(0, 0)] * (img.ndim - 2)
        return np.pad(img, width, constant_values=self.fill)

    def __call__(self, img):
        img = self._pad(img, *self.pad)
        th, tw = self.size
        h, w = _hw(img)
        if self.pad_if_needed and w < tw:
            img = self._pad(img, tw - w, 0, tw - w, 0)
        if self.pad_if_needed and h < th:
            img = self._pad(img, 0, th - h, 0, th - h)
        h, w = _hw(img)
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than input image "
                             f"size {(h, w)}")
        if (h, w) == (th, tw):
            return img
        i = int(tg.randint(0, h - th + 1, (1,)).item())
        j = int(tg.randint(0, w - tw + 1, (1,)).item())
        if _is_tensor(img):
            return _from_numpy(_to_numpy(img)[..., i:i + th, j:j + tw])
        return np.ascontiguousarray(img[i:i + th, j:j + tw])

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


_BATCHABLE = (ToTensor, Normalize, Resize)


def _flatten(transform):
    if transform is None:
        return []
    if isinstance(transform, Compose):
        return [s for t in transform.transforms for s in _flatten(t)]
    return [transform]


def is_batchable(transform):
    """True when `transform` is None or made only of ToTensor / Normalize / Resize."""
    return all(type(t) in _BATCHABLE for t in _flatten(transform))


def apply_batched(transform, images):
    """Applies a batchable transform to a stack of numpy images (N x H x W [x C]).

    Returns a tg tensor (N x C x H' x W') when the pipeline ends in tensor form (after ToTensor),
    else a numpy array of images. Equal to stacking `transform(images[i])` for every i.
    """
    if not is_batchable(transform):
        raise TypeError(f"apply_batched: {transform!r} contains a transform that only runs per sample")
    a, kind = np.asarray(images), "image"
    if a.ndim not in (3, 4):
        raise ValueError(f"apply_batched: expected images N x H x W [x C], got shape {a.shape}")
    for t in _flatten(transform):
        a, kind = t._batch(a, kind)
    return _from_numpy(a) if kind == "tensor" else a
