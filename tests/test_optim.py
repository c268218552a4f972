# tg.optim against torch.optim: trajectories, param groups, state_dict round trips and errors.

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_ext as tg

pytestmark = pytest.mark.torch

DTYPES = {"float32": (tg.float32, torch.float32, np.float32),
          "float64": (tg.float64, torch.float64, np.float64)}
# float32: 1e-5 relative to the parameters' O(1) scale (sqrt differs from torch's MKL sqrt by 1 ulp).
# Relative tolerance per element; entries that pass near zero are held to the same relative
# tolerance of the parameter's own scale (its largest magnitude) instead.
RTOL = {"float32": 1e-5, "float64": 1e-6}
STEPS = 50


def _lr(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# Hyperparameter strategies per optimizer; every option of each optimizer is exercised.
def _sgd_kwargs():
    def build(d):
        if d["nesterov"]:
            d["dampening"] = 0.0
            d["momentum"] = d["momentum"] or 0.9
        return d
    return st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.1), momentum=st.sampled_from([0.0, 0.5, 0.9]),
        dampening=st.sampled_from([0.0, 0.1]), weight_decay=st.sampled_from([0.0, 1e-2]),
        nesterov=st.booleans(), maximize=st.booleans())).map(build)


def _adam_kwargs(wd=(0.0, 1e-2)):
    return st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.05), betas=st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.5, 0.9)]),
        eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from(list(wd)),
        amsgrad=st.booleans(), maximize=st.booleans()))


STRATEGIES = {
    "SGD": _sgd_kwargs(),
    "Adam": _adam_kwargs(),
    "AdamW": _adam_kwargs(wd=(0.0, 1e-2, 0.1)),
    "Adagrad": st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.1), lr_decay=st.sampled_from([0.0, 0.01]),
        weight_decay=st.sampled_from([0.0, 1e-2]),
        initial_accumulator_value=st.sampled_from([0.0, 0.1]), eps=st.sampled_from([1e-10, 1e-3]),
        maximize=st.booleans())),
    "RMSprop": st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.02), alpha=st.sampled_from([0.99, 0.9]), eps=st.sampled_from([1e-8, 1e-3]),
        weight_decay=st.sampled_from([0.0, 1e-2]), momentum=st.sampled_from([0.0, 0.5]),
        centered=st.booleans(), maximize=st.booleans())),
    "Adadelta": st.fixed_dictionaries(dict(
        lr=_lr(0.1, 1.0), rho=st.sampled_from([0.9, 0.5]), eps=st.sampled_from([1e-6, 1e-3]),
        weight_decay=st.sampled_from([0.0, 1e-2]), maximize=st.booleans())),
    "Adamax": st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.05), betas=st.sampled_from([(0.9, 0.999), (0.8, 0.99)]),
        eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 1e-2]),
        maximize=st.booleans())),
    "NAdam": st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.05), betas=st.sampled_from([(0.9, 0.999), (0.8, 0.99)]),
        eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 1e-2]),
        momentum_decay=st.sampled_from([4e-3, 1e-2]), decoupled_weight_decay=st.booleans(),
        maximize=st.booleans())),
    "RAdam": st.fixed_dictionaries(dict(
        lr=_lr(1e-3, 0.05), betas=st.sampled_from([(0.9, 0.999), (0.8, 0.9)]),
        eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 1e-2]),
        decoupled_weight_decay=st.booleans(), maximize=st.booleans())),
}


def _pair(arr, dtype):
    """The same values as a tg leaf and a torch leaf requiring grad."""
    tg_dtype, torch_dtype, np_dtype = DTYPES[dtype]
    arr = np.asarray(arr, dtype=np_dtype)
    return (tg.tensor(arr, dtype=tg_dtype, requires_grad=True),
            torch.tensor(arr, dtype=torch_dtype, requires_grad=True))


def _quadratic_problem(rng, shape, dtype):
    """loss = sum(a * (p - c)^2) / 2 with a > 0: the same quadratic in both libraries."""
    p0 = rng.standard_normal(shape)
    a = rng.uniform(0.5, 2.0, shape)
    c = rng.standard_normal(shape)
    tg_p, th_p = _pair(p0, dtype)
    tg_a, th_a = _pair(a, dtype)
    tg_c, th_c = _pair(c, dtype)

    def loss_tg(ps):
        return (tg_a.detach() * (ps[0] - tg_c.detach()) ** 2).sum() * 0.5

    def loss_th(ps):
        return (th_a.detach() * (ps[0] - th_c.detach()) ** 2).sum() * 0.5

    return [tg_p], [th_p], loss_tg, loss_th


