"""The extra torch.nn.functional activations, losses and distances against PyTorch: values and gradients
(float32/float64, non-contiguous inputs, edge values, every reduction), float64 gradcheck, second
derivatives, module printing and bad-input errors."""
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import tinygrad_ext as tg
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from nn_helpers import assert_close, compare, rand_t, to_tg

pytestmark = pytest.mark.torch
REDUCTIONS = ["none", "mean", "sum"]

# name -> (keyword arguments); called as F.name(x, **kw) and TF.name(x, **kw)
ACTIVATIONS = {
    "hardsigmoid": {}, "hardswish": {}, "mish": {}, "softsign": {}, "tanhshrink": {},
    "softshrink": {"lambd": 0.7}, "hardshrink": {"lambd": 0.3}, "threshold": {"threshold": 0.2, "value": -3.0},
    "gelu": {"approximate": "tanh"}, "softplus": {"beta": 2.0, "threshold": 3.0}, "logsigmoid": {},
    "silu": {}, "celu": {"alpha": 0.5}, "selu": {}, "glu": {"dim": 1},
}
# values on the kinks of the piecewise activations, and extremes
EDGES = [-3.0, 3.0, -0.7, 0.7, -0.3, 0.3, 0.2, 0.0, -50.0, 50.0, 1e-8, -1e-8]


def _torch_fn(name, kw):
    return lambda x: getattr(TF, name)(x, **kw)


def _tg_fn(name, kw):
    return lambda x: getattr(F, name)(x, **kw)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_activation_values_and_grads(name, dtype):
    kw = ACTIVATIONS[name]
    x = rand_t((4, 6), dtype=dtype, scale=3.0)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    compare(_tg_fn(name, kw), _torch_fn(name, kw), x, **tol)
    # a non-contiguous view
    compare(lambda a: _tg_fn(name, kw)(a.transpose(0, 1)), lambda a: _torch_fn(name, kw)(a.transpose(0, 1)),
            rand_t((6, 4), dtype=dtype, seed=3), **tol)
    if name != "glu":
        edges = torch.tensor(EDGES, dtype=dtype, requires_grad=True)
        compare(_tg_fn(name, kw), _torch_fn(name, kw), edges, **tol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradcheck_and_double_backward(name):
    kw = ACTIVATIONS[name]
    x = to_tg(rand_t((3, 4), seed=5, scale=2.0))
    assert tg.autograd.gradcheck(_tg_fn(name, kw), (x,))
    # second derivative: d/dx sum(g * f'(x)) against torch
    xt = rand_t((3, 4), seed=6, scale=2.0)
    up = rand_t(_torch_fn(name, kw)(xt).shape, seed=7, requires_grad=False)
    (gt,) = torch.autograd.grad(_torch_fn(name, kw)(xt), xt, up, create_graph=True)
    # torch has no second derivative for hardsigmoid; it is 0 almost everywhere
    ggt = torch.zeros_like(xt) if name == "hardsigmoid" else torch.autograd.grad(gt.sum(), xt)[0]
    xg = to_tg(xt)
    yg = _tg_fn(name, kw)(xg)
    (gg,) = tg.autograd.grad(yg, xg, to_tg(up), create_graph=True)
    (ggg,) = tg.autograd.grad(gg.sum(), xg)
    assert_close(gg, gt)
    assert_close(ggg, ggt)


def test_nan_propagates():
    x = tg.tensor([float("nan"), 1.0])
    for name in ["hardsigmoid", "hardswish", "mish", "softsign", "softshrink", "hardshrink", "tanhshrink"]:
        assert np.isnan(getattr(F, name)(x).numpy()[0]), name
    assert np.isnan(F.threshold(x, 0.0, 5.0).numpy()[0])


@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish", "mish", "threshold", "relu", "elu", "leaky_relu",
                                  "hardtanh", "celu", "selu", "rrelu"])
