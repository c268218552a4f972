"""The layer functions torch also exports at top level (torch.layer_norm, torch.pixel_shuffle, ...), with
torch's top-level signatures (cudnn flags accepted and ignored, `train` in place of `training`)."""
from .nn import _dropout_functional as _D
from .nn import _norm_functional as _N
from .nn import _spatial_functional as _S
from .nn.functional import pad as _pad

__all__ = ["layer_norm", "group_norm", "instance_norm", "rms_norm", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle", "alpha_dropout", "feature_alpha_dropout", "feature_dropout",
           "constant_pad_nd"]

pixel_shuffle = _S.pixel_shuffle
pixel_unshuffle = _S.pixel_unshuffle
channel_shuffle = native_channel_shuffle = _S.channel_shuffle


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return _N.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return _N.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return _N.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _N.rms_norm(input, normalized_shape, weight, eps)


def alpha_dropout(input, p, train, inplace=False):
    return _D.alpha_dropout(input, p, train, inplace)


def feature_alpha_dropout(input, p, train):
    return _D.feature_alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    return _D._dropout(input, p, train, False, True, False)


def constant_pad_nd(input, pad, value=0):
    return _pad(input, pad, "constant", value)
