# Times one optimizer step on a 1M-element float32 parameter: tg's fused kernel vs torch.optim.
import argparse
import statistics
import time

import numpy as np
import torch

import tinygrad_ext as tg


def make(lib, name, kwargs, values, grad):
    """A parameter with a gradient and its optimizer, warmed up so that the state exists."""
    p = lib.tensor(values, requires_grad=True)
    p.grad = lib.tensor(grad)
    opt = getattr(lib.optim, name)([p], **kwargs)
    return opt


def bench(name, kwargs, n, repeats, warmup):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(n).astype(np.float32)
    grad = rng.standard_normal(n).astype(np.float32) * 1e-3
    opts = {"tg": make(tg, name, kwargs, values, grad),
            "torch": make(torch, name, kwargs, values, grad)}
    for _ in range(warmup):
        for opt in opts.values():
            opt.step()
    times = {k: [] for k in opts}
    for _ in range(repeats):  # interleaved so that both see the same machine load
        for k, opt in opts.items():
            t0 = time.perf_counter()
            opt.step()
            times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{name:5s} {str(kwargs):32s} tg {med['tg'] * 1e3:8.3f} ms   torch "
          f"{med['torch'] * 1e3:8.3f} ms   tg/torch {med['tg'] / med['torch']:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="default: torch's thread count")
    args = ap.parse_args()
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    tg.set_num_threads(threads)
    print(f"{args.n} float32 elements, {threads} thread(s), median of {args.repeats}")
    bench("SGD", dict(lr=0.01, momentum=0.9), args.n, args.repeats, args.warmup)
    bench("Adam", dict(lr=1e-3), args.n, args.repeats, args.warmup)


if __name__ == "__main__":
    main()
