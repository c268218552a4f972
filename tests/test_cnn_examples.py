"""examples/lenet.py and examples/resnet.py: --quick runs, and their networks against torch's with the same weights."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
from tests.nn_helpers import assert_close, to_tg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMNIST = os.environ.get("TG_DATA") or os.path.join(ROOT, "..", "shared", "data", "fashion-mnist")
sys.path.insert(0, os.path.join(ROOT, "examples"))

import lenet  # noqa: E402
import resnet  # noqa: E402


def run(name, tmp_path, *extra):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", f"{name}.py"), "--quick", "--out",
                           str(tmp_path), "--data", FMNIST, *extra], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"final: train loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)", proc.stdout)
    assert m, proc.stdout
    return proc.stdout, [float(v) for v in m.groups()]


def same_net(build):
    """The network built by `build(nn)` in both libraries, tg's loaded from torch's state_dict."""
    torch.manual_seed(0)
    net_t = build(torch.nn)
    net = build(tg.nn)
    net.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in net_t.state_dict().items()})
    return net, net_t


def real_batch(n):
    ds = tg.datasets.FashionMNIST(FMNIST, train=True, download=True)
    x = np.stack([np.asarray(ds[i][0], dtype=np.float32) / 255 for i in range(n)])[:, None]
    y = np.array([ds[i][1] for i in range(n)])
    return torch.tensor(x), torch.tensor(y)


def check_step(net, net_t, x, y, rtol, atol):
    """Training-mode forward, loss, backward: outputs and every parameter gradient match torch."""
    out, out_t = net(to_tg(x)), net_t(x)
    assert_close(out, out_t, rtol, atol)
    tg.nn.functional.cross_entropy(out, to_tg(y)).backward()
    torch.nn.functional.cross_entropy(out_t, y).backward()
    for (name, p), p_t in zip(net.named_parameters(), net_t.parameters()):
        assert_close(p.grad, p_t.grad, rtol, atol)
    for (name, b), b_t in zip(net.named_buffers(), net_t.buffers()):
        assert_close(b, b_t, rtol, atol)


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_lenet_matches_torch(variant):
    net, net_t = same_net(lambda nn: lenet.lenet(nn, variant))
    x, y = real_batch(32)
    check_step(net, net_t, x, y, 1e-4, 1e-5)
    assert repr(net) == repr(net_t)


def test_resnet_matches_torch():
    # Gradients are compared in float64: through 18 layers and batch norm over 8 samples (1x1 maps in
    # the last stage), float32 rounding differences between any two correct implementations grow to
    # ~5% in a few entries of the first layer's gradient (measured against torch on an AVX2 CPU),
    # while in float64 tg and torch agree to ~1e-14.
    net, net_t = same_net(resnet.resnet18)
    x, y = real_batch(8)
    net.eval()
    net_t.eval()
    assert_close(net(to_tg(x)), net_t(x), 1e-3, 1e-4)  # float32 inference
    net.train()
    net_t.train()
    net_t.double()
    net.double()
    net.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in net_t.state_dict().items()})
    check_step(net, net_t, x.double(), y, 1e-7, 1e-9)


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_lenet_quick(tmp_path, variant):
    out, (loss, train_acc, test_acc) = run("lenet", tmp_path, "--epochs", "2", "--variant", variant)
    assert "Total params: 61,706" in out
    if variant == "modern":  # 2 epochs on the first 2000 images; the classic sigmoid net barely moves yet
        assert train_acc > 0.5 and test_acc > 0.5
    assert loss < 2.35
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"lenet_{variant}.png", f"lenet_{variant}_predict.png"]


def test_resnet_quick(tmp_path):
    out, (loss, train_acc, test_acc) = run("resnet", tmp_path, "--epochs", "1")
    assert "Total params: 11,175,818" in out
    assert loss < 2.4 and 0 <= test_acc <= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resnet.png", "resnet_predict.png"]
