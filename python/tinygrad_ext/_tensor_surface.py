"""torch's calling conventions around Tensor: the legacy constructors (tg.Tensor(2, 3),
tg.FloatTensor([...]), x.type(...)) and the cheap non-op attributes (H, nbytes, is_signed(),
apply_, in-place activations, ...). Ops themselves live in C++; these are thin aliases."""
import numpy as np

from . import _C
from ._C import Tensor, memory_format
from ._tensor import Size

# torch's legacy tensor types, by the tg dtype they hold. A dtype tg does not have yet is skipped,
# so a type appears as soon as its dtype lands.
_LEGACY_TYPES = {
    "FloatTensor": "float32", "DoubleTensor": "float64", "LongTensor": "int64", "BoolTensor": "bool",
    "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
    "HalfTensor": "float16", "BFloat16Tensor": "bfloat16",
}
_DTYPES = {name: getattr(_C.dtype, dt) for name, dt in _LEGACY_TYPES.items() if hasattr(_C.dtype, dt)}
_TYPE_NAMES = {dt: name for name, dt in _DTYPES.items()}


def _is_int(v):
    return hasattr(v, "__index__") and not isinstance(v, (bool, Tensor)) and not hasattr(v, "shape")


def _legacy_new(dtype, *args, device=None, size=None, data=None):
    """torch.Tensor(...) / torch.FloatTensor(...): no argument (an empty tensor), sizes (ints or a
    Size: uninitialized memory), a tensor (an alias of it) or data (a sequence or array)."""
    from ._creation import empty, tensor
    if device not in (None, "cpu") and str(device) != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {device} was passed")
    if size is not None or data is not None:
        if args:
            raise TypeError("new(): pass either positional arguments or size=/data=, not both")
        args = (Size(size),) if size is not None else (data,)
    if not args:
        return empty(0, dtype=dtype)
    if len(args) == 1 and isinstance(args[0], Size):
        return empty(tuple(args[0]), dtype=dtype)
    if all(_is_int(a) for a in args):
        return empty([a.__index__() for a in args], dtype=dtype)
    if len(args) != 1:
        raise TypeError(f"new(): expected sizes (ints) or one sequence of data, got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    data = args[0]
    if isinstance(data, Tensor):
        if data.dtype != dtype:
            raise TypeError(f"expected {_TYPE_NAMES.get(dtype, dtype)} (dtype {dtype}) but got a tensor of "
                            f"dtype {data.dtype}")
        return data.detach()
    if isinstance(data, str) or not (isinstance(data, (list, tuple, range)) or hasattr(data, "__array__")):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return tensor(data, dtype=dtype)


class _LegacyTensorType(type):
    """The metaclass of tg.FloatTensor & co.: calling one builds a tensor of its dtype, and
    isinstance(x, tg.FloatTensor) asks whether x is a float32 tensor, as in torch."""

    def __call__(cls, *args, **kwargs):
        return _legacy_new(cls.dtype, *args, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'tinygrad_ext.{cls.__name__}'>"


LEGACY_TYPES = {name: _LegacyTensorType(name, (), {"dtype": dt, "__module__": "tinygrad_ext"})
                for name, dt in _DTYPES.items()}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """x.type() -> 'torch.FloatTensor'; x.type(tg.float64), x.type('torch.DoubleTensor') or
    x.type(tg.DoubleTensor) convert (returning x itself when the dtype already matches)."""
    dtype = kwargs.pop("dtype", dtype) if "dtype" in kwargs else dtype
    if kwargs:
        raise TypeError(f"type() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if dtype is None:
        return "torch." + _TYPE_NAMES[self.dtype]
    if isinstance(dtype, str):
        prefix, _, name = dtype.rpartition(".")
        if prefix not in ("torch", "tinygrad_ext") or name not in _DTYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _DTYPES[name]
    elif isinstance(dtype, _LegacyTensorType):
        dtype = dtype.dtype
    elif not isinstance(dtype, _C.dtype):
        raise TypeError(f"type(): argument 'dtype' must be a dtype, a type name or a tensor type, "
                        f"not {type(dtype).__name__}")
    return self if self.dtype == dtype else self.to(dtype)


Tensor.type = _type

_tensor_init = Tensor.__init__


def _init(self, *args, **kwargs):
    """tg.Tensor(t) aliases t (any dtype); everything else is a legacy float32 constructor."""
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        return _tensor_init(self, args[0])
    return _tensor_init(self, _legacy_new(_C.dtype.float32, *args, **kwargs))


Tensor.__init__ = _init

# ---- dtype conversions: x.float(), x.int(), ... (each appears once tg has its dtype) ----
_CONVERSIONS = {"float": "float32", "double": "float64", "long": "int64", "bool": "bool", "int": "int32",
                "short": "int16", "char": "int8", "byte": "uint8", "half": "float16", "bfloat16": "bfloat16"}


def _conversion(dtype):
    def convert(self, memory_format=None):
        return self if self.dtype == dtype else self.to(dtype)
    return convert


for _name, _dt in _CONVERSIONS.items():
    if hasattr(_C.dtype, _dt):
        setattr(Tensor, _name, _conversion(getattr(_C.dtype, _dt)))


# ---- attributes ----
def _H(self):
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.")
    return self.T


def _mT(self):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D tensor.")
    return self.transpose(-2, -1)


def _is_signed(self):
    return self.dtype != _C.dtype.bool and not str(self.dtype).endswith("uint8")


def _dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (largest stride first; ties keep dim order)."""
    strides = self.stride()
    return tuple(sorted(range(self.dim()), key=lambda d: -strides[d]))


class layout:
    """torch.layout: every tinygrad_ext tensor is strided."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "tinygrad_ext." + self.name


strided = layout("strided")
_row_major = Tensor.is_contiguous
_numpy_of = Tensor.numpy


_CHANNELS_LAST_ORDER = {memory_format.channels_last: (0, 2, 3, 1), memory_format.channels_last_3d: (0, 2, 3, 4, 1)}


def _is_contiguous(self, memory_format=memory_format.contiguous_format):
    """Row-major for contiguous_format; for channels_last(_3d), whether the strides are NHWC's."""
    order = _CHANNELS_LAST_ORDER.get(memory_format)
    if order is None:
        return _row_major(self)
    return self.dim() == len(order) and _row_major(self.permute(*order))


def _numpy(self, *, force=False):
    """A numpy array sharing the tensor's memory; force=True detaches first (a copy on other devices)."""
    return _numpy_of(self.detach() if force else self)


def _apply_(self, callable):
    """Applies a Python function to each element in place (slow; CPU only, as torch's)."""
    values = np.vectorize(callable, otypes=[self.numpy().dtype])(self.numpy()) if self.numel() else self.numpy()
    self.copy_(_C._numpy_to_tensor(np.ascontiguousarray(values)))
    return self


def _map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) with tensor broadcast to self's shape, in place."""
    other = tensor.expand_as(self).numpy()
    values = np.vectorize(callable, otypes=[self.numpy().dtype])(self.numpy(), other) if self.numel() else self.numpy()
    self.copy_(_C._numpy_to_tensor(np.ascontiguousarray(values)))
    return self


def _map2_(self, x, y, callable):
    """self[i] = callable(self[i], x[i], y[i]) with x and y broadcast to self's shape, in place."""
    a, b = x.expand_as(self).numpy(), y.expand_as(self).numpy()
    values = np.vectorize(callable, otypes=[self.numpy().dtype])(self.numpy(), a, b) if self.numel() else self.numpy()
    self.copy_(_C._numpy_to_tensor(np.ascontiguousarray(values)))
    return self


def _is_set_to(self, tensor):
    return (self.data_ptr() == tensor.data_ptr() and self.dtype == tensor.dtype and
            self.shape == tensor.shape and self.stride() == tensor.stride())


def _is_nonzero(self):
    if self.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous" if self.numel()
                           else "Boolean value of Tensor with no values is ambiguous")
    return bool(self.item())


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False, **_):
    from ._creation import empty
    return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
    from ._creation import full
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new(self, *args, **kwargs):
    return _legacy_new(self.dtype, *args, **kwargs)


