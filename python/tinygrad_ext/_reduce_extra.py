"""Python faces of cpp/src/ops/{products_extra,reduce_extra,scan}.cpp: named-tuple results
(aminmax, cummax, cummin), chain_matmul and the Tensor methods that need them."""
import collections

from . import _C
from ._C import Tensor

aminmax_result = collections.namedtuple("aminmax", ["min", "max"])
cummax_result = collections.namedtuple("cummax", ["values", "indices"])
cummin_result = collections.namedtuple("cummin", ["values", "indices"])

_NAMES = ["addmv", "addr", "addbmm", "baddbmm", "kron", "cross", "tensordot", "inner", "nansum", "nanmean", "cdist",
          "renorm", "trapezoid", "trapz", "cumulative_trapezoid", "searchsorted", "bucketize", "bincount", "histc",
          "dist", "diff", "logcumsumexp"]
globals().update({n: getattr(_C, n) for n in _NAMES})


def aminmax(input, *, dim=None, keepdim=False):
    return aminmax_result(*_C._aminmax(input, dim, keepdim))


def cummax(input, dim):
    return cummax_result(*_C._cummax(input, dim))


def cummin(input, dim):
    return cummin_result(*_C._cummin(input, dim))


def chain_matmul(*matrices):
    return _C._multi_dot(list(matrices), "chain_matmul")


for _name, _fn in {"aminmax": aminmax, "cummax": cummax, "cummin": cummin}.items():
    setattr(Tensor, _name, _fn)

__all__ = _NAMES + ["aminmax", "cummax", "cummin", "chain_matmul"]