def test_inplace_variants(name):
    args = {"threshold": (0.1, 2.0)}.get(name, ())
    xt = torch.randn(3, 5, dtype=torch.float64)
    xg = to_tg(xt)
    fn_t = getattr(TF, name + "_") if hasattr(TF, name + "_") else (lambda a, *r: getattr(TF, name)(a, *r, inplace=True))
    fn_g = getattr(F, name + "_") if hasattr(TF, name + "_") else (lambda a, *r: getattr(F, name)(a, *r, inplace=True))
    rt, rg = fn_t(xt, *args), fn_g(xg, *args)
    assert rg is xg
    assert_close(xg, rt)


def test_prelu():
    for shape, n in [((2, 3, 4), 3), ((2, 3), 1), ((5,), 1), ((2, 3, 2, 2), 3)]:
        x = rand_t(shape, scale=2.0)
        w = rand_t((n,), seed=1)
        compare(F.prelu, TF.prelu, x, w)
        assert tg.autograd.gradcheck(F.prelu, (to_tg(x), to_tg(w)))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        F.prelu(tg.randn(2, 3), tg.randn(2))
    m, mt = nn.PReLU(3, init=0.1), tnn.PReLU(3, init=0.1)
    assert repr(m) == repr(mt)
    assert_close(m.weight, mt.weight.detach().float())
    x = rand_t((2, 3), dtype=torch.float32)
    assert_close(m(to_tg(x)), mt(x))


def test_rrelu():
    x = rand_t((200,), scale=2.0)
    compare(lambda a: F.rrelu(a, 0.1, 0.3), lambda a: TF.rrelu(a, 0.1, 0.3), x)  # eval: (lower+upper)/2 slope
    xg = to_tg(x)
    y = F.rrelu(xg, 0.1, 0.3, training=True)
    y.sum().backward()
    xv, yv, gv = x.detach().numpy(), y.detach().numpy(), xg.grad.numpy()
    pos = xv > 0
    assert np.array_equal(yv[pos], xv[pos]) and np.all(gv[pos] == 1)
    slopes = yv[~pos] / xv[~pos]
    assert np.all((slopes >= 0.1) & (slopes <= 0.3)) and len(np.unique(slopes)) > 1
    np.testing.assert_allclose(gv[~pos], slopes)
    m = nn.RReLU(0.1, 0.3)
    assert repr(m) == repr(tnn.RReLU(0.1, 0.3))
    m.eval()
    assert_close(m(to_tg(x)), tnn.RReLU(0.1, 0.3).eval()(x))


def test_glu_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(tg.randn(2, 3), 1)
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(tg.tensor(1.0))


def test_bad_inputs():
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(tg.randn(3), -1.0)
    with pytest.raises(RuntimeError, match="floating"):
        F.hardswish(tg.tensor([1, 2]))
    with pytest.raises(TypeError):
        F.mish(None)
    with pytest.raises(TypeError):
        F.prelu(tg.randn(3), None)


def test_activation_modules_print_and_run():
    pairs = [(nn.Hardsigmoid(), tnn.Hardsigmoid()), (nn.Hardswish(inplace=True), tnn.Hardswish(inplace=True)),
             (nn.Mish(), tnn.Mish()), (nn.Softsign(), tnn.Softsign()), (nn.Tanhshrink(), tnn.Tanhshrink()),
             (nn.Softshrink(0.3), tnn.Softshrink(0.3)), (nn.Hardshrink(), tnn.Hardshrink()),
             (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)), (nn.Threshold(0.1, 2, True), tnn.Threshold(0.1, 2, True)),
             (nn.GLU(), tnn.GLU()), (nn.Softmax2d(), tnn.Softmax2d()), (nn.PReLU(), tnn.PReLU())]
    for m, mt in pairs:
        assert repr(m) == repr(mt)
        x = torch.randn(2, 4, 3, 2)
        assert_close(m(to_tg(x)), mt(x.clone()), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        nn.Softmax2d()(tg.randn(3, 3))


# ---- losses: name -> (tg call, torch call, input makers) ----
def _pm1(shape, seed):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 2, shape, generator=gen) * 2 - 1).to(torch.float64)


