# Dataset classes (map-style and iterable), TensorDataset, Subset, ConcatDataset, random_split.
import bisect
import math
import warnings

import tinygrad_ext as tg

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class SizeMismatchError(ValueError, AssertionError):
    """TensorDataset tensors of different lengths (an AssertionError in torch, so both)."""


class Dataset:
    """A map-style dataset: `__getitem__(index)` and, usually, `__len__`.

    A dataset may also define `_fetch_batch(indices)` (indices: an int64 numpy array) returning
    exactly what default_collate of those samples would give, or None when it cannot; the
    DataLoader uses it (with the default collate) instead of a Python loop over samples.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: implement `__iter__`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset does not support + (use itertools.chain)")


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: `ds[i] == tuple(t[i] for t in tensors)`."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, tg.Tensor):
                raise TypeError(f"TensorDataset: argument {i} should be a tg.Tensor, got "
                                f"{type(t).__name__}")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; every tensor needs "
                                 f"a first (sample) dimension")
        n = int(tensors[0].shape[0])
        if any(int(t.shape[0]) != n for t in tensors):
            sizes = [int(t.shape[0]) for t in tensors]
            raise SizeMismatchError(f"TensorDataset: Size mismatch between tensors (first dims "
                                    f"{sizes})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return int(self.tensors[0].shape[0])

    def _fetch_batch(self, index):
        # What default_collate would give for these samples: a list (a tuple collates to a list).
        from ._fetch import gather_rows
        return [gather_rows(t, index) for t in self.tensors]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def _fetch_batch(self, index):
        fetch = getattr(self.dataset, "_fetch_batch", None)
        if fetch is None:
            return None
        from ._fetch import as_index_array
        cached = getattr(self, "_index_cache", None)
        if cached is None or cached[0] is not self.indices:
            cached = (self.indices, as_index_array(self.indices, len(self.dataset)))
            self._index_cache = cached
        return fetch(cached[1][index])


class ConcatDataset(Dataset):
    """Datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            idx += len(self)
        if idx >= len(self):
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def _fraction_lengths(fractions, n):
    # torch: floor(n * frac) each, then the remainder spread one by one from the first subset.
    lengths = [int(math.floor(n * f)) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    return lengths


def random_split(dataset, lengths, generator=None):
    """Splits `dataset` into non-overlapping random Subsets of the given lengths (or fractions)."""
    lengths = list(lengths)
    n = len(dataset)
    # torch's rule: lengths summing to 1 (and not more than the dataset) are fractions.
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= n:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths = _fraction_lengths(lengths, n)
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              f"dataset.")
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers, got {lengths}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = tg.randperm(n, generator=generator).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + int(length)]))
        offset += int(length)
    return out
