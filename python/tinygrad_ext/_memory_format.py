"""Tensor.contiguous(memory_format=...) as torch's. Tensors stay row-major (NCHW) and the CNN
kernels compute on that layout, so channels_last is accepted (rank-checked) and changes no value."""
from ._C import Tensor, memory_format

_contiguous = Tensor.contiguous
_RANK = {memory_format.channels_last: 4, memory_format.channels_last_3d: 5}


def _contiguous_with_format(self, memory_format=memory_format.contiguous_format):
    if not isinstance(memory_format, type(_contiguous_with_format.__defaults__[0])):
        raise TypeError(f"contiguous(): argument 'memory_format' must be tinygrad_ext.memory_format, "
                        f"not {type(memory_format).__name__}")
    rank = _RANK.get(memory_format)
    if rank is not None and self.dim() != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {str(memory_format).split('.')[-1]} format")
    return _contiguous(self)


Tensor.contiguous = _contiguous_with_format
