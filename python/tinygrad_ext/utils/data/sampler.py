# Samplers: the order in which a DataLoader visits dataset indices, and their grouping in batches.
import numbers

import numpy as np

import tinygrad_ext as tg

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler"]


class Sampler:
    """Yields dataset indices. Subclasses may define `_epoch_indices()` returning one epoch's
    indices as an int64 numpy array (drawing the same randomness `__iter__` would); BatchSampler
    then slices it instead of looping in Python."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _epoch_indices(self):
        return np.arange(len(self.data_source), dtype=np.int64)


def _randperm(n, generator):
    return tg.randperm(n, generator=generator).numpy().astype(np.int64, copy=False)


class RandomSampler(Sampler):
    """A random permutation each epoch (or draws with replacement), from `generator` or tg's
    default generator, so `tg.manual_seed` makes the order reproducible."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        n = self.num_samples
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={n}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def _epoch_indices(self):
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            return tg.randint(0, n, (k,), generator=self.generator).numpy().astype(np.int64, copy=False)
        # Without replacement: whole permutations, then part of one more (as torch).
        parts = [_randperm(n, self.generator) for _ in range(k // n)]
        if k % n:
            parts.append(_randperm(n, self.generator)[:k % n])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def __iter__(self):
        return iter(self._epoch_indices().tolist())


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __len__(self):
        return len(self.indices)

    def _epoch_indices(self):
        perm = _randperm(len(self.indices), self.generator)
        return np.asarray(self.indices, dtype=np.int64)[perm]

    def __iter__(self):
        return iter(self._epoch_indices().tolist())


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of `batch_size` (the last one shorter unless
    drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size

    def _epoch_batches(self):
        """One epoch of batches as int64 numpy arrays, or None when the sampler cannot say."""
        if type(self.sampler) not in (SequentialSampler, RandomSampler, SubsetRandomSampler):
            return None  # a custom sampler: only its __iter__ knows the order
        idx = self.sampler._epoch_indices()
        bs, n = self.batch_size, len(idx)
        end = n - n % bs if self.drop_last else n
        return (idx[i:i + bs] for i in range(0, end, bs))
