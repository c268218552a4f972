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
           "glu", "scaled_dot_product_attention"]


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


def _repeat_heads(x, repeats):
    """Each head of (..., H, S, E) repeated `repeats` times in place (repeat_interleave over dim -3)."""
    shape = list(x.shape)
    grown = x.unsqueeze(-3).expand(*shape[:-2], repeats, *shape[-2:])
    return grown.reshape(*shape[:-3], shape[-3] * repeats, *shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over (..., L, E) queries and (..., S, E) keys; a boolean mask keeps
    the True positions, a float mask is added; rows with every position masked give 0, as torch's."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(t, "scaled_dot_product_attention", name)
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value of at least 2 dims, got "
                           f"{list(query.shape)}, {list(key.shape)}, {list(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        if query.shape[-3] % key.shape[-3]:
            raise RuntimeError(f"scaled_dot_product_attention: {query.shape[-3]} query heads are not a multiple "
                               f"of {key.shape[-3]} key/value heads")
        repeats = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, repeats), _repeat_heads(value, repeats)
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / (query.shape[-1] ** 0.5) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    neg_inf = float("-inf")
    if is_causal:
        keep = tg.ones(length, source, dtype=tg.bool).tril()
        scores = scores.masked_fill(keep.logical_not(), neg_inf)
    elif attn_mask is not None:
        if attn_mask.dtype == tg.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), neg_inf)
        else:
            scores = scores + attn_mask
    attn = tg.nn.functional.softmax(scores, -1)
    if is_causal or attn_mask is not None:
        all_masked = (scores == neg_inf).all(-1, keepdim=True)
        attn = tg.where(all_masked, tg.zeros_like(attn), attn)
    if dropout_p > 0.0:
        attn = tg.nn.functional.dropout(attn, dropout_p, training=True)
    return attn.matmul(value)
