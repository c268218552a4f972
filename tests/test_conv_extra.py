"""The CNN ops' remaining surface against torch: float16/bfloat16 and integer inputs, anti-aliased
interpolate, 3-D grid_sample, the lazy conv/batch-norm modules, Conv's padding modes through F.pad,
torch.native_*_norm, and edge cases op_db found (negative divisor_override, empty batch_norm input)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tests.nn_helpers import assert_close, compare, rand_t, to_tg


def _reduced(t, dtype):
    """(tg, torch) copies of a float32 torch tensor in float16 or bfloat16."""
    return to_tg(t.float()).to(getattr(tg, dtype)), t.float().to(getattr(torch, dtype))


def _close_reduced(out_g, out_t, atol):
    assert str(out_g.dtype).split(".")[-1] == str(out_t.dtype).split(".")[-1]
    np.testing.assert_allclose(out_g.float().detach().numpy(), out_t.float().detach().numpy(), rtol=atol, atol=atol)


# ---- float16 / bfloat16: computed in float32, rounded once ----
_REDUCED_OPS = {
    "conv2d": (lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3)]),
    "conv_transpose1d": (lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2), [(2, 3, 5), (3, 2, 3)]),
    "max_pool2d": (lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(2, 3, 6, 6)]),
    "avg_pool2d": (lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1), [(1, 2, 6, 7)]),
    "adaptive_max_pool2d": (lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 3), [(2, 3, 7, 5)]),
    "batch_norm": (lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True), [(4, 3, 5)]),
    "layer_norm": (lambda lib, x: lib.nn.functional.layer_norm(x, (5,)), [(4, 3, 5)]),
    "group_norm": (lambda lib, x: lib.nn.functional.group_norm(x, 3), [(2, 6, 4)]),
    "interpolate": (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"), [(1, 2, 3, 4)]),
    "unfold": (lambda lib, x: lib.nn.functional.unfold(x, 2), [(1, 2, 4, 4)]),
    "pad": (lambda lib, x: lib.nn.functional.pad(x, (1, 2), mode="reflect"), [(2, 3, 5)]),
    "grid_sample": (lambda lib, x, g: lib.nn.functional.grid_sample(x, g, align_corners=False),
                    [(1, 2, 4, 5), (1, 3, 3, 2)]),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", sorted(_REDUCED_OPS))
def test_reduced_float_matches_torch(name, dtype):
    fn, shapes = _REDUCED_OPS[name]
    pairs = [_reduced(rand_t(s, torch.float32, seed=i, requires_grad=False) * (0.5 if i else 1), dtype)
             for i, s in enumerate(shapes)]
    ins_g = [p[0].requires_grad_(True) for p in pairs]
    ins_t = [p[1].requires_grad_(True) for p in pairs]
    out_g, out_t = fn(tg, *ins_g), fn(torch, *ins_t)
    atol = 2e-2 if dtype == "bfloat16" else 4e-3
    _close_reduced(out_g, out_t, atol)
    up = rand_t(tuple(out_t.shape), torch.float32, seed=9, requires_grad=False)
    out_g.backward(to_tg(up).to(out_g.dtype))
    out_t.backward(up.to(out_t.dtype))
    for a, b in zip(ins_g, ins_t):
        _close_reduced(a.grad, b.grad, 5 * atol)


# ---- integer inputs ----
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_max_pool_integer_inputs(dtype):
    x = torch.randint(0, 100, (2, 3, 6, 7)).to(getattr(torch, dtype))
    out_g, idx_g = F.max_pool2d(to_tg(x), 3, stride=2, padding=1, return_indices=True)
    out_t, idx_t = TF.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    assert_close(out_g, out_t, 0, 0)
    assert np.array_equal(idx_g.numpy(), idx_t.numpy())
    assert_close(F.max_pool3d(to_tg(x), 2), TF.max_pool3d(x, 2), 0, 0)


def test_integer_avg_pool_interpolate_unfold():
    x = torch.randint(-50, 50, (2, 3, 6, 7))
    for kw in ({}, {"padding": 1, "count_include_pad": False}, {"divisor_override": 3}):  # truncating division
        assert_close(F.avg_pool2d(to_tg(x), 3, **kw), TF.avg_pool2d(x, 3, **kw), 0, 0)
    u8 = torch.randint(0, 255, (1, 2, 3, 4), dtype=torch.uint8)
    for mode in ("nearest", "nearest-exact"):
        assert_close(F.interpolate(to_tg(u8), scale_factor=1.7, mode=mode),
                     TF.interpolate(u8, scale_factor=1.7, mode=mode), 0, 0)
    b = torch.rand(1, 2, 4, 4) > 0.5
    assert_close(F.unfold(to_tg(b), 2, padding=1), TF.unfold(b, 2, padding=1), 0, 0)
    i64 = torch.randint(-5, 5, (1, 6, 3))
    assert_close(F.local_response_norm(to_tg(i64), 3), TF.local_response_norm(i64, 3))


# ---- antialias ----
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(3, 5), (2, 2), (13, 4), (20, 25)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_antialias_matches_torch(mode, size, align_corners):
    x = rand_t((2, 3, 9, 11))
    compare(lambda x: F.interpolate(x, size=size, mode=mode, align_corners=align_corners, antialias=True),
            lambda x: TF.interpolate(x, size=size, mode=mode, align_corners=align_corners, antialias=True), x,
            rtol=1e-6, atol=1e-9)


def test_interpolate_antialias_scale_factor_and_gradcheck():
    x = rand_t((1, 2, 8, 6))
    compare(lambda x: F.interpolate(x, scale_factor=0.4, mode="bilinear", antialias=True),
            lambda x: TF.interpolate(x, scale_factor=0.4, mode="bilinear", antialias=True), x, atol=1e-9)
    xg = to_tg(x)
    assert tg.autograd.gradcheck(lambda x: F.interpolate(x, size=(3, 2), mode="bicubic", antialias=True), [xg])


# ---- 3-D grid_sample ----
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_3d_matches_torch(mode, padding_mode, align_corners):
    x = rand_t((2, 3, 4, 5, 3))
    grid = (rand_t((2, 2, 3, 4, 3), seed=1) * 0.8).detach().requires_grad_(mode == "bilinear")
    compare(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
            lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners), x, grid, atol=1e-9)


def test_grid_sample_3d_gradcheck_and_errors():
    x = to_tg(rand_t((1, 2, 3, 3, 4)))
    g = to_tg(rand_t((1, 2, 2, 3, 3), seed=2) * 0.7)
    assert tg.autograd.gradcheck(lambda x, g: F.grid_sample(x, g, align_corners=True, padding_mode="border"), [x, g])
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(x, g, mode="bicubic", align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid to have size 3 in last dimension"):
        F.grid_sample(x, g[..., :2], align_corners=False)


# ---- lazy modules ----
@pytest.mark.parametrize("name,args,shape", [
    ("LazyConv1d", (4, 3), (2, 3, 9)), ("LazyConv2d", (4, 3), (3, 6, 6)), ("LazyConv3d", (2, 2), (1, 2, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5)), ("LazyConvTranspose2d", (2, 3), (2, 4, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), (1, 2, 3, 3, 3))])
def test_lazy_conv_materializes_and_matches_torch(name, args, shape):
    tg.manual_seed(0)
    m, mt = getattr(tg.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert isinstance(m.weight, tg.nn.UninitializedParameter) and m.has_uninitialized_params()
    x = rand_t(shape, torch.float32, requires_grad=False)
    y = m(to_tg(x))
    mt(x)
    eager = name.replace("Lazy", "")
    assert type(m).__name__ == eager and type(mt).__name__ == eager
    assert tuple(m.weight.shape) == tuple(mt.weight.shape) and tuple(m.bias.shape) == tuple(mt.bias.shape)
    assert repr(m) == repr(mt)
    mt.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in m.state_dict().items()})
    assert_close(y, mt(x), 1e-5, 1e-5)


def test_lazy_conv_groups_and_no_bias():
    m = tg.nn.LazyConv2d(4, 3, groups=2, bias=False)
    m(tg.randn(1, 6, 5, 5))
    assert tuple(m.weight.shape) == (4, 3, 3, 3) and m.bias is None
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        tg.nn.LazyConv2d(4, 3, groups=2)(tg.randn(1, 5, 5, 5))


@pytest.mark.parametrize("name,shape", [("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm1d", (4, 3, 5)),
                                        ("LazyBatchNorm2d", (4, 3, 2, 2)), ("LazyBatchNorm3d", (2, 3, 2, 2, 2))])
def test_lazy_batch_norm_matches_torch(name, shape):
    m, mt = getattr(tg.nn, name)(), getattr(torch.nn, name)()
    x = rand_t(shape, torch.float32, requires_grad=False)
    for _ in range(2):
        assert_close(m(to_tg(x)), mt(x), 1e-5, 1e-5)
    assert type(m).__name__ == name.replace("Lazy", "") and repr(m) == repr(mt)
    for key, value in mt.state_dict().items():
        assert_close(m.state_dict()[key], value, 1e-5, 1e-6)
    m.eval(), mt.eval()
    assert_close(m(to_tg(x)), mt(x), 1e-5, 1e-5)


def test_lazy_batch_norm_loads_state_dict():
    src = tg.nn.BatchNorm2d(3)
    src(tg.randn(4, 3, 2, 2))
    lazy = tg.nn.LazyBatchNorm2d()
    lazy.load_state_dict(src.state_dict())
    assert tuple(lazy.running_mean.shape) == (3,)
    assert np.allclose(lazy.running_var.numpy(), src.running_var.numpy())


# ---- Conv padding modes (through F.pad) ----
@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nsp", [1, 2, 3])
def test_conv_padding_modes_match_torch(padding_mode, nsp):
    cls = ("Conv1d", "Conv2d", "Conv3d")[nsp - 1]
    m = getattr(tg.nn, cls)(2, 3, 3, padding=(1, 2, 1)[:nsp] if nsp > 1 else 2, padding_mode=padding_mode)
    mt = getattr(torch.nn, cls)(2, 3, 3, padding=(1, 2, 1)[:nsp] if nsp > 1 else 2, padding_mode=padding_mode)
    m.double(), mt.double()
    mt.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in m.state_dict().items()})
    x = rand_t((2, 2) + (5, 4, 3)[:nsp])
    compare(lambda x: m(x), lambda x: mt(x), x, atol=1e-9)
    compare(lambda x: m(x), lambda x: mt(x), x[0].detach().requires_grad_(True), atol=1e-9)  # unbatched


# ---- torch.native_*_norm ----
def test_native_norms_match_torch():
    x = rand_t((3, 4, 5))
    w, b = rand_t((4,), seed=1), rand_t((4,), seed=2)
    for out_g, out_t in zip(tg.native_batch_norm(to_tg(x), to_tg(w), to_tg(b), None, None, True, 0.1, 1e-5),
                            torch.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5)):
        assert_close(out_g, out_t, 1e-7, 1e-9)
    for out_g, out_t in zip(tg.native_layer_norm(to_tg(x), (4, 5), None, None, 1e-5),
                            torch.native_layer_norm(x, (4, 5), None, None, 1e-5)):
        assert_close(out_g, out_t, 1e-7, 1e-9)
    for out_g, out_t in zip(tg.native_group_norm(to_tg(x), to_tg(w), to_tg(b), 3, 4, 5, 2, 1e-5),
                            torch.native_group_norm(x, w, b, 3, 4, 5, 2, 1e-5)):
        assert_close(out_g, out_t, 1e-7, 1e-9)
    rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    outs = tg.native_batch_norm(to_tg(x), None, None, to_tg(rm), to_tg(rv), False, 0.1, 1e-5)
    assert [tuple(o.shape) for o in outs[1:]] == [(0,), (0,)]


# ---- edge cases ----
def test_avg_pool_negative_divisor_and_empty_batch_norm():
    x = rand_t((1, 1, 4, 4))
    compare(lambda x: F.avg_pool2d(x, 2, divisor_override=-2), lambda x: TF.avg_pool2d(x, 2, divisor_override=-2), x)
    e = rand_t((0,))
    compare(lambda x: F.batch_norm(x, tg.zeros(0, dtype=tg.float64), tg.ones(0, dtype=tg.float64), training=True),
            lambda x: TF.batch_norm(x, torch.zeros(0, dtype=torch.float64), torch.ones(0, dtype=torch.float64),
                                    training=True), e)
    with pytest.raises(RuntimeError, match="running_mean should contain 0 elements not 3"):
        F.batch_norm(tg.randn(3), tg.zeros(3), tg.ones(3), training=True)
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        F.adaptive_avg_pool2d(tg.randn(2, 2), (2, 2))
    with pytest.raises(RuntimeError, match="Expected 3-dimensional input for 3-dimensional weight"):
        F.conv2d(tg.randn(1, 1, 4, 3), tg.randn(1, 2, 2), padding="same")
