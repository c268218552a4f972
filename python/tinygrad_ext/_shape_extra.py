"""Shape/view and creation ops as compositions of tg's C++ views and kernels
(cpp/src/ops/{view,join,shape_extra}.cpp): diagonals, stacks and splits, flips, broadcasting,
the *_copy variants, meshgrid & co., empty_strided and the triangle indices."""
import itertools
import math
import os

from . import _C
from ._C import Tensor, dtype as _dtype
from ._creation import _finish, _on_device, _sizes, tensor
from ._dims import wrap_dim

diagonal, diag_embed = _C.diagonal, _C.diag_embed


def _tensors(args, op):
    """f(a, b) or f([a, b]) -> [a, b]."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    for i, t in enumerate(args):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(args)


# ---- diagonals ----

def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    return _C.diagonal(input, offset, dim1, dim2).clone()


def diagflat(input, offset=0):
    return _C.diag_embed(input.reshape(-1), offset)


def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return _C.diagonal(input).sum()


# ---- at least n dims, stacks ----

def _atleast(args, op, shape_of):
    single = len(args) == 1 and isinstance(args[0], Tensor)
    out = [t if shape_of(t) == tuple(t.shape) else t.reshape(shape_of(t)) for t in _tensors(args, op)]
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(tensors, "atleast_1d", lambda t: (1,) if t.dim() == 0 else tuple(t.shape))


def atleast_2d(*tensors):
    return _atleast(tensors, "atleast_2d", lambda t: (1, 1) if t.dim() == 0 else
                    (1, t.shape[0]) if t.dim() == 1 else tuple(t.shape))


def atleast_3d(*tensors):
    def shape(t):
        return {0: (1, 1, 1), 1: (1, *t.shape, 1), 2: (*t.shape, 1)}.get(t.dim(), tuple(t.shape))
    return _atleast(tensors, "atleast_3d", shape)


def _written(result, out):
    """result, or (out= given) out resized to result's shape and holding its values, as torch's out=."""
    if out is None:
        return result
    if (out.requires_grad or result.requires_grad) and _C.is_grad_enabled():
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    out.resize_(result.shape)
    return out.copy_(result.detach())


def _as_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    return _tensors((list(tensors),), op)


def hstack(tensors, *, out=None):
    ts = atleast_1d(_as_list(tensors, "hstack"))
    if not ts:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return _written(_C.cat(list(ts), 0 if ts[0].dim() == 1 else 1), out)


def vstack(tensors, *, out=None):
    ts = atleast_2d(_as_list(tensors, "vstack"))
    if not ts:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return _written(_C.cat(list(ts), 0), out)


def dstack(tensors, *, out=None):
    ts = atleast_3d(_as_list(tensors, "dstack"))
    if not ts:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return _written(_C.cat(list(ts), 2), out)


def column_stack(tensors, *, out=None):
    ts = _as_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return _written(_C.cat([t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in ts], 1), out)


row_stack = vstack


# ---- splits ----

def _slice(input, dim, start, stop):
    index = (slice(None),) * dim + (slice(start, stop),)
    return input[index]


def _memory_bytes():
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def tensor_split(input, indices_or_sections, dim=0):
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, input.dim())
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.is_floating_point or ios.dtype == _dtype.bool or ios.dim() > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor of integers, but got a tensor of dtype {ios.dtype} "
                               f"with {ios.dim()} dims")
        ios = int(ios.item()) if ios.dim() == 0 else [int(v) for v in ios.tolist()]
    size = input.shape[d]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        if ios > size and ios * 8 > _memory_bytes():
            # torch reserves a vector of that many (8-byte) tensor handles first, and fails there
            raise RuntimeError(f"tensor_split: std::bad_alloc: {ios} sections cannot be allocated")
        small, extra = divmod(size, ios)
        bounds = list(itertools.accumulate([small + 1] * extra + [small] * (ios - extra), initial=0))
    else:
        if not isinstance(ios, (list, tuple)) or not all(isinstance(i, int) for i in ios):
            raise TypeError("tensor_split(): argument 'indices_or_sections' must be an int, a tuple of ints or "
                            f"a tensor, not {type(ios).__name__}")
        bounds = [0] + list(ios) + [size]
    return tuple(_slice(input, d, a, b) for a, b in zip(bounds[:-1], bounds[1:]))


def _split_along(input, sections, dim, op, min_dims):
    if input.dim() < min_dims:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension"
                           f"{'s' if min_dims > 1 else ''}, but got a tensor with {input.dim()} dimensions!")
    if isinstance(sections, int) and not isinstance(sections, bool):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 1 if input.dim() > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(input, split_sizes, dim=0):
    return _C.split(input, list(split_sizes), dim)


def split_with_sizes_copy(input, split_sizes, dim=0):
    return [t.clone() for t in split_with_sizes(input, split_sizes, dim)]


def unbind_copy(input, dim=0):
    return tuple(t.clone() for t in _C.unbind(input, dim))


# ---- flips ----

def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _C.flip(input, [0])


def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _C.flip(input, [1])


def rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = (wrap_dim(d, input.dim()) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return _C.flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return _C.flip(input, [d0, d1])
    if k == 3:
        return _C.flip(input, [d0]).transpose(d0, d1)
    return input.clone()


# ---- broadcasting, flattening ----

def broadcast_to(input, size):
    return input.expand(*_sizes((size,)))


def broadcast_tensors(*tensors):
    ts = _tensors(tensors, "broadcast_tensors")
    shape = _C.broadcast_shapes(*[t.shape for t in ts]) if ts else ()
    return tuple(t.expand(*shape) for t in ts)


def _sum_to_size(self, *sizes, size=None):
    size = _sizes(sizes if size is None else (size,))
    if not size:
        return self.sum()  # as ATen's sum_to: an empty size sums everything
    lead = self.dim() - len(size)
    if lead < 0 or any(s != 1 and s != self.shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(self.shape)}}}.")
    dims = list(range(lead)) + [lead + i for i, s in enumerate(size) if s == 1 and self.shape[lead + i] != 1]
    out = self.sum(dims, keepdim=True) if dims else self
    return out.reshape(size) if lead else out


def ravel(input):
    return input.reshape(-1)


def unravel_index(indices, shape):
    if indices.dtype.is_floating_point or indices.dtype == _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if not isinstance(shape, (int, list, tuple)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    shape = [shape] if isinstance(shape, int) else list(shape)
    for s in shape:
        if not isinstance(s, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    idx = indices.to(_dtype.int64)
    return tuple((idx // st) % s for st, s in zip(_contiguous_strides(shape), shape))


# ---- *_copy: the view ops' results as new tensors ----

def t_copy(input):
    return input.t().clone()


def transpose_copy(input, dim0, dim1):
    return input.transpose(dim0, dim1).clone()


def permute_copy(input, dims):
    return _C.permute(input, dims).clone()


def expand_copy(input, size, *, implicit=False):
    return input.expand(*_sizes((size,))).clone()


def view_copy(input, size=None, *, dtype=None):
    if isinstance(size, _dtype) or (size is None and dtype is not None):
        return input.view(dtype if size is None else size).clone()
    return input.view(*_sizes((size,))).clone()


def alias_copy(input):
    return input.clone()


def narrow_copy(input, dim, start, length):
    if dim >= input.dim():  # torch: a RuntimeError here, an IndexError for a negative dim out of range
        raise RuntimeError(f"narrow_copy(): dim {dim} is out of range for a tensor with {input.dim()} dimensions")
    return narrow(input, dim, start, length).clone()


def squeeze_copy(input, dim=None):
    return _C.squeeze(input, dim).clone()


def unsqueeze_copy(input, dim):
    return input.unsqueeze(dim).clone()


def narrow(input, dim, start, length):
    if isinstance(start, Tensor):
        if start.dim() != 0 or start.dtype.is_floating_point or start.dtype == _dtype.bool:
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start.item())
    return _C.narrow(input, dim, start, length)


# ---- filling, creation ----

def fill(input, value):
    return input.clone().fill_(value)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _on_device(device, "scalar_tensor")
    return _finish(_C._full([], s, dtype or _dtype.float32), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _on_device(device, "empty_strided")
    return _finish(_C._empty_strided(size, stride, dtype or _dtype.float32), requires_grad)


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                       pin_memory=False):
    _on_device(device, "new_empty_strided", self)
    return _finish(_C._empty_strided(size, stride, dtype or self.dtype), requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    _on_device(device, "empty_permuted")
    size, order = _sizes((size,)), list(physical_layout)
    if len(size) != len(order):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; "
                           f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"physical_layout {order} is not a permutation of the dimensions")
    physical = _C._empty_strided([size[d] for d in order], _contiguous_strides([size[d] for d in order]),
                                 dtype or _dtype.float32)
    inverse = [order.index(d) for d in range(len(order))]
    return _finish(_C.permute(physical, inverse).detach(), requires_grad)


def _contiguous_strides(shape):
    return [math.prod(shape[i + 1:]) for i in range(len(shape))]


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    _on_device(device, "tril_indices")
    return _C._tril_indices(row, col, offset, dtype or _dtype.int64)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    _on_device(device, "triu_indices")
    return _C._triu_indices(row, col, offset, dtype or _dtype.int64)


# ---- grids and combinations ----

def meshgrid(*tensors, indexing=None):
    ts = _tensors(tensors, "meshgrid")
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t.dtype != ts[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t.numel() for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(t.reshape(view).expand(*shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    ts = _tensors(tensors, "cartesian_prod")
    for t in ts:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    return _C.stack([g.reshape(-1) for g in meshgrid(ts, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r)) if r else []
    index = tensor(rows, dtype=_dtype.int64).reshape(len(rows), r)
    return input[index] if r else input[index.reshape(0)].detach()  # r = 0: torch's result has no history


def block_diag(*tensors):
    ts = _tensors(tensors, "block_diag")
    mats = []
    for i, t in enumerate(ts):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.dim()} dimensions")
        mats.append(t.reshape(1, -1) if t.dim() <= 1 else t)
    if not mats:
        return _C._full([1, 0], 0, _dtype.float32)
    out_dtype = mats[0].dtype
    for m in mats[1:]:
        out_dtype = _C.promote_types(out_dtype, m.dtype)
    cols = sum(m.shape[1] for m in mats)
    rows, at = [], 0
    for m in mats:
        left = _C._full([m.shape[0], at], 0, out_dtype)
        right = _C._full([m.shape[0], cols - at - m.shape[1]], 0, out_dtype)
        rows.append(_C.cat([left, m.to(out_dtype), right], 1))
        at += m.shape[1]
    return _C.cat(rows, 0)


# ---- reflected operators ----

def _rdiv(self, other):
    if not isinstance(self, Tensor):
        raise TypeError(f"descriptor '__rdiv__' requires a 'Tensor' object but received a '{type(self).__name__}'")
    return self.__rtruediv__(other)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' must be Tensor, not {type(input).__name__}")
    return _C.sub(other if isinstance(other, Tensor) else _C._full([], other, _C._result_type(input, other)),
                  input, alpha=alpha)


def resize_as_(input, the_template, *, memory_format=None):
    return input.resize_as_(the_template)


__all__ = ["diagonal", "diag_embed", "diagonal_copy", "diagflat", "trace", "atleast_1d", "atleast_2d",
           "atleast_3d", "hstack", "vstack", "dstack", "column_stack", "row_stack", "tensor_split", "hsplit",
           "vsplit", "dsplit", "split_with_sizes", "split_with_sizes_copy", "unbind_copy", "flipud", "fliplr",
           "rot90", "broadcast_to", "broadcast_tensors", "ravel", "unravel_index", "t_copy", "transpose_copy",
           "permute_copy", "expand_copy", "view_copy", "alias_copy", "narrow_copy", "squeeze_copy",
           "unsqueeze_copy", "narrow", "fill", "scalar_tensor", "empty_strided", "empty_permuted", "tril_indices",
           "triu_indices", "meshgrid", "cartesian_prod", "combinations", "block_diag", "rsub", "resize_as_"]

for _name, _fn in {"diagflat": diagflat, "trace": trace, "tensor_split": tensor_split, "hsplit": hsplit,
                   "vsplit": vsplit, "dsplit": dsplit, "split_with_sizes": split_with_sizes, "flipud": flipud,
                   "fliplr": fliplr, "rot90": rot90, "broadcast_to": broadcast_to, "ravel": ravel,
                   "sum_to_size": _sum_to_size, "narrow": narrow, "narrow_copy": narrow_copy,
                   "new_empty_strided": _new_empty_strided,
                   "__rdiv__": _rdiv}.items():
    setattr(Tensor, _name, _fn)