def _softmax(self, dim, dtype=None):
    from .nn.functional import softmax
    return softmax(self, dim, dtype=dtype)


def _log_softmax(self, dim, dtype=None):
    from .nn.functional import log_softmax
    return log_softmax(self, dim, dtype=dtype)


def _inplace(op):
    """x.op_(): x's value replaced by x.op() (the result computed aside, then copied in)."""
    def method(self, *args, **kwargs):
        return self.copy_(getattr(self, op)(*args, **kwargs))
    method.__name__ = op + "_"
    return method


_ALIASES = {"absolute": "abs", "multiply": "mul", "divide": "div", "subtract": "sub", "true_divide": "div",
            "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne",
            "swapdims": "transpose", "const_data_ptr": "data_ptr"}
for _name, _target in _ALIASES.items():
    if _target is not None and not hasattr(Tensor, _name):
        setattr(Tensor, _name, getattr(Tensor, _target))

_ATTRIBUTES = {
    "H": property(_H), "mH": property(_mT),
    "adjoint": _mT,
    "nbytes": property(lambda self: self.numel() * self.element_size()),
    "itemsize": property(lambda self: self.element_size()),
    "is_signed": _is_signed, "is_complex": lambda self: False, "is_conj": lambda self: False,
    "is_neg": lambda self: False, "is_inference": lambda self: False,
    "is_quantized": False, "is_sparse": False, "is_sparse_csr": False, "is_nested": False,
    "is_mkldnn": False, "is_meta": False, "is_pinned": lambda self, device=None: False, "is_shared": lambda self: False,
    "resolve_conj": lambda self: self, "resolve_neg": lambda self: self, "conj": lambda self: self,
    "dim_order": _dim_order, "apply_": _apply_, "map_": _map_, "map2_": _map2_, "is_set_to": _is_set_to,
    "is_nonzero": _is_nonzero, "is_same_size": lambda self, other: self.shape == other.shape,
    "type_as": lambda self, other: self.type(other.dtype),
    "new": _new, "new_empty": _new_empty, "new_full": _new_full,
    "softmax": _softmax, "log_softmax": _log_softmax,
    "ravel": lambda self: self.reshape(-1), "layout": strided,
}
for _name, _value in _ATTRIBUTES.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _value)
Tensor.is_contiguous = _is_contiguous
Tensor.numpy = _numpy

# In-place forms of the unary ops and activations tg has out of place.
for _op in ["abs", "absolute", "neg", "negative", "exp", "log", "sqrt", "relu", "sigmoid", "tanh", "bitwise_not",
            "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
            "multiply", "divide", "subtract", "true_divide", "clip"]:
    if hasattr(Tensor, _op) and not hasattr(Tensor, _op + "_"):
        setattr(Tensor, _op + "_", _inplace(_op))

globals().update(LEGACY_TYPES)
__all__ = list(LEGACY_TYPES) + ["layout", "strided"]
