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
from . import layers_all as _layers_all  # normalization, padding, resampling, dropout variants, lazy, containers
from .layers_all import *  # noqa: F401,F403,E402
__all__ += _layers_all.__all__