def _loss_cases():
    x, y = rand_t((4, 5), seed=1), rand_t((4, 5), seed=2)
    pos = rand_t((4, 5), seed=3, requires_grad=False).abs() * 3
    var = (rand_t((4, 5), seed=4).detach().abs() + 0.1).requires_grad_(True)
    a, p, n = rand_t((4, 6), seed=5), rand_t((4, 6), seed=6), rand_t((4, 6), seed=7)
    cls = torch.tensor([0, 4, 2, 1])
    multilabel = torch.tensor([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0], [4, 4, -1, 2, 2]])
    w = torch.rand(5, dtype=torch.float64) + 0.5
    v1 = torch.rand(4, dtype=torch.float64) + 0.5
    return {
        "poisson_nll": ((x, pos), {}, [{"log_input": False, "full": True, "input_fn": "abs"}, {"full": True}]),
        "gaussian_nll": ((x, y, var), {}, [{"full": True}]),
        "gaussian_nll_homosced": ((x, y, v1.requires_grad_(True)), {}, []),
        "hinge_embedding": ((x, _pm1((4, 5), 8)), {}, [{"margin": 0.5}]),
        "soft_margin": ((x, _pm1((4, 5), 9)), {}, []),
        "multilabel_soft_margin": ((x, (torch.rand(4, 5, dtype=torch.float64) > 0.5).double()), {},
                                   [{"weight": w}]),
        "multilabel_margin": ((x, multilabel), {}, []),
        "cosine_embedding": ((a, p, _pm1((4,), 10)), {}, [{"margin": 0.3}]),
        "margin_ranking": ((x[:, 0], y[:, 0], _pm1((4,), 11)), {}, [{"margin": 0.4}]),
        "multi_margin": ((x, cls), {}, [{"p": 2, "margin": 0.7}, {"weight": w}]),
        "triplet_margin": ((a, p, n), {}, [{"margin": 2.0, "p": 1.0, "swap": True}, {"p": 3.0}]),
        "triplet_margin_with_distance": ((a, p, n), {}, [{"swap": True, "margin": 3.0}]),
    }


def _call(lib, name, args, kw):
    kw = dict(kw)
    if kw.pop("input_fn", None) == "abs":
        args = (args[0].abs() + 0.1,) + tuple(args[1:])
    fname = "gaussian_nll_loss" if name.startswith("gaussian_nll") else name + "_loss"
    if lib is F and "weight" in kw:
        kw["weight"] = to_tg(kw["weight"])
    return getattr(lib, fname)(*args, **kw)


@pytest.mark.parametrize("name", sorted(_loss_cases()))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses(name, reduction):
    args, _, variants = _loss_cases()[name]
    for kw in [{}] + variants:
        kw = dict(kw, reduction=reduction)
        compare(lambda *a: _call(F, name, a, kw), lambda *a: _call(TF, name, a, kw), *args)
    # float32, through non-contiguous (transposed) copies of the first input
    args32 = [t.detach().float().requires_grad_(t.requires_grad) if t.is_floating_point() else t for t in args]
    first = args32[0]
    if first.dim() == 2:
        base = first.detach().t().contiguous().requires_grad_(True)
        compare(lambda b, *r: _call(F, name, (b.t(),) + r, {"reduction": reduction}),
                lambda b, *r: _call(TF, name, (b.t(),) + r, {"reduction": reduction}),
                base, *args32[1:], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(_loss_cases()))
def test_losses_gradcheck(name):
    args, _, _ = _loss_cases()[name]
    tg_args = [to_tg(t) for t in args]
    assert tg.autograd.gradcheck(lambda *a: _call(F, name, a, {"reduction": "sum"}), tg_args)


def test_loss_1d_inputs():
    x = rand_t((5,))
    compare(lambda a: F.multi_margin_loss(a, tg.tensor([2])), lambda a: TF.multi_margin_loss(a, torch.tensor([2])), x)
    t = torch.tensor([3, 1, -1, 0, 0])
    compare(lambda a: F.multilabel_margin_loss(a, to_tg(t)), lambda a: TF.multilabel_margin_loss(a, t), x)


