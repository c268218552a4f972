"""Process groups and collectives (torch.distributed's API) on MPI through mpi4py. Every collective
hands MPI the tensor's own bytes (tinygrad_ext._C._tensor_bytes), so it works in place and mpi4py
releases the GIL while MPI runs."""
import datetime
import os
import pickle

import numpy as np

import tinygrad_ext as tg

from . import _mpi
from ._mpi import RedOpType
from ._ops import (Work, _blocking, _buf, _check_consistent, _check_tensor, _issue, _mpi_call,
                   _timeout_seconds)

__all__ = ["Backend", "ReduceOp", "Work", "ProcessGroup", "GroupMember", "init_process_group",
           "destroy_process_group", "is_initialized", "is_mpi_available", "get_rank", "get_world_size",
           "get_backend", "new_group", "barrier", "broadcast", "all_reduce", "reduce", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "reduce_scatter_tensor", "send", "recv",
           "isend", "irecv", "broadcast_object_list"]

default_pg_timeout = datetime.timedelta(minutes=30)  # torch's default for CPU backends


class ReduceOp:
    """torch.distributed.ReduceOp: ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR."""
    RedOpType = RedOpType
    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR


class Backend(str):
    """Backend names, as torch.distributed.Backend; only "mpi" is built in."""
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    _KNOWN = ("mpi", "gloo", "nccl", "ucc")

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """A set of ranks and the MPI communicator joining them; `ranks` are global ranks."""

    def __init__(self, comm, ranks, timeout):
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def name(self):
        return "mpi"

    def __repr__(self):
        return f"ProcessGroup(backend=mpi, ranks={self.ranks})"


class GroupMember:
    """torch's sentinels: GroupMember.WORLD is the default group; NON_GROUP_MEMBER is what
    new_group gives a process outside the group."""
    WORLD = None
    NON_GROUP_MEMBER = -100


_world = None  # the default ProcessGroup once init_process_group ran


def is_mpi_available():
    return _mpi.load() is not None


def is_initialized():
    return _world is not None


def _default_group():
    if _world is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _world


def _group(group):
    if group is None or group is GroupMember.WORLD:
        return _default_group()
    _default_group()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")
    return group


def _check_env(name, given, actual):
    """rank/world_size given as arguments or env:// variables must match what MPI says."""
    value = given
    if value is None or value == -1:
        env = os.environ.get(name)
        if env is None:
            return
        try:
            value = int(env)
        except ValueError:
            raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment "
                             f"variable {name} expected, but not set") from None
    if value != actual:
        what = "rank" if name == "RANK" else "world_size"
        raise ValueError(f"init_process_group: {what}={value} (from the argument or ${name}) does not "
                         f"match the MPI {what} {actual}; launch with mpiexec and leave them unset")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Joins the MPI job as torch.distributed.init_process_group. Rank and world size come from MPI
    (mpiexec); `rank`/`world_size` or $RANK/$WORLD_SIZE, when given, must agree with them."""
    global _world
    if backend is not None:
        backend = Backend(backend)
        if backend not in Backend._KNOWN:
            raise AssertionError(f"Unknown backend type {backend}")  # torch's type and message
        if backend != Backend.MPI:
            raise RuntimeError(f"Distributed package doesn't have {backend.upper()} built in; "
                               f"tinygrad_ext.distributed supports backend='mpi' only")
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if init_method is not None and init_method != "env://" and not str(init_method).startswith("env://"):
        raise ValueError(f"init_method {init_method!r} is not supported with the MPI backend; "
                         "use the default or 'env://'")
    seconds = _timeout_seconds(default_pg_timeout if timeout is None else timeout)
    mpi = _mpi.require()
    if not mpi.Is_initialized():
        mpi.Init_thread(mpi.THREAD_MULTIPLE)
    comm = mpi.COMM_WORLD
    comm.Set_errhandler(mpi.ERRORS_RETURN)  # errors become Python exceptions, not process exits
    _check_env("RANK", rank, comm.Get_rank())
    _check_env("WORLD_SIZE", world_size, comm.Get_size())
    _world = ProcessGroup(comm, range(comm.Get_size()), seconds)
    if comm.Get_size() > 1:
        _mpi.install_abort_on_uncaught_exception(comm.Get_rank())


def destroy_process_group(group=None):
    global _world
    pg = _group(group)
    if pg is None:
        return
    if pg is _world:
        _world = None
    elif pg.comm is not None:
        pg.comm.Free()
        pg.comm = None


def get_rank(group=None):
    pg = _group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    pg = _group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    _group(group)
    return Backend.MPI


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the given global ranks. Every process must call it; processes outside the group
    get GroupMember.NON_GROUP_MEMBER."""
    world = _default_group()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    if len(ranks) > world.size():
        raise ValueError("the new group's world size should be less or equal to the world size set by "
                         "init_process_group")
    for r in ranks:
        if r < 0 or r >= world.size():
            raise ValueError("The new group's rank should be within the world_size set by init_process_group")
    seconds = world.timeout if timeout is None else _timeout_seconds(timeout)
    mpi = _mpi.require()
    members = world.comm.Get_group().Incl(ranks)
    comm = world.comm.Create(members)
    members.Free()
    if comm == mpi.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    comm.Set_errhandler(mpi.ERRORS_RETURN)
    return ProcessGroup(comm, ranks, seconds)


