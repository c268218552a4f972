# Times one shuffled epoch of a 60000x784 float32 TensorDataset (batch 256): tg vs torch DataLoader.
"""Usage: PYTHONPATH=python python benchmarks/bench_data.py [--repeats 5] [--workers 0]

Both loaders read the same numpy data in the same process; each is warmed up with one epoch,
then the median of `repeats` epochs is reported, with the ratio tg / torch (lower is better).
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torch.utils.data as tud

import tinygrad_ext as tg
from tinygrad_ext.utils import data as tgd


def epoch_seconds(loader, repeats):
    for _ in loader:  # warm-up
        pass
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        n = 0
        for x, y in loader:
            n += x.shape[0]
        times.append(time.perf_counter() - start)
        assert n == 60000
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=60000).astype(np.int64)

    tg.manual_seed(0)
    torch.manual_seed(0)
    ours = tgd.DataLoader(tgd.TensorDataset(tg.from_numpy(x), tg.from_numpy(y)),
                          batch_size=args.batch_size, shuffle=True, num_workers=args.workers)
    theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                            batch_size=args.batch_size, shuffle=True)
    t_tg = epoch_seconds(ours, args.repeats)
    t_torch = epoch_seconds(theirs, args.repeats)
    print(f"one shuffled epoch, 60000x784 float32, batch {args.batch_size} "
          f"(median of {args.repeats}, tg num_workers={args.workers}):")
    print(f"  tg    DataLoader: {t_tg * 1e3:8.2f} ms")
    print(f"  torch DataLoader: {t_torch * 1e3:8.2f} ms")
    print(f"  ratio tg/torch:   {t_tg / t_torch:8.3f}")


if __name__ == "__main__":
    main()
