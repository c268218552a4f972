"""tg.finfo / tg.iinfo: the numeric limits of each dtype, with torch's fields and printed form."""
import math

import numpy as np

from ._C import dtype as _dtype

_NUMPY_FLOAT = {_dtype.float16: np.float16, _dtype.float32: np.float32, _dtype.float64: np.float64}
_NUMPY_INT = {_dtype.uint8: np.uint8, _dtype.int8: np.int8, _dtype.int16: np.int16,
              _dtype.int32: np.int32, _dtype.int64: np.int64}


def _short(x):
    """A number as torch's info reprs print it (C's %g with 6 significant digits)."""
    return f"{x:g}"


class finfo:
    """Machine limits of a floating dtype (tg.finfo(tg.float16).eps, .max, .tiny, ...)."""

    def __init__(self, type=None):
        if type is None:
            from . import get_default_dtype
            type = get_default_dtype()
        if not isinstance(type, _dtype) or not type.is_floating_point:
            raise TypeError("tinygrad_ext.finfo() requires a floating point input type. "
                            "Use tinygrad_ext.iinfo to handle 'tinygrad_ext.finfo'")
        if type == _dtype.bfloat16:
            # 8 exponent bits as float32, 7 stored mantissa bits: eps = 2^-7
            self.bits, self.eps = 16, 2.0 ** -7
            self.max = float((2 - 2.0 ** -7) * 2.0 ** 127)
            self.tiny = float(np.finfo(np.float32).tiny)
        else:
            info = np.finfo(_NUMPY_FLOAT[type])
            self.bits, self.eps = info.bits, float(info.eps)
            self.max, self.tiny = float(info.max), float(info.tiny)
        self.min = -self.max
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))
        self.dtype = str(type).split(".")[-1]

    def __repr__(self):
        return (f"finfo(resolution={_short(self.resolution)}, min={_short(self.min)}, max={_short(self.max)}, "
                f"eps={_short(self.eps)}, smallest_normal={_short(self.smallest_normal)}, "
                f"tiny={_short(self.tiny)}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (tg.iinfo(tg.int32).max, .min, .bits)."""

    def __init__(self, type):
        if type == _dtype.bool:
            raise TypeError("tinygrad_ext.bool is not supported by tinygrad_ext.iinfo")
        if not isinstance(type, _dtype) or type.is_floating_point:
            raise TypeError("tinygrad_ext.iinfo() requires an integer input type. "
                            "Use tinygrad_ext.finfo to handle 'tinygrad_ext.iinfo'")
        info = np.iinfo(_NUMPY_INT[type])
        self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = str(type).split(".")[-1]

    def __repr__(self):
        return f"iinfo(min={_short(self.min)}, max={_short(self.max)}, dtype={self.dtype})"
