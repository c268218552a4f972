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

# ---- Bessel and Airy functions, the normal distribution (cpp/src/ops/special_extra.cpp) ----
airy_ai = _C.special_airy_ai
bessel_j0 = _C.special_bessel_j0
bessel_j1 = _C.special_bessel_j1
bessel_y0 = _C.special_bessel_y0
bessel_y1 = _C.special_bessel_y1
modified_bessel_i0 = _C.special_modified_bessel_i0
modified_bessel_i1 = _C.special_modified_bessel_i1
modified_bessel_k0 = _C.special_modified_bessel_k0
modified_bessel_k1 = _C.special_modified_bessel_k1
scaled_modified_bessel_k0 = _C.special_scaled_modified_bessel_k0
scaled_modified_bessel_k1 = _C.special_scaled_modified_bessel_k1
spherical_bessel_j0 = _C.special_spherical_bessel_j0
erfcx = _C.special_erfcx
log_ndtr = _C.special_log_ndtr
ndtri = _C.special_ndtri


def _tensor_pair(op, input, other):
    """Both operands as tensors; a Python number becomes a 0-d tensor (which types like torch's
    wrapped number against a tensor of another kind)."""
    from ._creation import tensor
    if not isinstance(input, _C.Tensor) and not isinstance(other, _C.Tensor):
        raise TypeError(f"{op}(): expected at least one Tensor argument, got {type(input).__name__} "
                        f"and {type(other).__name__}")
    return (input if isinstance(input, _C.Tensor) else tensor(input),
            other if isinstance(other, _C.Tensor) else tensor(other))


def _into(out, result, op):
    """result, or written into out= (which must have result's shape) and out returned."""
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"{op}(): out= has shape {tuple(out.shape)}, but the result has shape {tuple(result.shape)}")
    return out.copy_(result)


def igamma(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other) (tg.igamma, special.gammainc)."""
    return _into(out, _C._igamma(*_tensor_pair("igamma", input, other)), "igamma")


def igammac(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    return _into(out, _C._igammac(*_tensor_pair("igammac", input, other)), "igammac")


gammainc, gammaincc = igamma, igammac
_C.Tensor.igamma = lambda self, other: igamma(self, other)
_C.Tensor.igammac = lambda self, other: igammac(self, other)
_C.Tensor.igamma_ = lambda self, other: self.copy_(igamma(self, other))
_C.Tensor.igammac_ = lambda self, other: self.copy_(igammac(self, other))


def _polynomial(name):
    kind = getattr(_C._Polynomial, name.replace("polynomial_", ""))

    def polynomial(input, n):
        return _C._special_polynomial(kind, *_tensor_pair(name, input, n))
    polynomial.__name__ = polynomial.__qualname__ = name
    return polynomial


# ---- orthogonal polynomials p_n(input) (cpp/src/ops/special_poly.cpp) ----
chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")
