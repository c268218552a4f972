"""nn.functional: activations, softmax, losses, linear, dropout, embedding, one_hot, pad, normalize."""
import warnings

import tinygrad_ext as tg
from .._C import Tensor
from .._C import _nn as _k
from .._C import _autocast_fp32  # losses on torch's autocast float32 list

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction_code(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction "
                         "(expected 'none', 'mean' or 'sum')")
    return _REDUCTIONS[reduction]


def _legacy_reduction(size_average, reduce, reduction):
    """torch's translation of the deprecated size_average/reduce flags into a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction instead.",
                  UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss, reduction, op):
    code = _reduction_code(reduction, op)
    return loss if code == 0 else (loss.mean() if code == 1 else loss.sum())


def _check_tensor(x, op, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a tg.Tensor, got {type(x).__name__}")


def _inplace(x, result, inplace):
    if not inplace:
        return result
    x.copy_(result)
    return x


# ---- activations ----
def relu(input, inplace=False):
    return _inplace(input, input.relu(), inplace)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _inplace(input, _k.leaky_relu(input, negative_slope), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _inplace(input, _k.hardtanh(input, min_val, max_val), inplace)


def elu(input, alpha=1.0, inplace=False):
    return _inplace(input, _k.elu(input, alpha, 1.0, 1.0), inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _inplace(input, _k.elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _inplace(input, _k.elu(input, alpha, 1.0, 1.0 / alpha), inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh (got {approximate!r})")
    return _k.gelu(input, approximate == "tanh")


def silu(input, inplace=False):
    return _inplace(input, _k.silu(input), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _k.softplus(input, beta, threshold)


def logsigmoid(input):
    # log sigmoid(x) = -softplus(-x), finite for any x
    return -_k.softplus(-input, 1.0, 20.0)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _softmax_dim(ndim, op):
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. "
                  "Change the call to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _k.softmax(input, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmin")
    input = -input  # negated in its own dtype first (uint8 wraps), then converted, as torch
    if dtype is not None:
        input = input.to(dtype)
    return _k.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _k.log_softmax(input, dim)


# ---- layers ----
def linear(input, weight, bias=None):
    """input @ weight.T + bias."""
    if weight.dim() == 2 and input.dim() >= 1 and input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input of shape {list(input.shape)} does not match weight of shape "
                           f"{list(weight.shape)} (expected input.shape[-1] == {weight.shape[-1]})")
    if bias is None:
        return input.matmul(weight.t())
    if input.dim() == 2:
        return tg.addmm(bias, input, weight.t())  # one GEMM accumulating into the broadcast bias
    if input.is_contiguous() and weight.dim() == 2:  # fold the batch dims into rows, as torch does
        out = tg.addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
        return out.view(*input.shape[:-1], out.shape[-1])
    return input.matmul(weight.t()) + bias


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _inplace(input, input * 0.0, inplace)
    keep = (tg.rand(*input.shape, dtype=input.dtype) >= p).to(input.dtype)
    return _inplace(input, input * keep * (1.0 / (1.0 - p)), inplace)


def one_hot(tensor, num_classes=-1):
    return _k.one_hot(tensor, num_classes)


def pad(input, pad, mode="constant", value=None):
    from ._spatial_functional import _pad  # every mode, with torch's rules (nn/_spatial_functional.py)
    return _pad(input, pad, mode, value)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    if out is not None:
        raise TypeError("normalize: the out= argument is not supported")
    norm = tg.linalg.vector_norm(input, p, dim, keepdim=True)
    return input / tg.maximum(norm, tg.tensor(eps, dtype=input.dtype))


# ---- losses ----
def _check_same_size(input, target, op):
    _check_tensor(input, op)
    _check_tensor(target, op, "target")
    if tuple(input.shape) != tuple(target.shape):
        try:
            tg.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except RuntimeError:
            raise RuntimeError(f"{op}: input of shape {list(input.shape)} and target of shape "
                               f"{list(target.shape)} cannot be broadcast together") from None
        warnings.warn(f"{op}: using a target size ({list(target.shape)}) that is different to the input size "
                      f"({list(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "mse_loss")
    input, target = _autocast_fp32(input), _autocast_fp32(target)
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    input, target = _autocast_fp32(input), _autocast_fp32(target)
    return _reduce((input - target).abs(), reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 z^2 / beta where z = |input - target| < beta, else z - 0.5 beta; written with c = min(z, beta)
    as 0.5 c^2 / beta + (z - c), which is the same function with the same gradient everywhere."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    _check_same_size(input, target, "smooth_l1_loss")
    input, target = _autocast_fp32(input), _autocast_fp32(target)
    z = (input - target).abs()
    if beta == 0:
        return _reduce(z, reduction, "smooth_l1_loss")
    c = tg.minimum(z, tg.tensor(beta, dtype=z.dtype))
    return _reduce(c * c * (0.5 / beta) + (z - c), reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 z^2 where z < delta, else delta (z - 0.5 delta), z = |input - target|: torch's formula, for
    float16/bfloat16 computed in float32 and rounded once as its kernel does."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta}).")
    _check_same_size(input, target, "huber_loss")
    input, target = _autocast_fp32(input), _autocast_fp32(target)
    dtype = tg.result_type(input, target)
    wide = tg.float32 if dtype in (tg.float16, tg.bfloat16) else dtype
    z = (input.to(wide) - target.to(wide)).abs()
    loss = tg.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)).to(dtype)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input), with 0 where target == 0 (or exp(t) * (t - input) for log targets)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _autocast_fp32(input), _autocast_fp32(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe_log = (target + (target == 0).to(target.dtype)).log()  # log(1) = 0 where target is 0
        loss = target * (safe_log - input)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() > 0 else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    return _reduce(loss, reduction, "kl_div")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _k.nll_loss(input, target, weight, _reduction_code(reduction, "nll_loss"), ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Class-index targets: fused log_softmax + nll in C++. Probability targets (floating, the input's
    shape): -sum_c w_c t_c log_softmax(input)_c, with t smoothed to t (1 - ls) + ls / C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    code = _reduction_code(reduction, "cross_entropy")
    _check_tensor(input, "cross_entropy")
    _check_tensor(target, "cross_entropy", "target")
    if not target.is_floating_point():
        return _k.cross_entropy(input, target, weight, code, ignore_index, float(label_smoothing))
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"cross_entropy: expected int64 class-index targets or floating class probabilities of "
                           f"the input's shape {list(input.shape)}, got {str(target.dtype).split('.')[-1]} target "
                           f"of shape {list(target.shape)}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = _k.log_softmax(input, class_dim) * target
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = n_classes
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(class_dim)
    if code == 1:
        return loss.sum() / (input.numel() // max(n_classes, 1))
    return loss.sum() if code == 2 else loss


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    code = _reduction_code(reduction, "binary_cross_entropy")
    loss = _k.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * weight
    return loss if code == 0 else (loss.mean() if code == 1 else loss.sum())


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    code = _reduction_code(reduction, "binary_cross_entropy_with_logits")
    loss = _k.binary_cross_entropy_with_logits(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return loss if code == 0 else (loss.mean() if code == 1 else loss.sum())
from ._functional_extra import *  # noqa: E402,F401,F403  (more activations, in-place variants)
from ._loss_extra import *  # noqa: E402,F401,F403  (remaining losses, distances)
from ._attention_functional import *  # noqa: E402,F401,F403  (scaled_dot_product_attention, multi-head)
from ._norm_functional import *  # noqa: F401,F403  normalization
from ._spatial_functional import *  # noqa: F401,F403  pad modes, interpolate, shuffles, fold, grid_sample
from ._dropout_functional import *  # noqa: F401,F403  dropout1d/2d/3d, alpha dropout

from ._conv_functional import *  # noqa: E402,F401,F403  (convolution, pooling, batch_norm)
from ._embedding_functional import *  # noqa: E402,F401,F403  (embedding with every option, embedding_bag, bilinear)
