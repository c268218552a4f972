"""The remaining torch.nn.functional losses and distances, composed of differentiable tg ops (so their
gradients, and second derivatives, follow from the ops'); imported into nn.functional."""
import math

import tinygrad_ext as tg
from .._C import Tensor
from .._C import _nn as _k
from .functional import _legacy_reduction, _reduce, _REDUCTIONS

__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "multi_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "cosine_similarity", "pairwise_distance", "pdist", "ctc_loss", "linear_cross_entropy"]


def _check_tensors(op, **tensors):
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _relu(x):
    return x.clamp(min=0.0)


def _clamped_without_grad(x, low):
    """max(x, low) in value with x's gradient everywhere (torch clamps these in place under no_grad)."""
    return x + (x.detach().clamp(min=low) - x.detach())


def _vector_norm(x, p, dim, keepdim=False):
    """||x||_p over dim with torch's subgradient 0 at x == 0 (abs has gradient 0 there); float16 and
    bfloat16 accumulate in float32 and round once, as torch's vector_norm."""
    if x.dtype in (tg.float16, tg.bfloat16):
        return _vector_norm(x.float(), p, dim, keepdim).to(x.dtype)
    if p == 2:
        sq = (x * x).sum(dim, keepdim=keepdim)
        safe = tg.where(sq > 0, sq, tg.ones_like(sq))  # keeps sqrt's gradient finite where the norm is 0
        return tg.where(sq > 0, safe.sqrt(), tg.zeros_like(sq))
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == 0:
        return x.abs().sign().sum(dim, keepdim=keepdim)  # the count of nonzeros, with gradient 0
    s = (x.abs() ** p).sum(dim, keepdim=keepdim)
    safe = tg.where(s > 0, s, tg.ones_like(s))
    return tg.where(s > 0, safe ** (1.0 / p), tg.zeros_like(s))


