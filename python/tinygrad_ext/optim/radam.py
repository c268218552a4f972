# RAdam (Liu et al.): Adam whose adaptive step is switched on once its variance is tractable.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """torch.optim.RAdam: with rho_t = rho_inf - 2 t b2^t / (1 - b2^t), rho_inf = 2 / (1 - b2) - 1,
    p -= lr * m / (1 - b1^t) * [r_t sqrt(1 - b2^t) / (sqrt(v) + eps) if rho_t > 5 else 1]."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable, capturable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p, grad, state in self._params_with_grads(group):
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = tg.zeros_like(p)
                    state["exp_avg_sq"] = tg.zeros_like(p)
                step = _increment_step(state)
                k.radam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], step, lr, beta1,
                             beta2, float(group["eps"]), float(group["weight_decay"]),
                             bool(group["maximize"]), bool(group["decoupled_weight_decay"]))
        return loss