def _group_rank(pg, global_rank, what):
    if global_rank is None:
        return 0 if pg is _world else pg.ranks[0]
    if not isinstance(global_rank, int) or isinstance(global_rank, bool):
        raise TypeError(f"{what} must be an int, got {type(global_rank).__name__}")
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg.ranks.index(global_rank)


def _reduction(t, op, opname, pg):
    """(MPI op, finish): AVG sums, then divides by the group size."""
    mpi_op = _mpi.mpi_op(op, t.dtype, opname)
    finish = None
    if op is RedOpType.AVG:
        n = pg.size()

        def finish(_status):
            with tg.no_grad():
                t.div_(n)
    return mpi_op, finish


def _is_half(t):
    return _mpi.dtype_kind(t.dtype) == "half"


def _reduce_half(t, run):
    """float16/bfloat16 have no MPI arithmetic: `run` reduces a float32 copy of t, which is then
    rounded back into t (one rounding, after summing in float32)."""
    wide = t.float()
    work = run(wide)

    def copy_back(_status=None):
        with tg.no_grad():
            t.copy_(wide)
    if work is None:
        copy_back()
        return None
    work._then(copy_back)
    return work


def _all_reduce(tensor, op, opname, pg, async_op):
    if _is_half(tensor):
        return _reduce_half(tensor, lambda wide: _all_reduce(wide, op, opname, pg, async_op))
    mpi_op, finish = _reduction(tensor, op, opname, pg)
    buf = _buf(tensor, True)
    return _issue(pg, opname, "Allreduce", (_mpi.require().IN_PLACE, buf, mpi_op), async_op, finish, buf)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `tensor` across all ranks in place; every rank gets the result."""
    pg = _group(group)
    _check_tensor(tensor, "all_reduce")
    _mpi.mpi_op(op, tensor.dtype, "all_reduce")
    if pg is None:
        return None
    _check_consistent(pg, "all_reduce", tensor)
    return _all_reduce(tensor, op, "all_reduce", pg, async_op)


def broadcast(tensor, src=None, group=None, async_op=False):
    """Copies `tensor` of rank `src` into `tensor` of every rank."""
    pg = _group(group)
    _check_tensor(tensor, "broadcast")
    if pg is None:
        return None
    root = _group_rank(pg, src, "src")
    _check_consistent(pg, "broadcast", tensor, root)
    buf = _buf(tensor, pg.rank() != root)
    return _issue(pg, "broadcast", "Bcast", (buf, root), async_op, keep=buf)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `tensor` across ranks into `tensor` of rank `dst` (the others keep theirs)."""
    pg = _group(group)
    _check_tensor(tensor, "reduce")
    _mpi.mpi_op(op, tensor.dtype, "reduce")
    if pg is None:
        return None
    root = _group_rank(pg, dst, "dst")
    _check_consistent(pg, "reduce", tensor, root)
    if _is_half(tensor):
        return _reduce_half(tensor, lambda wide: reduce(wide, dst, op, group, async_op))
    mpi_op, finish = _reduction(tensor, op, "reduce", pg)
    mine = pg.rank() == root
    buf = _buf(tensor, mine)
    send, recv = (_mpi.require().IN_PLACE, buf) if mine else (buf, None)
    if not mine:
        finish = None  # only the destination holds the sum to divide
    return _issue(pg, "reduce", "Reduce", (send, recv, mpi_op, root), async_op, finish, buf)


