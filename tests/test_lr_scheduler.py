# tg.optim.lr_scheduler against torch.optim.lr_scheduler: lr sequences, warnings, state_dict.
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg

pytestmark = pytest.mark.torch

EPOCHS = 200


def _optimizers(name="SGD", groups=1, **kwargs):
    """The same optimizer in both libraries, with `groups` param groups of distinct lrs."""
    kwargs = dict(dict(lr=0.1, momentum=0.9), **kwargs) if name == "SGD" else kwargs
    tg_groups = [{"params": [tg.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
                 for i in range(groups)]
    th_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
                 for i in range(groups)]
    return getattr(tg.optim, name)(tg_groups, **kwargs), getattr(torch.optim, name)(th_groups, **kwargs)


# name -> (scheduler constructor taking (module, optimizer), optimizer name)
CASES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=50, gamma=0.5), "SGD"),
    "StepLR_small": (lambda m, o: m.StepLR(o, step_size=3), "SGD"),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[50, 100, 160], gamma=0.5), "SGD"),
    "MultiStepLR_repeated": (lambda m, o: m.MultiStepLR(o, milestones=[10, 10, 30], gamma=0.3),
                             "SGD"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), "SGD"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=1e-3), "SGD"),
    "CosineAnnealingLR_long": (lambda m, o: m.CosineAnnealingLR(o, T_max=200), "Adam"),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e), "SGD"),
    "LambdaLR_per_group": (lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.99 ** e]),
                           "SGD", 2),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.97), "SGD"),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=40), "SGD"),
    "LinearLR_decay": (lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=100), "Adam"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=20), "SGD"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=150, power=2.0), "SGD"),
    "CosineAnnealingWarmRestarts": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2,
                                                                               eta_min=1e-4),
                                    "SGD"),
    "CosineAnnealingWarmRestarts_T1": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7), "SGD"),
    "OneCycleLR_cos": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=EPOCHS + 1), "SGD"),
    "OneCycleLR_linear_3phase": (lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.8], epochs=67, steps_per_epoch=3, anneal_strategy="linear",
        three_phase=True), "SGD", 2),
    "OneCycleLR_adam": (lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=EPOCHS + 1,
                                                  pct_start=0.25), "Adam"),
    "SequentialLR": (lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
                                                     m.ExponentialLR(o, gamma=0.98)],
                                                 milestones=[10]), "SGD"),
    "SequentialLR_three": (lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.2, total_iters=5), m.CosineAnnealingLR(o, T_max=50),
            m.StepLR(o, step_size=20, gamma=0.7)], milestones=[20, 120]), "SGD"),
    "ChainedScheduler": (lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                                          m.ExponentialLR(o, gamma=0.97)]), "SGD"),
}


def _momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


@pytest.mark.parametrize("case", sorted(CASES))
def test_lr_sequence_matches_torch(case):
    make, opt_name, *groups = CASES[case]
    opt_tg, opt_th = _optimizers(opt_name, groups=groups[0] if groups else 1)
    s_tg = make(tg.optim.lr_scheduler, opt_tg)
    s_th = make(torch.optim.lr_scheduler, opt_th)
    assert s_tg.get_last_lr() == s_th.get_last_lr()
    for epoch in range(EPOCHS):
        opt_tg.step()
        opt_th.step()
        s_tg.step()
        s_th.step()
        # lrs come from the same float formulas in the same order: equal, not just close
        assert s_tg.get_last_lr() == s_th.get_last_lr(), f"epoch {epoch}"
        assert [g["lr"] for g in opt_tg.param_groups] == [g["lr"] for g in opt_th.param_groups]
        assert ([_momentum_of(g) for g in opt_tg.param_groups]
                == [_momentum_of(g) for g in opt_th.param_groups])
        assert getattr(s_tg, "last_epoch", None) == getattr(s_th, "last_epoch", None)


def test_required_sequences_by_value():
    # StepLR(50, 0.5), MultiStepLR([50, 100, 160], 0.5) and ExponentialLR(0.9) on SGD(0.1, 0.9),
    # also checked against closed forms.
    def run(make):
        opt, _ = _optimizers("SGD")
        sched = make(opt)
        lrs = []
        for _ in range(EPOCHS):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        return lrs

    m = tg.optim.lr_scheduler
    step = run(lambda o: m.StepLR(o, step_size=50, gamma=0.5))
    multi = run(lambda o: m.MultiStepLR(o, milestones=[50, 100, 160], gamma=0.5))
    expo = run(lambda o: m.ExponentialLR(o, gamma=0.9))
    for e in range(1, EPOCHS + 1):
        assert step[e - 1] == pytest.approx(0.1 * 0.5 ** (e // 50), rel=1e-12)
        n = sum(e >= k for k in (50, 100, 160))
        assert multi[e - 1] == pytest.approx(0.1 * 0.5 ** n, rel=1e-12)
        assert expo[e - 1] == pytest.approx(0.1 * 0.9 ** e, rel=1e-9)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0 / (1 + e) if e < 30 else 0.03 + 0.001 * math.sin(e) for e in range(EPOCHS)]
    configs = [dict(), dict(mode="max", factor=0.5, patience=3, threshold=0.01, cooldown=2),
               dict(factor=0.5, patience=2, threshold_mode="abs", threshold=1e-3, min_lr=1e-3),
               dict(patience=0, min_lr=[0.01, 0.02], cooldown=1)]
    for cfg in configs:
        opt_tg, opt_th = _optimizers("SGD", groups=2)
        s_tg = tg.optim.lr_scheduler.ReduceLROnPlateau(opt_tg, **cfg)
        s_th = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_th, **cfg)
        for metric in metrics:
            value = -metric if cfg.get("mode") == "max" else metric
            opt_tg.step()
            opt_th.step()
            s_tg.step(value)
            s_th.step(value)
            assert s_tg.get_last_lr() == s_th.get_last_lr()
            assert s_tg.num_bad_epochs == s_th.num_bad_epochs
            assert s_tg.cooldown_counter == s_th.cooldown_counter


