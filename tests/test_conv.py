"""conv1d/2d/3d and conv_transpose1d/2d/3d against torch: values, gradients, double backward, modules, errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tests.nn_helpers import assert_close, compare, rand_t, to_tg

CONV = {1: (F.conv1d, TF.conv1d), 2: (F.conv2d, TF.conv2d), 3: (F.conv3d, TF.conv3d)}
CONVT = {1: (F.conv_transpose1d, TF.conv_transpose1d), 2: (F.conv_transpose2d, TF.conv_transpose2d),
         3: (F.conv_transpose3d, TF.conv_transpose3d)}


@st.composite
def conv_cases(draw, transposed=False):
    nsp = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k = [draw(st.integers(1, 3)) for _ in range(nsp)]
    s = [draw(st.integers(1, 3)) for _ in range(nsp)]
    d = [draw(st.integers(1, 2)) for _ in range(nsp)]
    p = [draw(st.integers(0, 2)) for _ in range(nsp)]
    eff = [di * (ki - 1) + 1 for di, ki in zip(d, k)]
    size = [draw(st.integers(max(1, e - 2 * pi), max(1, e - 2 * pi) + 4)) for e, pi in zip(eff, p)]
    if transposed:
        # output padding below max(stride, dilation); the output size must stay positive
        op = [draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d)]
        size = [draw(st.integers(1, 4)) for _ in range(nsp)]
        if any((n - 1) * si - 2 * pi + e + o <= 0 for n, si, pi, e, o in zip(size, s, p, eff, op)):
            p = [0] * nsp
        return dict(nsp=nsp, n=draw(st.integers(0, 3)), cin=cin, cout=cout, k=k, s=s, p=p, d=d, op=op, size=size,
                    groups=groups, bias=draw(st.booleans()), strided=draw(st.booleans()))
    return dict(nsp=nsp, n=draw(st.integers(0, 3)), cin=cin, cout=cout, k=k, s=s, p=p, d=d, size=size,
                groups=groups, bias=draw(st.booleans()), strided=draw(st.booleans()))


def _input(c, channels, dtype=torch.float64):
    """The input leaf; with c['strided'], twice as wide in the last dim (the op sees [..., ::2])."""
    shape = [c["n"], channels] + c["size"]
    if c["strided"]:
        shape[-1] *= 2
    return rand_t(shape, dtype, seed=1)


def _view(x, c):
    return x[..., ::2] if c["strided"] else x


@given(conv_cases())
def test_conv_matches_torch(c):
    ftg, fth = CONV[c["nsp"]]
    x = _input(c, c["cin"])
    w = rand_t([c["cout"], c["cin"] // c["groups"]] + c["k"], seed=2)
    b = rand_t([c["cout"]], seed=3) if c["bias"] else None
    args = dict(stride=c["s"], padding=c["p"], dilation=c["d"], groups=c["groups"])
    compare(lambda x, w, b=None: ftg(_view(x, c), w, b, **args),
            lambda x, w, b=None: fth(_view(x, c), w, b, **args), x, w, *([b] if b is not None else []),
            rtol=1e-7, atol=1e-9)


@given(conv_cases(transposed=True))
def test_conv_transpose_matches_torch(c):
    ftg, fth = CONVT[c["nsp"]]
    x = _input(c, c["cin"])
    w = rand_t([c["cin"], c["cout"] // c["groups"]] + c["k"], seed=2)
    b = rand_t([c["cout"]], seed=3) if c["bias"] else None
    args = dict(stride=c["s"], padding=c["p"], output_padding=c["op"], groups=c["groups"], dilation=c["d"])
    compare(lambda x, w, b=None: ftg(_view(x, c), w, b, **args),
            lambda x, w, b=None: fth(_view(x, c), w, b, **args), x, w, *([b] if b is not None else []),
            rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("case", [
    dict(x=(2, 1, 28, 28), w=(6, 1, 5, 5), padding=2),                # LeNet
    dict(x=(2, 6, 14, 14), w=(16, 6, 5, 5)),
    dict(x=(2, 8, 9, 9), w=(8, 1, 3, 3), padding=1, groups=8),        # depthwise
    dict(x=(2, 16, 7, 7), w=(4, 16, 1, 1)),                           # 1x1
    dict(x=(2, 4, 9, 8), w=(6, 4, 3, 3), stride=2, padding=1),
])
def test_conv2d_float32_shapes(case):
    case = dict(case)
    x = rand_t(case.pop("x"), torch.float32, seed=4)
    w = rand_t(case.pop("w"), torch.float32, seed=5)
    b = rand_t((w.shape[0],), torch.float32, seed=6)
    compare(lambda x, w, b: F.conv2d(x, w, b, **case), lambda x, w, b: TF.conv2d(x, w, b, **case), x, w, b,
            rtol=1e-4, atol=1e-4)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (2, 3), (4, 2)])
def test_padding_strings(padding, k, d):
    x, w = rand_t((2, 3, 9, 8)), rand_t((4, 3, k, k), seed=1)
    compare(lambda x, w: F.conv2d(x, w, padding=padding, dilation=d),
            lambda x, w: TF.conv2d(x, w, padding=padding, dilation=d), x, w, rtol=1e-7, atol=1e-9)
    if padding == "same" and d * (k - 1) % 2:
        with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
            F.conv2d(to_tg(x), to_tg(w), padding="same", dilation=d)


def test_unbatched_and_torch_namespace():
    x, w, b = rand_t((3, 7, 6)), rand_t((4, 3, 3, 3), seed=1), rand_t((4,), seed=2)
    compare(lambda x, w, b: tg.conv2d(x, w, b, padding=1), lambda x, w, b: torch.conv2d(x, w, b, padding=1), x, w, b)
    compare(lambda x, w: tg.conv_transpose2d(x, w, stride=2), lambda x, w: torch.conv_transpose2d(x, w, stride=2),
            rand_t((3, 4, 5)), rand_t((3, 2, 3, 3), seed=3))


def test_gradcheck_float64():
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 4, 5, 4)), requires_grad=True)
    w = tg.tensor(np.random.default_rng(1).standard_normal((6, 2, 3, 2)), requires_grad=True)
    b = tg.tensor(np.random.default_rng(2).standard_normal(6), requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                                          groups=2), [x, w, b])
    wt = tg.tensor(np.random.default_rng(3).standard_normal((4, 3, 2, 3)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1,
                                                                 groups=2), [x, wt])


@pytest.mark.parametrize("transposed", [False, True])
def test_double_backward(transposed):
    """Second derivatives through the gradient formulas (themselves convolutions) match torch's."""
    x = rand_t((2, 4, 6, 5), seed=1)
    w = rand_t((4, 2, 3, 3), seed=2)
    kw = dict(stride=2, padding=1, groups=2)
    if transposed:
        kw["output_padding"] = 1
    fth = TF.conv_transpose2d if transposed else TF.conv2d
    ftg = F.conv_transpose2d if transposed else F.conv2d
    y = fth(x, w, **kw)
    up = rand_t(y.shape, requires_grad=False, seed=3)
    gx, gw = torch.autograd.grad(y, (x, w), up, create_graph=True)
    (gx.square().sum() + (gw * gw.detach()).sum()).backward()
    xt, wt = to_tg(x), to_tg(w)
    yt = ftg(xt, wt, **kw)
    gxt, gwt = tg.autograd.grad(yt, (xt, wt), to_tg(up), create_graph=True)
    assert_close(gxt, gx, 1e-7, 1e-9)
    assert_close(gwt, gw, 1e-7, 1e-9)
    (gxt.square().sum() + (gwt * gwt.detach()).sum()).backward()
    assert_close(xt.grad, x.grad, 1e-7, 1e-9)
    assert_close(wt.grad, w.grad, 1e-7, 1e-9)