def _check_list(tensors, like, n, opname, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[tinygrad_ext.Tensor]\n             but got {type(tensors)} instead.")
    if len(tensors) != n:
        raise RuntimeError(f"{opname}: number of tensors in `{name}` should equal the world size "
                           f"({n}), got {len(tensors)}")
    for i, t in enumerate(tensors):
        if not isinstance(t, tg.Tensor):
            raise TypeError(f"{opname}: `{name}`[{i}] must be a tinygrad_ext.Tensor, got {type(t).__name__}")
        if t.numel() != like.numel() or t.dtype != like.dtype:
            raise RuntimeError(f"{opname}: invalid tensor size at index {i} (expected {like.dtype} "
                               f"{list(like.shape)}, got {t.dtype} {list(t.shape)})")


def _stacked(like, n):
    return tg.empty((n,) + tuple(like.shape), dtype=like.dtype)


def _scatter_rows(rows, tensors):
    """Copies row i of `rows` into tensors[i] (all-gather and gather into a list)."""
    def finish(_status):
        with tg.no_grad():
            for i, t in enumerate(tensors):
                t.copy_(rows[i].reshape(t.shape))
    return finish


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] <- `tensor` of rank i. Gathers into one buffer, then copies into the list
    (all_gather_into_tensor gathers straight into its output)."""
    pg = _group(group)
    _check_tensor(tensor, "all_gather")
    if pg is None:
        return None
    _check_list(tensor_list, tensor, pg.size(), "all_gather", "tensor_list")
    _check_consistent(pg, "all_gather", tensor)
    rows = _stacked(tensor, pg.size())
    send, recv = _buf(tensor, False), _buf(rows, True)
    return _issue(pg, "all_gather", "Allgather", (send, recv), async_op,
                  _scatter_rows(rows, tensor_list), (send, recv))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor <- the inputs of all ranks, concatenated (or stacked) in rank order."""
    pg = _group(group)
    _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    if pg is None:
        return None
    if output_tensor.dtype != input_tensor.dtype or output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError(f"all_gather_into_tensor: output tensor size must be equal to world_size times "
                         f"input tensor size (output {output_tensor.dtype} {list(output_tensor.shape)}, "
                         f"input {input_tensor.dtype} {list(input_tensor.shape)}, world size {pg.size()})")
    _check_consistent(pg, "all_gather_into_tensor", input_tensor)
    send, recv = _buf(input_tensor, False), _buf(output_tensor, True)
    return _issue(pg, "all_gather_into_tensor", "Allgather", (send, recv), async_op, keep=(send, recv))


def _rooted(pg, opname, tensor, tensors, root_rank, list_name, role):
    """(root, mine) for gather and scatter, where only the root passes a list of tensors."""
    root = _group_rank(pg, root_rank, "dst" if role == "destination" else "src")
    mine = pg.rank() == root
    if mine:
        _check_list(tensors, tensor, pg.size(), opname, list_name)
    elif tensors:
        raise ValueError(f"Argument ``{list_name}`` must NOT be specified on non-{role} ranks.")
    _check_consistent(pg, opname, tensor, root)
    return root, mine


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False):
    """gather_list[i] of rank `dst` <- `tensor` of rank i."""
    pg = _group(group)
    _check_tensor(tensor, "gather")
    if pg is None:
        return None
    root, mine = _rooted(pg, "gather", tensor, gather_list, dst, "gather_list", "destination")
    send = _buf(tensor, False)
    rows = _stacked(tensor, pg.size()) if mine else None
    recv = _buf(rows, True) if mine else None
    finish = _scatter_rows(rows, gather_list) if mine else None
    return _issue(pg, "gather", "Gather", (send, recv, root), async_op, finish, (send, recv))


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False):
    """`tensor` of rank i <- scatter_list[i] of rank `src`."""
    pg = _group(group)
    _check_tensor(tensor, "scatter")
    if pg is None:
        return None
    root, mine = _rooted(pg, "scatter", tensor, scatter_list, src, "scatter_list", "source")
    send = None
    if mine:
        rows = tg.stack([t.reshape(tensor.shape) for t in scatter_list]).contiguous()
        send = _buf(rows, False)
    recv = _buf(tensor, True)
    return _issue(pg, "scatter", "Scatter", (send, recv, root), async_op, keep=(send, recv))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """output of rank i <- block i of the reduction of every rank's input."""
    pg = _group(group)
    _check_tensor(output, "reduce_scatter_tensor", "output")
    _check_tensor(input, "reduce_scatter_tensor", "input")
    _mpi.mpi_op(op, input.dtype, "reduce_scatter_tensor")
    if pg is None:
        return None
    if output.dtype != input.dtype or input.numel() != output.numel() * pg.size():
        raise ValueError(f"reduce_scatter_tensor: input tensor must be the same size as output size "
                         f"times world size (output {output.dtype} {list(output.shape)}, input "
                         f"{input.dtype} {list(input.shape)}, world size {pg.size()})")
    _check_consistent(pg, "reduce_scatter_tensor", input)
    if _is_half(input):
        return _reduce_half(output, lambda wide: reduce_scatter_tensor(wide, input.float(), op, group, async_op))
    mpi_op, finish = _reduction(output, op, "reduce_scatter_tensor", pg)
    send, recv = _buf(input, False), _buf(output, True)
    return _issue(pg, "reduce_scatter_tensor", "Reduce_scatter_block", (send, recv, mpi_op), async_op,
                  finish, (send, recv))


