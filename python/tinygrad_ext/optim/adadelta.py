# Adadelta (Zeiler): steps sized by the ratio of running RMS of updates and of gradients.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """torch.optim.Adadelta: v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) d^2; p -= lr * d."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg(eps, "epsilon")
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable, capturable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            for p, grad, state in self._params_with_grads(group):
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = tg.zeros_like(p)
                    state["acc_delta"] = tg.zeros_like(p)
                _increment_step(state)
                k.adadelta_step(p, grad, state["square_avg"], state["acc_delta"], lr,
                                float(group["rho"]), float(group["eps"]),
                                float(group["weight_decay"]), bool(group["maximize"]))
        return loss
