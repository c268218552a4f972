"""Tensor factories with torch's signatures: tensor, zeros, ones, full, arange, rand, ..."""
import numpy as np

from . import _C
from ._C import Tensor, dtype as _dtype

float32 = _dtype.float32
_DEFAULT_FLOAT = float32


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


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _numpy_dtype_for(data, dtype):
    if dtype is not None:
        return {_dtype.float32: np.float32, _dtype.float64: np.float64,
                _dtype.int64: np.int64, _dtype.bool: np.bool_}[dtype]
    return None


def _to_array(data):
    if isinstance(data, Tensor):
        return data.detach().numpy()
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


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays, tensors)."""
    arr = _to_array(data)
    if dtype is None:
        kind = arr.dtype.kind
        if kind == "b":
            arr = arr.astype(np.bool_)
        elif kind in "iu":
            arr = arr.astype(np.int64)
        elif kind == "f":
            # Python floats take the default dtype; float64 numpy data and tensors keep theirs
            arr = arr.astype(np.float64 if _has_float64(data) else np.float32)
        elif arr.size == 0 and kind in "fOU":
            arr = arr.astype(np.float32)
        else:
            raise TypeError(f"tensor(): could not infer a dtype for data of type {arr.dtype}")
    else:
        arr = arr.astype(_numpy_dtype_for(arr, dtype))
    t = _C._numpy_to_tensor(np.array(arr, copy=True, order="C"))
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and dtype is None and data.dtype in (np.float32, np.float64, np.int64, np.bool_):
        return _C.from_numpy(data)
    return tensor(data, dtype=dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C._full(_sizes(size), 0, dtype or _DEFAULT_FLOAT), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C._full(_sizes(size), 1, dtype or _DEFAULT_FLOAT), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C._empty(_sizes(size), dtype or _DEFAULT_FLOAT), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _C._result_type(fill_value, fill_value)
    return _finish(_C._full(_sizes((size,)), fill_value, dtype), requires_grad)


def zeros_like(input, dtype=None, requires_grad=False):
    return zeros(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(input, dtype=None, requires_grad=False):
    return ones(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def empty_like(input, dtype=None, requires_grad=False):
    return empty(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad=False):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    return _finish(_C._arange(start, end, step, dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_C._linspace(float(start), float(end), int(steps), dtype or _DEFAULT_FLOAT), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(_C._eye(n, n if m is None else m, dtype or _DEFAULT_FLOAT), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _finish(_C._rand(_sizes(size), dtype or _DEFAULT_FLOAT, generator), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _finish(_C._randn(_sizes(size), dtype or _DEFAULT_FLOAT, generator), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _finish(_C._randint(low, high, _sizes((size,)), dtype or _dtype.int64, generator), requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    return _C._randperm(n, dtype or _dtype.int64, generator)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, requires_grad=False):
    """normal(mean, std, size) with float mean/std; tensor mean/std broadcast like torch."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = _C.broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
        return randn(shape, generator=generator, dtype=dt) * std + mean
    if size is None:
        raise TypeError("normal(): with float mean and std, a size is required")
    t = empty(_sizes((size,)), dtype=dtype)
    t.normal_(mean, std, generator=generator)
    return _finish(t, requires_grad)


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
