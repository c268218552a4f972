"""Generated-program fuzzing: random op/view/in-place/dtype/backward/no_grad sequences vs torch.

Each step runs in both libraries; either both raise (the same builtin exception type) or the
values agree; backward steps compare every leaf's gradient. TG_FUZZ_DEEP=1 runs 20,000 random (not derandomized) programs."""
import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_ext as tg
from tests.helpers import NP_OF_TG, TG_OF_TORCH

DEEP = os.environ.get("TG_FUZZ_DEEP") == "1"
EXAMPLES = 20000 if DEEP else 1500
BUILTIN_ERRORS = (TypeError, ValueError, IndexError, RuntimeError)


def _kind(exc):
    for k in BUILTIN_ERRORS:
        if isinstance(exc, k):
            return k
    return type(exc)


def _close(a_tg, a_th, what):
    assert tuple(a_tg.shape) == tuple(a_th.shape), f"{what}: shape {tuple(a_tg.shape)} vs {tuple(a_th.shape)}"
    assert a_tg.dtype == TG_OF_TORCH[a_th.dtype], f"{what}: dtype {a_tg.dtype} vs {a_th.dtype}"
    x, y = a_tg.detach().numpy(), a_th.detach().numpy()
    if x.dtype.kind == "f":
        rtol = 1e-4 if x.dtype == np.float32 else 1e-7
        fin = np.isfinite(y)
        scale = max(1.0, float(np.abs(y[fin]).max(initial=0.0)))
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=what)
    else:
        assert np.array_equal(x, y), what


