"""tg.nn layers and activations against PyTorch: values, gradients, gradcheck, double backward."""
import math

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

shapes = st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple)
SETTINGS = settings(max_examples=15, deadline=None)

# name -> (tg function, torch function) for a parameter dict drawn by `params`
ACTIVATIONS = {
    "leaky_relu": (lambda x, p: F.leaky_relu(x, p["s"]), lambda x, p: TF.leaky_relu(x, p["s"])),
    "hardtanh": (lambda x, p: F.hardtanh(x, -p["s"] - 0.2, p["s"] + 0.3),
                 lambda x, p: TF.hardtanh(x, -p["s"] - 0.2, p["s"] + 0.3)),
    "relu6": (lambda x, p: F.relu6(x * 4), lambda x, p: TF.relu6(x * 4)),
    "elu": (lambda x, p: F.elu(x, p["s"] + 0.5), lambda x, p: TF.elu(x, p["s"] + 0.5)),
    "selu": (lambda x, p: F.selu(x), lambda x, p: TF.selu(x)),
    "celu": (lambda x, p: F.celu(x, p["s"] + 0.5), lambda x, p: TF.celu(x, p["s"] + 0.5)),
    "silu": (lambda x, p: F.silu(x), lambda x, p: TF.silu(x)),
    "softplus": (lambda x, p: F.softplus(x, p["s"] + 0.5, 2.0), lambda x, p: TF.softplus(x, p["s"] + 0.5, 2.0)),
    "gelu": (lambda x, p: F.gelu(x), lambda x, p: TF.gelu(x)),
    "gelu_tanh": (lambda x, p: F.gelu(x, approximate="tanh"), lambda x, p: TF.gelu(x, approximate="tanh")),
    "logsigmoid": (lambda x, p: F.logsigmoid(x), lambda x, p: TF.logsigmoid(x)),
    "softmax": (lambda x, p: F.softmax(x, dim=-1), lambda x, p: TF.softmax(x, dim=-1)),
    "log_softmax": (lambda x, p: F.log_softmax(x, dim=0), lambda x, p: TF.log_softmax(x, dim=0)),
    "softmin": (lambda x, p: F.softmin(x, dim=-1), lambda x, p: TF.softmin(x, dim=-1)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@SETTINGS
@given(shape=shapes, s=st.floats(0.01, 2.0), dtype=st.sampled_from([torch.float32, torch.float64]), seed=st.integers(0, 99))
def test_activation_matches_torch(name, shape, s, dtype, seed):
    fg, ft = ACTIVATIONS[name]
    x = rand_t(shape, dtype, scale=3.0, seed=seed)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    compare(lambda a: fg(a, {"s": s}), lambda a: ft(a, {"s": s}), x, **tol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradcheck(name):
    fg, _ = ACTIVATIONS[name]
    x = to_tg(rand_t((3, 4), seed=1, scale=2.0))
    assert tg.autograd.gradcheck(lambda a: fg(a, {"s": 0.7}), (x,))


@pytest.mark.parametrize("name", ["elu", "silu", "softplus", "gelu", "gelu_tanh", "softmax", "log_softmax",
                                  "logsigmoid", "celu"])
def test_activation_double_backward(name):
    fg, ft = ACTIVATIONS[name]
    xt = rand_t((2, 5), seed=3, scale=2.0)
    (gt,) = torch.autograd.grad((ft(xt, {"s": 0.7}) ** 2).sum(), xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    xg = to_tg(xt)
    (gg,) = tg.autograd.grad((fg(xg, {"s": 0.7}) ** 2).sum(), xg, create_graph=True)
    (ggg,) = tg.autograd.grad((gg * gg).sum(), xg)
    assert_close(gg, gt)
    assert_close(ggg, ggt, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("cls,kwargs", [
    ("ReLU", {}), ("ReLU", {"inplace": True}), ("LeakyReLU", {"negative_slope": 0.2}), ("Sigmoid", {}),
    ("Tanh", {}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 0}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("ELU", {"alpha": 2.0}), ("SiLU", {}), ("Softplus", {"beta": 2, "threshold": 10}), ("Hardtanh", {"min_val": -2, "max_val": 3}),
    ("ReLU6", {}), ("SELU", {}), ("CELU", {}), ("LogSigmoid", {}), ("Softmin", {"dim": 1}),
])
def test_activation_modules(cls, kwargs):
    mt, mg = getattr(torch.nn, cls)(**kwargs), getattr(nn, cls)(**kwargs)
    assert repr(mg) == repr(mt)
    x = rand_t((4, 3), torch.float32, scale=3.0, seed=5)
    if kwargs.get("inplace"):
        compare(lambda a: mg(a * 1.0), lambda a: mt(a * 1.0), x)
    else:
        compare(mg, mt, x)


def test_relu_inplace_modifies_input():
    x = tg.tensor([-1.0, 2.0, -3.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 2.0, 0.0]


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_dims_and_large_logits(dim):
    x = rand_t((3, 4, 5), torch.float32, scale=1e4, seed=dim)
    out = compare(lambda a: F.softmax(a, dim), lambda a: TF.softmax(a, dim), x, rtol=1e-4, atol=1e-5)
    assert np.isfinite(out.detach().numpy()).all()
    out = compare(lambda a: F.log_softmax(a, dim), lambda a: TF.log_softmax(a, dim), x, rtol=1e-4, atol=1e-3)
    assert np.isfinite(out.detach().numpy()).all()


def test_softmax_non_finite_rows_follow_torch():
    inf = float("inf")
    xt = torch.tensor([[-inf, -inf, -inf], [1.0, inf, 2.0], [0.0, -inf, 1.0], [float("nan"), 0.0, 1.0]])
    for fg, ft in [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)]:
        assert_close(fg(to_tg(xt), 1), ft(xt, 1))


def test_softmax_0d_and_dtype_arg():
    compare(lambda a: F.softmax(a, 0), lambda a: TF.softmax(a, 0), torch.tensor(2.5, requires_grad=True))
    x = rand_t((2, 3), torch.float32)
    assert_close(F.log_softmax(to_tg(x), 1, dtype=tg.float64), TF.log_softmax(x, 1, dtype=torch.float64))


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        F.softmax(tg.randn(2, 3))


def test_softmax_rejects_integer_and_bad_dim():
    with pytest.raises(RuntimeError, match="softmax"):
        F.softmax(tg.tensor([1, 2, 3]), 0)
    with pytest.raises(IndexError):
        F.softmax(tg.randn(2, 3), 2)


def test_linear_matches_torch_and_grads():
    lt = torch.nn.Linear(4, 3).double()
    lg = nn.Linear(4, 3, dtype=tg.float64)
    lg.load_state_dict({k: to_tg(v) for k, v in lt.state_dict().items()})
    xt = rand_t((5, 4), seed=2)
    xg = to_tg(xt)
    assert_close(lg(xg), lt(xt))
    lt(xt).sum().backward()
    lg(xg).sum().backward()
    assert_close(lg.weight.grad, lt.weight.grad)
    assert_close(lg.bias.grad, lt.bias.grad)
    assert_close(xg.grad, xt.grad)
    assert repr(lg) == "Linear(in_features=4, out_features=3, bias=True)"
    assert repr(nn.Linear(2, 1, bias=False)) == repr(torch.nn.Linear(2, 1, bias=False))
    assert nn.Linear(2, 1, bias=False).bias is None


def test_linear_default_init_bounds():
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound) has std bound / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert lin.weight.requires_grad and lin.weight.is_leaf


def test_linear_shape_error():
    with pytest.raises(RuntimeError, match="linear"):
        nn.Linear(3, 2)(tg.randn(4, 5))


def test_linear_gradcheck():
    w, b, x = (to_tg(rand_t(s, seed=i)) for i, s in enumerate([(3, 4), (3,), (2, 4)]))
    assert tg.autograd.gradcheck(F.linear, (x, w, b))


@pytest.mark.parametrize("x_shape,transposed", [((5, 4), False), ((2, 5, 4), False), ((4,), False),
                                                ((5, 2, 4), True), ((0, 4), False)])
def test_linear_runs_torchs_kernels_with_torchs_values(x_shape, transposed):
    """2-D input: one fused addmm (AddmmBackward0); batched contiguous or 1-D input: folded into rows
    (ViewBackward0); non-contiguous batched input: matmul + add (AddBackward0), as torch does."""
    xt, wt, bt = (rand_t(s, seed=i).requires_grad_() for i, s in enumerate([x_shape, (3, 4), (3,)]))
    x_in = xt.transpose(0, 1) if transposed else xt
    xg, wg, bg = (to_tg(t).requires_grad_() for t in (xt, wt, bt))
    outt = torch.nn.functional.linear(x_in, wt, bt)
    outg = F.linear(xg.transpose(0, 1) if transposed else xg, wg, bg)
    assert outg.grad_fn.name() == outt.grad_fn.name()
    assert_close(outg, outt)
    up = rand_t(tuple(outt.shape), seed=9)
    outt.backward(up)
    outg.backward(to_tg(up))
    for g, t in ((xg, xt), (wg, wt), (bg, bt)):
        assert_close(g.grad, t.grad)
    # the weight's gradient is computed in the layout of weight.t(): contiguous, no transposing copy
    assert wg.grad.is_contiguous() and tuple(wg.grad.stride()) == tuple(wt.grad.stride())


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (0, 1), (1, 2)])
def test_flatten(start, end):
    mt, mg = torch.nn.Flatten(start, end), nn.Flatten(start, end)
    assert repr(mg) == repr(mt)
    compare(mg, mt, rand_t((2, 3, 4), seed=1))


def test_unflatten_and_identity():
    mt, mg = torch.nn.Unflatten(1, (2, 3)), nn.Unflatten(1, (2, 3))
    assert repr(mg) == repr(mt)
    compare(mg, mt, rand_t((4, 6, 5), seed=1))
    compare(nn.Unflatten(-1, (-1, 2)), torch.nn.Unflatten(-1, (-1, 2)), rand_t((3, 4), seed=2))
    assert repr(nn.Identity(54, unused="x")) == "Identity()"
    x = tg.randn(3)
    assert nn.Identity()(x) is x


def test_dropout_train_eval():
    tg.manual_seed(0)
    d = nn.Dropout(0.3)
    assert repr(d) == repr(torch.nn.Dropout(0.3))
    x = tg.ones(200, 100, requires_grad=True)
    y = d(x)
    v = y.detach().numpy()
    kept = v != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(v[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), v, rtol=1e-6)  # gradient is the same scaled mask
    d.eval()
    assert np.array_equal(d(x).detach().numpy(), x.detach().numpy())
    assert F.dropout(x, 1.0).detach().numpy().sum() == 0
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(padding_idx):
    et = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    eg = nn.Embedding(6, 3, padding_idx=padding_idx)
    assert repr(eg) == repr(et)
    if padding_idx is not None:
        assert np.all(eg.weight.detach().numpy()[padding_idx] == 0)
    eg.weight = nn.Parameter(to_tg(et.weight))
    idx = torch.tensor([[0, 5, 2], [2, 2, 1]])
    out_t, out_g = et(idx), eg(to_tg(idx))
    assert_close(out_g, out_t)
    up = rand_t(out_t.shape, requires_grad=False, seed=4)
    out_t.backward(up)
    out_g.backward(to_tg(up))
    assert_close(eg.weight.grad, et.weight.grad)


def test_embedding_errors_and_double_backward():
    w = to_tg(rand_t((4, 2), seed=1))
    with pytest.raises(IndexError, match="embedding"):
        F.embedding(tg.tensor([4]), w)
    with pytest.raises(RuntimeError, match="int64"):
        F.embedding(tg.tensor([1.0]), w)
    assert tg.autograd.gradcheck(lambda a: F.embedding(tg.tensor([[1, 3], [1, 0]]), a), (w,))
    # padding_idx rows get no gradient (as in torch), so it is checked against torch instead of numerically
    pre = nn.Embedding.from_pretrained(tg.eye(3))
    assert not pre.weight.requires_grad


def test_one_hot():
    idx = torch.tensor([[0, 2], [1, 3]])
    assert_close(F.one_hot(to_tg(idx)), TF.one_hot(idx))
    assert_close(F.one_hot(to_tg(idx), 6), TF.one_hot(idx, 6))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tg.tensor([3]), 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(tg.tensor([-1]), 2)


@pytest.mark.parametrize("pad", [(1, 2), (0, 1, 2, 0), (-1, 2), (1, -2, -1, 1), (1, 1, 1, 1, 1, 1)])
def test_pad_matches_torch(pad):
    x = rand_t((2, 3, 4), seed=3)
    compare(lambda a: F.pad(a, pad, value=1.5), lambda a: TF.pad(a, pad, value=1.5), x)
    assert tg.autograd.gradcheck(lambda a: F.pad(a, pad), (to_tg(x),))


def test_pad_errors():  # torch's exception types; the other modes are tested in test_pad_upsample.py
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(tg.randn(2, 3), (1,))
    with pytest.raises(RuntimeError, match="less than or equal to two times the input dimension"):
        F.pad(tg.randn(3), (1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode"):
        F.pad(tg.randn(1, 2, 3), (1, 1), mode="symmetric")


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    compare(lambda a: F.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), rand_t((3, 4), seed=7))