def _mlp_problem(rng, hidden, dtype):
    """A 3 -> hidden -> 2 tanh MLP with an MSE loss on a fixed batch of 8."""
    shapes = [(3, hidden), (hidden,), (hidden, 2), (2,)]
    pairs = [_pair(rng.standard_normal(s) * 0.5, dtype) for s in shapes]
    tg_x, th_x = _pair(rng.standard_normal((8, 3)), dtype)
    tg_y, th_y = _pair(rng.standard_normal((8, 2)), dtype)
    tg_ps = [p[0] for p in pairs]
    th_ps = [p[1] for p in pairs]

    def mlp(x, y, w1, b1, w2, b2):
        h = (x @ w1 + b1).tanh()
        return ((h @ w2 + b2 - y) ** 2).mean()

    return (tg_ps, th_ps, lambda ps: mlp(tg_x.detach(), tg_y.detach(), *ps),
            lambda ps: mlp(th_x.detach(), th_y.detach(), *ps))


def _assert_params_equal(tg_ps, th_ps, dtype, step):
    for i, (a, b) in enumerate(zip(tg_ps, th_ps)):
        want = b.detach().numpy()
        scale = float(np.max(np.abs(want), initial=1.0))
        np.testing.assert_allclose(a.detach().numpy(), want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale,
                                   err_msg=f"parameter {i} after step {step}")


def _run_both(name, kwargs, tg_ps, th_ps, loss_tg, loss_th, dtype, steps=STEPS, same_grads=False):
    """Runs `steps` steps of the same optimizer in both libraries, comparing after each one.
    With maximize=True the negated loss is maximized, so both runs still converge.
    same_grads: after checking tg's own gradients against torch's (1e-4), the tg optimizer is
    given torch's gradients, so that the comparison measures the optimizer alone. Used for float32
    networks, where 1-ulp differences of a matmul's summation order grow through 50 adaptive steps
    beyond 1e-5; the float64 runs check the whole autograd + optimizer pipeline."""
    sign = -1.0 if kwargs.get("maximize") else 1.0
    opt_tg = getattr(tg.optim, name)(tg_ps, **kwargs)
    opt_th = getattr(torch.optim, name)(th_ps, **kwargs)
    for step in range(1, steps + 1):
        for opt, loss, ps in ((opt_tg, loss_tg, tg_ps), (opt_th, loss_th, th_ps)):
            opt.zero_grad()
            (loss(ps) * sign).backward()
        if same_grads:
            for a, b in zip(tg_ps, th_ps):
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
                a.grad = tg.tensor(b.grad.numpy(), dtype=a.dtype)
        opt_tg.step()
        opt_th.step()
        _assert_params_equal(tg_ps, th_ps, dtype, step)
    return opt_tg, opt_th


COMMON = settings(max_examples=6, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@COMMON
@given(data=st.data())
def test_quadratic_trajectory_matches_torch(name, data):
    kwargs = data.draw(STRATEGIES[name], label="kwargs")
    shape = data.draw(st.sampled_from([(), (1,), (7,), (3, 4), (2, 3, 5)]), label="shape")
    dtype = data.draw(st.sampled_from(sorted(DTYPES)), label="dtype")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    problem = _quadratic_problem(np.random.default_rng(seed), shape, dtype)
    # float32: both optimizers get torch's gradients (tg's are checked against them first), so
    # last-bit differences in the gradient cannot be amplified over 50 steps.
    _run_both(name, kwargs, *problem, dtype, same_grads=dtype == "float32")


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@COMMON
@given(data=st.data())
def test_mlp_trajectory_matches_torch(name, data):
    kwargs = data.draw(STRATEGIES[name], label="kwargs")
    dtype = data.draw(st.sampled_from(sorted(DTYPES)), label="dtype")
    hidden = data.draw(st.sampled_from([4, 8, 16]), label="hidden")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    problem = _mlp_problem(np.random.default_rng(seed), hidden, dtype)
    _run_both(name, kwargs, *problem, dtype, same_grads=dtype == "float32")


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_default_options_and_repr_match_torch(name):
    tg_p, th_p = _pair(np.zeros(3), "float32")
    kwargs = {"lr": 0.1} if name == "SGD" else {}
    opt_tg = getattr(tg.optim, name)([tg_p], **kwargs)
    opt_th = getattr(torch.optim, name)([th_p], **kwargs)
    assert opt_tg.defaults == opt_th.defaults
    assert repr(opt_tg) == repr(opt_th)
    assert isinstance(opt_tg, tg.optim.Optimizer)
    assert [k for k in opt_tg.param_groups[0]] == [k for k in opt_th.param_groups[0]]


def test_large_parameter_uses_parallel_path():
    # 100k elements: above the parallel grain, so the kernel may split the buffer across threads.
    rng = np.random.default_rng(0)
    problem = _quadratic_problem(rng, (100_000,), "float32")
    _run_both("Adam", dict(lr=0.01, amsgrad=True), *problem, "float32", steps=5)
    problem = _quadratic_problem(rng, (100_000,), "float64")
    _run_both("SGD", dict(lr=0.01, momentum=0.9, nesterov=True), *problem, "float64", steps=5)


def test_param_groups_with_own_options_and_edited_lr():
    rng = np.random.default_rng(1)
    tg_ps, th_ps, loss_tg, loss_th = _mlp_problem(rng, 4, "float64")

    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.05, "momentum": 0.5}]

    opt_tg = tg.optim.SGD(groups(tg_ps), lr=0.1, momentum=0.9)
    opt_th = torch.optim.SGD(groups(th_ps), lr=0.1, momentum=0.9)
    assert opt_tg.param_groups[1]["lr"] == 0.05 and opt_tg.param_groups[0]["momentum"] == 0.9
    for step in range(20):
        if step == 10:
            for opt in (opt_tg, opt_th):
                opt.param_groups[0]["lr"] = 0.01  # users edit param_groups directly
        for opt, loss, ps in ((opt_tg, loss_tg, tg_ps), (opt_th, loss_th, th_ps)):
            opt.zero_grad()
            loss(ps).backward()
            opt.step()
        _assert_params_equal(tg_ps, th_ps, "float64", step)


