# NAdam (Dozat): Adam with Nesterov momentum and a warming-up momentum schedule.
import tinygrad_ext as tg

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _check_unsupported,
                        _increment_step, _kernels, _new_step, _round_like,
                        _scalar_dtype, _to_float, _uses_no_grad)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """torch.optim.NAdam: mu_t = b1 (1 - 0.5 * 0.96^(t psi)) with psi = momentum_decay;
    p -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) g / d + lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m / d,
    where d = sqrt(v / (1 - b2^t)) + eps."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(momentum_decay, "momentum_decay")
        _check_unsupported(differentiable, capturable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            psi = float(group["momentum_decay"])
            for p, grad, state in self._params_with_grads(group):
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["mu_product"] = tg.tensor(1.0, dtype=_scalar_dtype())
                    state["exp_avg"] = tg.zeros_like(p)
                    state["exp_avg_sq"] = tg.zeros_like(p)
                step = _increment_step(state)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
                # The running product lives in a 0-d tensor, rounded to its dtype as torch's is.
                mp = state["mu_product"]
                mu_product = _round_like(_round_like(mp.item(), mp) * _round_like(mu, mp), mp)
                mp.fill_(mu_product)
                k.nadam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], step, mu, mu_next,
                             mu_product, mu_product * mu_next, lr, beta1, beta2,
                             float(group["eps"]), float(group["weight_decay"]),
                             bool(group["maximize"]), bool(group["decoupled_weight_decay"]))
        return loss
