# Benchmark suite: tinygrad_ext vs PyTorch in one process, interleaved, medians, the ratio of times
# tg/torch (lower is better, whatever the unit shown); machine limits.
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import numpy as np

# tinygrad_ext first: it then loads the OpenMP runtime (one serves both libraries) with its wait
# policy (python/tinygrad_ext/_openmp.py), as in a program that imports it before torch.
import tinygrad_ext as tg
import torch
from bench_conv import bench_conv  # noqa: E402  (CNN rows)
from bench_dtypes import bench_dtypes  # noqa: E402  (narrow-dtype rows)


def timeit(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pair(make_tg, make_torch, repeat):
    """Builds both closures (a missing tg feature raises) and times them interleaved: tg, torch, tg, ..."""
    try:
        f_tg = make_tg()
    except (AttributeError, ImportError, NotImplementedError, TypeError, IndexError) as e:
        f_tg = f"n/a (missing: {type(e).__name__}: {str(e)[:60]})"
    f_torch = make_torch()
    t_tg, t_torch = [], []
    for _ in range(3):  # three interleaved rounds; the median of the per-round medians
        if callable(f_tg):
            try:
                t_tg.append(timeit(f_tg, max(1, repeat // 3)))
            except Exception as e:  # a feature that fails at run time is reported, not fatal
                f_tg = f"n/a (missing: {type(e).__name__}: {str(e)[:60]})"
        t_torch.append(timeit(f_torch, max(1, repeat // 3)))
    return (statistics.median(t_tg) if t_tg else f_tg), statistics.median(t_torch)


ROWS = []


def row(name, unit, work, t_tg, t_torch, limit=None):
    """work / seconds in `unit` (us: time per call); `limit`: the machine's limit in that unit, to show
    tg's figure as a fraction of it."""
    def val(t):
        if isinstance(t, str):
            return t
        return t * 1e6 if unit == "us" else work / t / 1e9
    a, b = val(t_tg), val(t_torch)
    # Always a ratio of times (tg time / torch time): below 1 means tg is faster.
    ratio = "" if isinstance(a, str) else t_tg / t_torch
    frac = a / limit if limit and not isinstance(a, str) else None
    ROWS.append({"name": name, "unit": unit, "tg": a, "torch": b, "ratio": ratio, "tg_of_limit": frac})
    fa = a if isinstance(a, str) else f"{a:10.3f}"
    fr = "" if frac is None else f"{100 * frac:5.0f}%"
    print(f"{name:<46} {unit:>7} {fa:>12} {b:10.3f} {ratio if ratio == '' else f'{ratio:7.2f}':>8} {fr:>8}",
          flush=True)


def set_threads(n):
    tg.set_num_threads(n)
    torch.set_num_threads(n)


def bench_matmul(sizes, threads, repeat, peak):
    for nt in threads:
        set_threads(nt)
        for n in sizes:
            a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
            ta, tb, pa, pb = tg.from_numpy(a), tg.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
            r = max(3, repeat if n <= 256 else repeat // 3)
            t1, t2 = pair(lambda: (lambda: ta @ tb), lambda: (lambda: pa @ pb), r)
            row(f"matmul f32 n={n} threads={nt}", "GFLOP/s", 2 * n ** 3, t1, t2, peak * nt)


def bench_elementwise(sizes, repeat, bandwidth):
    set_threads(1)
    for n in sizes:
        r = repeat * 4 if n <= 1_000_000 else repeat  # short calls: more samples for a steady median
        x = np.random.rand(n).astype(np.float32)
        ta, tb, pa, pb = tg.from_numpy(x), tg.from_numpy(x.copy()), torch.from_numpy(x), torch.from_numpy(x.copy())
        for op, nbytes in [("add", 12), ("mul", 12), ("exp", 8), ("sigmoid", 8), ("relu", 8)]:
            if op in ("add", "mul"):
                f1 = getattr(tg, op)
                f2 = getattr(torch, op)
                t1, t2 = pair(lambda: (lambda: f1(ta, tb)), lambda: (lambda: f2(pa, pb)), r)
            else:
                f1, f2 = getattr(tg, op), getattr(torch, op)
                t1, t2 = pair(lambda: (lambda: f1(ta)), lambda: (lambda: f2(pa)), r)
            row(f"{op} n={n:.0e} threads=1", "GB/s", nbytes * n, t1, t2, bandwidth)


def bench_reduce(n, repeat, bandwidth):
    set_threads(1)
    x = np.random.rand(n, n).astype(np.float32)
    ta, pa = tg.from_numpy(x), torch.from_numpy(x)
    t1, t2 = pair(lambda: (lambda: ta.sum()), lambda: (lambda: pa.sum()), repeat)
    row(f"sum {n}x{n}", "GB/s", 4 * n * n, t1, t2, bandwidth)
    t1, t2 = pair(lambda: (lambda: ta.sum(dim=1)), lambda: (lambda: pa.sum(dim=1)), repeat)
    row(f"sum(dim=1) {n}x{n}", "GB/s", 4 * n * n, t1, t2, bandwidth)


def small_net(lib):
    """Forward+backward of a 3-3-2-2 network: sigmoid, relu, softmax."""
    x = lib.rand(1, 3)
    w1, w2, w3 = (lib.rand(3, 3, requires_grad=True), lib.rand(3, 2, requires_grad=True),
                  lib.rand(2, 2, requires_grad=True))
    softmax = tg.nn.functional.softmax if lib is tg else torch.softmax

    def step():
        h = lib.relu(lib.sigmoid(x @ w1) @ w2)
        softmax(h @ w3, dim=1).sum().backward()
    return step


def bench_overhead(repeat):
    set_threads(1)
    a, b, c, d = tg.tensor([1.0]), tg.tensor([2.0]), torch.tensor([1.0]), torch.tensor([2.0])
    t1, t2 = pair(lambda: (lambda: a + b), lambda: (lambda: c + d), repeat * 100)
    row("a + b, one element", "us", 1, t1, t2)
    t1, t2 = pair(lambda: small_net(tg), lambda: small_net(torch), repeat * 20)
    row("3-3-2-2 net forward+backward", "us", 1, t1, t2)


def softmax_epoch(lib, n, loader):
    nn, optim = (tg.nn, tg.optim) if lib is tg else (torch.nn, torch.optim)
    data = (tg.utils.data if lib is tg else torch.utils.data)
    X, y = lib.randn(n, 784), lib.randint(0, 10, (n,))
    net = nn.Sequential(nn.Linear(784, 10))
    loss = nn.CrossEntropyLoss()
    opt = optim.SGD(net.parameters(), lr=0.1)
    if loader:
        it = data.DataLoader(data.TensorDataset(X, y), batch_size=256, shuffle=True)
    else:
        it = [(X[i:i + 256], y[i:i + 256]) for i in range(0, n, 256)]

    def epoch():
        for xb, yb in it:
            opt.zero_grad()
            loss(net(xb), yb).backward()
            opt.step()
    return epoch


def mlp_step(lib):
    nn, optim = (tg.nn, tg.optim) if lib is tg else (torch.nn, torch.optim)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(net.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()
    X, y = lib.randn(256, 784), lib.randint(0, 10, (256,))

    def step():
        opt.zero_grad()
        loss(net(X), y).backward()
        opt.step()
    return step


def opt_step(lib, name):
    optim = tg.optim if lib is tg else torch.optim
    p = lib.zeros(1 << 20, requires_grad=True)
    p.grad = lib.ones(1 << 20)
    opt = optim.SGD([p], lr=0.01, momentum=0.9) if name == "SGD" else optim.Adam([p], lr=1e-3)
    return opt.step


def bench_training(n, repeat):
    set_threads(1)
    for loader in (True, False):
        t1, t2 = pair(lambda: softmax_epoch(tg, n, loader), lambda: softmax_epoch(torch, n, loader), max(3, repeat // 5))
        row(f"softmax regr. epoch {n}x784 {'DataLoader' if loader else 'pre-sliced'}", "us", 1, t1, t2)
    t1, t2 = pair(lambda: mlp_step(tg), lambda: mlp_step(torch), repeat)
    row("MLP 784-256-10 Adam step, batch 256", "us", 1, t1, t2)
    for name in ("SGD", "Adam"):
        t1, t2 = pair(lambda: opt_step(tg, name), lambda: opt_step(torch, name), repeat)
        row(f"{name}{' momentum' if name == 'SGD' else ''} step, 1M params", "us", 1, t1, t2)


def measure_peak():
    """Single-core f32 peak = FMA width x FMA units x 2 flops x clock, measured by benchmarks/peak.cpp
    (compiled here with the system C++ compiler); None when no compiler is available."""
    here = os.path.dirname(os.path.abspath(__file__))
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not cxx:
        return None
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "peak")
        subprocess.run([cxx, "-O2", "-std=c++17", os.path.join(here, "peak.cpp"), "-o", exe], check=True)
        return json.loads(subprocess.run([exe], check=True, capture_output=True, text=True).stdout)


def machine_limits(quick):
    """Peak f32 FLOP/s per core from the FMA width and clock; memory bandwidth from numpy copy/triad."""
    peak = measure_peak()
    if peak:
        gflops = peak["peak_f32_gflops_per_core"]
        how = (f"{peak['f32_lanes']} f32 lanes x {peak['fma_units']} FMA units x 2 flops x "
               f"{peak['clock_ghz']:.2f} GHz ({peak['isa']}; measured FMA loop "
               f"{peak['measured_flops_per_cycle']:.1f} flops/cycle)")
    else:  # no compiler: a timed single-thread torch sgemm, a lower bound on the FMA peak
        torch.set_num_threads(1)
        n = 512 if quick else 1024
        a, b = torch.rand(n, n), torch.rand(n, n)
        gflops = 2 * n ** 3 / timeit(lambda: a @ b, 5) / 1e9
        peak = {"peak_f32_gflops_per_core": gflops}
        how = f"no C++ compiler: timed single-thread {n}^3 torch sgemm, a lower bound"
    m = (1 << 22) if quick else (1 << 25)
    x, y, z = np.random.rand(m), np.random.rand(m), np.empty(m)
    tc = timeit(lambda: np.copyto(z, x), 5)
    tt = timeit(lambda: (np.multiply(y, 3.0, out=z), np.add(z, x, out=z)), 5)
    copy, triad = 16 * m / tc / 1e9, 32 * m / tt / 1e9
    print(f"machine: peak f32 per core {gflops:.1f} GFLOP/s = {how}; memory bandwidth: copy {copy:.1f} GB/s, "
          f"triad {triad:.1f} GB/s (numpy float64, {m} elements; triad as two passes)")
    return {**peak, "copy_GBs": copy, "triad_GBs": triad}


def main():
    p = argparse.ArgumentParser(description="tinygrad_ext vs PyTorch benchmarks")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json")
    p.add_argument("--threads", help="comma-separated thread counts, e.g. 1,2,4: runs the thread-scaling "
                   "workloads (benchmarks/scaling.py) at each count and prints the scaling efficiency")
    args = p.parse_args()
    q = args.quick
    if args.threads:
        import scaling
        scaling.main([int(t) for t in args.threads.split(",")], q)
        return
    limits = machine_limits(q)
    print(f"{'benchmark':<46} {'unit':>7} {'tg':>12} {'torch':>10} {'time tg/torch':>8} {'tg/limit':>8}")
    print("(tg/limit: GFLOP/s over peak x threads; GB/s over the copy bandwidth of main memory, so above 100%"
          " means the data came from cache)")
    repeat = 5 if q else 15
    peak, bandwidth = limits["peak_f32_gflops_per_core"], limits["copy_GBs"]
    bench_matmul([64, 256] if q else [64, 256, 1024, 2048], [1, 2], repeat, peak)
    bench_elementwise([1000, 100000] if q else [1000, 100000, 1000000, 16000000], repeat, bandwidth)
    bench_reduce(1024 if q else 4096, repeat, bandwidth)
    bench_overhead(repeat)
    bench_training(6000 if q else 60000, repeat)
    bench_conv(pair, row, repeat, q)
    bench_dtypes(pair, row, repeat, q, mlp_step)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"limits": limits, "rows": ROWS}, f, indent=1)


if __name__ == "__main__":
    main()
