"""Dimension arguments checked as torch checks them (c10's maybe_wrap_dim), for the ops written in Python."""


def wrap_dim(dim, ndim, wrap_scalar=False):
    """`dim` in [-ndim, ndim) as a non-negative index, else torch's IndexError. With wrap_scalar, a 0-d
    tensor takes dims -1 and 0 as if it had one dim (torch's reductions and masked ops do)."""
    bound = max(ndim, 1) if wrap_scalar else ndim
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
                         f"but got {dim})")
    return dim % bound
