# RMSprop (Hinton): steps scaled by a running root-mean-square of the gradients.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop: v = alpha v + (1 - alpha) g^2; d = sqrt(v - E[g]^2 if centered else v)
    + eps; then p -= lr * g / d, or with momentum b = momentum b + g / d and p -= lr * b."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_nonneg(momentum, "momentum")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(alpha, "alpha")
        _check_unsupported(differentiable, capturable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            momentum, centered = float(group["momentum"]), bool(group["centered"])
            for p, grad, state in self._params_with_grads(group):
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = tg.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = tg.zeros_like(p)
                    if centered:
                        state["grad_avg"] = tg.zeros_like(p)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = tg.zeros_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = tg.zeros_like(p)
                _increment_step(state)
                k.rmsprop_step(p, grad, state["square_avg"], state.get("grad_avg"),
                               state.get("momentum_buffer"), lr, float(group["alpha"]),
                               float(group["eps"]), float(group["weight_decay"]), momentum,
                               centered, bool(group["maximize"]))
        return loss