CTORS = ["Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)", "Conv2d(3, 8, 3, padding='same', bias=False)",
         "Conv2d(3, 4, (2, 3), padding=2, padding_mode='reflect')", "Conv2d(3, 4, 3, padding=1, padding_mode='replicate')",
         "Conv3d(2, 4, 3, padding=(1, 0, 2), padding_mode='circular')", "ConvTranspose1d(4, 6, 3, stride=2, groups=2)",
         "ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)", "ConvTranspose3d(2, 3, 2, dilation=2)"]


@pytest.mark.parametrize("ctor", CTORS)
def test_modules_load_torch_state_dict(ctor):
    torch.manual_seed(0)
    tm = eval("torch.nn." + ctor)
    m = eval("nn." + ctor)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in m.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    nsp = int(ctor.split("(")[0][-2])
    x = torch.randn([2, tm.in_channels] + [7] * nsp)
    assert_close(m(to_tg(x)), tm(x), 1e-5, 1e-5)


def test_default_init_bounds_and_output_size():
    tg.manual_seed(0)
    m = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound and np.abs(b).max() <= bound
    tt = torch.nn.ConvTranspose2d(3, 4, 3, stride=2)
    mt = nn.ConvTranspose2d(3, 4, 3, stride=2)
    mt.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tt.state_dict().items()})
    x = torch.randn(1, 3, 5, 5)
    assert_close(mt(to_tg(x), output_size=[12, 12]), tt(x, output_size=[12, 12]), 1e-5, 1e-5)
    with pytest.raises(ValueError):
        mt(to_tg(x), output_size=[14, 14])


