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


# ---- ctc_loss ----
def _ctc_case(seed=0, T=12, N=4, C=6, S=5, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    lp = torch.randn(T, N, C, generator=gen, dtype=dtype).log_softmax(2).requires_grad_()
    targets = torch.randint(1, C, (N, S), generator=gen)
    targets[1, :3] = torch.tensor([2, 2, 2])  # repeated labels need blanks between them
    input_lengths = torch.tensor([T, T - 3, T, 4])[:N]
    target_lengths = torch.tensor([S, 3, 0, 4])[:N]  # the last cannot fit in 4 frames: infinite loss
    return lp, targets, input_lengths, target_lengths


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("lengths", ["tensor", "tuple"])
def test_ctc_loss_matches_torch(reduction, zero_infinity, lengths):
    lp, targets, il, tl = _ctc_case()
    if not zero_infinity:  # an infinite loss has a NaN/inf gradient in both; keep those for zero_infinity
        tl = tl.clone()
        tl[3] = 2
    if lengths == "tuple":
        il, tl = tuple(il.tolist()), tuple(tl.tolist())
    kw = dict(reduction=reduction, zero_infinity=zero_infinity)
    compare(lambda x: F.ctc_loss(x, to_tg(targets), *(to_tg(v) if lengths == "tensor" else v for v in (il, tl)), **kw),
            lambda x: TF.ctc_loss(x, targets, il, tl, **kw), lp)


def test_ctc_loss_concatenated_targets_blank_and_unbatched():
    lp, targets, il, tl = _ctc_case(seed=1, C=5)
    tl[3] = 2
    flat = torch.cat([targets[b, :tl[b]] for b in range(4)])
    targets_b = torch.where(targets == 4, torch.zeros_like(targets), targets)  # blank 4: label 4 becomes 0
    flat_b = torch.cat([targets_b[b, :tl[b]] for b in range(4)])
    for t, blank in [(flat, 0), (flat_b, 4)]:
        compare(lambda x: F.ctc_loss(x, to_tg(t), to_tg(il), to_tg(tl), blank=blank, reduction="none"),
                lambda x: TF.ctc_loss(x, t, il, tl, blank=blank, reduction="none"), lp)
    # unbatched: (T, C) log_probs, (S,) target, 0-d lengths
    compare(lambda x: F.ctc_loss(x[:, 0], to_tg(targets[0]), to_tg(il[0]), to_tg(tl[0])),
            lambda x: TF.ctc_loss(x[:, 0], targets[0], il[0], tl[0]), lp)
    # int32 lengths and targets, float32 log_probs
    lp32 = lp.detach().float().requires_grad_()
    compare(lambda x: F.ctc_loss(x, to_tg(targets.int()), to_tg(il.int()), to_tg(tl.int())),
            lambda x: TF.ctc_loss(x, targets.int(), il.int(), tl.int()), lp32, rtol=1e-4, atol=1e-5)


def test_ctc_loss_gradient_convention_and_infinite_loss():
    lp, targets, il, tl = _ctc_case(seed=2)
    # torch's gradient is that with respect to logits through log_softmax: exp(lp) - occupancy, so it
    # sums to 0 over the classes at every frame within the input length, and is 0 past it
    x = to_tg(lp)
    loss = F.ctc_loss(x, to_tg(targets), to_tg(il), to_tg(tl), reduction="sum", zero_infinity=True)
    loss.backward()
    g = x.grad.numpy()
    assert np.allclose(g.sum(2)[:, :3], 0, atol=1e-10)
    assert np.all(g[il[1]:, 1] == 0) and np.all(g[:, 3] == 0)  # past the length; the infinite loss zeroed
    out = F.ctc_loss(to_tg(lp), to_tg(targets), to_tg(il), to_tg(tl), reduction="none")
    assert np.isinf(out.detach().numpy()[3])
    # through log_softmax the gradient is the true gradient of the loss: gradcheck it on the logits
    logits = to_tg(torch.randn(6, 2, 4, dtype=torch.float64), requires_grad=True)
    t2, il2, tl2 = to_tg(torch.tensor([[1, 2, 2], [3, 1, 0]])), (6, 5), (3, 2)
    assert tg.autograd.gradcheck(lambda z: F.ctc_loss(z.log_softmax(2), t2, il2, tl2), [logits])


def test_ctc_loss_errors():
    lp, targets, il, tl = _ctc_case()
    x, t = to_tg(lp), to_tg(targets)
    cases = [
        (lambda: F.ctc_loss(x, t, (12, 9, 12), (5, 3, 0, 4)), RuntimeError, "input_lengths must be of size batch_size"),
        (lambda: F.ctc_loss(x, t, (12, 9, 12, 4), (5, 3)), RuntimeError, "target_lengths must be of size batch_size"),
        (lambda: F.ctc_loss(x, t, (13, 9, 12, 4), (5, 3, 0, 4)), RuntimeError, "at most 12"),
        (lambda: F.ctc_loss(x, t, (-1, 9, 12, 4), (5, 3, 0, 4)), RuntimeError, "at least 0"),
        (lambda: F.ctc_loss(x, t, (12, 9, 12, 4), (6, 3, 0, 4)), RuntimeError, "size at least 6"),
        (lambda: F.ctc_loss(x, t, (12, 9, 12, 4), (5, 3, 0, 4), blank=6), RuntimeError, "blank must be in label range"),
        (lambda: F.ctc_loss(x, t.reshape(1, 4, 5), (12, 9, 12, 4), (5, 3, 0, 4)), RuntimeError, "1 to 2 dimensions"),
        (lambda: F.ctc_loss(x[0, 0], t[0], (12,), (5,)), RuntimeError, "3-dimensional"),
        (lambda: F.ctc_loss(x, t, to_tg(il.double()), to_tg(tl)), RuntimeError, "input_lengths must be integral"),
        (lambda: F.ctc_loss(x, t, to_tg(il), tuple(tl.tolist())), TypeError, "both"),
        (lambda: F.ctc_loss(x.long(), t, (12, 9, 12, 4), (5, 3, 0, 4)), NotImplementedError, "Long"),
        (lambda: F.ctc_loss(x, t, (12, 9, 12, 4), (5, 3, 0, 4), reduction="avg"), ValueError, "reduction"),
        (lambda: F.ctc_loss(x, t * 9, (12, 9, 12, 4), (5, 3, 0, 4)), IndexError, "out of range"),
        (lambda: F.ctc_loss(x, None, (12, 9, 12, 4), (5, 3, 0, 4)), TypeError, "targets"),
    ]
    for fn, exc, match in cases:
        with pytest.raises(exc, match=match):
            fn()


# ---- linear_cross_entropy ----
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("variant", ["plain", "bias_weight", "ignore", "probs", "kdim", "unbatched", "options"])
def test_linear_cross_entropy_matches_torch(reduction, variant):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(5, 4, generator=gen, dtype=torch.float64).requires_grad_()
    w = torch.randn(6, 4, generator=gen, dtype=torch.float64).requires_grad_()
    target = torch.randint(0, 6, (5,), generator=gen)
    kw, args = {}, [x, w]
    if variant == "bias_weight":
        kw = dict(linear_bias=torch.randn(6, generator=gen, dtype=torch.float64).requires_grad_(),
                  weight=torch.rand(6, generator=gen, dtype=torch.float64), label_smoothing=0.2)
    elif variant == "ignore":
        target[1] = 2
        kw = dict(ignore_index=2)
    elif variant == "probs":
        target = torch.rand(5, 6, generator=gen, dtype=torch.float64).softmax(1)
    elif variant == "kdim":  # a (C, d1, in) weight: a 1-dimensional loss over d1
        args[1] = torch.randn(6, 3, 4, generator=gen, dtype=torch.float64).requires_grad_()
        kw = dict(linear_bias=torch.randn(6, 3, generator=gen, dtype=torch.float64).requires_grad_())
        target = torch.randint(0, 6, (5, 3), generator=gen)
    elif variant == "unbatched":
        args[0] = torch.randn(4, generator=gen, dtype=torch.float64).requires_grad_()
        target = target[0]
    tensors = list(kw.items())
    t_kw = {k_: v_ for k_, v_ in kw.items() if not isinstance(v_, torch.Tensor)}
    names = [k_ for k_, v_ in tensors if isinstance(v_, torch.Tensor)]
    opts_t = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2) if variant == "options" else None
    opts_g = nn.LinearCrossEntropyOptions(batch_chunk_size=2) if variant == "options" else None

    def fn_t(a, b, *ts):
        return TF.linear_cross_entropy(a, b, target, reduction=reduction, options=opts_t, **t_kw, **dict(zip(names, ts)))

    def fn_g(a, b, *ts):
        return F.linear_cross_entropy(a, b, to_tg(target), reduction=reduction, options=opts_g, **t_kw,
                                      **dict(zip(names, ts)))
    compare(fn_g, fn_t, *args, *[kw[n] for n in names], rtol=1e-7, atol=1e-9)
    if variant == "plain":
        assert tg.autograd.gradcheck(fn_g, [to_tg(a) for a in args])