def test_add_param_group_later():
    rng = np.random.default_rng(2)
    tg_ps, th_ps, loss_tg, loss_th = _mlp_problem(rng, 3, "float64")
    opt_tg = tg.optim.Adam(tg_ps[:2], lr=0.01)
    opt_th = torch.optim.Adam(th_ps[:2], lr=0.01)
    for step in range(10):
        if step == 5:
            opt_tg.add_param_group({"params": tg_ps[2:], "lr": 0.02})
            opt_th.add_param_group({"params": th_ps[2:], "lr": 0.02})
        for opt, loss, ps in ((opt_tg, loss_tg, tg_ps), (opt_th, loss_th, th_ps)):
            opt.zero_grad()
            loss(ps).backward()
            opt.step()
        _assert_params_equal(tg_ps, th_ps, "float64", step)
    assert opt_tg.param_groups[1]["betas"] == (0.9, 0.999)


def test_step_skips_parameters_without_grad_and_is_no_grad():
    a, _ = _pair(np.ones(3), "float32")
    b, _ = _pair(np.ones(3), "float32")
    opt = tg.optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), np.ones(3, np.float32))
    assert b not in opt.state and a in opt.state
    assert not np.allclose(a.detach().numpy(), 1.0)
    assert a.is_leaf and a.requires_grad and a.grad_fn is None
    assert opt.state[a]["step"].item() == 1.0


def test_zero_grad_to_none_and_to_zeros():
    a, _ = _pair(np.ones(3), "float64")
    opt = tg.optim.SGD([a], lr=0.1)
    (a * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))
    opt.zero_grad()
    assert a.grad is None