def test_summary_of_a_cnn():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(6),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 10))
    info = tg.summary(net, (1, 28, 28), print_fn=None)
    assert [l[1] for l in info["layers"]] == [[-1, 6, 28, 28], [-1, 6, 28, 28], [-1, 6, 14, 14], [-1, 6, 14, 14],
                                              [-1, 6, 1, 1], [-1, 6], [-1, 10]]
    assert info["total_params"] == 156 + 12 + 70


ERRORS = [
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 5, 5)), "Kernel size can't be greater"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 2, 3, 3)), "to have 2 channels, but got 3"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), groups=2), "to have 6 channels"),
    (lambda: F.conv2d(tg.randn(2, 4, 4, 4), tg.randn(3, 2, 3, 3), groups=2), "divisible by 2"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), stride=0), "non-positive stride"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), padding=-1), "negative padding"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), dilation=0), "non-positive dilation"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), groups=0), "non-positive groups"),
    (lambda: F.conv2d(tg.randn(4, 4), tg.randn(4, 3, 3, 3)), "Expected 3D \\(unbatched\\) or 4D"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), tg.randn(3)), "expected bias to be 1-dimensional"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3, dtype=tg.float64)), "should be the same"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), padding="foo"), "Invalid padding string"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), padding="same", stride=2), "strided"),
    (lambda: F.conv2d(tg.randn(2, 3, 0, 4), tg.randn(4, 3, 3, 3)), "Kernel size can't be greater"),
    (lambda: F.conv_transpose2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3)), "to have 4 channels"),
    (lambda: F.conv_transpose2d(tg.randn(2, 3, 4, 4), tg.randn(3, 3, 3, 3), output_padding=1), "output padding"),
    (lambda: F.conv2d(tg.randn(2, 3, 4, 4), tg.randn(4, 3, 3, 3), stride=(1, 1, 1)), "stride"),
]