def barrier(group=None, async_op=False, device_ids=None):
    """Returns once every rank of the group has called it."""
    pg = _group(group)
    if pg is None:
        return None
    return _issue(pg, "barrier", "Barrier", (), async_op)


def _peer(pg, rank, what):
    if rank is None:
        raise ValueError(f"{what} rank must be given")
    peer = _group_rank(pg, rank, what)
    if peer == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the rank of the "
                         "current process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0):
    """Sends `tensor` to rank `dst`; returns a Work."""
    pg = _group(group)
    _check_tensor(tensor, "isend")
    if pg is None:
        return None
    buf = _buf(tensor, False)
    request = _mpi_call("send", pg.comm.Isend, buf, _peer(pg, dst, "destination"), tag)
    return Work(request, f"send to rank {dst}", pg, keep=buf)


def irecv(tensor, src=None, group=None, tag=0):
    """Receives into `tensor` from rank `src` (any rank when None); returns a Work whose wait()
    raises when the message does not have the tensor's size."""
    pg = _group(group)
    _check_tensor(tensor, "irecv")
    if pg is None:
        return None
    mpi = _mpi.require()
    peer = mpi.ANY_SOURCE if src is None else _peer(pg, src, "source")
    buf = _buf(tensor, True)
    nbytes = tensor.numel() * tensor.element_size()

    def check(status):
        got = status.Get_count(mpi.BYTE)
        if got != nbytes:
            raise RuntimeError(f"recv: expected {nbytes} bytes ({tensor.dtype} {list(tensor.shape)}) "
                               f"but rank {pg.ranks[status.Get_source()]} sent {got}")
    request = _mpi_call("recv", pg.comm.Irecv, buf, peer, tag)
    return Work(request, f"recv from rank {src}", pg, check, buf)


def send(tensor, dst=None, group=None, tag=0):
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receives into `tensor`; returns the sender's global rank."""
    work = irecv(tensor, src, group, tag)
    if work is None:
        return -1
    work.wait()
    return _group(group).ranks[work.source_rank()]


def broadcast_object_list(object_list, src=None, group=None, device=None):
    """object_list[:] of every rank <- object_list of rank `src` (pickled, as torch does)."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, src, "src")
    if pg.rank() == root:
        payload = pickle.dumps(list(object_list))
        size = np.array([len(payload)], dtype=np.int64)
    else:
        size = np.zeros(1, dtype=np.int64)
    _blocking(pg, "broadcast_object_list", pg.comm.Bcast, size, root)
    data = np.frombuffer(payload, dtype=np.uint8).copy() if pg.rank() == root else np.empty(int(size[0]), np.uint8)
    _blocking(pg, "broadcast_object_list", pg.comm.Bcast, data, root)
    if pg.rank() != root:
        received = pickle.loads(data.tobytes())
        if len(received) != len(object_list):
            raise RuntimeError(f"broadcast_object_list: rank {pg.ranks[root]} sent {len(received)} objects "
                               f"but this rank's object_list has {len(object_list)}")
        object_list[:] = received
