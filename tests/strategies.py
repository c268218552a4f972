"""Hypothesis strategies: small shapes (size-1, zero-size, 0-d), broadcastable pairs, layouts, values."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.helpers import Input

# Small dims keep gradcheck cheap (it costs two forward passes per input element).
def shapes(min_dims=0, max_dims=3, min_side=0, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def nonempty_shapes(min_dims=1, max_dims=3, max_side=3):
    return shapes(min_dims, max_dims, 1, max_side)


def broadcast_pairs(max_dims=3, min_side=0, max_side=3):
    """Two shapes that broadcast together (size-1 dims, different ranks, zero sizes)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda r: r.input_shapes)


layouts = st.sampled_from(["contig", "T", "step"])

# Value domains chosen to stay away from kinks and poles (checked separately against torch).
DOMAINS = {
    "any": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2.0, s),
}


def values(shape, domain="any", dtype=np.float64, seed=None):
    """A strategy for a numpy array of `shape` from a value domain (values drawn from a seed)."""
    return st.integers(0, 2**32 - 1).map(
        lambda sd: DOMAINS[domain](np.random.default_rng(sd), shape).astype(dtype))


@st.composite
def inputs(draw, shape, domain="any", dtype=np.float64, layout=None):
    arr = draw(values(shape, domain, dtype))
    return Input(arr, layout=draw(layouts) if layout is None else layout)