@pytest.mark.parametrize("fn,match", ERRORS)
def test_bad_input_raises_runtime_error(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn()


@pytest.mark.parametrize("kwargs,match", [(dict(groups=2), "in_channels must be divisible"),
                                          (dict(groups=0), "groups must be a positive"),
                                          (dict(padding_mode="foo"), "padding_mode must be one of"),
                                          (dict(padding="same", stride=2), "strided"),
                                          (dict(padding="full"), "Invalid padding string")])
def test_module_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(3, 4, 3, **kwargs)


def test_zero_batch_and_empty_output():
    x, w = rand_t((0, 3, 5, 5)), rand_t((4, 3, 3, 3), seed=1)
    compare(lambda x, w: F.conv2d(x, w), lambda x, w: TF.conv2d(x, w), x, w)
    y = F.conv_transpose2d(tg.randn(2, 3, 4, 4), tg.randn(3, 3, 3, 3), padding=3)
    assert tuple(y.shape) == tuple(TF.conv_transpose2d(torch.randn(2, 3, 4, 4), torch.randn(3, 3, 3, 3),
                                                        padding=3).shape)


def test_weight_gradient_is_independent_of_thread_count():
    x, w = tg.randn(37, 3, 9, 9), tg.randn(5, 3, 3, 3, requires_grad=True)
    n = tg.get_num_threads()
    grads = []
    for threads in (1, 3):
        tg.set_num_threads(threads)
        w.grad = None
        F.conv2d(x, w, padding=1).sum().backward()
        grads.append(w.grad.numpy().copy())
    tg.set_num_threads(n)
    assert np.array_equal(grads[0], grads[1])


def test_channels_last_is_accepted():
    """memory_format=tg.channels_last is taken where torch takes it; tg computes in NCHW (same values)."""
    torch.manual_seed(0)
    tm = torch.nn.Conv2d(3, 4, 3, padding=1).to(memory_format=torch.channels_last)
    m = nn.Conv2d(3, 4, 3, padding=1).to(memory_format=tg.channels_last)
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = torch.randn(2, 3, 6, 5)
    y = m(to_tg(x).contiguous(memory_format=tg.channels_last).to(memory_format=tg.channels_last))
    assert_close(y, tm(x.contiguous(memory_format=torch.channels_last)), 1e-5, 1e-5)
    assert repr(tg.channels_last) == "tinygrad_ext.channels_last"
    assert to_tg(x).to(tg.float64).dtype == tg.float64
    with pytest.raises(TypeError, match="memory_format"):
        to_tg(x).contiguous(memory_format="channels_last")


# ---- integer convolution (exact, in int64, wrapping as torch's) ----
@given(conv_cases(), st.sampled_from([torch.int64, torch.int32, torch.uint8, torch.int8]))
def test_integer_conv_matches_torch(c, dtype):
    if dtype != torch.int64:
        c["d"] = [1] * c["nsp"]  # torch's small-integer kernels refuse dilation
    gen = torch.Generator().manual_seed(0)
    shape = [c["n"], c["cin"]] + c["size"]
    x = torch.randint(-100, 100, shape, generator=gen).to(dtype)
    w = torch.randint(-100, 100, [c["cout"], c["cin"] // c["groups"]] + c["k"], generator=gen).to(dtype)
    b = torch.randint(-100, 100, [c["cout"]], generator=gen).to(dtype) if c["bias"] else None
    ftg, fth = CONV[c["nsp"]]
    kw = dict(stride=c["s"], padding=c["p"], dilation=c["d"], groups=c["groups"])
    try:
        expected = fth(x, w, b, **kw)
    except RuntimeError:  # a kernel larger than the padded input: checked elsewhere
        return
    got = ftg(to_tg(x), to_tg(w), None if b is None else to_tg(b), **kw)
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@given(conv_cases(transposed=True))
def test_int64_conv_transpose_matches_torch(c):
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(-50, 50, [c["n"], c["cin"]] + c["size"], generator=gen)
    w = torch.randint(-50, 50, [c["cin"], c["cout"] // c["groups"]] + c["k"], generator=gen)
    b = torch.randint(-50, 50, [c["cout"]], generator=gen) if c["bias"] else None
    ftg, fth = CONVT[c["nsp"]]
    kw = dict(stride=c["s"], padding=c["p"], output_padding=c["op"], dilation=c["d"], groups=c["groups"])
    expected = fth(x, w, b, **kw)
    got = ftg(to_tg(x), to_tg(w), None if b is None else to_tg(b), **kw)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_integer_conv_wraps_around_and_refuses_what_torch_refuses():
    x, w = torch.full((1, 1, 3), 2 ** 62), torch.full((1, 1, 2), 4)
    np.testing.assert_array_equal(F.conv1d(to_tg(x), to_tg(w)).numpy(), TF.conv1d(x, w).numpy())
    x8, w8 = torch.full((1, 1, 3), 100, dtype=torch.uint8), torch.full((1, 1, 2), 200, dtype=torch.uint8)
    np.testing.assert_array_equal(F.conv1d(to_tg(x8), to_tg(w8)).numpy(), TF.conv1d(x8, w8).numpy())
    for call in [lambda F, m: F.conv_transpose2d(m.ones(1, 1, 3, 3, dtype=m.int32), m.ones(1, 1, 2, 2, dtype=m.int32)),
                 lambda F, m: F.conv2d(m.ones(1, 1, 3, 3, dtype=m.int32), m.ones(1, 1, 2, 2, dtype=m.int32),
                                       dilation=2),
                 lambda F, m: F.conv2d(m.ones(1, 1, 3, 3, dtype=m.bool), m.ones(1, 1, 2, 2, dtype=m.bool)),
                 lambda F, m: F.conv3d(m.ones(1, 1, 3, 3, 3, dtype=m.bool), m.ones(1, 1, 2, 2, 2, dtype=m.bool))]:
        with pytest.raises(NotImplementedError) as expected:
            call(TF, torch)
        with pytest.raises(NotImplementedError) as got:
            call(F, tg)
        assert str(got.value) == str(expected.value)