def test_loss_errors():
    x = tg.randn(3, 4)
    with pytest.raises(ValueError, match="not a valid value"):
        F.soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -tg.ones(3, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, tg.ones(2, 2))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=-1.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(x, x, tg.randn(4))
    with pytest.raises(RuntimeError, match="out of range"):
        F.multi_margin_loss(x, tg.tensor([0, 9, 1]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(x, tg.tensor([0, 1, 1]), p=3)
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(tg.randn(2), tg.randn(2, 1), tg.randn(2))
    with pytest.raises(TypeError):
        F.poisson_nll_loss(x, None)


def test_loss_modules():
    x, y = rand_t((3, 4), torch.float32, requires_grad=False), rand_t((3, 4), torch.float32, requires_grad=False, seed=1)
    pairs = [(nn.PoissonNLLLoss(), tnn.PoissonNLLLoss(), (x, y.abs())), (nn.SoftMarginLoss(), tnn.SoftMarginLoss(), (x, y)),
             (nn.GaussianNLLLoss(full=True), tnn.GaussianNLLLoss(full=True), (x, y, y.abs())),
             (nn.HingeEmbeddingLoss(0.5), tnn.HingeEmbeddingLoss(0.5), (x, y.sign())),
             (nn.MultiLabelSoftMarginLoss(reduction="sum"), tnn.MultiLabelSoftMarginLoss(reduction="sum"), (x, (y > 0).float())),
             (nn.MultiLabelMarginLoss(), tnn.MultiLabelMarginLoss(), (x, torch.tensor([[1, -1, 0, 0]] * 3))),
             (nn.CosineEmbeddingLoss(0.1), tnn.CosineEmbeddingLoss(0.1), (x, y, torch.tensor([1.0, -1.0, 1.0]))),
             (nn.MarginRankingLoss(0.2), tnn.MarginRankingLoss(0.2), (x, y, y.sign())),
             (nn.MultiMarginLoss(p=2), tnn.MultiMarginLoss(p=2), (x, torch.tensor([0, 3, 1]))),
             (nn.TripletMarginLoss(swap=True), tnn.TripletMarginLoss(swap=True), (x, y, y * 2)),
             (nn.TripletMarginWithDistanceLoss(), tnn.TripletMarginWithDistanceLoss(), (x, y, y * 2)),
             (nn.CosineSimilarity(dim=0), tnn.CosineSimilarity(dim=0), (x, y)),
             (nn.PairwiseDistance(p=1.0, keepdim=True), tnn.PairwiseDistance(p=1.0, keepdim=True), (x, y))]
    for m, mt, args in pairs:
        assert repr(m) == repr(mt)
        assert_close(m(*[to_tg(a) for a in args]), mt(*args), rtol=1e-5, atol=1e-5)


# ---- distances ----
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_distances(dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    x1, x2 = rand_t((4, 5), dtype=dtype), rand_t((4, 5), dtype=dtype, seed=1)
    for dim, eps in [(1, 1e-8), (0, 1e-8), (-1, 3.0)]:
        compare(lambda a, b: F.cosine_similarity(a, b, dim, eps), lambda a, b: TF.cosine_similarity(a, b, dim, eps),
                x1, x2, **tol)
    compare(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
            rand_t((3, 1), dtype=dtype), rand_t((3, 4), dtype=dtype, seed=2), **tol)  # broadcasting
    for p in [2.0, 1.0, 3.0, float("inf"), 0.0]:
        for keepdim in [False, True]:
            compare(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim),
                    lambda a, b: TF.pairwise_distance(a, b, p, 1e-6, keepdim), x1, x2, **tol)
        compare(lambda a: F.pdist(a, p), lambda a: TF.pdist(a, p), x1, **tol)
    compare(lambda a: F.pdist(a.t()), lambda a: TF.pdist(a.t()), x1, **tol)  # non-contiguous


def test_distances_at_zero_and_gradcheck():
    z = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    compare(F.pdist, TF.pdist, z)
    compare(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b), z, rand_t((3, 4)))
    x1, x2 = to_tg(rand_t((3, 4))), to_tg(rand_t((3, 4), seed=1))
    assert tg.autograd.gradcheck(lambda a, b: F.cosine_similarity(a, b), (x1, x2))
    assert tg.autograd.gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0), (x1, x2))
    assert tg.autograd.gradcheck(lambda a: F.pdist(a), (x1,))
    with pytest.raises(RuntimeError, match="pdist only supports 2D"):
        F.pdist(tg.randn(2, 3, 4))


