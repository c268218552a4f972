"""tg.nn losses against PyTorch: values and gradients over options, gradcheck, stability and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from nn_helpers import assert_close, compare, rand_t, to_tg

pytestmark = pytest.mark.torch
SETTINGS = settings(max_examples=20, deadline=None)
reductions = st.sampled_from(["none", "mean", "sum"])


def targets(shape, n_classes, seed, ignore_index=None, frac_ignored=0.0):
    gen = torch.Generator().manual_seed(seed)
    t = torch.randint(0, n_classes, shape, generator=gen)
    if ignore_index is not None and frac_ignored > 0:
        mask = torch.rand(shape, generator=gen) < frac_ignored
        t[mask] = ignore_index
    return t


@SETTINGS
@given(fn=st.sampled_from(["mse", "l1", "smooth_l1", "huber"]), reduction=reductions,
       shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple), param=st.floats(0.1, 3.0),
       seed=st.integers(0, 99))
def test_regression_losses(fn, reduction, shape, param, seed):
    x, y = rand_t(shape, seed=seed, scale=2.0), rand_t(shape, seed=seed + 1)
    fg = {"mse": lambda a, b: F.mse_loss(a, b, reduction=reduction),
          "l1": lambda a, b: F.l1_loss(a, b, reduction=reduction),
          "smooth_l1": lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=param),
          "huber": lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=param)}[fn]
    ft = {"mse": lambda a, b: TF.mse_loss(a, b, reduction=reduction),
          "l1": lambda a, b: TF.l1_loss(a, b, reduction=reduction),
          "smooth_l1": lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=param),
          "huber": lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=param)}[fn]
    compare(fg, ft, x, y)


@pytest.mark.parametrize("cls,kwargs", [("MSELoss", {}), ("L1Loss", {"reduction": "sum"}),
                                        ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}),
                                        ("KLDivLoss", {"reduction": "batchmean"})])
def test_regression_loss_modules(cls, kwargs):
    mt, mg = getattr(torch.nn, cls)(**kwargs), getattr(nn, cls)(**kwargs)
    assert repr(mg) == repr(mt)
    x = rand_t((4, 3), torch.float32, seed=1)
    y = torch.softmax(rand_t((4, 3), torch.float32, seed=2, requires_grad=False), 1) if cls == "KLDivLoss" \
        else rand_t((4, 3), torch.float32, seed=2)
    compare(mg, mt, x, y)


def test_smooth_l1_beta_zero_is_l1():
    compare(lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), lambda a, b: TF.smooth_l1_loss(a, b, beta=0.0),
            rand_t((5,), seed=1), rand_t((5,), seed=2))


@pytest.mark.parametrize("reduction", ["sum", "batchmean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("zero_target", [False, True])
def test_kl_div(reduction, log_target, zero_target):
    x = TF.log_softmax(rand_t((3, 4), seed=1), 1).detach().requires_grad_(True)
    y = TF.softmax(rand_t((3, 4), seed=2), 1).detach()
    if zero_target:
        y[0, 1] = 0.0  # contributes 0; torch's gradient for this target entry is NaN, so y is not differentiated
    if log_target:
        y = y.clamp_min(1e-9).log()
    y.requires_grad_(not zero_target)
    compare(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
            lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), x, y)


def test_regression_loss_shape_checks():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(tg.randn(3, 1), tg.randn(3))
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.raises(RuntimeError, match=r"_loss: input of shape \[3, 2\] and target of shape \[4\]"):
            fn(tg.randn(3, 2), tg.randn(4))
    with pytest.raises(TypeError, match="mse_loss: target must be a tg.Tensor"):
        F.mse_loss(tg.randn(3), [1.0, 2.0, 3.0])


@SETTINGS
@given(shape=st.sampled_from([(5,), (4, 3), (3, 4, 2), (2, 3, 2, 2)]), reduction=reductions,
       use_weight=st.booleans(), smoothing=st.sampled_from([0.0, 0.1, 0.5]), ignore=st.booleans(),
       dtype=st.sampled_from([torch.float32, torch.float64]), seed=st.integers(0, 99))
def test_cross_entropy_class_targets(shape, reduction, use_weight, smoothing, ignore, dtype, seed):
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x = rand_t(shape, dtype, scale=3.0, seed=seed)
    t = targets(tshape, C, seed, ignore_index=1 if ignore else None, frac_ignored=0.3)
    if ignore and reduction == "mean" and t.numel() and (t == 1).all():
        t.view(-1)[0] = 0  # keep the mean's denominator non-zero
    w = (torch.rand(C, generator=torch.Generator().manual_seed(seed), dtype=dtype) + 0.5) if use_weight else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=1 if ignore else -100)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    compare(lambda a: F.cross_entropy(a, to_tg(t), weight=None if w is None else to_tg(w), **kw),
            lambda a: TF.cross_entropy(a, t, weight=w, **kw), x, **tol)


@SETTINGS
@given(shape=st.sampled_from([(5,), (4, 3), (3, 4, 2)]), reduction=reductions, use_weight=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.2]), seed=st.integers(0, 99))
def test_cross_entropy_probability_targets(shape, reduction, use_weight, smoothing, seed):
    C = shape[0] if len(shape) == 1 else shape[1]
    x = rand_t(shape, seed=seed, scale=3.0)
    p = TF.softmax(rand_t(shape, seed=seed + 1), 0 if len(shape) == 1 else 1).detach().requires_grad_(True)
    w = torch.rand(C, dtype=torch.float64) + 0.5 if use_weight else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare(lambda a, b: F.cross_entropy(a, b, weight=None if w is None else to_tg(w), **kw),
            lambda a, b: TF.cross_entropy(a, b, weight=w, **kw), x, p)


def test_cross_entropy_module_and_huge_logits():
    lt, lg = torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss()
    assert repr(lg) == repr(lt)
    x = rand_t((6, 5), torch.float32, scale=1e4, seed=3)
    t = targets((6,), 5, 3)
    out = compare(lambda a: lg(a, to_tg(t)), lambda a: lt(a, t), x, rtol=1e-5, atol=1e-3)
    assert np.isfinite(out.item())
    xg = to_tg(x)
    lg(xg, to_tg(t)).backward()
    assert np.isfinite(xg.grad.numpy()).all()


def test_cross_entropy_gradcheck_and_double_backward():
    x = to_tg(rand_t((3, 4), seed=1))
    t = to_tg(targets((3,), 4, 1))
    w = to_tg(torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=torch.float64))
    assert tg.autograd.gradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.1), (x,))
    assert tg.autograd.gradcheck(lambda a: F.cross_entropy(a, t, reduction="none"), (x,))
    xt = rand_t((3, 4), seed=1)
    tt = targets((3,), 4, 1)
    (gt,) = torch.autograd.grad(TF.cross_entropy(xt, tt), xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt ** 2).sum(), xt)
    xg = to_tg(xt)
    (gg,) = tg.autograd.grad(F.cross_entropy(xg, to_tg(tt)), xg, create_graph=True)
    (ggg,) = tg.autograd.grad((gg ** 2).sum(), xg)
    assert_close(ggg, ggt)


def test_cross_entropy_errors():
    x = tg.randn(3, 4)
    with pytest.raises(RuntimeError, match=r"cross_entropy.*int64.*float32.*\[3\]"):
        F.cross_entropy(x, tg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"cross_entropy.*batch_size \(3\).*\(2\)"):
        F.cross_entropy(x, tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"cross_entropy.*\[3, 4\].*\[3, 5\]"):
        F.cross_entropy(x, tg.randn(3, 5))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, tg.tensor([0, 1, 4]))
    with pytest.raises(RuntimeError, match="weight"):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), weight=tg.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), reduction="avg")


@SETTINGS
@given(shape=st.sampled_from([(5,), (4, 3), (3, 4, 2)]), reduction=reductions, use_weight=st.booleans(),
       ignore=st.booleans(), seed=st.integers(0, 99))
def test_nll_loss(shape, reduction, use_weight, ignore, seed):
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x = rand_t(shape, seed=seed)
    t = targets(tshape, C, seed, ignore_index=0 if ignore else None, frac_ignored=0.3)
    if ignore and reduction == "mean" and (t == 0).all():
        t.view(-1)[0] = 1
    w = torch.rand(C, dtype=torch.float64) + 0.5 if use_weight else None
    kw = dict(reduction=reduction, ignore_index=0 if ignore else -100)
    compare(lambda a: F.nll_loss(a, to_tg(t), weight=None if w is None else to_tg(w), **kw),
            lambda a: TF.nll_loss(a, t, weight=w, **kw), x)


def test_nll_loss_module_with_log_softmax():
    lt, lg = torch.nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 3.0])), nn.NLLLoss(weight=tg.tensor([1.0, 2.0, 3.0]))
    assert repr(lg) == repr(lt)
    t = targets((4,), 3, 1)
    compare(lambda a: lg(F.log_softmax(a, 1), to_tg(t)), lambda a: lt(TF.log_softmax(a, 1), t),
            rand_t((4, 3), torch.float32, seed=2))


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple), reduction=reductions,
       use_weight=st.booleans(), seed=st.integers(0, 99))
def test_bce(shape, reduction, use_weight, seed):
    p = torch.sigmoid(rand_t(shape, seed=seed, requires_grad=False) * 2).requires_grad_(True)
    y = torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).requires_grad_(True)
    w = torch.rand(shape[-1:], dtype=torch.float64) if use_weight else None
    compare(lambda a, b: F.binary_cross_entropy(a, b, weight=None if w is None else to_tg(w), reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, weight=w, reduction=reduction), p, y)


def test_bce_exact_zero_and_one():
    p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    out = compare(lambda a: F.binary_cross_entropy(a, to_tg(y), reduction="none"),
                  lambda a: TF.binary_cross_entropy(a, y, reduction="none"), p, rtol=1e-6, atol=0)
    assert out.tolist()[2] == 100.0
    lt, lg = torch.nn.BCELoss(), nn.BCELoss()
    assert repr(lg) == repr(lt)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        lg(tg.tensor([1.5]), tg.tensor([1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\[3\].*\[3, 1\]"):
        lg(tg.rand(3, 1), tg.rand(3))


@SETTINGS
@given(shape=st.sampled_from([(4,), (3, 4), (2, 3, 4)]), reduction=reductions, use_weight=st.booleans(),
       use_pw=st.booleans(), scale=st.sampled_from([1.0, 10.0, 1e4]), seed=st.integers(0, 99))
def test_bce_with_logits(shape, reduction, use_weight, use_pw, scale, seed):
    x = rand_t(shape, seed=seed, scale=scale)
    y = torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).requires_grad_(True)
    w = torch.rand(shape[-1:], dtype=torch.float64) if use_weight else None
    pw = torch.rand(shape[-1:], dtype=torch.float64) * 3 if use_pw else None  # torch: not differentiable
    compare(lambda a, b, *c: F.binary_cross_entropy_with_logits(a, b, None if w is None else to_tg(w),
                                                                 reduction=reduction, pos_weight=c[0] if c else None),
            lambda a, b, *c: TF.binary_cross_entropy_with_logits(a, b, w, reduction=reduction,
                                                                  pos_weight=c[0] if c else None),
            x, y, *([pw] if use_pw else []), rtol=1e-6, atol=1e-6)


def test_bce_with_logits_module_gradcheck():
    lt = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5]))
    lg = nn.BCEWithLogitsLoss(pos_weight=tg.tensor([2.0, 0.5]))
    assert repr(lg) == repr(lt)
    assert "pos_weight" in dict(lg.named_buffers())
    x, y = to_tg(rand_t((3, 2), seed=1)), to_tg(torch.rand(3, 2, dtype=torch.float64))
    pw = to_tg(torch.tensor([2.0, 0.5], dtype=torch.float64), requires_grad=True)
    y.requires_grad_(True)
    assert tg.autograd.gradcheck(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c), (x, y, pw))
    p = to_tg(torch.sigmoid(rand_t((3, 2), seed=4, requires_grad=False)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, y))
