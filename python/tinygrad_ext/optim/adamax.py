# Adamax (Kingma & Ba): the infinity-norm variant of Adam.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torch.optim.Adamax: m = lerp(m, g, 1 - b1); u = max(b2 u, |g| + eps);
    p -= lr / (1 - b1^t) * m / u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable, capturable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
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
                    state["exp_inf"] = tg.zeros_like(p)
                step = _increment_step(state)
                k.adamax_step(p, grad, state["exp_avg"], state["exp_inf"], step, lr, beta1, beta2,
                              float(group["eps"]), float(group["weight_decay"]),
                              bool(group["maximize"]))
        return loss
