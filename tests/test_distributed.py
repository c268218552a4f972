"""tg.distributed, DistributedDataParallel and DistributedSampler. The multi-process tests start
the scripts in tests/distributed_workers/ with mpiexec (2 and 4 local processes), each bounded by
a timeout so a hang fails the test instead of blocking the run."""
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.utils.data.distributed as torch_dist_data

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist
from tinygrad_ext.distributed import _mpi
from tinygrad_ext.distributed.run import command, find_mpiexec
from tinygrad_ext.utils.data import DataLoader, DistributedSampler, TensorDataset

WORKERS = os.path.join(os.path.dirname(__file__), "distributed_workers")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMNIST = os.environ.get("TG_DATA") or os.path.join(ROOT, "..", "shared", "data", "fashion-mnist")


def mpirun(nproc, script, *args, timeout=90):
    """Runs a worker on `nproc` processes; returns (exit code, stdout, stderr, seconds)."""
    assert dist.is_available(), _mpi.INSTALL_HINT  # the [distributed] extra is part of the test setup
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    cmd = [find_mpiexec(), "-n", str(nproc), sys.executable, os.path.join(WORKERS, script), *args]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} {args} on {nproc} processes hung for {timeout} s:\n{e.stdout}\n{e.stderr}")
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def ok_ranks(stdout):
    """The ranks that printed 'OK <rank>' (hydra may interleave the ranks' lines)."""
    return sorted(int(r) for r in re.findall(r"OK (\d+)", stdout))


@pytest.mark.parametrize("nproc", [2, 4])
def test_collectives_every_dtype_and_op_against_numpy(nproc):
    rc, out, err, _ = mpirun(nproc, "collectives.py")
    assert rc == 0, out + err
    assert ok_ranks(out) == list(range(nproc)), out + err


@pytest.mark.parametrize("nproc", [2, 4])
def test_ddp_matches_one_process_on_the_concatenated_batches(nproc):
    rc, out, err, _ = mpirun(nproc, "ddp.py")
    assert rc == 0, out + err
    assert ok_ranks(out) == list(range(nproc)), out + err


def test_a_rank_that_raises_ends_the_job():
    rc, out, err, seconds = mpirun(2, "faults.py", "raise")
    assert rc != 0
    assert "rank 1 raised an uncaught exception; aborting the job" in err and "ValueError: rank 1 gave up" in err
    assert "finished" not in out
    assert seconds < 30


@pytest.mark.parametrize("mode", ["exit", "hang"])
def test_a_collective_that_outlives_its_timeout_aborts_the_job(mode):
    rc, out, err, seconds = mpirun(2, "faults.py", mode, "2")
    assert rc != 0
    assert "Watchdog caught collective operation timeout" in err and "ran for 2000 milliseconds" in err, out + err
    assert seconds < 30


def test_before_init_and_bad_backend():
    assert dist.is_available() and not dist.is_initialized()
    msg = "Default process group has not been initialized, please make sure to call init_process_group."
    for fn in (lambda: dist.all_reduce(tg.ones(2)), dist.get_rank, dist.get_world_size, dist.barrier,
               lambda: dist.broadcast(tg.ones(2), 0), lambda: dist.new_group([0])):
        with pytest.raises(ValueError, match=msg):
            fn()
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo")
    with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_env_rank_and_world_size_must_agree_with_mpi(monkeypatch):
    from tinygrad_ext.distributed.distributed_c10d import _check_env
    monkeypatch.setenv("RANK", "3")
    with pytest.raises(ValueError, match=r"rank=3 \(from the argument or \$RANK\) does not match the MPI rank 0"):
        _check_env("RANK", -1, 0)
    _check_env("RANK", -1, 3)
    with pytest.raises(ValueError, match="world_size=2"):
        _check_env("WORLD_SIZE", 2, 4)
    with pytest.raises(ValueError, match="is not supported with the MPI backend"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:23456")


def test_without_mpi4py_is_available_is_false_and_init_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_mpi, "_mpi", None)
    monkeypatch.setattr(_mpi, "_load_error", ImportError("No module named 'mpi4py'"))
    assert not dist.is_available() and not dist.is_mpi_available()
    with pytest.raises(ImportError, match=r'pip install "tinygrad_ext\[distributed\]"'):
        dist.init_process_group("mpi")


