"""The activations and distances torch also exports at top level (torch.hardshrink, torch.prelu,
torch.cosine_similarity, ...) and as Tensor methods (Tensor.hardshrink, Tensor.prelu)."""
from ._C import Tensor
from .nn import _functional_extra as _A
from .nn import _loss_extra as _L
from .nn import functional as _F

__all__ = ["hardshrink", "prelu", "threshold", "threshold_", "rrelu", "rrelu_", "celu", "celu_", "selu", "selu_",
           "cosine_similarity", "pairwise_distance", "pdist"]

hardshrink, prelu, threshold, threshold_ = _A.hardshrink, _A.prelu, _A.threshold, _A.threshold_
rrelu, rrelu_, celu_, selu_ = _A.rrelu, _A.rrelu_, _A.celu_, _A.selu_
celu, selu = _F.celu, _F.selu
cosine_similarity, pairwise_distance, pdist = _L.cosine_similarity, _L.pairwise_distance, _L.pdist

Tensor.hardshrink = lambda self, lambd=0.5: _A.hardshrink(self, lambd)
Tensor.prelu = lambda self, weight: _A.prelu(self, weight)
