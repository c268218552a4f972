"""tg.distributed on 2 local processes: all_reduce of 25 MiB float32 against a raw mpi4py Allreduce
on a numpy buffer of the same size, the same for one float (latency), and DDP training steps of
MLPs with the time backward waits on communication. Run from the checkout:
    PYTHONPATH=python python benchmarks/bench_distributed.py
(it starts itself under mpiexec -n 2)."""
import os
import subprocess
import sys
import time

import numpy as np

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist
from tinygrad_ext import nn, optim
from tinygrad_ext.nn.parallel import DistributedDataParallel


def median_s(fn, comm, reps):
    times = []
    for _ in range(reps):
        comm.Barrier()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def all_reduce_vs_mpi4py(comm, MPI, n, reps):
    """Median seconds of tg's all_reduce and of mpi4py's Allreduce on n float32, interleaved."""
    t, a = tg.ones(n), np.ones(n, dtype=np.float32)
    ours = lambda: dist.all_reduce(t)  # noqa: E731
    raw = lambda: comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM)  # noqa: E731
    ours(), raw()  # warm up
    rounds = [(median_s(ours, comm, reps), median_s(raw, comm, reps)) for _ in range(3)]
    return float(np.median([r[0] for r in rounds])), float(np.median([r[1] for r in rounds]))


def ddp_step(comm, sizes, batch=128, reps=30):
    """Median DDP training step of an MLP, and the mean time backward spent waiting for the
    all-reduces after its last gradient."""
    tg.manual_seed(0)
    layers = [nn.Flatten()]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    model = DistributedDataParallel(net)
    opt = optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    X, y = tg.randn(batch, 1, 28, 28), tg.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()
    for _ in range(3):
        step()
    model.reducer.comm_wait_s = 0.0
    ms = 1e3 * median_s(step, comm, reps)
    wait_ms = 1e3 * model.reducer.comm_wait_s / reps
    grads_mb = sum(p.numel() for p in net.parameters()) * 4 / 2**20
    return (f"DDP step, MLP {'-'.join(map(str, sizes))}, batch {batch} per rank, {grads_mb:.2f} MiB of "
            f"gradients in {len(model.reducer.buckets)} bucket(s): {ms:.2f} ms, of which {wait_ms:.2f} ms "
            f"({wait_ms / ms:.0%}) waiting on communication after backward")


def worker():
    dist.init_process_group("mpi")
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    tg.set_num_threads(1)  # one core per process (2 processes on a 2-core machine)
    ours, raw = all_reduce_vs_mpi4py(comm, MPI, 25 * 2**20 // 4, 5)
    lines = [f"all_reduce 25 MiB float32: tg {ours * 1e3:.2f} ms, mpi4py Allreduce {raw * 1e3:.2f} ms, "
             f"ratio {ours / raw:.2f}"]
    ours, raw = all_reduce_vs_mpi4py(comm, MPI, 1, 100)
    lines.append(f"all_reduce 1 float32: tg {ours * 1e6:.1f} us, mpi4py Allreduce {raw * 1e6:.1f} us "
                 "(tg adds a check that all ranks pass the same shape)")
    for sizes in ((784, 256, 10), (784, 1024, 1024, 10)):
        lines.append(ddp_step(comm, sizes))
    if dist.get_rank() == 0:
        print("\n".join(lines), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    if "PMI_RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ:
        worker()
    else:
        from tinygrad_ext.distributed.run import find_mpiexec
        sys.exit(subprocess.call([find_mpiexec(), "-n", "2", sys.executable, os.path.abspath(__file__)]))