def test_plateau_accepts_a_tensor_metric():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    for _ in range(3):
        sched.step(tg.tensor(1.0))
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 0.1 ** 2)


def test_warning_when_scheduler_steps_before_optimizer():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()


def test_no_warning_in_the_right_order_and_for_get_lr_outside_step():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()  # filterwarnings=error: any warning here fails the test
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_warning_when_optimizer_step_is_replaced():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        sched.step()


def test_epoch_argument_is_deprecated_and_uses_closed_form():
    opt_tg, opt_th = _optimizers("SGD")
    s_tg = tg.optim.lr_scheduler.StepLR(opt_tg, step_size=3, gamma=0.5)
    s_th = torch.optim.lr_scheduler.StepLR(opt_th, step_size=3, gamma=0.5)
    opt_tg.step()
    opt_th.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        s_tg.step(7)
    with pytest.warns(UserWarning):
        s_th.step(7)
    assert s_tg.get_last_lr() == s_th.get_last_lr()


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR",
                                  "OneCycleLR_cos", "SequentialLR", "CosineAnnealingWarmRestarts",
                                  "LambdaLR", "ChainedScheduler"])
def test_state_dict_round_trip_resumes_same_sequence(case):
    make, opt_name, *groups = CASES[case]
    ngroups = groups[0] if groups else 1
    m = tg.optim.lr_scheduler

    # uninterrupted run
    opt, _ = _optimizers(opt_name, groups=ngroups)
    sched = make(m, opt)
    full = []
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        full.append(sched.get_last_lr())

    # run 80 epochs, save both state dicts, rebuild everything and resume
    opt, _ = _optimizers(opt_name, groups=ngroups)
    sched = make(m, opt)
    for _ in range(80):
        opt.step()
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved_sched
    opt2, _ = _optimizers(opt_name, groups=ngroups)
    sched2 = make(m, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    resumed = []
    for _ in range(80, EPOCHS):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == full[80:]


def test_plateau_state_dict_round_trip():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for v in [1.0, 1.0, 1.0, 0.5]:
        sched.step(v)
    opt2, _ = _optimizers("SGD")
    sched2 = tg.optim.lr_scheduler.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(sched.state_dict())
    opt2.load_state_dict(opt.state_dict())
    for v in [0.5, 0.5, 0.5, 0.5]:
        sched.step(v)
        sched2.step(v)
        assert sched.get_last_lr() == sched2.get_last_lr()
    assert sched2.best == 0.5


def test_scheduled_lr_drives_the_optimizer_like_torch():
    # A full loop: SGD with momentum on a quadratic under StepLR, parameters compared to torch.
    rng = np.random.default_rng(0)
    p0, c = rng.standard_normal(5), rng.standard_normal(5)
    p_tg = tg.tensor(p0, requires_grad=True)
    p_th = torch.tensor(p0, requires_grad=True)
    opt_tg = tg.optim.SGD([p_tg], lr=0.1, momentum=0.9)
    opt_th = torch.optim.SGD([p_th], lr=0.1, momentum=0.9)
    s_tg = tg.optim.lr_scheduler.StepLR(opt_tg, step_size=5, gamma=0.5)
    s_th = torch.optim.lr_scheduler.StepLR(opt_th, step_size=5, gamma=0.5)
    c_tg, c_th = tg.tensor(c), torch.tensor(c)
    for _ in range(30):
        for p, cc, opt, s in ((p_tg, c_tg, opt_tg, s_tg), (p_th, c_th, opt_th, s_th)):
            opt.zero_grad()
            ((p - cc) ** 2).sum().backward()
            opt.step()
            s.step()
        np.testing.assert_allclose(p_tg.detach().numpy(), p_th.detach().numpy(), rtol=1e-12)


def test_constructor_errors_match_torch():
    opt, _ = _optimizers("SGD")
    m = tg.optim.lr_scheduler
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        m.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 "
                                         "and 1."):
        m.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        m.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        m.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        m.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        m.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        m.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        m.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers"):
        m.SequentialLR(opt, [m.ConstantLR(opt), m.ConstantLR(opt)], milestones=[])
    with pytest.raises(KeyError, match="initial_lr"):
        fresh, _ = _optimizers("SGD")
        m.StepLR(fresh, step_size=1, last_epoch=3)
    sgd_less = tg.optim.Adagrad([tg.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        m.OneCycleLR(sgd_less, max_lr=0.1, total_steps=10)


def test_one_cycle_raises_after_total_steps():
    opt, _ = _optimizers("SGD")
    sched = tg.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        opt.step()
        sched.step()
