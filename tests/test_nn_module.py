"""nn.Module semantics: registration, traversal, state_dict, train/eval, hooks, containers, repr, summary."""
import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_ext as tg
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from nn_helpers import assert_close, to_tg

pytestmark = pytest.mark.torch


def make_demo(lib):
    """The same three-Linear model written against torch or tg (only the module prefix differs)."""
    class ModelDemo(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear1 = lib.nn.Linear(3, 3)
            self.linear2 = lib.nn.Linear(3, 4)
            self.linear3 = lib.nn.Linear(4, 2)
            lib.nn.init.xavier_uniform_(self.linear1.weight)
            lib.nn.init.kaiming_normal_(self.linear2.weight, nonlinearity="relu")
            lib.nn.init.zeros_(self.linear3.bias)

        def forward(self, x):
            x = lib.sigmoid(self.linear1(x))
            x = lib.nn.functional.relu(self.linear2(x))
            return lib.nn.functional.softmax(self.linear3(x), dim=1)

    return ModelDemo()


def test_demo_model_prints_runs_and_matches_torch(capsys):
    mt, mg = make_demo(torch), make_demo(tg)
    assert repr(mg) == repr(mt)
    assert repr(mg) == ("ModelDemo(\n  (linear1): Linear(in_features=3, out_features=3, bias=True)\n"
                        "  (linear2): Linear(in_features=3, out_features=4, bias=True)\n"
                        "  (linear3): Linear(in_features=4, out_features=2, bias=True)\n)")
    assert [n for n, _ in mg.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [tuple(p.shape) for p in mg.parameters()] == [tuple(p.shape) for p in mt.parameters()]
    mg.load_state_dict({k: to_tg(v) for k, v in mt.state_dict().items()})
    x = torch.randn(5, 3)
    out = mg(to_tg(x))
    assert_close(out, mt(x))
    assert tuple(out.shape) == (5, 2)
    out = mg(tg.randn(5, 3))
    np.testing.assert_allclose(out.sum(1).detach().numpy(), np.ones(5), rtol=1e-6)
    info = tg.summary(mg, (3,))
    text = capsys.readouterr().out
    assert "            Linear-1                    [-1, 3]              12" in text
    assert "            Linear-3                    [-1, 2]              10" in text
    assert "Total params: 38" in text and "Trainable params: 38" in text and "Non-trainable params: 0" in text
    assert info["total_params"] == 38 and [l[0] for l in info["layers"]] == ["Linear-1", "Linear-2", "Linear-3"]
    assert nn.summary is tg.summary


def test_summary_layout_exact(capsys):
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    model[3].weight.requires_grad_(False)
    model[3].bias.requires_grad_(False)
    info = tg.summary(model, (2, 3), batch_size=-1)
    expected = "\n".join([
        "-" * 64,
        "        Layer (type)               Output Shape         Param #",
        "=" * 64,
        "           Flatten-1                    [-1, 6]               0",
        "            Linear-2                    [-1, 4]              28",
        "              ReLU-3                    [-1, 4]               0",
        "            Linear-4                    [-1, 2]              10",
        "=" * 64,
        "Total params: 38",
        "Trainable params: 28",
        "Non-trainable params: 10",
        "-" * 64,
        "Input size (MB): 0.00",
        "Forward/backward pass size (MB): 0.00",
        "Params size (MB): 0.00",
        "Estimated Total Size (MB): 0.00",
        "-" * 64,
    ]) + "\n"
    assert capsys.readouterr().out == expected
    assert info["trainable_params"] == 28 and info["non_trainable_params"] == 10
    assert info["params_size_mb"] == pytest.approx(38 * 4 / 1024 ** 2)
    # hooks are removed afterwards
    assert all(not m._forward_hooks for m in model.modules())


def test_registration_and_traversal():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("running", tg.zeros(2))
            self.register_buffer("scratch", tg.ones(1), persistent=False)
            self.scale = nn.Parameter(tg.ones(1))
            self.plain = 3

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            self.shared = self.block.fc  # the same module twice: listed once

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.0.weight", "head.0.bias"]
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    # like torch, state_dict lists a shared module under each of its names
    assert list(net.state_dict()) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias",
                                      "head.0.weight", "head.0.bias", "shared.weight", "shared.bias"]
    assert [n for n, _ in net.named_children()] == ["block", "head", "shared"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "head", "head.0", "head.1"]
    assert len(list(net.modules())) == 6 and len(list(net.children())) == 3
    assert net.block.plain == 3 and net.get_submodule("head.0") is net.head[0]
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        net.nope
    with pytest.raises(TypeError, match="cannot assign"):
        net.block.scale = tg.ones(1)
    net.block.scale = None
    assert "block.scale" not in dict(net.named_parameters())
    net.add_module("extra", nn.Tanh())
    assert net.extra is net._modules["extra"]
    del net.extra
    assert "extra" not in dict(net.named_children())
    with pytest.raises(KeyError, match="be empty or contain"):
        net.register_buffer("a.b", tg.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.fc = nn.Linear(1, 1)
        Bad()


def test_parameter():
    data = tg.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, tg.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == str(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    data.add_(1.0)  # shares storage with data
    assert p.tolist() == [2.0, 3.0]
    assert not nn.Parameter(tg.ones(1), requires_grad=False).requires_grad
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0, 6.0]
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.tolist() == p.tolist()


def test_state_dict_round_trip_and_errors():
    a, b = make_demo(tg), make_demo(tg)
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = tg.randn(4, 3)
    assert np.array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert b.linear1.weight.requires_grad  # still the same Parameter objects
    bad = OrderedDict(sd)
    del bad["linear1.bias"]
    bad["linear9.weight"] = tg.ones(1)
    bad["linear2.weight"] = tg.ones(2, 2)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(bad)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for ModelDemo:")
    assert 'Missing key(s) in state_dict: "linear1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "linear9.weight".' in msg
    assert ("size mismatch for linear2.weight: copying a param with shape torch.Size([2, 2]) from checkpoint, "
            "the shape in current model is torch.Size([4, 3]).") in msg
    del bad["linear2.weight"]
    bad["linear2.weight"] = sd["linear2.weight"]
    result = b.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["linear1.bias"] and result.unexpected_keys == ["linear9.weight"]


def test_train_eval_zero_grad_requires_grad_apply():
    net = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Sequential(nn.ReLU()))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert net[2][0].training
    with pytest.raises(ValueError):
        net.train("yes")
    net(tg.randn(2, 3)).sum().backward()
    assert net[0].weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert np.all(net[0].weight.grad.numpy() == 0)
    net.zero_grad()
    assert net[0].weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "ReLU", "Sequential", "Sequential"]


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(tuple(out.shape)))
    h3 = lin.register_forward_hook(lambda m, args, out: out + 100)
    y = lin(tg.ones(1, 2))
    np.testing.assert_allclose(y.detach().numpy(), lin.bias.detach().numpy()[None] + 100, rtol=1e-6)
    assert calls == [(1, 2)]
    for h in (h1, h2, h3):
        h.remove()
    x = tg.ones(1, 2)
    np.testing.assert_allclose(lin(x).detach().numpy(), F.linear(x, lin.weight, lin.bias).detach().numpy())
    assert calls == [(1, 2)]


