"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad in 1-3 dims."""
from .. import functional as F
from .module import Module


def _ntuple(padding, n):
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n


class _PadNd(Module):
    _mode = "constant"
    _pads = 2  # how many numbers an int padding expands to

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self._pads)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    _pads = 2


class ConstantPad2d(_ConstantPadNd):
    _pads = 4


class ConstantPad3d(_ConstantPadNd):
    _pads = 6


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    _mode, _pads = "reflect", 2


class ReflectionPad2d(_PadNd):
    _mode, _pads = "reflect", 4


class ReflectionPad3d(_PadNd):
    _mode, _pads = "reflect", 6


class ReplicationPad1d(_PadNd):
    _mode, _pads = "replicate", 2


class ReplicationPad2d(_PadNd):
    _mode, _pads = "replicate", 4


class ReplicationPad3d(_PadNd):
    _mode, _pads = "replicate", 6


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        lo = self._pads // 2 + 1
        if input.dim() not in (lo, lo + 1):
            raise ValueError(f"expected {lo}D or {lo + 1}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    _pads = 2


class CircularPad2d(_CircularPadNd):
    _pads = 4


class CircularPad3d(_CircularPadNd):
    _pads = 6