def test_launcher_command():
    args = type("Args", (), {"nproc": 3, "hostfile": "hosts", "script": "train.py", "script_args": ["--lr", "0.1"]})
    assert command(args) == [find_mpiexec(), "-n", "3", "-f", "hosts", sys.executable, "-u", "train.py", "--lr", "0.1"]


def test_launcher_runs_a_script(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import tinygrad_ext.distributed as dist\ndist.init_process_group()\n"
                      "print(f'rank {dist.get_rank()} of {dist.get_world_size()}')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    p = subprocess.run([sys.executable, "-m", "tinygrad_ext.distributed.run", "--nproc", "2", str(script)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(re.findall(r"rank \d of \d", p.stdout)) == ["rank 0 of 2", "rank 1 of 2"], p.stdout


def test_distributed_mlp_example_on_two_processes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    p = subprocess.run([sys.executable, "-m", "tinygrad_ext.distributed.run", "--nproc", "2",
                        os.path.join(ROOT, "examples", "distributed_mlp.py"), "--quick", "--epochs", "2",
                        "--data", FMNIST], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"final: 2 processes, test acc ([\d.]+)", p.stdout)
    assert m and float(m.group(1)) > 0.5, p.stdout  # 2 epochs on the first 2000 images
    assert len(re.findall(r"waiting on communication", p.stdout)) == 2


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed,epoch", [
    (10, 3, True, False, 0, 0), (10, 3, True, True, 7, 2), (9, 3, False, False, 0, 0), (2, 4, True, False, 1, 5),
    (7, 4, False, True, 0, 0), (1000, 4, True, False, 123, 1), (1001, 2, True, True, 2**40, 3), (0, 2, True, False, 0, 0)])
def test_distributed_sampler_matches_torch(n, replicas, shuffle, drop_last, seed, epoch):
    data = list(range(n))
    seen = []
    for r in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=r, shuffle=shuffle, seed=seed, drop_last=drop_last)
        theirs = torch_dist_data.DistributedSampler(data, num_replicas=replicas, rank=r, shuffle=shuffle,
                                                    seed=seed, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        seen.append(list(ours))
    flat = sum(seen, [])
    if drop_last:
        assert len(flat) == len(set(flat))  # disjoint
    else:
        assert set(flat) == set(data)  # covering (padding repeats the start)


def test_distributed_sampler_reshuffles_per_epoch_and_feeds_a_dataloader():
    ds = TensorDataset(tg.arange(20).float())
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    loader = DataLoader(ds, batch_size=4, sampler=sampler)
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append([int(v) for (x,) in loader for v in x.tolist()])
    assert epochs[0] != epochs[1]
    for epoch, got in enumerate(epochs):
        t = torch_dist_data.DistributedSampler(range(20), num_replicas=2, rank=1, seed=3)
        t.set_epoch(epoch)
        assert got == list(t)


def test_torch_randperm_rejects_negative_n():
    with pytest.raises(RuntimeError, match="randperm: n must be non-negative, got -1"):
        tg._C._torch_randperm(-1, 0)


def test_distributed_sampler_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_post_accumulate_grad_hook():
    x = tg.ones(2, requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, p.grad.tolist())))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    handle.remove()
    (x * 3).sum().backward()
    assert seen == [(True, [3.0, 3.0]), (True, [6.0, 6.0])] and x.grad.tolist() == [9.0, 9.0]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        tg.ones(2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(print)
    x.register_post_accumulate_grad_hook(lambda p: 5)
    with pytest.raises(TypeError, match="hook returned 'int'"):
        (x * 3).sum().backward()


def test_tensor_bytes_share_memory():
    t = tg.zeros(4, dtype=tg.float64)
    v = t._version
    mem = memoryview(tg._C._tensor_bytes(t, True))
    assert mem.nbytes == 32 and not mem.readonly and t._version == v + 1
    np.frombuffer(mem, dtype=np.float64)[:] = [1, 2, 3, 4]
    assert t.tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="input tensor has to be contiguous"):
        tg._C._tensor_bytes(tg.ones(2, 3).t(), False)
