"""Order statistics and statistics beyond sort/median (cpp/src/ops/reduce_order.cpp, nanmedian in
cpp/src/ops/sort.cpp, python/tinygrad_ext/_statistics.py): quantile / nanquantile in every
interpolation mode, mode, nanmedian, cov, corrcoef, histogram(dd), gradient and einsum with '...' and
many operands, against torch, with float64 gradchecks."""
import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from helpers import Input, compare, gradcheck_inputs

rng = np.random.default_rng(0)
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


def rand(*shape):
    return rng.standard_normal(shape)


def with_nans(*shape):
    x = rand(*shape)
    x[rng.random(shape) < 0.3] = np.nan
    x[0] = np.nan  # one row (or element) entirely / partly NaN
    return x


@pytest.mark.parametrize("interpolation", MODES)
@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
def test_quantile_matches_torch(op, interpolation):
    q = Input(np.array([0.0, 0.25, 0.5, 0.9, 1.0]), requires_grad=False)
    x = rand(4, 7)
    for dim, keepdim in [(None, False), (1, True), (0, False), (-1, False)]:
        compare(lambda a, b: getattr(tg, op)(a, b, dim, keepdim, interpolation=interpolation),
                lambda a, b: getattr(torch, op)(a, b, dim, keepdim, interpolation=interpolation), x, q)
    compare(lambda a: getattr(a, op)(0.3, dim=1, interpolation=interpolation),
            lambda a: getattr(a, op)(0.3, dim=1, interpolation=interpolation), Input(x, layout="T"))


@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
def test_quantile_nan_rows(op):
    x = with_nans(3, 6)
    compare(lambda a: getattr(tg, op)(a, 0.4, dim=1), lambda a: getattr(torch, op)(a, 0.4, dim=1),
            Input(x, requires_grad=False))


def test_quantile_gradcheck_and_errors():
    q = tg.tensor([0.1, 0.5, 0.8], dtype=tg.float64)
    gradcheck_inputs(lambda a: tg.quantile(a, q, dim=1), Input(rand(3, 5)))
    gradcheck_inputs(lambda a: tg.nanquantile(a, 0.3, interpolation="midpoint"), Input(rand(6)))
    x = tg.tensor(rand(4))
    with pytest.raises(RuntimeError, match=r"q must be in the range \[0, 1\]"):
        tg.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        tg.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="same dtype"):
        tg.quantile(x, tg.tensor([0.5], dtype=tg.float32))
    with pytest.raises(RuntimeError, match="non-empty"):
        tg.quantile(tg.zeros(0, dtype=tg.float64), 0.5)


def test_mode_matches_torch_ties_included():
    x = rng.integers(0, 4, (3, 40)).astype(np.float64)  # many ties, rows past insertion-sort size
    compare(lambda a: tg.mode(a, 1), lambda a: torch.mode(a, 1), x)
    compare(lambda a: a.mode(0, keepdim=True), lambda a: a.mode(0, keepdim=True), x)
    ints = Input(rng.integers(-3, 3, (5, 3000)), requires_grad=False)
    compare(lambda a: tg.mode(a), lambda a: torch.mode(a), ints)


def test_nanmedian_matches_torch():
    x = with_nans(4, 5)
    compare(lambda a: tg.nanmedian(a, 1), lambda a: torch.nanmedian(a, 1), Input(x, requires_grad=False))
    compare(lambda a: a.nanmedian(), lambda a: a.nanmedian(), Input(x[1:]))
    compare(lambda a: tg.nanmedian(a, 0, keepdim=True), lambda a: torch.nanmedian(a, 0, keepdim=True), rand(5, 3))
    gradcheck_inputs(lambda a: tg.nanmedian(a, 1).values, Input(rand(3, 5)))


@pytest.mark.parametrize("kwargs", [{}, {"correction": 0}, {"fweights": "f"}, {"aweights": "a"},
                                    {"fweights": "f", "aweights": "a", "correction": 2}])
def test_cov_and_corrcoef(kwargs):
    x = rand(3, 6)
    weights = {"f": Input(rng.integers(1, 4, 6), requires_grad=False), "a": Input(rng.random(6) + 0.1, requires_grad=False)}
    names = [k for k in ("fweights", "aweights") if k in kwargs]
    extra = {k: v for k, v in kwargs.items() if k not in names}
    compare(lambda a, *w: tg.cov(a, **extra, **dict(zip(names, w))),
            lambda a, *w: torch.cov(a, **extra, **dict(zip(names, w))), x, *[weights[kwargs[n]] for n in names])
    gradcheck_inputs(lambda a: tg.cov(a, **extra), Input(x))
    compare(tg.corrcoef, torch.corrcoef, x)


@pytest.mark.parametrize("bins", [4, "edges"])
@pytest.mark.parametrize("density", [False, True])
def test_histogram(bins, density):
    x = rand(20)
    w = rng.random(20)
    b = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5]) if bins == "edges" else bins
    tb = tg.tensor(b.numpy()) if bins == "edges" else bins
    for kwargs in ({}, {"range": (-1.0, 1.0)} if bins != "edges" else {}):
        th = torch.histogram(torch.tensor(x), b.double() if bins == "edges" else b, weight=torch.tensor(w),
                             density=density, **kwargs)
        ours = tg.histogram(tg.tensor(x), tb.double() if bins == "edges" else tb, weight=tg.tensor(w),
                            density=density, **kwargs)
        np.testing.assert_allclose(ours.hist.numpy(), th.hist.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.bin_edges.numpy(), th.bin_edges.numpy(), rtol=1e-12)
    pts = rand(30, 2)
    th = torch.histogramdd(torch.tensor(pts), [3, 4], density=density)
    ours = tg.histogramdd(tg.tensor(pts), [3, 4], density=density)
    np.testing.assert_allclose(ours.hist.numpy(), th.hist.numpy(), rtol=1e-12)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(edge_order):
    x = rand(5, 6)
    coords = [torch.tensor([0.0, 1.0, 1.5, 3.0, 3.2]), torch.tensor([0.0, 0.5, 1.0, 2.0, 2.5, 4.0])]
    for spacing in (1, 2.0, [0.5, 2.0], coords):
        tg_spacing = [tg.tensor(c.numpy()) for c in coords] if spacing is coords else spacing
        compare(lambda a: tg.gradient(a, spacing=tg_spacing, edge_order=edge_order),
                lambda a: torch.gradient(a, spacing=spacing, edge_order=edge_order), x)
    compare(lambda a: tg.gradient(a, dim=1, edge_order=edge_order),
            lambda a: torch.gradient(a, dim=1, edge_order=edge_order), x)


@pytest.mark.parametrize("equation,shapes", [
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("i...->...", [(3, 2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("b...i,oij,b...j->b...o", [(2, 3, 4), (5, 4, 6), (2, 3, 6)]),
    ("...,...", [(2, 3), (3,)]),
])
def test_einsum_ellipsis_and_many_operands(equation, shapes):
    arrays = [rand(*s) for s in shapes]
    compare(lambda *a: tg.einsum(equation, *a), lambda *a: torch.einsum(equation, *a), *arrays)
    gradcheck_inputs(lambda *a: tg.einsum(equation, *a), *arrays)
