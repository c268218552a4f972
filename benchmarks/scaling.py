# Thread scaling: the same workloads at each thread count (tg.set_num_threads and
# torch.set_num_threads), then the scaling efficiency (speed-up over 1 thread / threads) side by side.
import numpy as np

import run  # benchmarks/run.py: pair(), tg, torch

tg, torch = run.tg, run.torch


def _matmul(n):
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    ta, tb, pa, pb = tg.from_numpy(a), tg.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    return (lambda: (lambda: ta @ tb)), (lambda: (lambda: pa @ pb))


def _mlp_steps(steps):
    def make(lib):
        step = run.mlp_step(lib)

        def many():
            for _ in range(steps):
                step()
        return many
    return (lambda: make(tg)), (lambda: make(torch))


def _sum_dim1(n):
    x = np.random.rand(n, n).astype(np.float32)
    ta, pa = tg.from_numpy(x), torch.from_numpy(x)
    return (lambda: (lambda: ta.sum(dim=1))), (lambda: (lambda: pa.sum(dim=1)))


def _unary_or_binary(op, n):
    x = np.random.rand(n).astype(np.float32)
    ta, tb, pa, pb = tg.from_numpy(x), tg.from_numpy(x.copy()), torch.from_numpy(x), torch.from_numpy(x.copy())
    if op == "add":
        return (lambda: (lambda: tg.add(ta, tb))), (lambda: (lambda: torch.add(pa, pb)))
    f1, f2 = getattr(tg, op), getattr(torch, op)
    return (lambda: (lambda: f1(ta))), (lambda: (lambda: f2(pa)))


def workloads(quick):
    """(name, builder, repeat): builder() returns the (make_tg, make_torch) pair for run.pair."""
    sizes = [256, 512] if quick else [256, 512, 1024, 2048]
    big = 1 << 22 if quick else 16_000_000
    red = 1024 if quick else 4096
    out = [(f"matmul f32 n={n}", lambda n=n: _matmul(n), 15 if n <= 512 else 6) for n in sizes]
    out.append(("MLP 784-256-10 Adam, 10 steps of batch 256", lambda: _mlp_steps(10), 6))
    out.append((f"sum(dim=1) {red}x{red}", lambda: _sum_dim1(red), 15))
    out += [(f"{op} {big:.0e}", lambda op=op: _unary_or_binary(op, big), 9) for op in ("add", "exp")]
    return out


def main(threads, quick):
    """Prints one table (times in ms) per thread count, then the efficiency table."""
    times = {}  # (name, threads) -> (tg seconds, torch seconds)
    loads = workloads(quick)
    for nt in threads:
        run.set_threads(nt)
        print(f"\nthreads={nt}  (tg.get_num_threads()={tg.get_num_threads()}, "
              f"torch.get_num_threads()={torch.get_num_threads()})")
        print(f"{'workload':<46} {'tg ms':>10} {'torch ms':>10} {'tg/torch':>9}")
        for name, build, repeat in loads:
            make_tg, make_torch = build()
            t1, t2 = run.pair(make_tg, make_torch, repeat)
            times[name, nt] = (t1, t2)
            ratio = t1 / t2 if not isinstance(t1, str) else float("nan")
            shown = f"{1e3 * t1:10.3f}" if not isinstance(t1, str) else f"{t1:>10}"
            print(f"{name:<46} {shown} {1e3 * t2:10.3f} {ratio:9.2f}", flush=True)
    if 1 not in threads:
        return times
    print("\nscaling efficiency = (time at 1 thread / time at t threads) / t, tg | torch")
    print(f"{'workload':<46} " + " ".join(f"{f't={nt}':>13}" for nt in threads))
    for name, _, _ in loads:
        cells = []
        for nt in threads:
            (g1, p1), (gt, pt) = times[name, 1], times[name, nt]
            eff_tg = g1 / gt / nt if not isinstance(gt, str) else float("nan")
            cells.append(f"{eff_tg:5.2f} | {p1 / pt / nt:5.2f}")
        print(f"{name:<46} " + " ".join(f"{c:>13}" for c in cells))
    return times