def test_linear_cross_entropy_errors_and_options():
    x, w, t = tg.randn(5, 4), tg.randn(6, 4), tg.tensor([0, 1, 2, 3, 4])
    cases = [(lambda: F.linear_cross_entropy(x.reshape(1, 5, 4), w, t), "dimensionality 1 or 2"),
             (lambda: F.linear_cross_entropy(x, w[0], t), "at least 2"),
             (lambda: F.linear_cross_entropy(x, tg.randn(6, 3), t), "in_features"),
             (lambda: F.linear_cross_entropy(x, w, t, linear_bias=tg.randn(5)), "linear_bias shape"),
             (lambda: F.linear_cross_entropy(x[0], tg.randn(6, 2, 4), t[0]), "requires batched input"),
             (lambda: F.linear_cross_entropy(x, w, tg.rand(5, 6), ignore_index=1), "probabilities")]
    for fn, match in cases:
        with pytest.raises(RuntimeError, match=match):
            fn()
    with pytest.raises(ValueError, match="batch_chunk_size"):
        nn.LinearCrossEntropyOptions(batch_chunk_size=0)
    with pytest.raises(ValueError, match="acc_policy"):
        nn.LinearCrossEntropyOptions(acc_policy="fast")
    with pytest.raises(TypeError, match="options"):
        F.linear_cross_entropy(x, w, t, options=3)
    assert nn.LinearCrossEntropyOptions() == nn.LinearCrossEntropyOptions(chunking_method="auto")


def test_ctc_loss_module():
    lp, targets, il, tl = _ctc_case(seed=3)
    tl[3] = 2
    mt, mg = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True), nn.CTCLoss(reduction="sum", zero_infinity=True)
    assert repr(mg) == repr(mt)
    compare(lambda x: mg(x, to_tg(targets), to_tg(il), to_tg(tl)), lambda x: mt(x, targets, il, tl), lp)
