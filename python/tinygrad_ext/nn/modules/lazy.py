"""Lazy modules: parameters whose shape is inferred from the first input (torch.nn's LazyModuleMixin,
UninitializedParameter, UninitializedBuffer) and LazyLinear."""
import tinygrad_ext as tg
from ..._C import Tensor
from ..._C import _nn as _nn_k
from ..parameter import Parameter
from .linear import Linear


class _Uninitialized:
    """Shared by UninitializedParameter and UninitializedBuffer: an empty placeholder that `materialize`
    turns, in place, into a tensor of the given shape (then of class `cls_to_become`)."""
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"materialize: only the 'cpu' device is supported, got {device!r}")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        _nn_k._set_leaf_data(self, tg.empty(*shape, dtype=dtype or self.dtype))
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, None, self.dtype))


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without a shape yet; `materialize(shape)` makes it a Parameter."""
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(tg.empty(0, dtype=dtype or tg.float32), requires_grad)


class _MaterializedBuffer(Tensor):
    """What an UninitializedBuffer becomes: a plain tensor."""


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer without a shape yet; `materialize(shape)` makes it an ordinary tensor."""
    cls_to_become = _MaterializedBuffer

    def __init__(self, requires_grad=False, device=None, dtype=None):
        super().__init__(tg.empty(0, dtype=dtype or tg.float32))
        self.requires_grad_(requires_grad)


def is_lazy(param):
    return isinstance(param, _Uninitialized)


class LazyModuleMixin:
    """Put first in the bases of a module whose parameters are UninitializedParameter/UninitializedBuffer.
    A forward pre-hook calls `initialize_parameters(*input)` on the first call, checks that nothing is left
    uninitialized, removes itself and turns the module into `cls_to_become`. Loading a state_dict first
    materializes the lazy entries at the checkpoint's shapes."""
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(LazyModuleMixin._infer_parameters)

    def has_uninitialized_params(self):
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(is_lazy(t) for t in tensors)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, args):
        self.initialize_parameters(*args)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        del self._initialize_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def load_state_dict(self, state_dict, strict=True, assign=False):
        for table in (self._parameters, self._buffers):
            for name, t in table.items():
                if is_lazy(t) and name in state_dict and isinstance(state_dict[name], Tensor):
                    t.materialize(state_dict[name].shape)
        return super().load_state_dict(state_dict, strict, assign)


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is inferred from the first input's last dim."""
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.out_features = out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with tg.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyNormBase(LazyModuleMixin):
    """Lazy batch and instance norms: num_features is inferred from the first input's channel dim (dim 0 of
    an unbatched input of the norm's `_no_batch_dim` dims, else dim 1). Put first in the bases."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = tg.tensor(0, dtype=tg.int64)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            unbatched = input.dim() == getattr(self, "_no_batch_dim", None)
            self.num_features = input.shape[0] if unbatched else input.shape[1]
            with tg.no_grad():
                for t in (self.weight, self.bias, self.running_mean, self.running_var):
                    if t is not None:
                        t.materialize((self.num_features,))
                self.reset_parameters()
