"""Window functions with torch.signal.windows' signatures, checks and formulas (those follow SciPy).

Each window is a function of M evenly spaced points k (tg.linspace in the requested dtype); `sym=False`
gives the periodic window, the first M points of the symmetric window of length M + 1.
"""
import math
from collections.abc import Iterable

import tinygrad_ext as tg

from ... import _creation
from ..._tensor_surface import strided


def _checks(name, M, dtype, layout):
    """torch's common checks: a non-negative length, the strided layout, float32 or float64."""
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (tg.float32, tg.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _default_dtype(dtype):
    return tg.get_default_dtype() if dtype is None else dtype


def _trivial(M, dtype, device, requires_grad, ones_at_one=True):
    """The windows of length 0 (empty) and, for most windows, 1 (a single 1); None otherwise."""
    if M == 0:
        return _creation._finish(_creation.empty((0,), dtype=dtype, device=device), requires_grad)
    if M == 1 and ones_at_one:
        return _creation.ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


def _points(start, step, M, dtype, device):
    """M points start, start + step, ..., as torch's linspace from start to start + (M - 1) step."""
    return _creation.linspace(start, start + (M - 1) * step, M, dtype=dtype, device=device)


def _finish(t, requires_grad):
    return _creation._finish(t.detach(), requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=strided, device=None,
                requires_grad=False):
    dtype = _default_dtype(dtype)
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    k = _points(-center / tau, 1 / tau, M, dtype, device)
    return _finish(tg.exp(-tg.abs(k)), requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    dtype = _default_dtype(dtype)
    _checks("cosine", M, dtype, layout)
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    step = math.pi / (M + 1 if not sym and M > 1 else M)
    return _finish(tg.sin(_points(0.5 * step, step, M, dtype, device)), requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    dtype = _default_dtype(dtype)
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    step = 1 / (std * math.sqrt(2))
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    k = _points(start * step, step, M, dtype, device)
    return _finish(tg.exp(-(k * k)), requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """I0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / I0(beta), computed as torch does in the window's dtype."""
    dtype = _default_dtype(dtype)
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    b = tg.tensor(beta, dtype=dtype)
    step = 2.0 * b / (M if not sym else M - 1)
    end = tg.minimum(b, -b + (M - 1) * step)  # rounding must not carry the last point past beta
    k = _creation.linspace(-beta, end.item(), M, dtype=dtype, device=device)
    return _finish(tg.i0(tg.sqrt(b * b - k * k)) / tg.i0(b), requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    dtype = _default_dtype(dtype)
    _checks("bartlett", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    k = _points(-1, 2 / (M if not sym else M - 1), M, dtype, device)
    return _finish(1 - tg.abs(k), requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """sum_i (-1)^i a_i cos(2 pi i n / (M - 1)) (M instead of M - 1 when periodic)."""
    dtype = _default_dtype(dtype)
    _checks("general_cosine", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    k = _points(0, 2 * math.pi / (M if not sym else M - 1), M, dtype, device)
    coefficients = tg.tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype)
    i = tg.arange(coefficients.shape[0], dtype=dtype)
    return _finish((coefficients.unsqueeze(-1) * tg.cos(i.unsqueeze(-1) * k)).sum(0), requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    _checks("blackman", M, _default_dtype(dtype), layout)  # torch names blackman in these errors
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype,
                          layout=layout, device=device, requires_grad=requires_grad)
