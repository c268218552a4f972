"""Tensor factories with torch's signatures: tensor, zeros, ones, full, arange, rand, ..."""
import numpy as np

from . import _C
from ._C import Tensor, dtype as _dtype
from ._tensor_surface import strided

float32 = _dtype.float32
_default_float = _C._get_default_dtype  # torch.get_default_dtype(): float32 unless set


def _sizes(size):
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"size must be a sequence of ints, got {type(s).__name__}")
        out.append(s.__index__())
    return out


def _on_device(device, op, like=None):
    """Checks a factory's device= (None: the device of `like`, else the default, the CPU): this
    build places tensors on the CPU only, and asking for CUDA raises a RuntimeError."""
    if device is None and like is not None:
        device = like.device
    if device is not None:
        _C._check_device(device, op)


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


# numpy's type for each dtype; bfloat16, which numpy lacks, travels as float32 and is rounded in C++
_NUMPY_TYPES = {_dtype.float32: np.float32, _dtype.float64: np.float64, _dtype.float16: np.float16,
                _dtype.bfloat16: np.float32, _dtype.uint8: np.uint8, _dtype.int8: np.int8,
                _dtype.int16: np.int16, _dtype.int32: np.int32, _dtype.int64: np.int64, _dtype.bool: np.bool_}


def _to_array(data):
    if isinstance(data, Tensor):
        t = data.detach()
        return (t.float() if t.dtype == _dtype.bfloat16 else t).numpy()
    if isinstance(data, (list, tuple)):
        return np.array([_to_array(d) if isinstance(d, (Tensor, list, tuple)) else d for d in data])
    return np.asarray(data)


def _has_float64(data):
    """True when data holds a float64-typed item (numpy array/scalar or tensor), as torch infers."""
    if isinstance(data, (list, tuple)):
        return any(_has_float64(d) for d in data)
    if isinstance(data, Tensor):
        return data.dtype == _dtype.float64
    return isinstance(data, (np.ndarray, np.generic)) and data.dtype == np.float64


def _infer_dtype(arr, data):
    """torch.tensor's dtype for data that numpy read as `arr`."""
    kind = arr.dtype.kind
    if kind == "b":
        return _dtype.bool
    if kind in "iu":
        # numpy integer data keeps its type when tg has it; Python ints (numpy's int64) give int64
        return _FROM_NUMPY.get(arr.dtype.type, _dtype.int64)
    if kind == "f":
        if arr.dtype == np.float16:
            return _dtype.float16
        # Python floats take the default dtype; float64 numpy data and tensors keep theirs
        return _dtype.float64 if _has_float64(data) else _default_float()
    if arr.size == 0 and kind in "fOU":
        return _default_float()
    raise TypeError(f"tensor(): could not infer a dtype for data of type {arr.dtype}")


_FROM_NUMPY = {v: k for k, v in _NUMPY_TYPES.items() if k != _dtype.bfloat16}


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays, tensors)."""
    _on_device(device, "tensor")
    if isinstance(data, Tensor):
        t = data.detach().to(dtype or data.dtype).clone()
        return _finish(t, requires_grad)
    arr = _to_array(data)
    dtype = dtype or _infer_dtype(arr, data)
    t = _C._numpy_to_tensor(np.array(arr.astype(_NUMPY_TYPES[dtype]), copy=True, order="C"))
    if t.dtype != dtype:  # bfloat16 arrives as float32
        t = t.to(dtype)
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None):
    _on_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and dtype is None and data.dtype.type in _FROM_NUMPY:
        return _C.from_numpy(data)
    return tensor(data, dtype=dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "zeros")
    return _finish(_C._full(_sizes(size), 0, dtype or _default_float()), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "ones")
    return _finish(_C._full(_sizes(size), 1, dtype or _default_float()), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "empty")
    return _finish(_C._empty(_sizes(size), dtype or _default_float()), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    _on_device(device, "full")
    if dtype is None:
        dtype = _C._result_type(fill_value, fill_value)
    return _finish(_C._full(_sizes((size,)), fill_value, dtype), requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    _on_device(device, "zeros_like", input)
    return zeros(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    _on_device(device, "ones_like", input)
    return ones(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    _on_device(device, "empty_like", input)
    return empty(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    _on_device(device, "full_like", input)
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    _on_device(device, "rand_like", input)
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    _on_device(device, "randn_like", input)
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    _on_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype == _dtype.int64 and isinstance(step, float) and step and not int(step):
        raise ValueError("step must be nonzero")  # torch: the step truncates to 0 in int64
    return _finish(_C._arange(start, end, step, dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    _on_device(device, "linspace")
    if not isinstance(steps, int):
        raise TypeError(f"linspace() received an invalid combination of arguments - got ({type(start).__name__}, "
                        f"{type(end).__name__}, {type(steps).__name__}): steps must be int")
    dims = [x.dim() if isinstance(x, Tensor) else 0 for x in (start, end)]
    if dims != [0, 0]:
        raise RuntimeError("linspace only supports 0-dimensional start and end tensors, but got tensors with "
                           f"dimensions {dims[0]} and {dims[1]}")
    return _finish(_C._linspace(float(start), float(end), int(steps), dtype or _default_float()), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    _on_device(device, "eye")
    return _finish(_C._eye(n, n if m is None else m, dtype or _default_float()), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    _on_device(device, "rand")
    return _finish(_C._rand(_sizes(size), dtype or _default_float(), generator), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    _on_device(device, "randn")
    return _finish(_C._randn(_sizes(size), dtype or _default_float(), generator), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    _on_device(device, "randint")
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _finish(_C._randint(low, high, _sizes((size,)), dtype or _dtype.int64, generator), requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    _on_device(device, "randperm")
    return _C._randperm(n, dtype or _dtype.int64, generator)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None, requires_grad=False, *,
           layout=None, pin_memory=False):
    """normal(mean, std, size) with float mean/std; tensor mean/std broadcast like torch."""
    _on_device(device, "normal")
    if layout not in (None, strided):
        raise RuntimeError(f"normal(): only the strided layout is supported, got {layout}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = _C.broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
        return randn(shape, generator=generator, dtype=dt) * std + mean
    if size is None:
        raise TypeError("normal(): with float mean and std, a size is required")
    t = empty(_sizes((size,)), dtype=dtype)
    t.normal_(mean, std, generator=generator)
    return _finish(t, requires_grad)


# Tensor.new_*: a new tensor with self's dtype and device unless given (torch's keyword-only forms).
def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    _on_device(device, "new_tensor", self)
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "new_zeros", self)
    return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "new_ones", self)
    return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    _on_device(device, "new_empty", self)
    return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    _on_device(device, "new_full", self)
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


Tensor.new_tensor, Tensor.new_zeros, Tensor.new_ones = _new_tensor, _new_zeros, _new_ones
Tensor.new_empty, Tensor.new_full = _new_empty, _new_full


def manual_seed(seed):
    """Seeds the default generator, making random ops reproducible."""
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return _C.default_generator().manual_seed(seed & ((1 << 64) - 1))  # negative seeds wrap, as torch


def initial_seed():
    return _C.default_generator().initial_seed()


def seed():
    return _C.default_generator().seed()
