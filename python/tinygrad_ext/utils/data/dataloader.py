# DataLoader: batches of a dataset through a sampler, with a gather fast path and thread prefetch.
"""Differences from torch.utils.data.DataLoader:

* `num_workers > 0` uses threads, not processes: tg's C++ work (gathers, transforms through
  numpy) releases the GIL, and threads need no pickling. Batches come back in the same order as
  with `num_workers=0` (indices are always drawn in the calling thread). Per-sample random
  transforms draw from tg's default generator in whichever thread runs them, so their values,
  unlike the sample order, may differ between runs with workers.
* `pin_memory=True` pins nothing: as torch on a machine without an accelerator, iterating warns
  that pinned memory won't be used.
"""
import collections
import itertools
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

_worker_local = threading.local()


class WorkerInfo:
    """What a worker thread knows about itself (see get_worker_info)."""

    def __init__(self, id, num_workers, dataset):
        self.id, self.num_workers, self.dataset = id, num_workers, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers})"


def get_worker_info():
    """The WorkerInfo of the calling worker thread, or None in the main thread."""
    return getattr(_worker_local, "info", None)


class DataLoader:
    """Iterates over `dataset` in batches (torch.utils.data.DataLoader's arguments and defaults)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, *, generator=None, prefetch_factor=None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor}")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and self._iterable:
            # validates batch_size like torch's BatchSampler would
            BatchSampler([], batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = (2 if prefetch_factor is None else prefetch_factor) if num_workers else None
        self._default_collate = collate_fn is None or collate_fn is default_collate
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    # ---- what one epoch is made of: a stream of work items and a function that fetches one ----
    def _work(self):
        if self._iterable:
            it = iter(self.dataset)
            if self.batch_size is None:
                return it, self.collate_fn
            return self._chunks(it), self.collate_fn
        if self.batch_sampler is None:
            return iter(self.sampler), lambda i: self.collate_fn(self.dataset[i])
        fast = self._default_collate and hasattr(self.dataset, "_fetch_batch")
        batches = None
        if fast and type(self.batch_sampler) is BatchSampler:
            batches = self.batch_sampler._epoch_batches()
        if batches is None:
            batches = iter(self.batch_sampler)
        return batches, (self._fetch_fast if fast else self._fetch_samples)

    def _chunks(self, it):
        while True:
            chunk = list(itertools.islice(it, self.batch_size))
            if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                return
            yield chunk

    def _fetch_samples(self, indices):
        if isinstance(indices, np.ndarray):
            indices = indices.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _fetch_fast(self, indices):
        from ._fetch import as_index_array
        idx = indices if isinstance(indices, np.ndarray) else as_index_array(indices, len(self.dataset))
        out = self.dataset._fetch_batch(idx)
        return self._fetch_samples(indices) if out is None else out

    def __iter__(self):
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", UserWarning, stacklevel=2)
        items, fetch = self._work()
        if self.num_workers == 0:
            return (fetch(item) for item in items)
        return self._prefetch(items, fetch)

    def _prefetch(self, items, fetch):
        """Runs fetch on up to num_workers * prefetch_factor items ahead, yielding in order."""
        counter = itertools.count()
        lock = threading.Lock()

        def init():
            with lock:
                wid = next(counter)
            _worker_local.info = WorkerInfo(wid, self.num_workers, self.dataset)
            if self.worker_init_fn is not None:
                self.worker_init_fn(wid)

        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="tg-data", initializer=init)
        pending = collections.deque()
        try:
            for item in itertools.islice(items, self.num_workers * self.prefetch_factor):
                pending.append(pool.submit(fetch, item))
            while pending:
                fut = pending.popleft()
                for item in itertools.islice(items, 1):
                    pending.append(pool.submit(fetch, item))
                try:
                    batch = fut.result(timeout=self.timeout or None)
                except TimeoutError:
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None
                yield batch
        finally:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=True)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"num_workers={self.num_workers})")
