# AdamW (Loshchilov & Hutter): Adam with decoupled weight decay p *= 1 - lr * weight_decay.
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """torch.optim.AdamW: Adam whose weight decay shrinks the parameter directly (default 1e-2)
    instead of being added to the gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def _fix_loaded_state(self):
        super()._fix_loaded_state()
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
