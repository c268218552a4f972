"""tg.linalg: the norms (vector_norm, matrix_norm, norm), cross, multi_dot, vecdot, vander and
matrix_power (non-negative powers), as torch.linalg.
Decompositions (svd, qr, ...) are a later issue; so are the matrix norms that need singular values
('nuc', 2, -2)."""
import math

import tinygrad_ext as _tg

from . import _C
from ._dims import wrap_dim

_inf = math.inf


def cross(input, other, *, dim=-1):
    return _C._linalg_cross(input, other, dim)


def multi_dot(tensors):
    return _C._multi_dot(list(tensors), "linalg.multi_dot")


def _floating(op, x, dtype):
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. Got {_name(x.dtype)}")
    return x


def _name(dtype):
    return {"int64": "Long", "bool": "Bool"}.get(str(dtype).split(".")[-1], str(dtype).split(".")[-1])


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    x = _floating("vector_norm", x, dtype)
    if isinstance(ord, str):
        raise TypeError("linalg.vector_norm(): argument 'ord' must be Number, not str")
    if isinstance(dim, int):
        dim = (dim,)
    if x.numel() == 0 and (ord < 0 or ord == _inf):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    if x.dtype in (_C.dtype.float16, _C.dtype.bfloat16):  # accumulate in float32, as torch
        return _C._norm(x.float(), float(ord), dim, keepdim).to(x.dtype)
    return _C._norm(x, float(ord), dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    A = _floating("matrix_norm", A, dtype)
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = (wrap_dim(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _C._norm(A, 2.0, [d0, d1], keepdim)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values (svd), not implemented yet")
    if isinstance(ord, str) or ord not in (1, -1, _inf, -_inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    # 1/-1: max/min column sum of |A|; inf/-inf: max/min row sum.
    summed, picked = (d0, d1) if abs(ord) == 1 else (d1, d0)
    s = A.abs().sum(summed, keepdim=True)
    r = s.amax(picked, keepdim=True) if ord > 0 else s.amin(picked, keepdim=True)
    return r if keepdim else r.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.dim() != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def vecdot(x, y, *, dim=-1):
    """sum(x * y) over `dim`, broadcasting x and y (real dtypes: conj is the identity)."""
    return (x * y).sum(dim)


def vander(x, N=None):
    """Columns x**0, x**1, ..., x**(N-1) (increasing powers) along a new last dim, as a running product."""
    if x.dtype == _C.dtype.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    if x.dim() == 0:
        x = x.reshape(1)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return _tg.cat([_tg.ones((*x.shape, 1), dtype=x.dtype), powers], -1)


def matrix_power(A, n):
    """A @ A @ ... (n times) by repeated squaring; n = 0 gives identity matrices. Negative powers need
    an inverse (linalg decompositions, a later issue)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if n < 0:
        raise NotImplementedError("linalg.matrix_power: negative powers need linalg.inv, not implemented yet")
    if n == 0:
        out = A.clone()  # identity matrices that still depend on A (a zero gradient), as torch's copy
        out.copy_(_C._eye(A.shape[-1], A.shape[-1], A.dtype).expand(A.shape))
        return out
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result


__all__ = ["cross", "multi_dot", "vector_norm", "matrix_norm", "norm", "vecdot", "vander", "matrix_power"]


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _C.diagonal(A, offset, dim1, dim2)
