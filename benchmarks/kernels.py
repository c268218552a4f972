# Elementwise and reduction kernels only (tg vs torch, one thread unless --threads): the rows the SIMD work targets.
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (benchmarks/run.py: pair(), row(), tg, torch)

tg, torch = run.tg, run.torch


def main():
    p = argparse.ArgumentParser(description="elementwise/reduction kernels: tinygrad_ext vs PyTorch")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--reduce-n", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=9)
    a = p.parse_args()
    run.set_threads(a.threads)
    print(f"{'benchmark':<46} {'unit':>7} {'tg':>12} {'torch':>10} {'tg/torch':>8}")
    for n in [int(float(s)) for s in a.sizes.split(",")]:
        x = np.random.rand(n).astype(np.float32) * 4 - 2
        x64 = x.astype(np.float64)
        for op in ["add", "mul", "exp", "log", "tanh", "sigmoid", "relu", "sqrt"]:
            for dt, arr in [("f32", x), ("f64", x64)]:
                if op in ("log", "sqrt"):
                    arr = np.abs(arr) + 0.1
                ta, pa = tg.from_numpy(arr), torch.from_numpy(arr)
                f1, f2 = getattr(tg, op), getattr(torch, op)
                if op in ("add", "mul"):
                    t1, t2 = run.pair(lambda: (lambda: f1(ta, ta)), lambda: (lambda: f2(pa, pa)), a.repeat)
                    nbytes = 3 * arr.itemsize
                else:
                    t1, t2 = run.pair(lambda: (lambda: f1(ta)), lambda: (lambda: f2(pa)), a.repeat)
                    nbytes = 2 * arr.itemsize
                run.row(f"{op} {dt} n={n:.0e} threads={a.threads}", "GB/s", nbytes * n, t1, t2)
    n = a.reduce_n
    x = np.random.rand(n, n).astype(np.float32)
    ta, pa = tg.from_numpy(x), torch.from_numpy(x)
    for name, f1, f2 in [("sum", lambda: ta.sum(), lambda: pa.sum()),
                         ("sum(dim=1)", lambda: ta.sum(dim=1), lambda: pa.sum(dim=1)),
                         ("sum(dim=0)", lambda: ta.sum(dim=0), lambda: pa.sum(dim=0))]:
        t1, t2 = run.pair(lambda: f1, lambda: f2, max(3, a.repeat // 2))
        run.row(f"{name} f32 {n}x{n} threads={a.threads}", "GB/s", 4 * n * n, t1, t2)


if __name__ == "__main__":
    main()
