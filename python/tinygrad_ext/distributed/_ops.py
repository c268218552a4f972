"""How one MPI operation runs: tensor checks, the check that all ranks called the same collective
on the same shapes, blocking calls under the watchdog, and Work objects for nonblocking ones."""
import datetime

import numpy as np

import tinygrad_ext as tg
from tinygrad_ext import _C

from . import _mpi


def _timeout_seconds(timeout):
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return float(timeout)
    raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")


class Work:
    """An operation in flight (async_op=True, isend, irecv): wait() blocks until it is done (and
    applies what remains, such as AVG's division); is_completed() polls."""

    def __init__(self, request, what, pg, finish=None, keep=()):
        self._request = request
        self._what = what
        self._pg = pg
        self._finish = finish
        self._keep = keep  # the buffers MPI reads and writes, alive until the work is done
        self._done = False
        self._status = None

    def _complete(self, status):
        self._done = True
        self._status = status
        self._keep = ()
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish(status)

    def wait(self, timeout=None):
        if not self._done:
            status = _mpi.require().Status()
            seconds = self._pg.timeout if timeout is None else _timeout_seconds(timeout)
            token = _mpi.watchdog.arm(self._what, seconds)
            try:
                _mpi_call(self._what, self._request.Wait, status)
            finally:
                _mpi.watchdog.disarm(token)
            self._complete(status)
        return True

    def _then(self, fn):
        """Runs fn(status) after the work's own finishing step."""
        first = self._finish

        def both(status):
            if first is not None:
                first(status)
            fn(status)
        self._finish = both

    def is_completed(self):
        if not self._done:
            status = _mpi.require().Status()
            if _mpi_call(self._what, self._request.Test, status):
                self._complete(status)
        return self._done

    def is_success(self):
        if not self._done:
            raise RuntimeError("Invalid call to Work.is_success before work has completed")
        return True

    def source_rank(self):
        return self._status.Get_source() if self._status is not None else -1

    def result(self):
        return []


def _mpi_call(what, fn, *args):
    """Runs one mpi4py call, turning MPI's errors into RuntimeError naming the operation."""
    try:
        return fn(*args)
    except _mpi.require().Exception as e:
        raise RuntimeError(f"{what} failed: {e}") from None


def _check_tensor(t, opname, name="tensor"):
    if not isinstance(t, tg.Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"tinygrad_ext.Tensor\n             but got {type(t)} instead.")
    device = getattr(t.device, "type", str(t.device))
    if device != "cpu":
        raise RuntimeError("CUDA tensor detected and the MPI used doesn't have CUDA-aware MPI support")
    if not t.is_contiguous():
        raise RuntimeError("input tensor has to be contiguous")


def _buf(t, write):
    """[bytes of t, MPI datatype]: an mpi4py buffer spec over the tensor's own memory."""
    return [_C._tensor_bytes(t, write), _mpi.mpi_datatype(t.dtype)]


def _fingerprint(opname, t, root):
    shape = list(t.shape)
    head = shape[:8] + [-1] * (8 - min(len(shape), 8))
    return [_OP_CODES[opname], _mpi.DTYPE_CODES[t.dtype.name], root, t.numel(), len(shape)] + head


def _describe(row):
    dtype = list(_mpi.DTYPES)[row[1]]
    ndim = int(row[4])
    dims = [int(d) for d in row[5:5 + min(ndim, 8)]]
    more = ", ..." if ndim > 8 else ""
    return f"{dtype} [{', '.join(map(str, dims))}{more}] (root {int(row[2])})"


def _check_consistent(pg, opname, t, root=-1):
    """All ranks must call the same collective on the same shape and dtype (and root): MPI would
    otherwise truncate, read past a buffer or hang. One small all-gather finds a mismatch, and
    every rank raises the same error naming each rank's tensor."""
    mine = np.array(_fingerprint(opname, t, root), dtype=np.int64)
    rows = np.empty((pg.size(), mine.size), dtype=np.int64)
    _blocking(pg, f"{opname} (argument check)", pg.comm.Allgather, mine, rows)
    if (rows != rows[0]).any():
        ops = list(_OP_CODES)
        if (rows[:, 0] != rows[0, 0]).any():
            calls = ", ".join(f"rank {r} called {ops[int(row[0])]}" for r, row in enumerate(rows))
            raise RuntimeError(f"{opname}: ranks called different collectives: {calls}")
        shapes = ", ".join(f"rank {r} has {_describe(row)}" for r, row in enumerate(rows))
        raise RuntimeError(f"{opname}: tensors differ across ranks: {shapes}")


_OP_CODES = {name: i for i, name in enumerate(
    ["broadcast", "all_reduce", "reduce", "all_gather", "all_gather_into_tensor", "gather", "scatter",
     "reduce_scatter_tensor"])}


def _blocking(pg, what, fn, *args):
    token = _mpi.watchdog.arm(what, pg.timeout)
    try:
        return _mpi_call(what, fn, *args)
    finally:
        _mpi.watchdog.disarm(token)


def _issue(pg, what, name, args, async_op, finish=None, keep=()):
    """Runs MPI call `name` (blocking) or its nonblocking twin 'I' + name (async_op: a Work)."""
    if not async_op:
        _blocking(pg, what, getattr(pg.comm, name), *args)
        if finish is not None:
            finish(None)
        return None
    request = _mpi_call(what, getattr(pg.comm, "I" + name[0].lower() + name[1:]), *args)
    return Work(request, what, pg, finish, keep)
