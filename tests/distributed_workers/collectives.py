"""Run under mpiexec: every collective for every dtype and ReduceOp against numpy, work objects,
groups, point-to-point, and the errors torch raises for bad input. Prints 'OK <rank>' at the end;
any failure aborts the job (the uncaught-exception hook), so the test sees a non-zero exit."""
import sys

import numpy as np

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist
from tinygrad_ext.distributed import ReduceOp
from tinygrad_ext.distributed._mpi import DTYPES

dist.init_process_group("mpi", timeout=60)
rank, world = dist.get_rank(), dist.get_world_size()
dtypes = [getattr(tg, name) for name in DTYPES if isinstance(getattr(tg, name, None), tg.dtype)]
assert {d.name for d in dtypes} >= {"bool", "int64", "float32", "float64"}
SHAPE = (3, 4)


def kind(dtype):
    return DTYPES[dtype.name][1]


def values(r, dtype, shape=SHAPE):
    """Rank r's data as float64 numpy, exactly representable in `dtype` (sums and products too)."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    if kind(dtype) == "bool":
        return ((i + r) % 3 == 0).astype(np.float64)
    if kind(dtype) == "int":
        return (i + 2 * r) % 5 - 1
    return (r + 1) + 0.25 * (i % 8) - 1.0


def tensor(r, dtype, shape=SHAPE):
    return tg.from_numpy(values(r, dtype, shape)).to(dtype)


def as_np(t):
    return t.to(tg.float64).numpy()


def expect(got, want, what):
    if not np.array_equal(as_np(got), want):
        raise AssertionError(f"rank {rank}: {what}: got {as_np(got)}, want {want}")


def reference(op, dtype, stacked):
    if kind(dtype) == "bool":
        b = stacked.astype(bool)
        table = {ReduceOp.SUM: np.logical_or, ReduceOp.MAX: np.logical_or, ReduceOp.BOR: np.logical_or,
                 ReduceOp.PRODUCT: np.logical_and, ReduceOp.MIN: np.logical_and, ReduceOp.BAND: np.logical_and,
                 ReduceOp.BXOR: np.logical_xor}
        return table[op].reduce(b, axis=0).astype(np.float64)
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        fn = {ReduceOp.BAND: np.bitwise_and, ReduceOp.BOR: np.bitwise_or, ReduceOp.BXOR: np.bitwise_xor}[op]
        return fn.reduce(stacked.astype(np.int64), axis=0).astype(np.float64)
    return {ReduceOp.SUM: np.sum, ReduceOp.PRODUCT: np.prod, ReduceOp.MIN: np.min, ReduceOp.MAX: np.max,
            ReduceOp.AVG: np.mean}[op](stacked, axis=0)


def ops_for(dtype):
    ops = [ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX]
    if kind(dtype) in ("float", "half"):
        return ops + [ReduceOp.AVG]
    return ops + [ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR]


everyone = {d.name: np.stack([values(r, d) for r in range(world)]) for d in dtypes}
last = world - 1

for dtype in dtypes:
    mine, allv = values(rank, dtype), everyone[dtype.name]
    name = dtype.name
    for op in ops_for(dtype):
        for async_op in (False, True):
            t = tensor(rank, dtype)
            work = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                work.wait()
                assert work.is_completed() and work.is_success()
            expect(t, reference(op, dtype, allv), f"all_reduce {name} {op}")
        t = tensor(rank, dtype)
        dist.reduce(t, dst=last, op=op)
        expect(t, reference(op, dtype, allv) if rank == last else mine, f"reduce {name} {op}")
        inp = tg.from_numpy(np.concatenate([values(rank, dtype)] * world)).to(dtype)
        out = tg.empty(*SHAPE, dtype=dtype)
        dist.reduce_scatter_tensor(out, inp, op=op)
        expect(out, reference(op, dtype, allv), f"reduce_scatter_tensor {name} {op}")
    for src in (0, last):
        t = tensor(rank, dtype)
        dist.broadcast(t, src=src)
        expect(t, allv[src], f"broadcast {name} from {src}")
    outs = [tg.empty(*SHAPE, dtype=dtype) for _ in range(world)]
    dist.all_gather(outs, tensor(rank, dtype))
    for r in range(world):
        expect(outs[r], allv[r], f"all_gather {name}")
    out = tg.empty(world * SHAPE[0], SHAPE[1], dtype=dtype)
    work = dist.all_gather_into_tensor(out, tensor(rank, dtype), async_op=True)
    work.wait()
    expect(out, allv.reshape(world * SHAPE[0], SHAPE[1]), f"all_gather_into_tensor {name}")
    gl = [tg.empty(*SHAPE, dtype=dtype) for _ in range(world)] if rank == 0 else None
    dist.gather(tensor(rank, dtype), gl, dst=0)
    if rank == 0:
        for r in range(world):
            expect(gl[r], allv[r], f"gather {name}")
    t = tg.empty(*SHAPE, dtype=dtype)
    dist.scatter(t, [tensor(r, dtype) for r in range(world)] if rank == last else None, src=last)
    expect(t, allv[rank], f"scatter {name}")
    # point to point around a ring, blocking and not
    right, left = (rank + 1) % world, (rank - 1) % world
    t = tg.empty(*SHAPE, dtype=dtype)
    if rank % 2 == 0:
        dist.send(tensor(rank, dtype), dst=right)
        sender = dist.recv(t, src=left)
    else:
        sender = dist.recv(t)
        dist.send(tensor(rank, dtype), dst=right)
    assert sender == left, (sender, left)
    expect(t, allv[left], f"send/recv {name}")
    t = tg.empty(*SHAPE, dtype=dtype)
    works = [dist.irecv(t, src=left), dist.isend(tensor(rank, dtype), dst=right)]
    for w in works:
        w.wait()
    expect(t, allv[left], f"isend/irecv {name}")

# a tensor that requires grad (a parameter) is reduced in place, its version bumped
p = tg.ones(3, requires_grad=True)
v = p._version
dist.all_reduce(p)
assert p._version > v and p.tolist() == [float(world)] * 3

# zero-copy: the result lands in the tensor's own memory (a numpy view of it sees it)
t = tg.zeros(1000)
view = t.numpy()
t.add_(rank)
dist.all_reduce(t)
assert view[0] == sum(range(world))

# empty tensors, and a contiguous view that starts inside its storage
empty = tg.empty(0)
dist.all_reduce(empty)
dist.broadcast(empty, src=0)
base = tg.arange(6.0).reshape(2, 3)
dist.all_reduce(base[1])
assert base.tolist() == [[0.0, 1.0, 2.0], [3.0 * world, 4.0 * world, 5.0 * world]], base.tolist()

dist.barrier()
dist.barrier(async_op=True).wait()

objs = [{"rank": rank}, "x" * rank, None] if rank == 1 else [None, None, None]
dist.broadcast_object_list(objs, src=1)
assert objs == [{"rank": 1}, "x", None], objs

# groups: the even ranks reduce among themselves; the others are not members
evens = dist.new_group(list(range(0, world, 2)))
t = tg.tensor([float(rank)])
if rank % 2 == 0:
    assert dist.get_world_size(evens) == (world + 1) // 2 and dist.get_rank(evens) == rank // 2
    dist.all_reduce(t, group=evens)
    assert t.item() == sum(range(0, world, 2)), t.item()
else:
    assert evens is dist.GroupMember.NON_GROUP_MEMBER
    assert dist.all_reduce(t, group=evens) is None and t.item() == rank

# DistributedSampler reads rank and world size from the process group
sampler = tg.utils.data.DistributedSampler(list(range(10)))
assert (sampler.num_replicas, sampler.rank) == (world, rank)


def raises(exc, text, fn):
    try:
        fn()
    except exc as e:
        assert text in str(e), f"{exc.__name__} without {text!r}: {e}"
        return
    raise AssertionError(f"expected {exc.__name__}: {text}")


raises(RuntimeError, "input tensor has to be contiguous", lambda: dist.all_reduce(tg.ones(3, 4).t()))
raises(TypeError, "op must be a tinygrad_ext.distributed.ReduceOp", lambda: dist.all_reduce(tg.ones(2), op="foo"))
raises(ValueError, "Cannot use ReduceOp.BAND with non-integral dtype", lambda: dist.all_reduce(tg.ones(2), op=ReduceOp.BAND))
raises(ValueError, "Cannot use ReduceOp.AVG with non-floating-point", lambda: dist.all_reduce(tg.ones(2, dtype=tg.int64), op=ReduceOp.AVG))
raises(TypeError, "Expected parameter `tensor`", lambda: dist.all_reduce([tg.ones(2)]))
raises(ValueError, "trying to initialize the default process group twice!", lambda: dist.init_process_group("mpi"))
raises(ValueError, "should not be the same as the rank of the current process", lambda: dist.send(tg.ones(2), dst=rank))
raises(ValueError, f"Global rank {world} is not part of group", lambda: dist.broadcast(tg.ones(2), src=world))
raises(RuntimeError, "invalid tensor size at index 0", lambda: dist.all_gather([tg.ones(3)] * world, tg.ones(2)))
# shapes that differ across ranks are found before MPI sees them, on every rank
raises(RuntimeError, "all_reduce: tensors differ across ranks: rank 0 has float32 [1]",
       lambda: dist.all_reduce(tg.ones(rank + 1)))
raises(RuntimeError, "tensors differ across ranks", lambda: dist.broadcast(tg.ones(2, dtype=tg.float64 if rank else tg.float32), src=0))
raises(RuntimeError, "ranks called different collectives",
       lambda: dist.all_reduce(tg.ones(2)) if rank == 0 else dist.broadcast(tg.ones(2), src=0))
# a message of the wrong size is an error on the receiving side
if rank == 0:
    dist.send(tg.ones(3), dst=1)
    dist.send(tg.ones(5), dst=1)
elif rank == 1:
    raises(RuntimeError, "recv: expected 16 bytes (tinygrad_ext.float32 [4]) but rank 0 sent 12",
           lambda: dist.recv(tg.empty(4), src=0))
    raises(RuntimeError, "recv from rank 0 failed: Message truncated", lambda: dist.recv(tg.empty(4), src=0))
dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
sys.stdout.write(f"OK {rank}\n")
sys.stdout.flush()
