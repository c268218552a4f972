"""nn.functional's channel-wise and alpha dropout: dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout."""
import math
import warnings

import tinygrad_ext as tg

__all__ = ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_ALPHA_PRIME = 1.7580993408473766  # -selu(-inf) = scale * alpha


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, feature):
    """1 with probability 1 - p, else 0: per element, or per (sample, channel) broadcast over the rest."""
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = list(input.shape[:2]) + [1] * (input.dim() - 2) if feature else list(input.shape)
    return (tg.rand(*shape, dtype=input.dtype) >= p).to(input.dtype)


def _finish(input, result, inplace):
    if not inplace:
        return result
    input.copy_(result)
    return input


def _dropout(input, p, training, inplace, feature, alpha):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _finish(input, input * 0.0, inplace)
    keep = _keep_mask(input, p, feature)
    if not alpha:
        return _finish(input, input * (keep * (1.0 / (1.0 - p))), inplace)
    # alpha dropout keeps mean 0 and variance 1 of SELU activations: dropped units take the saturation
    # value -alpha', then everything is scaled by a and shifted by b (torch's formula)
    a = 1.0 / math.sqrt((_SELU_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    b = (keep - 1.0) * (_SELU_ALPHA_PRIME * a) + _SELU_ALPHA_PRIME * a * p
    return _finish(input, input * (keep * a) + b, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _batched(input, input.dim() == 2, p, training, inplace)


def _batched(input, unbatched, p, training, inplace):
    if not unbatched or not training or p == 0.0:
        return _dropout(input, p, training, inplace, True, False)
    out = _dropout(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
    return _finish(input, out, inplace) if inplace and training and p > 0 else out


def _warn_rank(name, dim, spatial):
    warnings.warn(f"{name}: Received a {dim}-D input to {name}, which is deprecated and will result in an error "
                  "in a future release. To retain the behavior and silence this warning, please use dropout instead. "
                  f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                  "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                  f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if input.dim() not in (3, 4):
        _warn_rank("dropout2d", input.dim(), 2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if input.dim() not in (4, 5):
        _warn_rank("dropout3d", input.dim(), 3)
    return _batched(input, input.dim() == 4, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout(input, p, training, inplace, True, True)
