"""tg.* names for reducing scatters, the index_* family, take/put, masked_scatter, repeat_interleave,
unique, isin, strided views and the *_scatter ops (implemented in C++:
cpp/src/ops/{index_extra,take_put,unique,view_scatter}.cpp), and the thin compositions below."""
from . import _C
from ._C import Tensor

_NAMES = ["scatter_reduce", "index_add", "index_copy", "index_fill", "index_reduce", "take", "put",
          "masked_scatter", "repeat_interleave", "isin", "as_strided", "as_strided_copy", "as_strided_scatter",
          "unfold_copy", "select_scatter", "slice_scatter", "diagonal_scatter"]
globals().update({n: getattr(_C, n) for n in _NAMES})


def _unique_result(found, return_inverse, return_counts):
    values, inverse, counts = found
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along dim) of input, always in sorted order (as torch on the CPU)."""
    return _unique_result(_C._unique(input, dim, False), return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """input with each run of equal consecutive elements (or slices along dim) kept once."""
    return _unique_result(_C._unique(input, dim, True), return_inverse, return_counts)


def argwhere(input):
    return _C.nonzero(input)


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero(input) cut or padded with fill_value to exactly `size` rows."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got {size}")
    found = _C.nonzero(input)
    if found.shape[0] >= size:
        return found[:size].clone()
    pad = _C._full((size - found.shape[0], found.shape[1]), fill_value, found.dtype)
    return _C.cat([found, pad], 0)


def msort(input):
    """input sorted along its first dim."""
    return input.sort(dim=0)[0]


for _name, _fn in {"unique": unique, "unique_consecutive": unique_consecutive, "argwhere": argwhere,
                   "nonzero_static": nonzero_static, "msort": msort}.items():
    setattr(Tensor, _name, _fn)
del _name, _fn

__all__ = _NAMES + ["unique", "unique_consecutive", "argwhere", "nonzero_static", "msort"]
