"""Python-side Tensor methods: printing, conversions, iteration, backward and max/min forms."""
import collections


from . import _C
from ._C import Tensor
from ._tensor_str import tensor_repr


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints as tinygrad_ext.Size([2, 3])."""

    def __repr__(self):
        return f"tinygrad_ext.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


_C._set_size_type(Size)

_max_result = collections.namedtuple("max", ["values", "indices"])
_min_result = collections.namedtuple("min", ["values", "indices"])


def _size(self, dim=None):
    if dim is None:
        return self.shape
    return self.shape[dim if dim >= 0 else dim + self.dim()] if self.dim() else self.shape[dim]


def _values(self):
    """The values as a numpy array (bfloat16, which numpy lacks, as float32: exact)."""
    t = self.detach()
    if t.dtype == _C.dtype.bfloat16:
        t = t.to(_C.dtype.float32)
    return t.numpy()


def _item(self):
    if self.numel() != 1:
        raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
    return _values(self).reshape(()).item()


def _tolist(self):
    return _values(self).tolist()


def _len(self):
    if self.dim() == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _bool(self):
    if self.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(_item(self))


def _index(self):
    if self.dtype.is_floating_point or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(_item(self))


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported; use tinygrad_ext.autograd.grad")
    retain = create_graph if retain_graph is None else retain_graph
    _C._backward([self], [gradient], bool(retain), bool(create_graph))


def _max(self, dim=None, keepdim=False):
    if dim is None:
        return _C._max_all(self)
    if isinstance(dim, Tensor):
        return _C.maximum(self, dim)
    return _max_result(*_C._max_dim(self, dim, keepdim))


def _min(self, dim=None, keepdim=False):
    if dim is None:
        return _C._min_all(self)
    if isinstance(dim, Tensor):
        return _C.minimum(self, dim)
    return _min_result(*_C._min_dim(self, dim, keepdim))


_methods = {
    "__repr__": tensor_repr,
    "__str__": tensor_repr,
    "__len__": _len,
    "__iter__": _iter,
    "__bool__": _bool,
    "__float__": lambda self: float(_item(self)),
    "__int__": lambda self: int(_item(self)),
    "__index__": _index,
    "__format__": lambda self, spec: format(_item(self), spec) if self.dim() == 0 else tensor_repr(self),
    "__reduce_ex__": None,
    "size": _size,
    "item": _item,
    "tolist": _tolist,
    "backward": _backward,
    "max": _max,
    "min": _min,
}
for _name, _fn in _methods.items():
    if _fn is not None:
        setattr(Tensor, _name, _fn)


def _no_pickle(self, protocol):
    raise TypeError("tinygrad_ext tensors are not picklable; use tinygrad_ext.save / tinygrad_ext.load")


Tensor.__reduce_ex__ = _no_pickle
Tensor.__array_priority__ = 1000  # numpy defers to Tensor's reflected operators


def _dtype_repr(self):
    return "tinygrad_ext." + self.name


_C.dtype.__repr__ = _dtype_repr
_C.dtype.__str__ = _dtype_repr
from . import _tensor_surface  # noqa: E402,F401  (legacy constructors, x.type(), non-op attributes)
