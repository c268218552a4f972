# Runs every example in --quick mode (subprocess, tmp --out) and checks its printed numbers, many against torch.
import ast
import os
import re
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMNIST = os.environ.get("TG_DATA") or os.path.join(ROOT, "..", "shared", "data", "fashion-mnist")


def run(name, tmp_path, *extra):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", f"{name}.py"), "--quick",
                           "--out", str(tmp_path), *extra], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def pngs(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".png")


def test_linear_model(tmp_path):
    out = run("linear_model", tmp_path)
    assert "best w = 2.0, MSE = 0.0000" in out
    assert "best (w, b) = (2.0, 0.0)" in out
    assert "MSE=4.6667" in out  # w = 1.0: ((1-2)^2 + (2-4)^2 + (3-6)^2) / 3
    assert pngs(tmp_path) == ["linear_model_w.png", "linear_model_wb.png"]


def test_gradient_descent(tmp_path):
    out = run("gradient_descent", tmp_path)

    def torch_fit(batches, lr=0.01, epochs=100):
        x, y = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 4.0, 6.0])
        w = torch.tensor(1.0, requires_grad=True)
        for _ in range(epochs):
            for idx in batches:
                ((x[idx] * w - y[idx]) ** 2).mean().backward()
                with torch.no_grad():
                    w -= lr * w.grad
                w.grad.zero_()
        return w.item()

    for name, batches in [("GD", [[0, 1, 2]]), ("SGD", [[0], [1], [2]]), ("mini-batch SGD", [[0, 1], [2]])]:
        got = float(re.search(rf"^{name}: w=([-\d.]+)", out, re.M).group(1))
        assert got == pytest.approx(torch_fit(batches), abs=1e-5)
    diverged = float(re.search(r"GD lr=0.25: w=([-\d.e+]+)", out).group(1))
    assert abs(diverged) > 100


def test_linear_regression(tmp_path):
    out = run("linear_regression", tmp_path)
    for name in ["scratch", "MSELoss", "SmoothL1Loss"]:
        m = re.search(rf"^{name}: w = (\[.*?\]), b = ([-\d.e]+), loss = ([-\d.e]+)", out, re.M)
        assert m, out
        w, b, loss = ast.literal_eval(m.group(1)), float(m.group(2)), float(m.group(3))
        assert w == pytest.approx([2.0, -3.4], abs=0.01) and b == pytest.approx(4.2, abs=0.01)
        assert loss < 1e-3
    assert out.count("net[0].weight.grad: [[") == 2


def test_losses_match_torch(tmp_path):
    out = run("losses", tmp_path)
    logits = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.2, 3.1]]
    y_hat, y = [1.0, 2.5, -0.3, 4.0], [1.5, 2.0, 0.4, 1.0]
    cases = {
        "CrossEntropyLoss": (torch.nn.CrossEntropyLoss(reduction="sum"), logits, torch.tensor([0, 1, 2])),
        "BCELoss": (torch.nn.BCELoss(), [0.8, 0.3, 0.6, 0.1], torch.tensor([1.0, 0.0, 1.0, 0.0])),
        "L1Loss": (torch.nn.L1Loss(), y_hat, torch.tensor(y)),
        "MSELoss": (torch.nn.MSELoss(), y_hat, torch.tensor(y)),
        "SmoothL1Loss": (torch.nn.SmoothL1Loss(), y_hat, torch.tensor(y)),
    }
    for name, (fn, inp, target) in cases.items():
        x = torch.tensor(inp, requires_grad=True)
        l = fn(x, target)
        l.backward()
        got = float(re.search(rf"^{name}: loss = ([-\d.]+)", out, re.M).group(1))
        grad = ast.literal_eval(re.search(rf"^{name}: grad = (.*)$", out, re.M).group(1))
        assert got == pytest.approx(l.item(), abs=1e-6)
        assert torch.allclose(torch.tensor(grad), x.grad, atol=1e-6)


def test_optimizers_match_torch(tmp_path):
    out = run("optimizers", tmp_path)
    makers = {
        "SGD momentum=0.9": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
        "RMSprop alpha=0.9": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9),
        "Adam betas=(0.9, 0.99)": lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.99)),
    }
    for name, make in makers.items():
        w = torch.tensor([1.0], requires_grad=True)
        opt = make([w])
        for _ in range(10):  # --quick runs 10 steps
            opt.zero_grad()
            (w ** 2 / 2).sum().backward()
            opt.step()
        got = float(re.search(rf"^{re.escape(name)}: final w = ([-\d.]+)", out, re.M).group(1))
        assert got == pytest.approx(w.item(), abs=1e-5), name


def test_lr_schedulers_match_torch(tmp_path):
    out = run("lr_schedulers", tmp_path)
    S = torch.optim.lr_scheduler
    makers = {"StepLR": lambda o: S.StepLR(o, 50, 0.5), "MultiStepLR": lambda o: S.MultiStepLR(o, [50, 100, 160], 0.5),
              "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9)}
    for name, make in makers.items():
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
        sched = make(opt)
        want = []
        for _ in range(200):
            want.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        got = ast.literal_eval(re.search(rf"^{name} lrs: (\[.*\])$", out, re.M).group(1))
        assert got == pytest.approx(want, rel=1e-6, abs=1e-15), name


def test_autograd_basics(tmp_path):
    out = run("autograd_basics", tmp_path)
    assert "MISMATCH" not in out
    assert out.count(" OK") == 7
    assert "sigmoid'(0) = 0.2500" in out and "tanh'(0) = 1.0000" in out
    assert "dL/dw by autograd.grad = -9.3333" in out and "w.grad = -9.3333" in out


def test_custom_module(tmp_path):
    out = run("custom_module", tmp_path)
    assert "(fc1): Linear(in_features=8, out_features=6, bias=True)" in out
    assert "total parameters: 97" in out and "Total params: 97" in out
    assert "fc3.bias: shape (3,)" in out


def test_himmelblau(tmp_path):
    out = run("himmelblau", tmp_path)
    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    found = [tuple(map(float, m)) for m in re.findall(r"minimum at \(([-\d.]+), ([-\d.]+)\)", out)]
    for want in minima:
        assert any(abs(f[0] - want[0]) < 1e-3 and abs(f[1] - want[1]) < 1e-3 for f in found), (want, found)


@pytest.mark.parametrize("name", ["softmax_regression_scratch", "softmax_regression", "mlp"])
def test_fashion_mnist_examples(tmp_path, name):
    out = run(name, tmp_path, "--epochs", "2", "--data", FMNIST)
    m = re.search(r"final: train loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)", out)
    assert m, out
    assert float(m.group(2)) > 0.5 and float(m.group(3)) > 0.5  # 2 epochs on the first 2000 images
    assert f"{name}.png" in pngs(tmp_path) and f"{name}_predict.png" in pngs(tmp_path)
