# DataLoader fast-path helpers: index arrays and one-call row gathers (index_select along dim 0).
import numpy as np

import tinygrad_ext as tg

__all__ = ["as_index_array", "gather_rows"]


def as_index_array(indices, n):
    """Indices (list, range, numpy array or tg tensor) -> int64 numpy array in [0, n)."""
    if isinstance(indices, tg.Tensor):
        indices = indices.numpy()
    a = np.asarray(indices)
    if a.dtype.kind not in "iu" and a.size:
        raise TypeError(f"expected integer indices, got dtype {a.dtype}")
    a = a.astype(np.int64, copy=False).reshape(-1)
    if a.size and (a.min() < -n or a.max() >= n):
        bad = a[(a < -n) | (a >= n)][0]
        raise IndexError(f"index {bad} is out of bounds for a dataset of size {n}")
    return np.where(a < 0, a + n, a) if a.size and a.min() < 0 else a


def _resolve_gather():
    c = getattr(tg, "_C", None)
    if c is not None and hasattr(c, "gather_rows"):
        return c.gather_rows
    return lambda t, idx: tg.index_select(t, 0, idx)


_gather = None


def gather_rows(t, index):
    """t[index] for an int64 numpy index array, as one C++ gather (no Python loop over rows)."""
    global _gather
    idx = tg.from_numpy(np.ascontiguousarray(index, dtype=np.int64))
    if t.requires_grad and tg.is_grad_enabled():
        # keep the batch connected to the graph, as torch's stack of samples would
        if hasattr(tg, "index_select"):
            return tg.index_select(t, 0, idx)
        return tg.stack([t[i] for i in index.tolist()], 0)
    if _gather is None:
        _gather = _resolve_gather()
    return _gather(t, idx)


def stack_rows(tensors):
    """Stacks same-shape tensors along a new dim 0 (default_collate of tensors)."""
    shapes = [tuple(t.shape) for t in tensors]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shapes[0])} at entry 0 and {list(s)} at entry {i}")
    c = getattr(tg, "_C", None)
    if c is not None and hasattr(c, "stack_rows"):
        return c.stack_rows(list(tensors))
    return tg.stack(list(tensors), 0)
