"""tg.special: torch.special's names for the special functions tinygrad_ext has."""
from . import _C

erf = _C.erf
erfc = _C.erfc
erfinv = _C.erfinv
expit = _C.sigmoid
logit = _C.logit
xlogy = _C.xlogy
xlog1py = _C.special_xlog1py
zeta = _C.special_zeta
i0 = _C.i0
i0e = _C.special_i0e
i1 = _C.special_i1
i1e = _C.special_i1e
digamma = psi = _C.digamma
polygamma = _C.polygamma
gammaln = _C.lgamma
multigammaln = _C.mvlgamma
sinc = _C.sinc
entr = _C.special_entr
ndtr = _C.special_ndtr
log1p = _C.log1p
expm1 = _C.expm1
exp2 = _C.exp2
logsumexp = _C.logsumexp
round = _C.round  # noqa: A001  (torch.special.round)



def softmax(input, dim, *, dtype=None):
    from .nn.functional import softmax as _softmax
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    from .nn.functional import log_softmax as _log_softmax
    return _log_softmax(input, dim, dtype=dtype)
