"""Python faces of cpp/src/ops/reduce_order.cpp and nanmedian: named-tuple results (mode, nanmedian)
and their Tensor methods; quantile / nanquantile are bound directly."""
import collections

from . import _C
from ._C import Tensor, nanquantile, quantile

mode_result = collections.namedtuple("mode", ["values", "indices"])
nanmedian_result = collections.namedtuple("nanmedian", ["values", "indices"])


def mode(input, dim=-1, keepdim=False):
    return mode_result(*_C._mode(input, dim, keepdim))


def nanmedian(input, dim=None, keepdim=False):
    """Lower median of the non-NaN elements, or (values, indices) along `dim`."""
    if dim is None:
        return _C._nanmedian_all(input)
    return nanmedian_result(*_C._nanmedian_dim(input, dim, keepdim))


Tensor.mode = mode
Tensor.nanmedian = nanmedian

__all__ = ["mode", "nanmedian", "quantile", "nanquantile"]
