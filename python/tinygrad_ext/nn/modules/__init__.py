"""The nn.Module classes: base, containers, layers, activations and losses."""
from .module import Module, RemovableHandle
from .container import Sequential, ModuleList, ModuleDict
from .linear import Linear, Identity
from .flatten import Flatten, Unflatten
from .dropout import Dropout
from .sparse import Embedding
from .activation import (ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Softmin, GELU, ELU,
                         CELU, SELU, SiLU, Softplus, LogSigmoid, Hardtanh)
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, NLLLoss, CrossEntropyLoss, BCELoss,
                   BCEWithLogitsLoss)

__all__ = ["Module", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict", "Linear", "Identity", "Flatten",
           "Unflatten", "Dropout", "Embedding", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
           "LogSoftmax", "Softmin", "GELU", "ELU", "CELU", "SELU", "SiLU", "Softplus", "LogSigmoid", "Hardtanh",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
           "BCEWithLogitsLoss"]
from . import activation_extra  # noqa: E402
from .activation_extra import *  # noqa: E402,F401,F403
__all__ += activation_extra.__all__
from . import distance, loss_extra  # noqa: E402
from .distance import *  # noqa: E402,F401,F403
from .loss_extra import *  # noqa: E402,F401,F403
__all__ += distance.__all__ + loss_extra.__all__
