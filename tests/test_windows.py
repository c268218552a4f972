"""tg.signal.windows against torch.signal.windows: values for short and long, symmetric and periodic
windows in float32 and float64, the keyword parameters, and torch's errors."""
import numpy as np
import pytest
import torch

import tinygrad_ext as tg

WINDOWS = {  # name -> the keyword parameters to try besides the defaults
    "bartlett": [{}], "blackman": [{}], "cosine": [{}], "hamming": [{}], "hann": [{}], "nuttall": [{}],
    "exponential": [{}, {"tau": 0.5}, {"tau": 3.0}], "gaussian": [{}, {"std": 0.3}, {"std": 7.0}],
    "kaiser": [{}, {"beta": 0.0}, {"beta": 3.5}], "general_hamming": [{}, {"alpha": 0.6}],
    "general_cosine": [{"a": [0.5, 0.5]}, {"a": (0.3, 0.4, 0.2, 0.1)}, {"a": [1.0]}],
}
DTYPES = [(tg.float32, torch.float32), (tg.float64, torch.float64)]


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("M", [0, 1, 2, 3, 8, 51])
def test_window_values(name, M):
    for kwargs in WINDOWS[name]:
        for sym in (True, False):
            for tg_dt, torch_dt in DTYPES:
                got = getattr(tg.signal.windows, name)(M, sym=sym, dtype=tg_dt, **kwargs)
                want = getattr(torch.signal.windows, name)(M, sym=sym, dtype=torch_dt, **kwargs)
                assert got.dtype == tg_dt and tuple(got.shape) == tuple(want.shape)
                tol = 1e-6 if torch_dt == torch.float32 else 1e-12
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol,
                                           err_msg=f"{name}({M}, sym={sym}, {kwargs}, {torch_dt})")


def test_exponential_center_and_default_dtype():
    got = tg.signal.windows.exponential(10, center=2.5, tau=2.0, sym=False)
    want = torch.signal.windows.exponential(10, center=2.5, tau=2.0, sym=False)
    assert got.dtype == tg.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_requires_grad_and_device():
    w = tg.signal.windows.hann(5, requires_grad=True, device="cpu")
    assert w.requires_grad and w.is_leaf
    assert not tg.signal.windows.hann(0, requires_grad=False).requires_grad


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.hann(-1), ValueError, "general_cosine requires non-negative window length, got M=-1"),
    (lambda m: m.blackman(-1), ValueError, "blackman requires non-negative window length, got M=-1"),
    (lambda m: m.kaiser(3, dtype=m._int64), ValueError, "kaiser expects float32 or float64 dtypes, got: "),
    (lambda m: m.bartlett(3, dtype=m._float16), ValueError, "bartlett expects float32 or float64 dtypes"),
    (lambda m: m.kaiser(3, beta=-1), ValueError, "beta must be non-negative, got: -1 instead."),
    (lambda m: m.gaussian(3, std=0), ValueError, "Standard deviation must be positive, got: 0 instead."),
    (lambda m: m.exponential(3, tau=-1), ValueError, "Tau must be positive, got: -1 instead."),
    (lambda m: m.exponential(3, center=1.0), ValueError, "Center must be None for symmetric windows"),
    (lambda m: m.general_cosine(3, a=None), TypeError, "Coefficients must be a list/tuple"),
    (lambda m: m.general_cosine(3, a=[]), ValueError, "Coefficients cannot be empty"),
])
def test_errors_match_torch(call, error, match):
    class Lib:  # the window module of one library, with its dtypes
        def __init__(self, windows, lib):
            self.__dict__.update({n: getattr(windows, n) for n in WINDOWS})
            self._int64, self._float16 = lib.int64, lib.float16
    for windows, lib in ((tg.signal.windows, tg), (torch.signal.windows, torch)):
        with pytest.raises(error, match=match.replace("(", r"\(").replace(")", r"\)")):
            call(Lib(windows, lib))


def test_layout_must_be_strided():
    assert tg.signal.windows.cosine(4, layout=tg.strided).shape == (4,)
    with pytest.raises(ValueError, match="cosine is implemented for strided tensors only"):
        tg.signal.windows.cosine(4, layout="sparse")
