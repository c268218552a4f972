"""Statistics written as compositions of tg ops: torch.softmax / torch.log_softmax (the torch-level
names, with dtype=), cov, corrcoef, and histogram / histogramdd (bins found by searchsorted, counted
by bincount) and gradient (central differences, numpy.gradient's formulas)."""
import collections
import math
import warnings

import tinygrad_ext as tg

from . import _C
from ._dims import wrap_dim
from .nn import functional as _F


def softmax(input, dim, dtype=None):
    return _F.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    return _F.log_softmax(input, dim, dtype=dtype)


# torch's C++ names of the dtypes, as its error messages print them
_SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                      "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


def _check_weights(kind, w, observations, integral):
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions but got {kind} with {w.dim()} dimensions")
    if w.dtype.is_floating_point == integral:
        want = "integral" if integral else "floating point"
        name = _SCALAR_TYPE_NAMES.get(str(w.dtype).rsplit(".", 1)[-1], str(w.dtype))
        raise RuntimeError(f"cov(): expected {kind} to have {want} dtype but got {kind} with {name} dtype")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {kind} to have the same numel as there are observations in the input "
                           f"but got {w.numel()} != {observations}")
    if observations and bool((w < 0).any()):
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) over the columns (observations), with frequency and
    observation weights, as torch.cov (which follows numpy.cov)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    if input.dtype == _C.dtype.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, integral=True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, integral=False)
        w = aweights if w is None else w * aweights
    w_sum = w.sum() if w is not None else n
    if w is not None and not bool(w_sum != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is None:
        norm_factor = n - correction
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm_factor = 0
    else:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    if float(norm_factor) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0
    if n == 1 and (fweights is None) != (aweights is None):
        x = x * 0 if x.dtype.is_floating_point else (x * 0).float()  # one weighted observation: x - avg is 0
    else:
        x = x - avg.unsqueeze(1)
    c = x @ (x * w if w is not None else x).t()
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows, clipped to [-1, 1] as numpy does."""
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c  # nan for a zero, inf or nan variance, 1 otherwise
    stddev = c.gather(1, tg.arange(c.shape[0]).unsqueeze(1)).squeeze(1).sqrt()  # sqrt of the diagonal
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    return c.clip(-1, 1)


histogram_result = collections.namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = collections.namedtuple("histogramdd", ["hist", "bin_edges"])


def _bin_edges(column, bins, lo_hi, k):
    """The edges of one dimension: `bins` itself when it is a tensor, else bins + 1 evenly spaced
    edges over the range (the data's min and max, widened by 0.5 each side when they are equal)."""
    if isinstance(bins, _C.Tensor):
        if bins.dim() != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {bins.dim()} dimensions")
        return bins.to(column.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogramdd: expected bins to be positive, but got {bins} for dimension {k}")
    if lo_hi is not None:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
    elif column.numel():
        lo, hi = float(column.min()), float(column.max())
    else:
        lo, hi = 0.0, 0.0
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension {k}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return tg.linspace(lo, hi, bins + 1, dtype=column.dtype)


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """Counts (or sums `weight` over) the points input[..., :] that fall in each D-dimensional bin.
    A point lands in the last bin whose left edge it reaches; the right edge of the last bin is closed;
    points outside the edges are ignored."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_SCALAR_TYPE_NAMES[str(input.dtype).rsplit(".", 1)[-1]]}\'')
    if input.dim() < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension")
    dims = input.shape[-1]
    points = input.reshape(-1, dims)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * dims
    if len(per_dim) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for each of the {dims} "
                           f"dimensions of the input, but got {len(per_dim)}")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should have {2 * dims} "
                           f"elements, but got {len(range)}")
    edges = [_bin_edges(points[:, k], b, None if range is None else range[2 * k:2 * k + 2], k)
             for k, b in enumerate(per_dim)]
    counts = [e.numel() - 1 for e in edges]
    flat = tg.zeros(points.shape[0], dtype=tg.int64)
    inside = tg.ones(points.shape[0], dtype=tg.bool)
    for k, e in enumerate(edges):
        x = points[:, k].contiguous()
        idx = tg.searchsorted(e, x, right=True) - 1
        idx = tg.where(x == e[-1], counts[k] - 1, idx)  # the last bin includes its right edge
        inside = inside & (x >= e[0]) & (x <= e[-1])
        flat = flat * counts[k] + idx.clamp(0, max(counts[k] - 1, 0))
    total = math.prod(counts)
    flat = tg.where(inside, flat, total)  # points outside go to a spare bin, dropped below
    w = weight.reshape(-1).to(input.dtype) if weight is not None else tg.ones(points.shape[0], dtype=input.dtype)
    hist = tg.bincount(flat, weights=w, minlength=total + 1)[:total].to(input.dtype).reshape(counts)
    if density:
        hist = hist / hist.sum()
        for k, e in enumerate(edges):
            shape = [1] * dims
            shape[k] = counts[k]
            hist = hist / (e[1:] - e[:-1]).reshape(shape)
    return histogramdd_result(hist, edges)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """A histogram of all elements of input (bins: a count or the edges), as torch.histogram."""
    if isinstance(bins, _C.Tensor) and range is not None:
        raise TypeError("histogram(): range cannot be given together with a bins tensor")
    hist, edges = histogramdd(input.reshape(-1, 1), [bins], range=range,
                              weight=None if weight is None else weight.reshape(-1), density=density)
    return histogram_result(hist, edges[0])


def _gradient_along(f, d, h, edge_order):
    """df/dx along dim d: second-order central differences inside, one-sided ones of order
    edge_order at both ends. h is a number (uniform spacing) or a 1-D tensor of coordinates."""
    def part(a, b=None):
        return f.narrow(d, a % f.shape[d], 1) if b is None else f.narrow(d, a % f.shape[d], b - a)

    n = f.shape[d]
    if isinstance(h, tg.Tensor):
        dx = h.diff()
        shape = [1] * f.dim()
        shape[d] = -1
        h1, h2 = dx[:-1], dx[1:]
        a = (-h2 / (h1 * (h1 + h2))).reshape(shape)
        b = ((h2 - h1) / (h1 * h2)).reshape(shape)
        c = (h1 / (h2 * (h1 + h2))).reshape(shape)
        center = a * f.narrow(d, 0, n - 2) + b * f.narrow(d, 1, n - 2) + c * f.narrow(d, 2, n - 2)
        if edge_order == 1:
            first = (part(1) - part(0)) / dx[0]
            last = (part(-1) - part(-2)) / dx[-1]
        else:
            p, q = dx[0], dx[1]
            first = (-(2.0 * p + q) / (p * (p + q))) * part(0) + ((p + q) / (p * q)) * part(1) + (-p / (q * (p + q))) * part(2)
            p, q = dx[-1], dx[-2]
            last = (p / (q * (p + q))) * part(-3) + (-(p + q) / (p * q)) * part(-2) + ((2 * p + q) / (p * (p + q))) * part(-1)
    else:
        center = (f.narrow(d, 2, n - 2) - f.narrow(d, 0, n - 2)) / h / 2
        if edge_order == 1:
            first = (part(1) - part(0)) / h
            last = (part(-1) - part(-2)) / h
        else:
            first = (part(0) * -1.5 + part(1) * 2 - part(2) * 0.5) / h
            last = (part(-3) * 0.5 + part(-2) * -2 + part(-1) * 1.5) / h
    return tg.cat([first, center, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of input sampled on a grid, along each dim in `dim` (all dims by default):
    spacing is one number, a number per dim, or a tensor of coordinates per dim."""
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    dims = [wrap_dim(d, input.dim()) for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError("torch.gradient expected each dim to appear only once")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    spacing = 1 if spacing is None else spacing
    spacings = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(spacings) != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {len(spacings)} "
                           f"and a dim argument of length {len(dims)}.")
    out = []
    for d, h in zip(dims, spacings):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
        if isinstance(h, tg.Tensor) and h.dim() == 0:
            h = h.item()
        if isinstance(h, tg.Tensor) and h.numel() != input.shape[d]:
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device as the input and each "
                               f"tensor's size to match the size of its dim, got {h.numel()} for dim {d}")
        out.append(_gradient_along(input, d, h, edge_order))
    return tuple(out)


for _name, _fn in {"cov": cov, "corrcoef": corrcoef, "histogram": histogram}.items():
    setattr(tg.Tensor, _name, _fn)

__all__ = ["softmax", "log_softmax", "cov", "corrcoef", "histogram", "histogramdd", "gradient"]
