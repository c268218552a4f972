"""Random ops with torch's signatures (cpp/bindings/random_extra.cpp): tg.bernoulli, tg.multinomial,
tg.randint_like and Tensor.bernoulli / multinomial / random_ (whose overloads are sorted out here)."""
from . import _C
from ._C import Tensor, dtype as _dtype


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws with the probabilities in `input` (or the number p), typed like input."""
    if out is not None:
        raise RuntimeError("bernoulli(): an out= tensor is an unsupported operation")
    if p is None:
        return _C._bernoulli(input, generator)
    result = _C._empty(list(input.shape), input.dtype)
    return result.bernoulli_(p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """num_samples category indices per row of input's (unnormalized) weights, as an int64 tensor."""
    if out is not None and out.dtype != _dtype.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {str(out.dtype).split('.')[-1].capitalize()}")
    result = _C._multinomial(input, num_samples, replacement, generator)
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"multinomial: out= has shape {tuple(out.shape)}, expected {tuple(result.shape)}")
    return out.copy_(result)


def _random_(self, *args, generator=None, **kwargs):
    """random_(), random_(to), random_(from, to): integers uniform in [from, to) in self's dtype;
    without `to`, from `from` up to the largest integer the dtype holds exactly."""
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    bounds = dict(zip(("from", "to"), args)) if len(args) == 2 else {"to": args[0]} if args else {}
    for key, value in kwargs.items():
        if key not in ("from", "to") or key in bounds:
            raise TypeError(f"random_() got an unexpected keyword argument '{key}'")
        bounds[key] = value
    return _C._random_(self, bounds.get("from", 0), bounds.get("to"), generator)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """randint_like(input, high) or randint_like(input, low, high): input's shape, its dtype unless given."""
    from ._creation import _on_device, randint
    _on_device(device, "randint_like", input)
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   requires_grad=requires_grad)


Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: \
    multinomial(self, num_samples, replacement, generator=generator)
Tensor.random_ = _random_

__all__ = ["bernoulli", "multinomial", "randint_like"]
