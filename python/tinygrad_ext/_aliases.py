"""torch names that are aliases of what tg already has (found missing by tests/test_opinfo.py).

tg tensors carry no lazy conjugate or negative bit, so resolve_conj / resolve_neg return their input
as torch does for a tensor without the bit; unsafe_chunk / unsafe_split are chunk / split (torch's
"unsafe" forms only skip a version-counter check for in-place use of the pieces).
"""
from . import _C
from ._C import Tensor


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input


def unsafe_chunk(input, chunks, dim=0):
    return _C.chunk(input, chunks, dim)


def unsafe_split(tensor, split_size_or_sections, dim=0):
    return _C.split(tensor, split_size_or_sections, dim)


def zero_(input):
    return input.zero_()


Tensor.resolve_conj = resolve_conj
Tensor.resolve_neg = resolve_neg
Tensor.unsafe_chunk = unsafe_chunk
Tensor.unsafe_split = unsafe_split
Tensor.true_divide = Tensor.div
Tensor.true_divide_ = Tensor.div_

__all__ = ["resolve_conj", "resolve_neg", "unsafe_chunk", "unsafe_split", "zero_"]
