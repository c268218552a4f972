# Narrow-dtype rows for benchmarks/run.py (also runnable alone): bfloat16 matmul (next to tg's own
# float32), elementwise add/mul on int32/uint8/float16/bfloat16, and the MLP Adam step of run.py
# under autocast(bfloat16), tg vs torch.
import argparse
import os
import sys

import torch

import tinygrad_ext as tg


def _pairs(n, dtype_name, seed=0):
    """The same values in tg and torch (integers small enough not to overflow either)."""
    g = torch.Generator().manual_seed(seed)
    dt = getattr(torch, dtype_name)
    if dt.is_floating_point:
        a, b = torch.randn(n, generator=g).to(dt), torch.randn(n, generator=g).to(dt)
    else:
        a, b = torch.randint(0, 100, (n,), generator=g).to(dt), torch.randint(0, 100, (n,), generator=g).to(dt)

    def to_tg(t):
        if t.dtype == torch.bfloat16:
            return tg.from_numpy(t.view(torch.int16).numpy().copy()).view(tg.bfloat16)
        return tg.from_numpy(t.numpy().copy())
    return to_tg(a), to_tg(b), a, b


def _autocast_step(lib, make_step):
    """A training step (run.py's mlp_step) run under autocast(bfloat16) in that library."""
    step = make_step(lib)

    def run():
        with lib.autocast("cpu", dtype=lib.bfloat16):
            step()
    return run


def bench_dtypes(pair, row, repeat, quick, mlp_step):
    for nt in (1, 2):
        tg.set_num_threads(nt)
        torch.set_num_threads(nt)
        for n in ([256] if quick else [256, 1024]):
            r = max(3, repeat if n <= 256 else repeat // 3)
            for dt in ("float32", "bfloat16"):
                g = torch.Generator().manual_seed(1)
                a, b = torch.randn(n, n, generator=g).to(getattr(torch, dt)), torch.randn(n, n, generator=g).to(getattr(torch, dt))
                ta, tb = tg.tensor(a.float().numpy(), dtype=getattr(tg, dt)), tg.tensor(b.float().numpy(), dtype=getattr(tg, dt))
                t1, t2 = pair(lambda: (lambda: ta @ tb), lambda: (lambda: a @ b), r)
                row(f"matmul {dt} n={n} threads={nt}", "GFLOP/s", 2 * n ** 3, t1, t2)
    tg.set_num_threads(1)
    torch.set_num_threads(1)
    for n in ([1_000_000] if quick else [1_000_000, 16_000_000]):
        r = repeat * 2 if n <= 1_000_000 else max(3, repeat // 2)
        for dt in ("int32", "uint8", "float16", "bfloat16"):
            ta, tb, pa, pb = _pairs(n, dt)
            nbytes = 3 * n * ta.element_size()
            for op in ("add", "mul"):
                f1, f2 = getattr(tg, op), getattr(torch, op)
                t1, t2 = pair(lambda: (lambda: f1(ta, tb)), lambda: (lambda: f2(pa, pb)), r)
                row(f"{op} {dt} n={n:.0e} threads=1", "GB/s", nbytes, t1, t2)
    t1, t2 = pair(lambda: _autocast_step(tg, mlp_step), lambda: _autocast_step(torch, mlp_step), repeat)
    row("MLP 784-256-10 Adam step, autocast bf16", "us", 1, t1, t2)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    from run import mlp_step, pair, row  # noqa: E402
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args()
    bench_dtypes(pair, row, args.repeat, args.quick, mlp_step)
