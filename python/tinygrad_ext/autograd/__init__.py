"""tinygrad_ext.autograd: grad, backward, gradcheck and the grad-mode switches."""
from .. import _C
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates gradients of `tensors` into the leaves' .grad."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    retain = create_graph if retain_graph is None else retain_graph
    _C._backward(tensors, grads, bool(retain), bool(create_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, materialize_grads=False):
    """Returns the gradients of `outputs` with respect to `inputs` (without touching .grad)."""
    outputs = _as_list(outputs)
    inputs_list = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    retain = create_graph if retain_graph is None else retain_graph
    result = _C._grad(outputs, inputs_list, grads, bool(retain), bool(create_graph),
                      bool(allow_unused or materialize_grads))
    if materialize_grads:
        from .._creation import zeros_like
        result = [zeros_like(i) if g is None else g for i, g in zip(inputs_list, result)]
    return tuple(result)


__all__ = ["backward", "grad", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