def test_top_level_and_methods():
    x = rand_t((3, 4), scale=2.0)
    w = rand_t((4,), seed=1)
    compare(lambda a: tg.hardshrink(a, 0.6), lambda a: torch.hardshrink(a, 0.6), x)
    compare(lambda a: a.hardshrink(), lambda a: a.hardshrink(), x)
    compare(lambda a, b: a.prelu(b), lambda a, b: a.prelu(b), x, w)
    compare(lambda a: tg.threshold(a, 0.1, 7.0), lambda a: torch.threshold(a, 0.1, 7.0), x)
    compare(lambda a: tg.rrelu(a), lambda a: torch.rrelu(a), x)
    compare(lambda a, b: tg.cosine_similarity(a, b, 0), lambda a, b: torch.cosine_similarity(a, b, 0), x, x * 2)
    compare(lambda a: tg.pdist(a, 1.0), lambda a: torch.pdist(a, 1.0), x)
    xt, xg = torch.randn(5, dtype=torch.float64), None
    xg = to_tg(xt)
    assert tg.selu_(xg) is xg
    assert_close(xg, torch.selu_(xt))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_scaled_dot_product_attention(dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    q, k, v = rand_t((2, 3, 4, 8), dtype), rand_t((2, 3, 5, 8), dtype, seed=1), rand_t((2, 3, 5, 6), dtype, seed=2)
    sdpa_t, sdpa_g = TF.scaled_dot_product_attention, F.scaled_dot_product_attention
    bool_mask = torch.rand(4, 5, generator=torch.Generator().manual_seed(3)) > 0.4
    bool_mask[1] = False  # a fully masked row gives 0
    float_mask = torch.randn(4, 5, dtype=dtype)
    for kw in [{}, {"is_causal": True}, {"scale": 0.3}, {"attn_mask": bool_mask}, {"attn_mask": float_mask}]:
        kw_g = {k_: (to_tg(v_) if isinstance(v_, torch.Tensor) else v_) for k_, v_ in kw.items()}
        compare(lambda a, b, c: sdpa_g(a, b, c, **kw_g), lambda a, b, c: sdpa_t(a, b, c, **kw), q, k, v, **tol)
    compare(lambda a, b, c: sdpa_g(a.transpose(1, 2), b.transpose(1, 2), c.transpose(1, 2)),
            lambda a, b, c: sdpa_t(a.transpose(1, 2), b.transpose(1, 2), c.transpose(1, 2)),
            rand_t((2, 4, 3, 8), dtype), rand_t((2, 5, 3, 8), dtype), rand_t((2, 5, 3, 6), dtype), **tol)
    kg, vg = rand_t((2, 1, 5, 8), dtype, seed=4), rand_t((2, 1, 5, 6), dtype, seed=5)
    compare(lambda a, b, c: sdpa_g(a, b, c, enable_gqa=True), lambda a, b, c: sdpa_t(a, b, c, enable_gqa=True),
            q, kg, vg, **tol)
    with pytest.raises(RuntimeError, match="attn_mask should not be set"):
        sdpa_g(to_tg(q), to_tg(k), to_tg(v), attn_mask=to_tg(bool_mask), is_causal=True)
    if dtype == torch.float64:
        assert tg.autograd.gradcheck(lambda a, b, c: sdpa_g(a, b, c, is_causal=True),
                                     [to_tg(rand_t((2, 3, 4), seed=s)) for s in range(3)])
    # dropout keeps the expectation: the output stays finite and p = 1 drops everything
    out = sdpa_g(to_tg(q), to_tg(k), to_tg(v), dropout_p=1.0)
    assert np.all(out.detach().numpy() == 0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_scaled_dot_product_attention_reduced_float_matches_torch(dtype):
    """float16/bfloat16 follow the CPU kernel torch takes. Its math path (here 3-D inputs) is float32 and one
    rounding: equal bit for bit. Its flash-attention kernel (4-D) rounds the softmax numerators to the dtype,
    computes them with a fast exp on whole 8-float vectors, sums in vector lanes and goes through the keys
    in blocks of 512: reproduced, all but the order of its matrix products' float32 sums, so at most one
    element in a thousand may differ, by one ulp (rounding once in float32 differed in ~20% of them)."""
    gen = torch.Generator().manual_seed(0)
    tdt = getattr(tg, str(dtype)[6:])

    def r(*shape):
        return torch.randn(*shape, generator=gen).to(dtype)

    def run(q, k, v, **kw):
        want = TF.scaled_dot_product_attention(q, k, v, **kw)
        kw = {k_: (tg.from_numpy(v_.float().numpy()).to(tdt) if v_.dtype != torch.bool else tg.from_numpy(v_.numpy()))
              if isinstance(v_, torch.Tensor) else v_ for k_, v_ in kw.items()}
        got = F.scaled_dot_product_attention(*(tg.from_numpy(t.float().numpy()).to(tdt) for t in (q, k, v)), **kw)
        assert got.dtype == tdt
        return torch.from_numpy(got.float().numpy()).to(dtype), want

    got, want = run(r(3, 9, 8), r(3, 20, 8), r(3, 20, 8), is_causal=True)  # math path
    assert torch.equal(got, want)
    differ = total = 0
    for L, S, kw in [(7, 6, {}), (9, 6, {"is_causal": True}), (9, 20, {}), (30, 64, {"is_causal": True}),
                     (9, 20, {"attn_mask": torch.rand(9, 20, generator=gen) > 0.3}),
                     (9, 20, {"attn_mask": r(2, 1, 9, 20)}), (9, 20, {"scale": 0.3}), (5, 700, {})]:
        for _ in range(4):
            got, want = run(r(2, 3, L, 8), r(2, 3, S, 8), r(2, 3, S, 8), **kw)
            off = got != want
            assert torch.equal(torch.nextafter(want[off], got[off]), got[off]), (L, S, kw)  # one ulp apart
            differ, total = differ + int(off.sum()), total + want.numel()
    assert differ <= total / 1000, (differ, total)
    # two key blocks; a row fully masked in the first (its running maximum stays -inf), one in both
    mask = torch.zeros(4, 1030).to(dtype)
    mask[1, :600], mask[2], mask[3, 520:] = float("-inf"), float("-inf"), float("-inf")
    mask[1, 600:] -= 30
    got, want = run(r(1, 2, 4, 8), r(1, 2, 1030, 8), r(1, 2, 1030, 8), attn_mask=mask)
    assert torch.equal(got, want) and not got[:, :, 2].any()


# ---- multi_head_attention_forward ----
def _mha_args(E=8, H=2, L=3, S=5, N=2, batched=True, separate=False, bias_kv=False, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def r(*shape):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    lead = (N,) if batched else ()
    q, k, v = r(L, *lead, E), r(S, *lead, E), r(S, *lead, E)
    args = dict(embed_dim_to_check=E, num_heads=H, in_proj_weight=None if separate else r(3 * E, E),
                in_proj_bias=r(3 * E), bias_k=r(1, 1, E) if bias_kv else None, bias_v=r(1, 1, E) if bias_kv else None,
                add_zero_attn=False, dropout_p=0.0, out_proj_weight=r(E, E), out_proj_bias=r(E),
                use_separate_proj_weight=separate)
    if separate:
        args.update(q_proj_weight=r(E, E), k_proj_weight=r(E, E), v_proj_weight=r(E, E))
    return (q, k, v), args


def _mha_compare(qkv, args, **extra):
    """Both outputs of multi_head_attention_forward (and the gradients of every tensor input)."""
    names = [k_ for k_, v_ in args.items() if isinstance(v_, torch.Tensor)]
    extra_t = {k_: v_ for k_, v_ in extra.items()}
    extra_g = {k_: (to_tg(v_) if isinstance(v_, torch.Tensor) else v_) for k_, v_ in extra.items()}

    # outputs and weights compared separately: the weights through their own function
    for pick in (0, 1):
        def fn_t(q, k, v, *tensors, pick=pick):
            res = TF.multi_head_attention_forward(q, k, v, **dict(args, **dict(zip(names, tensors)), **extra_t))
            return res[pick]

        def fn_g(q, k, v, *tensors, pick=pick):
            res = F.multi_head_attention_forward(q, k, v, **dict(args, **dict(zip(names, tensors)), **extra_g))
            return res[pick]
        expected = fn_t(*qkv, *[args[n] for n in names])
        if expected is None:
            assert fn_g(*[to_tg(t) for t in qkv], *[to_tg(args[n]) for n in names]) is None
            continue
        compare(fn_g, fn_t, *qkv, *[args[n] for n in names], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("separate", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_multi_head_attention_forward_matches_torch(batched, separate, need_weights, average):
    qkv, args = _mha_args(batched=batched, separate=separate)
    _mha_compare(qkv, args, need_weights=need_weights, average_attn_weights=average)


def test_multi_head_attention_forward_masks_and_extra_keys():
    gen = torch.Generator().manual_seed(5)
    qkv, args = _mha_args(bias_kv=True)
    float_mask = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    pad = torch.tensor([[False, False, True, False, True], [False, True, False, False, False]])
    bool_mask = torch.rand(2 * 2, 3, 5, generator=gen) > 0.7
    bool_mask[..., 0] = False  # every row keeps a key
    for extra in [dict(attn_mask=float_mask), dict(key_padding_mask=pad), dict(attn_mask=bool_mask, key_padding_mask=pad),
                  dict(attn_mask=float_mask, add_zero_attn=True), dict(key_padding_mask=pad, need_weights=False)]:
        args_x = dict(args, add_zero_attn=extra.pop("add_zero_attn", False))
        _mha_compare(qkv, args_x, **extra)
    causal = torch.triu(torch.full((3, 5), float("-inf"), dtype=torch.float64), 1)
    _, plain = _mha_args()
    _mha_compare(qkv, plain, attn_mask=causal, is_causal=True, need_weights=False)
    _mha_compare(qkv, plain, attn_mask=causal, is_causal=True)
    # static keys and values replace the projected ones: (N * H, S', head_dim)
    static_k = torch.randn(4, 6, 4, generator=gen, dtype=torch.float64)
    static_v = torch.randn(4, 6, 4, generator=gen, dtype=torch.float64)
    _mha_compare(qkv, plain, static_k=static_k, static_v=static_v)


def test_multi_head_attention_forward_gradcheck_dropout_and_errors():
    (q, k, v), args = _mha_args(E=4, H=2, L=2, S=3, N=1)
    tensors = [n for n, t in args.items() if isinstance(t, torch.Tensor)]

    def fn(q_, k_, v_, *ts):
        return F.multi_head_attention_forward(q_, k_, v_, **dict(args, **dict(zip(tensors, ts))))[0]
    assert tg.autograd.gradcheck(fn, [to_tg(t) for t in (q, k, v, *[args[n] for n in tensors])])
    qg, kg, vg = to_tg(q), to_tg(k), to_tg(v)
    targs = {n: (to_tg(t) if isinstance(t, torch.Tensor) else t) for n, t in args.items()}
    out, w = F.multi_head_attention_forward(qg, kg, vg, **dict(targs, dropout_p=1.0 - 1e-9))
    assert np.isfinite(out.detach().numpy()).all() and np.all(w.detach().numpy() == 0)
    out_eval, _ = F.multi_head_attention_forward(qg, kg, vg, **dict(targs, dropout_p=0.9, training=False))
    assert_close(out_eval, TF.multi_head_attention_forward(q, k, v, **dict(args, dropout_p=0.9, training=False))[0])
    with pytest.raises(AssertionError, match="embedding dimension"):
        F.multi_head_attention_forward(qg, kg, vg, **dict(targs, embed_dim_to_check=5))
    with pytest.raises(AssertionError, match="divisible"):
        F.multi_head_attention_forward(qg, kg, vg, **dict(targs, num_heads=3))
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        F.multi_head_attention_forward(qg, kg, vg, **dict(targs, attn_mask=tg.zeros(2, 2, dtype=tg.float64)))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        F.multi_head_attention_forward(qg, kg, vg, **dict(targs, is_causal=True))
    with pytest.raises(AssertionError, match="3D"):
        F.multi_head_attention_forward(qg.unsqueeze(0), kg, vg, **targs)
