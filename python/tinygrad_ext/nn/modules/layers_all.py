"""The layer families of issue 15's second half, gathered for `nn.modules`' one-line import."""
from .dropout import Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout
from .fold import Fold, Unfold
from .instancenorm import (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                           LazyInstanceNorm3d)
from .lazy import LazyModuleMixin, LazyLinear, UninitializedParameter, UninitializedBuffer
from .normalization import LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm
from .padding import (ZeroPad1d, ZeroPad2d, ZeroPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d,
                      ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      CircularPad1d, CircularPad2d, CircularPad3d)
from .param_container import ParameterList, ParameterDict
from .pixelshuffle import PixelShuffle, PixelUnshuffle, ChannelShuffle
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d

__all__ = ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Fold", "Unfold",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d", "LazyModuleMixin", "LazyLinear", "UninitializedParameter", "UninitializedBuffer",
           "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d",
           "CircularPad3d", "ParameterList", "ParameterDict", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle",
           "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
