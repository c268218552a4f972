"""tg.masked (python/tinygrad_ext/masked/): torch.masked's reductions and normalizations, values and
gradients against torch, float64 gradcheck, mask broadcasting and fully masked-out rows."""
import numpy as np
import pytest
import torch
import torch.masked

import tinygrad_ext as tg
from helpers import Input, compare, gradcheck_inputs

rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape)


def mask(*shape, full_row=False):
    m = rng.random(shape) > 0.4
    if full_row:
        m[..., 0, :] = False  # a fully masked-out row along the last dim
    return Input(m, requires_grad=False)


# (name, call(lib_masked, x, m), input shape, mask shape): every op with a mask broadcast from a
# smaller shape, a keepdim or dtype variant, and a fully masked-out row where the op defines one.
CASES = [
    ("sum", lambda M, x, m: M.sum(x, 1, mask=m), (3, 4), (3, 4)),
    ("sum_all_keepdim", lambda M, x, m: M.sum(x, None, keepdim=True, mask=m), (3, 4), (4,)),
    ("prod", lambda M, x, m: M.prod(x, (0, 1), mask=m), (3, 4), (3, 4)),
    ("cumsum", lambda M, x, m: M.cumsum(x, -1, mask=m), (2, 3, 4), (1, 3, 4)),
    ("cumprod", lambda M, x, m: M.cumprod(x, 0, mask=m), (3, 4), (3, 4)),
    ("amax", lambda M, x, m: M.amax(x, -1, keepdim=True, mask=m), (3, 4), (3, 4)),
    ("amin", lambda M, x, m: M.amin(x, 0, mask=m), (3, 4), (4,)),
    ("mean", lambda M, x, m: M.mean(x, 1, mask=m), (3, 5), (3, 5)),
    ("median", lambda M, x, m: M.median(x, -1, mask=m), (3, 5), (5,)),
    ("norm", lambda M, x, m: M.norm(x, 3.0, 1, mask=m), (3, 5), (3, 5)),
    ("norm_inf", lambda M, x, m: M.norm(x, float("-inf"), None, mask=m), (3, 5), (3, 5)),
    ("var", lambda M, x, m: M.var(x, 1, correction=0, mask=m), (3, 5), (3, 5)),
    ("std", lambda M, x, m: M.std(x, (0, 2), keepdim=True, mask=m), (2, 3, 5), (5,)),
    ("softmax", lambda M, x, m: M.softmax(x, 1, mask=m), (3, 5), (3, 5)),
    ("log_softmax", lambda M, x, m: M.log_softmax(x, -1, mask=m), (3, 5), (5,)),
    ("softmin", lambda M, x, m: M.softmin(x, 0, mask=m), (3, 5), (3, 5)),
    ("normalize", lambda M, x, m: M.normalize(x, 2.0, 1, mask=m), (3, 5), (3, 5)),
    ("logsumexp", lambda M, x, m: M.logsumexp(x, 1, mask=m), (3, 5), (3, 5)),
]


@pytest.mark.parametrize("name,fn,shape,mshape", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, fn, shape, mshape):
    x, m = rand(*shape), mask(*mshape)
    compare(lambda a, b: fn(tg.masked, a, b), lambda a, b: fn(torch.masked, a, b), x, m)


GRADCHECKED = ["sum", "prod", "cumsum", "amax", "mean", "median", "norm", "var", "std", "softmax",
               "log_softmax", "normalize", "logsumexp"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck(name):
    _, fn, shape, mshape = next(c for c in CASES if c[0] == name)
    m = tg.tensor(np.ones(mshape, dtype=bool) if name in ("var", "std", "log_softmax") else rng.random(mshape) > 0.3)
    gradcheck_inputs(lambda a: fn(tg.masked, a, m), Input(rand(*shape)))


def test_fully_masked_rows_give_identity_or_nan():
    x = rand(3, 4)
    m = np.ones((3, 4), dtype=bool)
    m[1] = False
    for fn in (lambda M, a, b: M.sum(a, 1, mask=b), lambda M, a, b: M.amax(a, 1, mask=b),
               lambda M, a, b: M.mean(a, 1, mask=b), lambda M, a, b: M.softmax(a, 1, mask=b),
               lambda M, a, b: M.var(a, 1, mask=b)):
        compare(lambda a, b: fn(tg.masked, a, b), lambda a, b: fn(torch.masked, a, b), x,
                Input(m, requires_grad=False), check_grad=False)


def test_integer_inputs_and_argmax():
    x = rng.integers(-5, 5, (3, 4))
    m = Input(rng.random((3, 4)) > 0.3, requires_grad=False)
    for fn in (lambda M, a, b: M.sum(a, 1, mask=b), lambda M, a, b: M.prod(a, 0, mask=b),
               lambda M, a, b: M.argmax(a, 1, mask=b), lambda M, a, b: M.argmin(a, None, mask=b),
               lambda M, a, b: M.amax(a, 1, mask=b), lambda M, a, b: M.var(a, 1, mask=b)):
        compare(lambda a, b: fn(tg.masked, a, b), lambda a, b: fn(torch.masked, a, b), Input(x, requires_grad=False), m)


def test_logaddexp_with_masks():
    a, b = rand(2, 3, 4), rand(2, 3, 4)
    ma, mb = mask(2, 1, 4), mask(4)
    compare(lambda x, y, p, q: tg.masked.logaddexp(x, y, input_mask=p, other_mask=q),
            lambda x, y, p, q: torch.masked.logaddexp(x, y, input_mask=p, other_mask=q), a, b, ma, mb)


def test_errors():
    x = tg.tensor(rand(3, 4))
    with pytest.raises(IndexError):
        tg.masked.sum(x, 0, mask=tg.ones((2, 3, 4), dtype=tg.bool))
    with pytest.raises(ValueError, match="mean\\(\\): Could not infer output dtype"):
        tg.masked.mean(tg.tensor([1, 2]), mask=tg.tensor([True, False]))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        tg.masked.sum(x, (0, 0))
