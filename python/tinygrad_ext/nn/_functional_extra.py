"""More of torch.nn.functional: the remaining activations (kernels in cpp/src/ops/nn_activation_extra.cpp),
in-place variants, prelu, rrelu, glu; imported into nn.functional."""
import tinygrad_ext as tg
from .._C import Tensor
from .._C import _nn as _k_raw
from .._C import _nn_extra as _kx_raw
from .functional import _inplace
from .._dims import wrap_dim

__all__ = ["hardsigmoid", "hardswish", "mish", "softsign", "softshrink", "hardshrink", "tanhshrink", "threshold",
           "threshold_", "relu_", "elu_", "leaky_relu_", "hardtanh_", "celu_", "selu_", "prelu", "rrelu", "rrelu_",
           "glu"]


def _check_tensor(x, op, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


class _Checked:
    """The kernels of a C++ submodule, rejecting a non-Tensor input with torch's TypeError (a null tensor
    would otherwise reach C++)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        kernel = getattr(self._module, name)

        def call(input, *args):
            _check_tensor(input, name)
            return kernel(input, *args)
        return call


_k, _kx = _Checked(_k_raw), _Checked(_kx_raw)


def hardsigmoid(input, inplace=False):
    return _inplace(input, _kx.hardsigmoid(input), inplace)


def hardswish(input, inplace=False):
    return _inplace(input, _kx.hardswish(input), inplace)


def mish(input, inplace=False):
    return _inplace(input, _kx.mish(input), inplace)


def softsign(input):
    return _kx.softsign(input)


def softshrink(input, lambd=0.5):
    return _kx.softshrink(input, lambd)


def hardshrink(input, lambd=0.5):
    return _kx.hardshrink(input, lambd)


def tanhshrink(input):
    return _kx.tanhshrink(input)


def threshold(input, threshold, value, inplace=False):
    return _inplace(input, _kx.threshold(input, threshold, value), inplace)


def threshold_(input, threshold, value):
    return input.copy_(_kx.threshold(input, threshold, value))


def relu_(input):
    return input.copy_(input.relu())


def elu_(input, alpha=1.0):
    return input.copy_(_k.elu(input, alpha, 1.0, 1.0))


def leaky_relu_(input, negative_slope=0.01):
    return input.copy_(_k.leaky_relu(input, negative_slope))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return input.copy_(_k.hardtanh(input, min_val, max_val))


def celu_(input, alpha=1.0):
    return tg.nn.functional.celu(input, alpha, inplace=True)


def selu_(input):
    return tg.nn.functional.selu(input, inplace=True)


def prelu(input, weight):
    """x where x > 0, else weight * x; weight has 1 or C (= input.shape[1]) entries."""
    _check_tensor(input, "prelu")
    _check_tensor(weight, "prelu", "weight")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: weight must be 0-D or 1-D, got shape {list(weight.shape)}")
    if weight.numel() > 1 and input.dim() >= 2:
        weight = weight.reshape([channels] + [1] * (input.dim() - 2))
    elif weight.dim() == 1:
        weight = weight.reshape([])
    return tg.where(input > 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu: in training each non-positive element gets a slope drawn from U(lower, upper);
    in eval the slope is (lower + upper) / 2."""
    _check_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _inplace(input, _k.leaky_relu(input, (lower + upper) / 2), inplace)
    slopes = tg.rand(*input.shape, dtype=input.dtype) * (upper - lower) + lower
    noise = tg.where(input > 0, tg.ones_like(input), slopes)
    return _inplace(input, input * noise, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the halves of input along dim."""
    _check_tensor(input, "glu")
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()
