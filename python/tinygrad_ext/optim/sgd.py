# Stochastic gradient descent with optional (Nesterov) momentum, dampening and weight decay.
from .optimizer import (Optimizer, _check_lr, _check_unsupported, _dense_grad, _kernels,
                        _to_float, _uses_no_grad)

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD: v = momentum * v + (1 - dampening) * g;  p -= lr * (g + momentum * v if
    nesterov else v), where g includes weight_decay * p (and is negated when maximize)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    @_uses_no_grad
    def step(self, closure=None):
        """Performs one optimization step; returns the closure's loss if a closure is given."""
        loss = self._eval_closure(closure)
        k = _kernels()
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            momentum = float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                buf = k.sgd_step(p, _dense_grad(p), buf, lr, momentum, float(group["dampening"]),
                                 _to_float(group["weight_decay"]), bool(group["nesterov"]),
                                 bool(group["maximize"]))
                if momentum != 0:
                    self.state[p]["momentum_buffer"] = buf
        return loss
