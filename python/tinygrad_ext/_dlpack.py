"""DLPack and the numpy array protocol: Tensor.__dlpack__, __dlpack_device__, __array__,
__array_wrap__ and tg.from_dlpack, all sharing memory (capsules are made in cpp/bindings/dlpack.cpp)."""
import enum

import numpy as np

from . import _C
from ._C import Tensor
from ._dtype_table import BY_DLPACK, info

__all__ = ["from_dlpack", "DLDeviceType"]

# The DLPack version this reader and writer speak (any 1.x capsule is read).
_MAX_VERSION = (1, 1)


class DLDeviceType(enum.IntEnum):
    """DLPack device types (dlpack.h) that __dlpack_device__ may report."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule sharing this tensor's memory (a versioned DLPack 1.x capsule when the
    consumer passes max_version >= (1, 0), the legacy one otherwise); copy=True exports a copy."""
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and stream != -1:
        raise BufferError(f"__dlpack__: stream should be None on cpu, got {stream!r}")
    if dl_device is not None and tuple(dl_device) != (DLDeviceType.kDLCPU, 0):
        raise BufferError(f"__dlpack__: cannot export to DLPack device {tuple(dl_device)}: "
                          "tinygrad_ext tensors live on the CPU (device (1, 0))")
    code, bits = info(self.dtype, "__dlpack__").dlpack
    versioned = max_version is not None and tuple(max_version)[0] >= 1
    if copy:
        return _C._to_dlpack(self.clone(), code, bits, versioned, True)
    return _C._to_dlpack(self.detach(), code, bits, versioned, False)


def _dlpack_device(self):
    return (DLDeviceType.kDLCPU, 0)


def from_dlpack(ext_tensor):
    """A tg tensor sharing the memory of ext_tensor: any object with __dlpack__ (numpy arrays,
    torch tensors, tg tensors...) or a DLPack capsule. Read-only memory is copied."""
    if hasattr(ext_tensor, "__dlpack__"):
        if hasattr(ext_tensor, "__dlpack_device__"):
            device = ext_tensor.__dlpack_device__()
            if int(device[0]) != DLDeviceType.kDLCPU:
                raise BufferError(f"from_dlpack: unsupported DLPack device {tuple(device)}: "
                                  "tinygrad_ext reads CPU memory only (device type 1)")
        try:
            capsule = ext_tensor.__dlpack__(max_version=_MAX_VERSION)
        except TypeError:  # a producer that predates DLPack 1.0 and its keywords
            capsule = ext_tensor.__dlpack__()
    else:
        capsule = ext_tensor
    return _C._from_dlpack(capsule, BY_DLPACK)


def _array(self, dtype=None, copy=None):
    """np.asarray(t) shares memory; numpy 2's copy: True always copies, False never does
    (ValueError when a dtype conversion needs one), None copies only when needed."""
    arr = self.numpy()  # RuntimeError for a tensor that requires grad, as torch
    if dtype is not None and np.dtype(dtype) != arr.dtype:
        if copy is False:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return arr.astype(dtype)
    return arr.copy() if copy else arr


def _array_wrap(self, array, context=None, return_scalar=False):
    """numpy ufuncs applied to a tensor (np.sin(t), np.add(a, t)) give a tensor back, as torch."""
    return _C.from_numpy(np.ascontiguousarray(array))


Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = _dlpack_device
Tensor.__array__ = _array
Tensor.__array_wrap__ = _array_wrap
