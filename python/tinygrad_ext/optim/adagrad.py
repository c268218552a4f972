# Adagrad (Duchi et al.): per-coordinate steps scaled by the root of the summed squared gradients.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torch.optim.Adagrad: s += g^2;  p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg(lr_decay, "lr_decay")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        _check_nonneg(eps, "epsilon")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # Like torch, the accumulators exist from construction on (sum starts at the initial value).
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _new_step()
                state["sum"] = tg.full_like(p, float(initial_accumulator_value))

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            for p, grad, state in self._params_with_grads(group):
                if len(state) == 0:  # a parameter added with add_param_group after construction
                    state["step"] = _new_step()
                    state["sum"] = tg.full_like(p, float(group["initial_accumulator_value"]))
                step = _increment_step(state)
                k.adagrad_step(p, grad, state["sum"], step, lr, float(group["lr_decay"]),
                               float(group["weight_decay"]), float(group["eps"]),
                               bool(group["maximize"]))
        return loss