class Program:
    """Parallel tinygrad_ext / torch states, stepped together."""

    def __init__(self, data):
        self.data = data
        self.pool = []   # (tg tensor, torch tensor)
        self.leaves = []
        self.log = []

    def draw(self, strategy):
        return self.data.draw(strategy)

    def add_leaf(self):
        shape = self.draw(st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple))
        seed = self.draw(st.integers(0, 2**31))
        dt = self.draw(st.sampled_from([np.float64, np.float64, np.float32]))
        arr = np.random.default_rng(seed).uniform(-2, 2, shape).astype(dt)
        a, b = tg.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
        self.pool.append((a, b))
        self.leaves.append((a, b))
        self.log.append(f"leaf {shape} {np.dtype(dt).name}")

    def pick(self):
        return self.pool[self.draw(st.integers(0, len(self.pool) - 1))]

    def both(self, desc, f_tg, f_th, keep=True):
        """Runs a step; torch raising means tinygrad_ext must raise the same kind."""
        self.log.append(desc)
        try:
            r_th = f_th()
        except BUILTIN_ERRORS as e_th:
            with pytest.raises(BUILTIN_ERRORS) as info:
                f_tg()
            assert _kind(info.value) is _kind(e_th), (f"{desc}: torch raised {type(e_th).__name__}({e_th}), "
                                                      f"tinygrad_ext {type(info.value).__name__}({info.value})")
            return None
        r_tg = f_tg()
        if isinstance(r_th, torch.Tensor):
            _close(r_tg, r_th, desc)
            assert r_tg.requires_grad == r_th.requires_grad, f"{desc}: requires_grad differs"
            if keep:
                self.pool.append((r_tg, r_th))
        return r_tg, r_th

    def step(self):
        a, b = self.pick()
        kind = self.draw(st.sampled_from(["unary", "binary", "scalar", "reduce", "view", "matmul",
                                          "inplace", "dtype", "no_grad", "backward", "detach", "compare"]))
        if kind == "unary":
            name = self.draw(st.sampled_from(["neg", "abs", "exp", "log", "sqrt", "relu", "sigmoid", "tanh"]))
            self.both(name, lambda: getattr(a, name)(), lambda: getattr(b, name)())
        elif kind == "binary":
            c, d = self.pick()
            name = self.draw(st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum", "pow"]))
            if name == "pow":
                self.both("pow", lambda: a.abs().pow(c), lambda: b.abs().pow(d))
            else:
                self.both(name, lambda: getattr(tg, name)(a, c), lambda: getattr(torch, name)(b, d))
        elif kind == "scalar":
            s = self.draw(st.sampled_from([2, -1.5, 0.5, True, 3]))
            op = self.draw(st.sampled_from(["__add__", "__rsub__", "__mul__", "__truediv__", "__rtruediv__", "__pow__"]))
            self.both(f"{op} {s!r}", lambda: getattr(a, op)(s), lambda: getattr(b, op)(s))
        elif kind == "reduce":
            name = self.draw(st.sampled_from(["sum", "mean", "amax", "amin", "max", "argmax"]))
            dim = self.draw(st.one_of(st.none(), st.integers(-4, 3)))
            keep = self.draw(st.booleans())

            def run(t):
                if dim is None:
                    return getattr(t, name)()
                r = getattr(t, name)(dim, keepdim=keep) if name != "max" else t.max(dim, keep)[0]
                return r
            self.both(f"{name}({dim}, keepdim={keep})", lambda: run(a), lambda: run(b))
        elif kind == "view":
            v = self.draw(st.sampled_from(["t", "T0", "reshape", "view", "unsqueeze", "squeeze", "slice",
                                           "select", "expand", "permute", "flatten", "contiguous"]))
            i = self.draw(st.integers(-3, 3))
            j = self.draw(st.integers(-3, 3))
            fns = {
                "t": lambda t: t.t(), "T0": lambda t: t.transpose(i, j), "reshape": lambda t: t.reshape(-1),
                "view": lambda t: t.view(-1, 1), "unsqueeze": lambda t: t.unsqueeze(i), "squeeze": lambda t: t.squeeze(i),
                "slice": lambda t: t[abs(i):], "select": lambda t: t[i], "expand": lambda t: t.expand(2, *t.shape),
                "permute": lambda t: t.permute(tuple(reversed(range(t.dim())))), "flatten": lambda t: t.flatten(),
                "contiguous": lambda t: t.contiguous(),
            }
            self.both(f"{v} {i} {j}", lambda: fns[v](a), lambda: fns[v](b))
        elif kind == "matmul":
            c, d = self.pick()
            if b.dtype != d.dtype and (b.numel() == 0 or d.numel() == 0):
                # torch quirk, not mirrored: batched matmul of empty tensors skips its dtype check
                self.log.append("skip mixed-dtype empty matmul")
                return
            self.both("matmul", lambda: a @ c, lambda: b @ d)
        elif kind == "inplace":
            c, d = self.pick()
            name = self.draw(st.sampled_from(["add_", "mul_", "sub_", "div_"]))
            with_tensor = self.draw(st.booleans())
            if with_tensor:
                self.both(f"{name} tensor", lambda: getattr(a, name)(c), lambda: getattr(b, name)(d), keep=False)
            else:
                self.both(f"{name} 1.5", lambda: getattr(a, name)(1.5), lambda: getattr(b, name)(1.5), keep=False)
        elif kind == "dtype":
            dt = self.draw(st.sampled_from(["float", "double", "long", "bool"]))
            self.both(dt, lambda: getattr(a, dt)(), lambda: getattr(b, dt)())
        elif kind == "no_grad":
            c, d = self.pick()

            def run(m, x, y):
                with m.no_grad():
                    return x * 2 + y
            self.both("no_grad x*2+y", lambda: run(tg, a, c), lambda: run(torch, b, d))
        elif kind == "compare":
            self.both("gt 0", lambda: a > 0, lambda: b > 0)
        elif kind == "detach":
            self.both("detach", lambda: a.detach(), lambda: b.detach())
        else:
            self.backward(a, b)

    def backward(self, a, b):
        if not b.requires_grad:
            self.both("backward (no grad)", lambda: a.sum().backward(), lambda: b.sum().backward(), keep=False)
            return
        seed = self.draw(st.integers(0, 2**31))
        g = np.random.default_rng(seed).standard_normal(tuple(b.shape)).astype(NP_OF_TG[a.dtype])
        ran = self.both("backward", lambda: a.backward(tg.tensor(g), retain_graph=True),
                        lambda: b.backward(torch.tensor(g), retain_graph=True), keep=False)
        if ran is None:
            # both raised midway (e.g. a saved tensor modified in place): which leaves already got
            # their gradient depends on each engine's node order, which is not part of the contract
            return
        self.compare_grads()

    def compare_grads(self):
        for k, (x, y) in enumerate(self.leaves):
            if y.grad is None:
                assert x.grad is None, f"leaf {k}: torch grad is None"
            else:
                assert x.grad is not None, f"leaf {k}: grad missing"
                _close(x.grad, y.grad, f"grad of leaf {k}")


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's gradient-layout notices
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_fuzz_programs(data):
    prog = Program(data)
    for _ in range(data.draw(st.integers(1, 2))):
        prog.add_leaf()
    n_steps = data.draw(st.integers(1, 10))
    try:
        for _ in range(n_steps):
            prog.step()
        # finish: backward through everything that still requires grad
        a, b = prog.pick()
        prog.backward(a, b)
    except AssertionError as e:
        raise AssertionError(f"{e}\nprogram: {prog.log}") from None