def test_sequential():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    net = nn.Sequential(*layers)
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert repr(net) == repr(ref)
    assert len(net) == 3 and net[0] is layers[0] and net[-1] is layers[2]
    assert list(net) == layers
    sub = net[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is layers[1]
    net.append(nn.Sigmoid())
    assert len(net) == 4 and "(3): Sigmoid()" in repr(net)
    del net[3]
    assert len(net) == 3
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert repr(named) == repr(torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)), ("act", torch.nn.Tanh())])))
    x = tg.randn(4, 2)
    manual = layers[2](layers[1](layers[0](x)))
    np.testing.assert_allclose(net(x).detach().numpy(), manual.detach().numpy(), rtol=1e-6)
    with pytest.raises(IndexError):
        net[5]


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    ref = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    ref.append(torch.nn.ReLU())
    assert repr(ml) == repr(ref)
    assert len(ml) == 4 and len(list(ml.parameters())) == 6 and isinstance(ml[1:], nn.ModuleList)
    assert [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    tmd = torch.nn.ModuleDict({"a": torch.nn.Linear(1, 1), "b": torch.nn.ReLU()})
    assert repr(md) == repr(tmd)
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert [n for n, _ in md.named_children()] == ["a", "b", "c"]
    assert isinstance(md.pop("c"), nn.Tanh) and len(md) == 2


def test_to_dtype_keeps_parameters():
    net = nn.Linear(2, 2)
    w = net.weight
    net.double()
    assert net.weight is w and str(net.weight.dtype).endswith("float64")
    out = net(tg.randn(3, 2, dtype=tg.float64))
    assert str(out.dtype).endswith("float64")


def test_missing_forward():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(tg.ones(1))
