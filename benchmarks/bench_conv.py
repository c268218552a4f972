# Convolutional-network rows for benchmarks/run.py (also runnable alone): conv2d, max_pool2d and
# batch_norm forward(+backward) on LeNet / ResNet shapes, and one LeNet training epoch, tg vs torch.
import argparse
import os
import sys

import numpy as np
import torch

import tinygrad_ext as tg


def _tensors(lib, shapes, grads, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=g) for s, g in zip(shapes, grads)]


def _fwd_bwd(lib, fn, shapes, grads, backward):
    ts = _tensors(lib, shapes, grads)

    def step():
        y = fn(lib, *ts)
        if backward:
            y.sum().backward()
            for t in ts:
                t.grad = None
    return step


def _conv(padding=0):
    return lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=padding)


def _lenet(lib):
    n = lib.nn
    return n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.Sigmoid(), n.AvgPool2d(2, 2), n.Conv2d(6, 16, 5), n.Sigmoid(),
                        n.AvgPool2d(2, 2), n.Flatten(), n.Linear(400, 120), n.Sigmoid(), n.Linear(120, 84),
                        n.Sigmoid(), n.Linear(84, 10))


def _epoch(lib, batches):
    """One SGD epoch of d2l's LeNet over `batches` of 256 random 1x28x28 images."""
    rng = np.random.default_rng(0)
    xs = [lib.tensor(rng.standard_normal((256, 1, 28, 28)).astype(np.float32)) for _ in range(batches)]
    ys = [lib.tensor(rng.integers(0, 10, 256)) for _ in range(batches)]
    lib.manual_seed(0)
    net = _lenet(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.9)
    loss = lib.nn.CrossEntropyLoss()

    def epoch():
        for x, y in zip(xs, ys):
            opt.zero_grad()
            loss(net(x), y).backward()
            opt.step()
    return epoch


def bench_conv(pair, row, repeat, quick):
    """Adds the rows through run.py's pair (interleaved timing) and row (printing)."""
    cases = [
        ("conv2d LeNet c1 1->6 5x5 p2 28x28 b256 f+b", _conv(2), [(256, 1, 28, 28), (6, 1, 5, 5), (6,)],
         [False, True, True], True),
        ("conv2d LeNet c2 6->16 5x5 14x14 b256 f+b", _conv(), [(256, 6, 14, 14), (16, 6, 5, 5), (16,)],
         [True, True, True], True),
        ("conv2d 3x3 64->64 56x56 b32 fwd", _conv(1), [(32, 64, 56, 56), (64, 64, 3, 3), (64,)],
         [False, False, False], False),
        ("conv2d 3x3 64->64 56x56 b32 f+b", _conv(1), [(32, 64, 56, 56), (64, 64, 3, 3), (64,)],
         [True, True, True], True),
        ("conv2d 1x1 256->64 56x56 b32 fwd", _conv(), [(32, 256, 56, 56), (64, 256, 1, 1), (64,)],
         [False, False, False], False),
        ("conv2d 1x1 256->64 56x56 b32 f+b", _conv(), [(32, 256, 56, 56), (64, 256, 1, 1), (64,)],
         [True, True, True], True),
        ("max_pool2d 2x2 b256x6x28x28 f+b", lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(256, 6, 28, 28)],
         [True], True),
        ("batch_norm2d train b32x64x56x56 f+b",
         lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, training=True),
         [(32, 64, 56, 56), (64,), (64,)], [True, True, True], True),
    ]
    heavy = ("3x3", "1x1")
    for name, fn, shapes, grads, backward in cases:
        r = max(3, repeat // 3) if any(h in name for h in heavy) else repeat
        t1, t2 = pair(lambda: _fwd_bwd(tg, fn, shapes, grads, backward),
                      lambda: _fwd_bwd(torch, fn, shapes, grads, backward), r)
        row(name, "us", 1, t1, t2)
    batches = 8 if quick else 235  # 235 batches of 256 = one Fashion-MNIST epoch (60,000 images)
    t1, t2 = pair(lambda: _epoch(tg, batches), lambda: _epoch(torch, batches), 3)
    row(f"LeNet SGD epoch ({batches} batches of 256)", "us", 1, t1, t2)


_MEMORY_CASE = [(32, 64, 56, 56), (64, 64, 3, 3), (64,)]


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _memory_child(name):
    """Peak RSS growth (KiB) of one 3x3 64->64 conv forward+backward, in this fresh process."""
    import resource
    lib = tg if name == "tg" else torch
    step = _fwd_bwd(lib, _conv(1), _MEMORY_CASE, [True, True, True], True)
    before = _rss_kib()
    step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)


def conv_memory_ratio():
    """(tg KiB, torch KiB): peak extra RSS of the 3x3 conv forward+backward, each in its own process
    (the inputs are allocated before the baseline, so only the op's own buffers count)."""
    import subprocess
    out = {}
    for name in ("tg", "torch"):
        res = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", name],
                             capture_output=True, text=True, check=True)
        out[name] = int(res.stdout.split()[-1])
    return out["tg"], out["torch"]


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run  # noqa: E402  (the shared timing and printing helpers)

    p = argparse.ArgumentParser(description="convolutional-network benchmarks, tg vs torch")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--memory-child", choices=("tg", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_child:
        return _memory_child(args.memory_child)
    if args.threads:
        run.set_threads(args.threads)
    print(f"threads: tg {tg.get_num_threads()}, torch {torch.get_num_threads()}")
    bench_conv(run.pair, run.row, 5 if args.quick else 15, args.quick)
    tg_kib, torch_kib = conv_memory_ratio()
    print(f"conv2d 3x3 64->64 56x56 b32 f+b peak extra RSS: tg {tg_kib / 1024:.1f} MiB, "
          f"torch {torch_kib / 1024:.1f} MiB, ratio {tg_kib / max(torch_kib, 1):.2f}")


if __name__ == "__main__":
    main()
