"""tg.channels_last and friends: accepted wherever torch takes memory_format=. Tensors stay row-major
(NCHW); the CNN kernels compute on contiguous NCHW data, so channels_last changes no result."""
from ._C import Tensor


class memory_format:  # noqa: N801  (torch.memory_format)
    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"tinygrad_ext.{self._name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def _check(fmt, op):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be tg.memory_format, not {type(fmt).__name__}")


_contiguous, _to = Tensor.contiguous, Tensor.to


def _contiguous_with_format(self, memory_format=contiguous_format):
    _check(memory_format, "contiguous")
    return _contiguous(self)


def _to_with_format(self, *args, memory_format=preserve_format, **kwargs):
    _check(memory_format, "to")
    return _to(self, *args, **kwargs) if args or kwargs else self


Tensor.contiguous = _contiguous_with_format
Tensor.to = _to_with_format