# ---- distances ----
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) over dim, after broadcasting; the clamps pass the
    norms' gradients through, as torch's."""
    _check_tensors("cosine_similarity", x1=x1, x2=x2)
    shape = tg.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1, n2 = _vector_norm(x1, 2, dim, keepdim=True), _vector_norm(x2, 2, dim, keepdim=True)
    n1, n2 = _clamped_without_grad(n1, eps), _clamped_without_grad(n2, eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    _check_tensors("pairwise_distance", x1=x1, x2=x2)
    diff = x1 - x2 + eps
    if diff.dim() == 0:
        return diff.abs()
    return _vector_norm(diff, p, -1, keepdim=keepdim)


def pdist(input, p=2):
    """The p-norm distances between each pair of rows of a 2-D input (upper triangle, row-major)."""
    _check_tensors("pdist", input=input)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    rows = [i for i in range(n) for _ in range(i + 1, n)]
    cols = [j for i in range(n) for j in range(i + 1, n)]
    diff = (input.index_select(0, tg.tensor(rows, dtype=tg.int64))
            - input.index_select(0, tg.tensor(cols, dtype=tg.int64)))
    return _vector_norm(diff, p, 1)


# ---- losses ----
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target input (log_input) or input - target log(input + eps); full adds Stirling's
    term target log target - target + log(2 pi target) / 2 where target > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("poisson_nll_loss", input=input, target=target)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        t = tg.where(big, target, tg.ones_like(target))
        loss = loss + tg.where(big, t * t.log() - t + 0.5 * (2 * math.pi * t).log(), tg.zeros_like(t))
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log max(var, eps) + (input - target)^2 / max(var, eps)) / 2; the clamp passes var's gradient
    through unchanged, as torch's no-grad clamp does."""
    _check_tensors("gaussian_nll_loss", input=input, target=target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * tg.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = _clamped_without_grad(var, eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1 (both where neither)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("hinge_embedding_loss", input=input, target=target)
    zeros = tg.zeros_like(input)
    loss = tg.where(target != 1, _relu(margin - input), zeros) + tg.where(target != -1, input, zeros)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target input))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("soft_margin_loss", input=input, target=target)
    # torch's steps, each rounded to the dtype: log1p(exp(-input * target))
    return _reduce(tg.log1p(tg.exp(-input * target)), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The mean over classes of -(t logsigmoid(x) + (1 - t) logsigmoid(-x)), weighted per class."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("multilabel_soft_margin_loss", input=input, target=target)
    F = tg.nn.functional
    loss = -(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def _as_rows(input, target, op):
    """(N, C) views of a () (one class), (C,) or (N, C) input and its target; N may be 0, C may not."""
    if input.dim() > 2:
        raise RuntimeError(f"{op}: expected 1D or 2D input, got {input.dim()}D input of shape "
                           f"{list(input.shape)}")
    if input.dim() >= 1 and input.shape[-1] == 0:
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if input.dim() < 2:
        return input.reshape(1, -1), target.reshape(1, -1), True
    return input, target, False


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and non-target classes i of max(0, 1 - (x_j - x_i)) / C; each target row
    lists class indices up to the first -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("multilabel_margin_loss", input=input, target=target)
    if tuple(target.shape) != tuple(input.shape) or input.dim() > 2:
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {list(target.shape)} for input "
                           f"of size: {list(input.shape)}")
    x, t, single = _as_rows(input, target, "multilabel_margin_loss")
    n, c = x.shape
    listed = [[0.0] * c for _ in range(n)]  # listed[r][j]: how often row r's target list names class j
    for r, row in enumerate(t.tolist()):
        for idx in row:
            if idx < 0:
                break
            if idx >= c:
                raise RuntimeError(f"multilabel_margin_loss: target index {idx} is out of bounds for {c} classes")
            listed[r][idx] += 1.0  # torch sums over the list's entries: a repeated class counts again
    times = tg.tensor(listed, dtype=x.dtype)
    pair_mask = times.unsqueeze(2) * (times == 0).to(x.dtype).unsqueeze(1)  # [r, j, i]: j a target, i not
    margins = _relu(1 - (x.unsqueeze(2) - x.unsqueeze(1)))
    loss = (margins * pair_mask).sum((1, 2)) / c
    if single:
        loss = loss.reshape([])
    return _reduce(loss, reduction, "multilabel_margin_loss")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of w_y max(0, margin - x_y + x_i)^p / C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("multi_margin_loss", input=input, target=target)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x, t, single = _as_rows(input, target, "multi_margin_loss")
    if t.dtype != tg.int64:
        raise RuntimeError(f"multi_margin_loss: expected scalar type Long but found {t.dtype}")
    n, c = x.shape
    t = t.reshape(-1)
    if t.numel() != n:
        raise RuntimeError(f"multi_margin_loss: inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"multi_margin_loss: inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if n and (bool((t < 0).any()) or bool((t >= c).any())):
        raise RuntimeError(f"multi_margin_loss: target out of range for {c} classes")
    picked = x.gather(1, t.unsqueeze(1))
    z = _relu(margin - picked + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t).unsqueeze(1)
    not_target = 1 - tg.nn.functional.one_hot(t, c).to(x.dtype)
    loss = (z * not_target).sum(1) / c
    if single:  # one sample: the loss has the target's shape, () or (1,)
        loss = loss.reshape(tuple(target.shape))
    return _reduce(loss, reduction, "multi_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos - margin) where target == -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("cosine_embedding_loss", input1=input1, input2=input2, target=target)
    if input1.dim() not in (1, 2) or input1.dim() != input2.dim() or target.dim() != input1.dim() - 1:
        raise RuntimeError(f"cosine_embedding_loss: expected 1D/2D inputs with a 0D/1D target, got input1 "
                           f"{list(input1.shape)}, input2 {list(input2.shape)}, target {list(target.shape)}")
    eps = 1e-12  # torch adds it to both squared magnitudes
    dot = (input1 * input2).sum(-1)
    mag = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = dot / mag.sqrt()
    zeros = tg.zeros_like(cos)
    loss = tg.where(target == 1, 1 - cos, zeros) + tg.where(target == -1, _relu(cos - margin), zeros)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target (input1 - input2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce(_relu(-target * (input1 - input2) + margin), reduction, "margin_ranking_loss")


def _check_triplet(op, reduction, margin, anchor, positive, negative):
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_tensors(op, anchor=anchor, positive=positive, negative=negative)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and "
                           f"negative {negative.dim()}D inputs")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)); swap uses min(d(a, n), d(p, n))."""
    _check_triplet("triplet_margin_with_distance_loss", reduction, margin, anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = tg.minimum(d_neg, dist(positive, negative))
    return _reduce(_relu(margin + d_pos - d_neg), reduction, "triplet_margin_with_distance_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_triplet("triplet_margin_loss", reduction, margin, anchor, positive, negative)
    return triplet_margin_with_distance_loss(
        anchor, positive, negative, margin=margin, swap=swap, reduction=reduction,
        distance_function=lambda a, b: pairwise_distance(a, b, p, eps))


# ---- sequence and projected losses ----
def _ctc_lengths(lengths, name):
    """input_lengths / target_lengths as a list of ints: from an integer tensor (any shape) or a
    sequence of ints."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype == tg.bool:
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in lengths.reshape(-1).tolist()]
    if isinstance(lengths, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in lengths):
        return [int(v) for v in lengths]
    raise TypeError(f"ctc_loss(): {name} must be a Tensor or a tuple of ints, not {type(lengths).__name__}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss of (T, N, C) log-probabilities (or unbatched (T, C))
    against padded (N, S) or concatenated targets (alpha/beta recursions in cpp/src/ops/nn_loss_ctc.cpp).
    'mean' divides each loss by its target length (at least 1) before averaging over the batch."""
    _check_tensors("ctc_loss", log_probs=log_probs, targets=targets)
    _check_reduction(reduction)
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or both be tuples of "
                        f"ints, got {type(input_lengths).__name__} and {type(target_lengths).__name__}")
    il, tl = _ctc_lengths(input_lengths, "input_lengths"), _ctc_lengths(target_lengths, "target_lengths")
    batched = log_probs.dim() == 3
    loss = _k.ctc_loss(log_probs if batched else log_probs.unsqueeze(1), targets, il, tl, int(blank),
                       bool(zero_infinity))
    if reduction == "mean":
        return (loss / tg.tensor(tl, dtype=loss.dtype).clamp(min=1)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...): (N, in) or (in,) inputs, a
    (C, in) weight or (C, d1, ..., dK, in) for a K-dimensional loss. ignore_index None means -100 for
    class-index targets. `options` (nn.LinearCrossEntropyOptions) selects torch's chunked evaluation,
    which only saves memory; tg computes the same values in one piece."""
    op = "linear_cross_entropy"
    _check_tensors(op, input=input, linear_weight=linear_weight, target=target)
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if options is not None and type(options).__name__ != "LinearCrossEntropyOptions":  # tg's or torch's
        raise TypeError(f"{op}(): options must be a LinearCrossEntropyOptions or None, not {type(options).__name__}")
    width = math.prod(out_features) * classes
    logits = tg.nn.functional.linear(input, linear_weight.reshape(width, in_features),
                                     None if linear_bias is None else linear_bias.reshape(width))
    return tg.nn.functional.cross_entropy(logits.reshape(logits_shape), target, weight=weight, reduction=reduction,
                                          ignore_index=-100 if ignore_index is None else ignore_index,
                                          label_smoothing=label_smoothing)