def test_closure_returns_loss():
    tg_ps, th_ps, loss_tg, loss_th = _quadratic_problem(np.random.default_rng(3), (4,), "float64")
    opt_tg = tg.optim.SGD(tg_ps, lr=0.1)
    opt_th = torch.optim.SGD(th_ps, lr=0.1)

    def closure(opt, loss_fn, ps):
        def run():
            opt.zero_grad()
            loss = loss_fn(ps)
            loss.backward()
            return loss
        return run

    out_tg = opt_tg.step(closure(opt_tg, loss_tg, tg_ps))
    out_th = opt_th.step(closure(opt_th, loss_th, th_ps))
    assert out_tg.item() == pytest.approx(out_th.item(), rel=1e-12)
    _assert_params_equal(tg_ps, th_ps, "float64", 1)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adadelta", dict()),
    ("Adamax", dict()),
    ("NAdam", dict()),
    ("RAdam", dict()),
])
def test_state_dict_round_trip_resumes_same_trajectory(name, kwargs):
    rng = np.random.default_rng(4)
    tg_ps, th_ps, loss_tg, loss_th = _mlp_problem(rng, 4, "float32")

    def train(opt, ps, loss_fn):
        opt.zero_grad()
        loss_fn(ps).backward()
        opt.step()

    opt_tg = getattr(tg.optim, name)(tg_ps, **kwargs)
    opt_th = getattr(torch.optim, name)(th_ps, **kwargs)
    for _ in range(10):
        train(opt_tg, tg_ps, loss_tg)
        train(opt_th, th_ps, loss_th)
    saved, saved_th = opt_tg.state_dict(), opt_th.state_dict()
    assert saved["param_groups"] == saved_th["param_groups"]
    assert sorted(saved["state"]) == sorted(saved_th["state"])
    for i, per_param in saved["state"].items():
        assert sorted(per_param) == sorted(saved_th["state"][i])

    # Fresh parameters with the same values and a fresh optimizer loaded from the state dict.
    copies = [tg.tensor(p.detach().numpy(), dtype=p.dtype, requires_grad=True) for p in tg_ps]
    resumed = getattr(tg.optim, name)(copies, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == opt_tg.param_groups[0]["lr"]
    for step in range(10):
        train(opt_tg, tg_ps, loss_tg)
        train(resumed, copies, loss_tg)
        train(opt_th, th_ps, loss_th)
        for a, b in zip(tg_ps, copies):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        _assert_params_equal(tg_ps, th_ps, "float32", step)


def test_load_state_dict_copies_and_continues_identically():
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal((5,))
    a = rng.uniform(0.5, 2.0, (5,))

    def make():
        p, _ = _pair(p0, "float64")
        w, _ = _pair(a, "float64")
        return p, (lambda: (w.detach() * p ** 2).sum())

    def train(opt, loss_fn, steps):
        for _ in range(steps):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()

    p1, loss1 = make()
    opt1 = tg.optim.Adam([p1], lr=0.05, amsgrad=True)
    train(opt1, loss1, 7)
    p2, loss2 = make()
    with tg.no_grad():
        p2.copy_(p1)
    opt2 = tg.optim.Adam([p2], lr=0.05, amsgrad=True)
    opt2.load_state_dict(opt1.state_dict())
    train(opt1, loss1, 8)
    train(opt2, loss2, 8)
    np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    assert opt2.state[p2]["step"].item() == 15.0
    assert opt2.state[p2]["exp_avg"] is not opt1.state[p1]["exp_avg"]


def test_invalid_hyperparameters_raise_torch_errors():
    p, _ = _pair(np.zeros(2), "float32")
    cases = [
        (lambda: tg.optim.SGD([p], lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda: tg.optim.SGD([p], lr=0.1, momentum=-1), "Invalid momentum value: -1"),
        (lambda: tg.optim.SGD([p], lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: tg.optim.SGD([p], lr=0.1, nesterov=True),
         "Nesterov momentum requires a momentum and zero dampening"),
        (lambda: tg.optim.Adam([p], betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda: tg.optim.Adam([p], betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0.1"),
        (lambda: tg.optim.Adam([p], eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda: tg.optim.RMSprop([p], alpha=-0.5), "Invalid alpha value: -0.5"),
        (lambda: tg.optim.RMSprop([p], momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda: tg.optim.Adadelta([p], rho=1.5), "Invalid rho value: 1.5"),
        (lambda: tg.optim.Adagrad([p], lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda: tg.optim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value: -1"),
        (lambda: tg.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()


def test_parameter_misuse_raises():
    p, _ = _pair(np.zeros(2), "float32")
    q, _ = _pair(np.zeros(2), "float32")
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        tg.optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        tg.optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        tg.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        tg.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        tg.optim.SGD([p, 3.0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        tg.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        tg.optim.Adam([p], differentiable=True)


def test_kernel_errors_name_the_op_and_shapes():
    p, _ = _pair(np.zeros((2, 3)), "float32")
    g, _ = _pair(np.zeros((3, 2)), "float32")
    with pytest.raises(ValueError, match=r"sgd_step: grad has shape \[3, 2\] but the parameter has "
                                         r"shape \[2, 3\]"):
        tg._C._optim.sgd_step(p, g.detach(), None, 0.1, 0.0, 0.0, 0.0, False, False)
    g64, _ = _pair(np.zeros((2, 3)), "float64")
    with pytest.raises(TypeError, match="adam_step: grad has dtype float64 but the parameter has "
                                        "dtype float32"):
        tg._C._optim.adam_step(p, g64.detach(), p.detach() * 0, p.detach() * 0, None, 1.0, 0.1,
                               0.9, 0.999, 1e-8, 0.0, False, False, False)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.01)),
])
def test_sqrt_free_updates_are_bitwise_equal_to_torch(name, kwargs, dtype):
    # With the same gradients, optimizers whose rule has no sqrt round exactly like torch's
    # kernels (fused multiply-adds where torch fuses); sqrt-based ones differ from torch's MKL sqrt
    # by at most an ulp per step.
    rng = np.random.default_rng(7)
    p_tg, p_th = _pair(rng.standard_normal(10_001), dtype)
    opt_tg = getattr(tg.optim, name)([p_tg], **kwargs)
    opt_th = getattr(torch.optim, name)([p_th], **kwargs)
    for _ in range(20):
        g = rng.standard_normal(10_001).astype(DTYPES[dtype][2])
        p_tg.grad = tg.tensor(g)
        p_th.grad = torch.tensor(g)
        opt_tg.step()
        opt_th.step()
        np.testing.assert_array_equal(p_tg.detach().numpy(), p_th.detach().numpy())
