# Default collate/convert: turn a list of samples into a batch the way torch.utils.data does.
import collections.abc
import numbers

import numpy as np

import tinygrad_ext as tg

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _numpy_to_tensor(a):
    """numpy -> tg tensor of the same dtype (uint16/32/64, which tg lacks, become int64)."""
    a = np.asarray(a)
    if a.dtype.kind in "OSUV":
        raise TypeError(_ERR.format(a.dtype))
    if a.dtype.type in (np.uint16, np.uint32, np.uint64):
        a = a.astype(np.int64)
    return tg.from_numpy(np.ascontiguousarray(a))


def _stack(tensors):
    from ._fetch import stack_rows
    return stack_rows(tensors)


def default_collate(batch):
    """Stacks tensors / numpy arrays, makes int64 / float64 / bool tensors of Python numbers, and
    recurses into dicts, namedtuples and sequences (a tuple of fields collates to a list, as torch).
    """
    elem = batch[0]
    if isinstance(elem, tg.Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSUV":
            raise TypeError(_ERR.format(elem.dtype))
        return _numpy_to_tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "OSUV":
            raise TypeError(_ERR.format(elem.dtype))
        return _numpy_to_tensor(np.array(batch))
    if isinstance(elem, bool):
        return tg.tensor(batch, dtype=tg.bool)
    if isinstance(elem, numbers.Integral):
        return tg.tensor(batch, dtype=tg.int64)
    if isinstance(elem, float):
        return tg.tensor(batch, dtype=tg.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """For batch_size=None: numpy arrays become tensors, containers are converted recursively,
    everything else is returned as is."""
    if isinstance(data, tg.Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "OSUV" else _numpy_to_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OSUV":
        return _numpy_to_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
