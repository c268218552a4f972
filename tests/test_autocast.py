"""Mixed precision and the default dtype against torch: autocast("cpu") op lists, context manager
and decorator forms, thread-locality, gradients; set_default_dtype across factories and scalars."""
import threading
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tinygrad_ext as tg
from tests.helpers import TG_OF_TORCH
from tests.test_dtypes import to_tg

pytestmark = pytest.mark.torch


def _dtypes_under(lib, functional, autocast):
    """The dtype each listed op gives for float32 (and bfloat16) inputs inside autocast."""
    g = torch.Generator().manual_seed(0)
    x32, w32 = torch.randn(4, 8, generator=g), torch.randn(3, 8, generator=g)
    t = torch.tensor([0, 1, 2, 0])
    conv_in, conv_w = torch.randn(1, 2, 5, 5, generator=g), torch.randn(3, 2, 2, 2, generator=g)
    if lib is tg:
        x32, w32, t, conv_in, conv_w = map(to_tg, (x32, w32, t, conv_in, conv_w))
    out = {}
    with autocast:
        y = functional.linear(x32, w32)
        out["linear"] = y.dtype
        out["mm"] = lib.mm(x32, w32.t()).dtype
        out["matmul"] = lib.matmul(x32, w32.t()).dtype
        out["matmul64"] = lib.matmul(x32.double(), w32.double().t()).dtype
        out["bmm"] = lib.bmm(x32[None], w32.t()[None]).dtype
        out["addmm"] = lib.addmm(x32[:, :3], x32, w32.t()).dtype
        out["baddbmm"] = lib.baddbmm(x32[None, :, :3], x32[None], w32.t()[None]).dtype
        out["conv2d"] = functional.conv2d(conv_in, conv_w).dtype
        out["mv"] = lib.mv(x32, w32[0]).dtype
        out["softmax"] = functional.softmax(y, 1).dtype
        out["cross_entropy"] = functional.cross_entropy(y, t).dtype
        out["nll_loss"] = functional.nll_loss(y, t).dtype
        out["bce_logits"] = functional.binary_cross_entropy_with_logits(y, y.sigmoid()).dtype
        out["mse_loss"] = functional.mse_loss(y, y.detach()).dtype
        out["l1_loss"] = functional.l1_loss(y, y.detach()).dtype
        out["prod"] = y.prod().dtype
        out["sum"] = y.sum().dtype
        out["add"] = (y + x32[:, :3]).dtype
    return out


def test_autocast_op_lists_match_torch():
    mine = _dtypes_under(tg, tg.nn.functional, tg.autocast("cpu", dtype=tg.bfloat16))
    ref = _dtypes_under(torch, F, torch.autocast("cpu", dtype=torch.bfloat16))
    assert mine == {k: TG_OF_TORCH[v] for k, v in ref.items()}
    mine16 = _dtypes_under(tg, tg.nn.functional, tg.autocast(device_type="cpu", dtype=tg.float16))
    ref16 = _dtypes_under(torch, F, torch.autocast(device_type="cpu", dtype=torch.float16))
    assert mine16 == {k: TG_OF_TORCH[v] for k, v in ref16.items()}
    assert not tg.is_autocast_enabled("cpu")


def test_autocast_values_and_gradients_match_torch():
    g = torch.Generator().manual_seed(1)
    x, w, b = torch.randn(8, 16, generator=g), torch.randn(4, 16, generator=g), torch.randn(4, generator=g)
    t = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    w_, b_ = w.clone().requires_grad_(), b.clone().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref = F.cross_entropy(F.linear(x, w_, b_), t)
    ref.backward()
    tw, tb = to_tg(w).requires_grad_(), to_tg(b).requires_grad_()
    with tg.autocast("cpu", dtype=tg.bfloat16):
        got = tg.nn.functional.cross_entropy(tg.nn.functional.linear(to_tg(x), tw, tb), to_tg(t))
    got.backward()
    assert got.dtype == tg.float32 and tw.grad.dtype == tg.float32
    np.testing.assert_allclose(got.item(), ref.item(), rtol=1e-2)
    np.testing.assert_allclose(tw.grad.numpy(), w_.grad.numpy(), rtol=5e-2, atol=1e-2)
    np.testing.assert_allclose(tb.grad.numpy(), b_.grad.numpy(), rtol=5e-2, atol=1e-2)


def test_autocast_forms_and_state():
    a = tg.ones(2, 2)

    @tg.autocast("cpu")
    def product(x):
        return x @ x

    assert product(a).dtype == tg.bfloat16 and (a @ a).dtype == tg.float32
    with tg.autocast("cpu", dtype=tg.bfloat16):
        assert tg.is_autocast_enabled("cpu") and tg.get_autocast_dtype("cpu") == tg.bfloat16
        with tg.autocast("cpu", enabled=False):
            assert (a @ a).dtype == tg.float32
        assert (a @ a).dtype == tg.bfloat16
        seen = []
        worker = threading.Thread(target=lambda: seen.append((a @ a).dtype))  # thread-local, as torch
        worker.start()
        worker.join()
        assert seen == [tg.float32]
    assert not tg.is_autocast_enabled("cpu") and (a @ a).dtype == tg.float32
    with pytest.raises(ZeroDivisionError):
        with tg.autocast("cpu"):
            1 / 0
    assert not tg.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        with tg.autocast("cpu", dtype=tg.int32):
            assert (a @ a).dtype == tg.float32
    with pytest.warns(FutureWarning, match="deprecated"):
        with tg.cpu.amp.autocast():
            assert (a @ a).dtype == tg.bfloat16
    assert tg.amp.autocast is tg.autocast


@pytest.fixture
def default_float64():
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    yield
    tg.set_default_dtype(tg.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0, 2.5]), lambda lib: lib.tensor(1.5), lambda lib: lib.zeros(2),
    lambda lib: lib.ones(2, 3), lambda lib: lib.empty(2), lambda lib: lib.rand(3), lambda lib: lib.randn(3),
    lambda lib: lib.full((2,), 1.5), lambda lib: lib.arange(0.0, 2.0), lambda lib: lib.arange(3),
    lambda lib: lib.linspace(0, 1, 3), lambda lib: lib.eye(2), lambda lib: lib.tensor([1, 2]) / 2,
    lambda lib: lib.tensor([1, 2]) * 1.5, lambda lib: lib.tensor([1, 2]).sqrt(), lambda lib: lib.tensor([1.0]).float(),
])
def test_default_dtype_reaches_every_factory(default_float64, make):
    assert tg.get_default_dtype() == tg.float64
    got, ref = make(tg), make(torch)
    assert got.dtype == TG_OF_TORCH[ref.dtype]
    assert ("dtype=" in repr(got)) == ("dtype=" in repr(ref))  # repr leaves out the default dtype


def test_set_default_dtype_errors_and_halves():
    for bad in (tg.int32, tg.bool):
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            tg.set_default_dtype(bad)
    assert tg.get_default_dtype() == tg.float32
    try:
        tg.set_default_dtype(tg.bfloat16)
        assert tg.tensor([1.5]).dtype == tg.bfloat16 and (tg.tensor([1]) / 2).dtype == tg.bfloat16
        assert repr(tg.tensor([1.5])) == "tensor([1.5000])"
    finally:
        tg.set_default_dtype(tg.float32)
    assert repr(tg.tensor([1.5], dtype=tg.bfloat16)) == "tensor([1.5000], dtype=tinygrad_ext.bfloat16)"
