"""Modules of issue 15's second half against torch.nn: constructor signatures, printing, state_dict keys
and loading, train/eval behaviour; dropout variants by statistics; lazy modules; ParameterList/Dict."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn

import tinygrad_ext as tg
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from tests.nn_helpers import assert_close, to_tg

# (constructor call, input shape): the same source builds the tg and the torch module
MODULES = [
    ("LayerNorm(5)", (2, 3, 5)), ("LayerNorm((3, 5), eps=1e-3, elementwise_affine=False)", (2, 3, 5)),
    ("LayerNorm([5], bias=False)", (4, 5)), ("GroupNorm(2, 4)", (3, 4, 5)), ("GroupNorm(1, 4, affine=False)", (3, 4)),
    ("RMSNorm(5)", (2, 5)), ("RMSNorm([2, 5], eps=1e-4, elementwise_affine=False)", (3, 2, 5)),
    ("LocalResponseNorm(3)", (2, 5, 4)), ("LocalResponseNorm(2, 1e-2, 0.5, 2.0)", (2, 5, 2, 2)),
    ("InstanceNorm1d(3)", (2, 3, 5)), ("InstanceNorm2d(3, affine=True)", (2, 3, 4, 4)),
    ("InstanceNorm3d(3, track_running_stats=True)", (2, 3, 2, 2, 3)), ("InstanceNorm1d(3, affine=True)", (3, 5)),
    ("ZeroPad1d(2)", (2, 3, 4)), ("ZeroPad2d((1, 0, 2, 1))", (2, 3, 4)), ("ZeroPad3d(1)", (1, 2, 2, 2)),
    ("ConstantPad1d((1, 2), 3.5)", (2, 3)), ("ConstantPad2d(1, -1.0)", (1, 2, 3)), ("ConstantPad3d(1, 2.0)", (1, 1, 2, 2, 2)),
    ("ReflectionPad1d(2)", (2, 3, 4)), ("ReflectionPad2d((1, 0, 2, 1))", (1, 2, 3, 4)), ("ReflectionPad3d(1)", (1, 2, 2, 2, 2)),
    ("ReplicationPad1d(3)", (2, 3)), ("ReplicationPad2d(2)", (2, 3, 3)), ("ReplicationPad3d((1, 0, 0, 1, 1, 0))", (1, 1, 2, 2, 2)),
    ("CircularPad1d(2)", (2, 3, 4)), ("CircularPad2d(1)", (1, 2, 3, 3)), ("CircularPad3d(1)", (1, 1, 2, 2, 2)),
    ("Upsample(scale_factor=2)", (1, 2, 3)), ("Upsample(size=(5, 4), mode='bilinear')", (1, 2, 3, 3)),
    ("Upsample(scale_factor=(1.5, 2.0), mode='bicubic', align_corners=True)", (1, 1, 3, 3)),
    ("UpsamplingNearest2d(scale_factor=3)", (1, 2, 2, 2)), ("UpsamplingBilinear2d(size=5)", (1, 2, 3, 2)),
    ("PixelShuffle(2)", (1, 8, 2, 3)), ("PixelUnshuffle(2)", (1, 2, 4, 6)), ("ChannelShuffle(2)", (2, 4, 3)),
    ("Fold((4, 5), 2)", (2, 12, 12)), ("Unfold((2, 3), dilation=1, padding=1, stride=2)", (2, 3, 4, 5)),
    ("Dropout1d(0.3)", (2, 3, 4)), ("Dropout2d()", (2, 3, 4, 4)), ("Dropout3d(0.2, inplace=True)", (1, 2, 2, 2, 2)),
    ("AlphaDropout(0.1)", (3, 4)), ("FeatureAlphaDropout(0.4)", (2, 3, 4)),
]


def _build(src, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(src, {"nn": lib})


@pytest.mark.parametrize("src,shape", MODULES)
def test_module_matches_torch(src, shape):
    mt, mg = _build("nn." + src, tnn), _build("nn." + src, nn)
    assert repr(mg) == repr(mt)
    sd_t = mt.state_dict()
    assert list(mg.state_dict()) == list(sd_t)
    for v in sd_t.values():  # perturb torch's parameters, then load them into tg through numpy
        if v.is_floating_point():
            v.add_(torch.randn(v.shape) * 0.1)
    mg.load_state_dict({k: to_tg(v) for k, v in sd_t.items()})
    for mode in ("train", "eval"):
        getattr(mt, mode)()
        getattr(mg, mode)()
        x = torch.randn(shape)
        random = "Dropout" in src and mode == "train"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out_t = mt(x.clone())
            out_g = mg(to_tg(x))
        assert tuple(out_g.shape) == tuple(out_t.shape)
        if not random:
            assert_close(out_g, out_t, rtol=1e-4, atol=1e-5)
    for k, v in mt.state_dict().items():  # running statistics after a training step
        assert_close(mg.state_dict()[k], v, rtol=1e-4, atol=1e-5)


def test_constructor_errors_match_torch():
    for src in ["GroupNorm(3, 4)", "Dropout2d(1.5)", "AlphaDropout(-0.1)"]:
        with pytest.raises(ValueError):
            _build("nn." + src, tnn)
        with pytest.raises(ValueError):
            _build("nn." + src, nn)
    for src, shape in [("InstanceNorm2d(3, affine=True)", (2, 4, 3, 3)), ("InstanceNorm1d(3)", (2, 3, 4, 5)),
                       ("CircularPad2d(1)", (2, 3))]:
        with pytest.raises(ValueError):
            _build("nn." + src, tnn)(torch.randn(shape))
        with pytest.raises(ValueError):
            _build("nn." + src, nn)(tg.randn(*shape))


def test_reset_parameters_restores_defaults():
    m = nn.GroupNorm(2, 4)
    with tg.no_grad():
        m.weight.add_(1.0)
    m.reset_parameters()
    assert np.array_equal(m.weight.detach().numpy(), np.ones(4, np.float32))
    n = nn.InstanceNorm1d(2, track_running_stats=True)
    n(tg.randn(2, 2, 5))
    assert n.running_mean.abs().sum().item() > 0
    n.reset_running_stats()
    assert n.running_mean.abs().sum().item() == 0 and np.array_equal(n.running_var.numpy(), np.ones(2, np.float32))


# ---- dropout variants: statistics, channel structure, eval identity, gradient = mask ----
@pytest.mark.parametrize("fn,shape,channelwise", [
    (F.dropout1d, (40, 50, 7), True), (F.dropout2d, (40, 50, 3, 3), True), (F.dropout3d, (40, 50, 2, 2, 2), True),
    (F.feature_alpha_dropout, (40, 50, 6), True), (F.alpha_dropout, (200, 90), False)])
def test_dropout_variants_statistics(fn, shape, channelwise):
    tg.manual_seed(0)
    p = 0.3
    x = tg.randn(*shape, dtype=tg.float64).requires_grad_(True) if "alpha" in fn.__name__ else \
        (tg.rand(*shape, dtype=tg.float64) + 1).requires_grad_(True)
    y = fn(x, p, True)
    assert tuple(y.shape) == shape
    xn, yn = x.detach().numpy(), y.detach().numpy()
    if "alpha" in fn.__name__:
        a = 1.0 / np.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
        kept = np.isclose(yn, a * xn + 1.7580993408473766 * a * p)
        # SELU-normalised input keeps zero mean and unit variance
        assert abs(yn.mean()) < 0.05 and abs(yn.std() - 1) < 0.05
    else:
        kept = np.isclose(yn, xn / (1 - p))
        assert np.all(kept | (yn == 0))
        assert abs(yn.mean() - xn.mean()) < 0.05 * xn.mean()
    assert abs(1 - kept.mean() - p) < 0.03
    if channelwise:  # one decision per (sample, channel)
        flat = kept.reshape(shape[0], shape[1], -1)
        assert np.all(flat.all(-1) | ~flat.any(-1))
    y.backward(tg.ones(*shape, dtype=tg.float64))
    scale = a if "alpha" in fn.__name__ else 1 / (1 - p)
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, scale, 0.0), rtol=1e-12)
    assert fn(x, p, False) is x


def test_dropout_variants_bad_input_like_torch():
    for call in [lambda F, x: F.dropout1d(x[0, 0], 0.5), lambda F, x: F.dropout1d(x, 1.5),
                 lambda F, x: F.alpha_dropout(x, -1.0, True), lambda F, x: F.feature_alpha_dropout(x[0, 0], 0.5, True)]:
        xt = torch.randn(2, 3, 4)
        with pytest.raises(Exception) as expected:
            call(torch.nn.functional, xt)
        with pytest.raises(expected.type):
            call(F, to_tg(xt))
    for name, shape in [("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout3d", (2, 3))]:
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            getattr(torch.nn.functional, name)(torch.randn(shape))
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            getattr(F, name)(tg.randn(*shape))
        assert [str(w.message) for w in got] == [str(w.message) for w in expected]


# ---- lazy modules ----
def test_lazy_linear_materializes_on_first_call():
    tg.manual_seed(0)
    m = nn.LazyLinear(3)
    assert isinstance(m.weight, nn.UninitializedParameter) and m.has_uninitialized_params()
    out = m(tg.randn(4, 5))
    assert type(m) is nn.Linear and tuple(out.shape) == (4, 3)
    assert tuple(m.weight.shape) == (3, 5) and type(m.weight) is nn.Parameter and m.in_features == 5
    assert repr(m) == repr(tnn.Linear(5, 3))
    bound = 1 / np.sqrt(5)
    assert np.abs(m.weight.detach().numpy()).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound
    out.sum().backward()
    assert tuple(m.weight.grad.shape) == (3, 5)
    lazy = nn.LazyLinear(3, bias=False)  # loading a state_dict materializes at the checkpoint's shapes
    lazy.load_state_dict({"weight": tg.ones(3, 2)})
    assert_close(lazy(tg.ones(1, 2)), torch.full((1, 3), 2.0))


def test_lazy_instance_norm_materializes_and_tracks():
    m = nn.LazyInstanceNorm2d()
    assert m.has_uninitialized_params()
    x = torch.randn(2, 3, 4, 4)
    out = m(to_tg(x))
    ref = tnn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert type(m) is nn.InstanceNorm2d and repr(m) == repr(ref)
    assert_close(out, ref(x), rtol=1e-4, atol=1e-5)
    assert list(m.state_dict()) == list(ref.state_dict())
    assert_close(m.running_mean, ref.running_mean, rtol=1e-4, atol=1e-6)


# ---- ParameterList / ParameterDict ----
def test_parameter_list_matches_torch():
    lt = tnn.ParameterList([tnn.Parameter(torch.zeros(2, 3)), torch.ones(4)])
    lg = nn.ParameterList([nn.Parameter(tg.zeros(2, 3)), tg.ones(4)])
    lt.append(torch.zeros(1))
    lg.append(tg.zeros(1))
    assert len(lg) == 3 and all(isinstance(p, nn.Parameter) for p in lg)
    assert repr(lg).replace("tinygrad_ext", "torch") == repr(lt)
    assert list(lg.state_dict()) == list(lt.state_dict()) == ["0", "1", "2"]
    assert tuple(lg[-1].shape) == (1,) and len(lg[1:]) == 2
    assert len(list(nn.Sequential(nn.Linear(2, 2)).parameters())) == 2
    with pytest.raises(IndexError):
        lg[3]
    with pytest.raises(TypeError):
        lg.extend(5)
    with pytest.raises(RuntimeError):
        lg()


def test_parameter_dict_matches_torch():
    dt = tnn.ParameterDict({"b": tnn.Parameter(torch.zeros(2)), "a": torch.ones(3)})
    dg = nn.ParameterDict({"b": nn.Parameter(tg.zeros(2)), "a": tg.ones(3)})
    dt["c"] = tnn.Parameter(torch.zeros(1))
    dg["c"] = nn.Parameter(tg.zeros(1))
    assert list(dg.keys()) == list(dt.keys()) and list(dg.state_dict()) == list(dt.state_dict())
    assert repr(dg).replace("tinygrad_ext", "torch") == repr(dt)
    assert "a" in dg and len(dg) == 3 and tuple(dg.pop("a").shape) == (3,) and len(dg) == 2
    assert [k for k, _ in dg.items()] == ["b", "c"] and len(list(dg.parameters())) == 2
    with pytest.raises(TypeError):
        dg[1] = tg.zeros(1)
    with pytest.raises(RuntimeError):
        dg()
