"""pad (every mode), interpolate/upsample, pixel/channel shuffles, fold/unfold, affine_grid and grid_sample
against torch: values, gradients (float64 gradcheck, double backward where linear) and torch's errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings, strategies as st

import tinygrad_ext as tg
import tinygrad_ext.nn.functional as F
from tests.nn_helpers import compare, rand_t, to_tg
from tests.test_norm_layers import gradgradcheck


# ---- pad ----
@settings(max_examples=25)
@given(data=st.data(), mode=st.sampled_from(["reflect", "replicate", "circular", "constant"]),
       k=st.integers(1, 3), batched=st.booleans(), transposed=st.booleans())
def test_pad_matches_torch(data, mode, k, batched, transposed):
    spatial = data.draw(st.lists(st.integers(2, 4), min_size=k, max_size=k))
    shape = ([2] if batched else []) + [3] + spatial
    lim = {"reflect": lambda s: s - 1, "replicate": lambda s: 3, "circular": lambda s: s, "constant": lambda s: 2}[mode]
    pads = []
    for s in reversed(spatial):
        pads += [data.draw(st.integers(-1, lim(s))), data.draw(st.integers(-1, lim(s)))]
        if mode == "circular":  # torch wraps around the cropped size; wider pads read unwritten memory there
            assume(max(pads[-2:]) <= s - max(-pads[-2], 0) - max(-pads[-1], 0))
    x = rand_t(shape)
    if transposed:
        x = x.detach().transpose(-1, -2).contiguous().transpose(-1, -2).requires_grad_(True)
    compare(lambda x: F.pad(x, pads, mode), lambda x: TF.pad(x, pads, mode), x)


def test_pad_int_and_float32_and_gradcheck():
    xi = torch.arange(24).reshape(2, 3, 4)
    for mode in ("reflect", "replicate", "circular"):
        assert np.array_equal(F.pad(to_tg(xi), (2, 1), mode).numpy(), TF.pad(xi, (2, 1), mode).numpy())
        compare(lambda x: F.pad(x, (1, 2, 2, 1), mode), lambda x: TF.pad(x, (1, 2, 2, 1), mode),
                rand_t((2, 3, 4, 5), torch.float32))
        x = to_tg(rand_t((1, 2, 3, 3, 4)))
        assert tg.autograd.gradcheck(lambda x: F.pad(x, (1, 2, 0, 2, 2, 1), mode), [x])
        gradgradcheck(lambda x: F.pad(x, (2, 1, 1, 0), mode), to_tg(rand_t((2, 3, 4))))


@pytest.mark.parametrize("call", [
    lambda F, x: F.pad(x, (4, 1), "reflect"),
    lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1), "reflect"),
    lambda F, x: F.pad(x[0, 0], (1, 1), "reflect"),
    lambda F, x: F.pad(x, (1,), "reflect"),
    lambda F, x: F.pad(x, (5, 1), "circular"),
    lambda F, x: F.pad(x, (-3, -2), "circular"),
    lambda F, x: F.pad(x[:, :, :0], (1, 1), "replicate"),
    lambda F, x: F.pad(x, (1, 1), "foo"),
    lambda F, x: F.pad(x, (1, 1), "reflect", 2.0),
    lambda F, x: F.pad(x, (1,) * 8, "reflect"),
    lambda F, x: F.pad(x, (1,) * 8, "constant"),
    lambda F, x: F.pad(x, (1, 1, 1), "constant"),
    lambda F, x: F.pad(x.bool(), (1, 1), "replicate"),
    lambda F, x: F.pad(x[:, :0], (1, 1), "reflect"),
    lambda F, x: F.pad(x, (0, -4), "replicate"),
])
def test_pad_bad_input_raises_like_torch(call):
    check_raises_like_torch(call, torch.randn(2, 3, 4))


def check_raises_like_torch(call, xt):
    with pytest.raises(Exception) as expected:
        call(TF, xt)
    with pytest.raises(expected.type):
        call(F, to_tg(xt))


# ---- interpolate ----
_MODES = {1: ["nearest", "nearest-exact", "linear", "area"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic",
                                                                  "area"], 3: ["nearest", "nearest-exact", "trilinear",
                                                                               "area"]}


@settings(max_examples=30)
@given(data=st.data(), k=st.integers(1, 3), align=st.booleans(), by_scale=st.booleans(), recompute=st.booleans())
def test_interpolate_matches_torch(data, k, align, by_scale, recompute):
    mode = data.draw(st.sampled_from(_MODES[k]))
    spatial = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    x = rand_t([2, 2] + spatial)
    kw = {"mode": mode}
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kw["align_corners"] = align
    if by_scale:
        kw["scale_factor"] = data.draw(st.lists(st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.3, 3.0]), min_size=k,
                                                max_size=k)).copy()
        if any(int(s * f) == 0 for s, f in zip(spatial, kw["scale_factor"])):
            kw["scale_factor"] = [2.0] * k
        kw["recompute_scale_factor"] = recompute
    else:
        kw["size"] = data.draw(st.lists(st.integers(1, 7), min_size=k, max_size=k))
    compare(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), x)


def test_interpolate_float32_noncontiguous_and_gradcheck():
    xt = rand_t((2, 3, 5, 4), torch.float32).detach().transpose(2, 3).requires_grad_(True)
    for mode, extra in [("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": True}),
                        ("nearest", {}), ("area", {})]:
        compare(lambda x: F.interpolate(x, size=(7, 3), mode=mode, **extra),
                lambda x: TF.interpolate(x, size=(7, 3), mode=mode, **extra), xt, rtol=1e-4, atol=1e-5)
        x = to_tg(rand_t((1, 2, 3, 4)))
        assert tg.autograd.gradcheck(lambda x: F.interpolate(x, size=(5, 3), mode=mode, **extra), [x])
    gradgradcheck(lambda x: F.interpolate(x, scale_factor=2.0, mode="linear"), to_tg(rand_t((1, 2, 3))))


def test_upsample_aliases_warn_and_match():
    xt = rand_t((1, 2, 3, 3))
    for name, kw in [("upsample", {"size": 5, "mode": "bilinear"}), ("upsample_nearest", {"scale_factor": 2}),
                     ("upsample_bilinear", {"size": (4, 6)})]:
        with pytest.warns(UserWarning, match="deprecated"):
            out = getattr(F, name)(to_tg(xt), **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = getattr(TF, name)(xt, **kw)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda F, x: F.interpolate(x, size=5, mode="bilinear"),
    lambda F, x: F.interpolate(x, size=5, mode="nearest", align_corners=True),
    lambda F, x: F.interpolate(x),
    lambda F, x: F.interpolate(x, size=5, scale_factor=2),
    lambda F, x: F.interpolate(x, size=(5, 5)),
    lambda F, x: F.interpolate(x, scale_factor=(2, 2)),
    lambda F, x: F.interpolate(x, size=5, mode="foo"),
    lambda F, x: F.interpolate(x, size=0),
    lambda F, x: F.interpolate(x, scale_factor=0.1),
    lambda F, x: F.interpolate(x[0], size=5),
    lambda F, x: F.interpolate(x, size=5, recompute_scale_factor=True),
    lambda F, x: F.interpolate(x.long(), size=5),
    lambda F, x: F.interpolate(x, size=5, mode="linear", antialias=True),
    lambda F, x: F.interpolate(x[:, :0], size=5),
])
def test_interpolate_bad_input_raises_like_torch(call):
    check_raises_like_torch(call, torch.randn(2, 3, 4))


# ---- shuffles, fold / unfold ----
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((1, 2, 9, 2, 3), 3), ((4, 1, 1), 2)])
def test_pixel_shuffles_match_torch(shape, r):
    compare(lambda x: F.pixel_shuffle(x, r), lambda x: TF.pixel_shuffle(x, r), rand_t(shape))
    up = TF.pixel_shuffle(rand_t(shape), r).detach().requires_grad_(True)
    compare(lambda x: F.pixel_unshuffle(x, r), lambda x: TF.pixel_unshuffle(x, r), up)
    compare(lambda x: F.channel_shuffle(x, 2), lambda x: TF.channel_shuffle(x, 2), rand_t((2, 6, 3)))


@settings(max_examples=20)
@given(k=st.tuples(st.integers(1, 3), st.integers(1, 3)), d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       p=st.tuples(st.integers(0, 2), st.integers(0, 2)), s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       batched=st.booleans())
def test_fold_unfold_match_torch(k, d, p, s, batched):
    shape = ([2] if batched else []) + [3, 5, 6]
    x = rand_t(shape)
    cols = compare(lambda x: F.unfold(x, k, d, p, s), lambda x: TF.unfold(x, k, d, p, s), x)
    c = rand_t(tuple(cols.shape), seed=4)
    compare(lambda c: F.fold(c, (5, 6), k, d, p, s), lambda c: TF.fold(c, (5, 6), k, d, p, s), c)


def test_fold_unfold_gradcheck():
    x = to_tg(rand_t((1, 2, 4, 3)))
    assert tg.autograd.gradcheck(lambda x: F.unfold(x, (2, 2), 1, 1, (2, 1)), [x])
    c = to_tg(rand_t((1, 8, 6)))
    assert tg.autograd.gradcheck(lambda c: F.fold(c, (3, 4), 2), [c])
    gradgradcheck(lambda x: F.unfold(x, 2, padding=1), x)


@pytest.mark.parametrize("call", [
    lambda F, x: F.pixel_shuffle(x, 0), lambda F, x: F.pixel_shuffle(x, 3), lambda F, x: F.pixel_shuffle(x[0, 0], 2),
    lambda F, x: F.pixel_unshuffle(x, 2), lambda F, x: F.pixel_unshuffle(x, 0), lambda F, x: F.channel_shuffle(x, 3),
    lambda F, x: F.channel_shuffle(x, 0), lambda F, x: F.channel_shuffle(x[0, 0], 1),
    lambda F, x: F.unfold(x[0, 0], 2), lambda F, x: F.unfold(x, 5), lambda F, x: F.unfold(x.long(), 2),
    lambda F, x: F.unfold(x, 2, padding=-1), lambda F, x: F.unfold(x, 0), lambda F, x: F.unfold(x, (2, 2, 2)),
    lambda F, x: F.fold(x[0, :3].reshape(2, 7, 3)[:, :7], (3, 3), 2), lambda F, x: F.fold(x, (3, 3), 2),
    lambda F, x: F.fold(x.reshape(2, 8, 4)[:, :, :3], (3, 3), 2),
])
def test_shuffle_fold_bad_input_raises_like_torch(call):
    check_raises_like_torch(call, torch.randn(2, 4, 3, 3))


# ---- affine_grid / grid_sample ----
@pytest.mark.parametrize("align", [True, False])
def test_affine_grid_matches_torch(align):
    theta = rand_t((2, 2, 3))
    compare(lambda t: F.affine_grid(t, (2, 3, 4, 5), align), lambda t: TF.affine_grid(t, (2, 3, 4, 5), align), theta)
    theta3 = rand_t((2, 3, 4))
    compare(lambda t: F.affine_grid(t, (2, 1, 2, 3, 4), align), lambda t: TF.affine_grid(t, (2, 1, 2, 3, 4), align),
            theta3)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [True, False])
def test_grid_sample_matches_torch(mode, padding_mode, align):
    x = rand_t((2, 3, 4, 5))
    gen = torch.Generator().manual_seed(7)
    grid = (torch.rand((2, 3, 6, 2), generator=gen, dtype=torch.float64) * 2.6 - 1.3).requires_grad_(True)
    compare(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align),
            lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align), x, grid)
    if mode != "nearest":
        assert tg.autograd.gradcheck(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align),
                                     [to_tg(rand_t((1, 2, 3, 4))), to_tg(grid[:1, :2].detach() * 0.9, True)])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("dims", [2, 3])
def test_grid_sample_reduced_float_bit_exact(dtype, mode, padding_mode, align, dims):
    """float16/bfloat16 values equal torch's bit for bit: its CPU kernels round every intermediate
    (coordinates, weights, products, partial sums) to the dtype, the 2-D and 3-D kernels by different
    formulas; the gradients come back in the dtype."""
    if dims == 3 and mode == "bicubic":
        return  # torch has no 3-D bicubic
    gen = torch.Generator().manual_seed(3)
    td, dt = getattr(torch, dtype), getattr(tg, dtype)
    x = torch.randn((2, 3, 5, 7) if dims == 2 else (2, 3, 4, 5, 6), generator=gen).to(td)
    grid = (torch.rand((2, 6, 9, 2) if dims == 2 else (2, 3, 4, 5, 3), generator=gen) * 2.6 - 1.3).to(td)
    want = TF.grid_sample(x, grid, mode, padding_mode, align)
    tx, tgrid = (tg.tensor(t.float().numpy()).to(dt).requires_grad_() for t in (x, grid))
    got = F.grid_sample(tx, tgrid, mode, padding_mode, align)
    assert got.dtype == dt
    assert torch.equal(torch.tensor(got.float().detach().numpy()), want.float())
    got.sum().backward()
    assert tx.grad.dtype == dt and tgrid.grad.dtype == dt


def _second_derivatives(lib, fn, x, grid, v_seed=5):
    """Second derivatives of fn(x, grid) (through the first ones, taken with create_graph) against x,
    grid and the upstream gradient, for fixed random directions."""
    y = fn(x, grid)
    gen = np.random.default_rng(v_seed)
    up = lib.tensor(gen.standard_normal(tuple(y.shape)), requires_grad=True)
    gx, gg = lib.autograd.grad([y], [x, grid], [up], create_graph=True)
    vx, vg = (lib.tensor(gen.standard_normal(tuple(t.shape))) for t in (gx, gg))
    return lib.autograd.grad([gx, gg], [x, grid, up], [vx, vg], allow_unused=True)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("dims", [2, 3])
def test_grid_sample_double_backward_matches_torch(mode, padding_mode, align, dims):
    if dims == 3 and mode == "bicubic":
        return  # torch has no 3-D bicubic
    x = rand_t((2, 3, 4, 5) if dims == 2 else (2, 2, 3, 4, 5))
    gen = torch.Generator().manual_seed(11)
    grid_shape = (2, 3, 6, 2) if dims == 2 else (2, 2, 3, 4, 3)
    grid = (torch.rand(grid_shape, generator=gen, dtype=torch.float64) * 2.6 - 1.3).requires_grad_(True)

    def fn(F_):
        return lambda x, g: F_.grid_sample(x, g, mode, padding_mode, align)
    expected = _second_derivatives(torch, fn(TF), x, grid)
    got = _second_derivatives(tg, fn(F), to_tg(x), to_tg(grid))
    for a, e in zip(got, expected):
        if e is None:
            assert a is None or not np.any(a.numpy())
        else:
            np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("call", [
    lambda F, x: F.grid_sample(x, torch.zeros(2, 3, 3, 2) if F is TF else tg.zeros(2, 3, 3, 2), mode="foo"),
    lambda F, x: F.grid_sample(x, x[:, :3, :, :3], align_corners=False),
    lambda F, x: F.grid_sample(x, x[:1, :, :, :2], align_corners=False),
    lambda F, x: F.grid_sample(x, x[:, :3, :, :2].double(), align_corners=False),
    lambda F, x: F.affine_grid(x[0, :2, :2, :2], (2, 3, 4, 5), False),
    lambda F, x: F.affine_grid(x[0, :2, :2, :3], (2, 3, 4), False),
])
def test_grid_bad_input_raises_like_torch(call):
    check_raises_like_torch(call, torch.randn(2, 4, 3, 3))


def test_top_level_exports_match_torch():
    x = rand_t((2, 4, 3, 3))
    w, b = rand_t((4,), seed=1), rand_t((4,), seed=2)
    compare(lambda x: tg.layer_norm(x, [3, 3], None, None, 1e-5, True), lambda x: torch.layer_norm(x, [3, 3]), x)
    compare(lambda x, w, b: tg.group_norm(x, 2, w, b), lambda x, w, b: torch.group_norm(x, 2, w, b), x, w, b)
    compare(lambda x, w, b: tg.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
            lambda x, w, b: torch.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False), x, w, b)
    compare(lambda x: tg.rms_norm(x, [3]), lambda x: torch.rms_norm(x, [3]), x)
    compare(lambda x: tg.pixel_shuffle(x, 2), lambda x: torch.pixel_shuffle(x, 2), x)
    compare(lambda x: tg.channel_shuffle(x, 2), lambda x: torch.channel_shuffle(x, 2), x)
    compare(lambda x: tg.constant_pad_nd(x, [1, 2], 3.0), lambda x: torch.constant_pad_nd(x, [1, 2], 3.0), x)
    assert tg.alpha_dropout(to_tg(x), 0.5, False) is not None and tg.feature_dropout(to_tg(x), 0.5, False) is not None


# ---- uint8 bilinear / bicubic (torch's fixed-point arithmetic) ----
@settings(max_examples=40)
@given(data=st.data(), mode=st.sampled_from(["bilinear", "bicubic"]), align=st.booleans(),
       antialias=st.booleans(), channels=st.sampled_from([1, 3, 5]))
def test_uint8_bilinear_bicubic_matches_torch_exactly(data, mode, align, antialias, channels):
    h, w = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9))
    oh, ow = data.draw(st.integers(1, 14)), data.draw(st.integers(1, 14))
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 99)))
    x = torch.randint(0, 256, (2, channels, h, w), generator=gen, dtype=torch.uint8)
    try:
        expected = TF.interpolate(x, size=(oh, ow), mode=mode, align_corners=align, antialias=antialias)
    except RuntimeError:  # torch's AVX2 kernel hits an internal assert on some 3-channel shapes: no reference
        assume(False)
    got = F.interpolate(to_tg(x), size=(oh, ow), mode=mode, align_corners=align, antialias=antialias)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_uint8_scale_factor_and_upsample_bilinear():
    x = torch.arange(2 * 3 * 5 * 4, dtype=torch.uint8).reshape(2, 3, 5, 4) * 2
    for kw in [dict(scale_factor=1.7, mode="bilinear"), dict(scale_factor=(0.6, 2.3), mode="bicubic"),
               dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)]:
        np.testing.assert_array_equal(F.interpolate(to_tg(x), **kw).numpy(), TF.interpolate(x, **kw).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(F.upsample_bilinear(to_tg(x), size=(7, 3)).numpy(),
                                      TF.upsample_bilinear(x, size=(7, 3)).numpy())
