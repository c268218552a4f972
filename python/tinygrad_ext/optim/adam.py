# Adam (Kingma & Ba) with optional AMSGrad, maximize and L2 or decoupled weight decay.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _check_unsupported,
                        _dense_grad, _increment_step, _kernels, _new_step, _to_float, _uses_no_grad)

__all__ = ["Adam"]


class Adam(Optimizer):
    """torch.optim.Adam: m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with v replaced by its running
    maximum under amsgrad; weight decay is L2 (added to g) or, if decoupled, p *= 1 - lr * wd."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable, capturable)
        betas = tuple(_to_float(b) if isinstance(b, tg.Tensor) else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _state_for(self, p, amsgrad):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["exp_avg"] = tg.zeros_like(p)
            state["exp_avg_sq"] = tg.zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = tg.zeros_like(p)
        elif amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = tg.zeros_like(p)  # amsgrad switched on mid-training
        return state

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            amsgrad = bool(group["amsgrad"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = _dense_grad(p)
                state = self._state_for(p, amsgrad)
                step = _increment_step(state)
                k.adam_step(p, grad, state["exp_avg"], state["exp_avg_sq"],
                            state.get("max_exp_avg_sq") if amsgrad else None, step, lr, beta1,
                            beta2, float(group["eps"]), float(group["weight_decay"]), amsgrad,
                            bool(group["maximize"]), bool(group["decoupled_weight_decay"]))
        return loss
