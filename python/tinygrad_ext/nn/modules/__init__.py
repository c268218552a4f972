"""The nn.Module classes: base, containers, layers, activations and losses."""
from .module import Module, RemovableHandle
from .container import Sequential, ModuleList, ModuleDict
from .linear import Linear, Identity
from .flatten import Flatten, Unflatten
from .dropout import Dropout
from .sparse import Embedding
from .activation import (ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Softmin, GELU, ELU,
                         CELU, SELU, SiLU, Softplus, LogSigmoid, Hardtanh)
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .pooling import (MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, AdaptiveAvgPool1d,
                      AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
                      LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
                      FractionalMaxPool2d, FractionalMaxPool3d)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, NLLLoss, CrossEntropyLoss, BCELoss,
                   BCEWithLogitsLoss)

__all__ = ["Module", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict", "Linear", "Identity", "Flatten",
           "Unflatten", "Dropout", "Embedding", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
           "LogSoftmax", "Softmin", "GELU", "ELU", "CELU", "SELU", "SiLU", "Softplus", "LogSigmoid", "Hardtanh",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
           "BCEWithLogitsLoss"]
from . import layers_all as _layers_all  # normalization, padding, resampling, dropout variants, lazy, containers
from .layers_all import *  # noqa: F401,F403,E402
__all__ += _layers_all.__all__
__all__ += ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
            "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
            "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d",
            "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "FractionalMaxPool2d",
            "FractionalMaxPool3d", "BatchNorm1d", "BatchNorm2d",
            "BatchNorm3d"]
from . import activation_extra  # noqa: E402
from .activation_extra import *  # noqa: E402,F401,F403
__all__ += activation_extra.__all__
from . import distance, loss_extra  # noqa: E402
from .distance import *  # noqa: E402,F401,F403
from .loss_extra import *  # noqa: E402,F401,F403
__all__ += distance.__all__ + loss_extra.__all__
from . import lazy_layers  # noqa: E402
from .lazy_layers import *  # noqa: E402,F401,F403
__all__ += lazy_layers.__all__
