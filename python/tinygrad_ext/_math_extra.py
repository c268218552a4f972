"""Python faces of the extra elementwise math (cpp/bindings/math_extra.cpp): the C++ functions
re-exported, plus the few thin pieces torch defines in terms of others (clamp_min/clamp_max,
positive, logspace)."""
import collections

from . import _C
from ._C import Tensor

_NAMES = ["acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh", "erfc", "erfinv", "lgamma",
          "digamma", "polygamma", "mvlgamma", "i0", "sinc", "logit", "deg2rad", "rad2deg", "sgn",
          "nan_to_num", "isposinf", "isneginf", "isreal", "signbit", "xlogy", "hypot", "copysign",
          "nextafter", "ldexp", "float_power", "gcd", "lcm", "heaviside", "logaddexp", "logaddexp2",
          "fmax", "fmin", "bitwise_left_shift", "bitwise_right_shift"]
globals().update({n: getattr(_C, n) for n in _NAMES})


def clamp_min(input, min):
    return _C.clamp(input, min=min)


def clamp_max(input, max):
    return _C.clamp(input, max=max)


def positive(input):
    """Returns input itself, as torch (which rejects bool tensors)."""
    if input.dtype == _C.dtype.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base ** linspace(start, end, steps), computed in float64 and rounded once to dtype."""
    from ._creation import linspace
    if isinstance(steps, bool) or not hasattr(steps, "__index__"):
        raise TypeError(f"logspace() received an invalid combination of arguments - got "
                        f"({type(start).__name__}, {type(end).__name__}, {type(steps).__name__}), "
                        f"but expected steps to be an int")
    steps = steps.__index__()
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative, got {steps}")
    exponents = linspace(start, end, steps, dtype=_C.dtype.float64)
    out = (float(base) ** exponents).to(dtype or _C.dtype.float32)
    return out.requires_grad_() if requires_grad else out


frexp_result = collections.namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent and |mantissa| in [0.5, 1); out= is a
    (mantissa, exponent) pair of tensors of the result's shape."""
    result = frexp_result(*_C._frexp(input))
    if out is None:
        return result
    for target, value in zip(out, result):
        if tuple(target.shape) != tuple(value.shape):
            raise RuntimeError(f"frexp(): out= has shape {tuple(target.shape)}, but the result has shape "
                               f"{tuple(value.shape)}")
        target.copy_(value)
    return frexp_result(*out)


def _clamp_min_method(self, min):
    return _C.clamp(self, min=min)


def _clamp_max_method(self, max):
    return _C.clamp(self, max=max)


for _name, _fn in {"clamp_min": _clamp_min_method, "clamp_max": _clamp_max_method, "positive": positive,
                   "clamp_min_": lambda self, min: self.clamp_(min=min), "frexp": lambda self: frexp(self),
                   "clamp_max_": lambda self, max: self.clamp_(max=max)}.items():
    setattr(Tensor, _name, _fn)

__all__ = _NAMES + ["clamp_min", "clamp_max", "positive", "logspace", "frexp"]
