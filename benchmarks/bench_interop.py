# Loading weights: tinygrad_ext.safetensors.load_file vs safetensors.torch.load_file, and tg.load
# vs torch.load(weights_only=True) of a torch zip checkpoint, on the same files.
"""Usage: PYTHONPATH=python python benchmarks/bench_interop.py [--mb 256] [--repeats 5]

Writes a safetensors file and a torch.save zip checkpoint of --mb megabytes (32 float32 tensors,
page-cached after writing) to a temporary directory, then times each loader interleaved with its
reference (median of --repeats), with and without reading every element once afterwards (sum),
and prints the ratio tg / reference (lower is better); then the peak extra resident memory of
each loader (fresh process, after reading every element) against the tensors' own size.  The issue asks for 1 GB files; 256 MB is
the default so the benchmark fits a shared machine.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import safetensors.torch as st
import torch

import tinygrad_ext as tg
import tinygrad_ext.safetensors as ts
from run import timeit  # benchmarks/run.py


def compare(name, fn_tg, fn_ref, repeats):
    fn_tg(), fn_ref()  # warm-up
    t_tg, t_ref = [], []
    for _ in range(repeats):  # interleaved
        t_tg.append(timeit(fn_tg, 1, warmup=0))
        t_ref.append(timeit(fn_ref, 1, warmup=0))
    a, b = statistics.median(t_tg), statistics.median(t_ref)
    print(f"{name:<48} tg {a * 1e3:9.2f} ms   ref {b * 1e3:9.2f} ms   ratio {a / b:5.2f}")
    return a / b


def touch_all(tensors):
    """Reads every element once (the loaders map or copy lazily differently)."""
    return sum(float(v.sum()) for v in tensors.values())


# Run in a fresh interpreter so the high-water mark sees only this loader: peak RSS (VmHWM, which
# exec resets, unlike ru_maxrss) after loading and reading every element, minus the RSS after the
# imports. Mapped file pages count once they are read.
_PEAK_CHILD = """
import sys
kind, path = sys.argv[1], sys.argv[2]
import torch, safetensors.torch as st, tinygrad_ext as tg, tinygrad_ext.safetensors as ts
def status_mb(field):
    with open("/proc/self/status") as f:
        line = next(l for l in f if l.startswith(field + ":"))
    return int(line.split()[1]) / 1024
base = status_mb("VmRSS")
load = {"tg-sf": ts.load_file, "ref-sf": st.load_file, "tg-pt": tg.load,
        "ref-pt": lambda p: torch.load(p, weights_only=True)}[kind]
tensors = load(path)
total = sum(float(v.sum()) for v in tensors.values())
print(status_mb("VmHWM") - base)
"""


def peak_extra_mb(kind, path):
    out = subprocess.run([sys.executable, "-c", _PEAK_CHILD, kind, path], check=True,
                         capture_output=True, text=True, env=os.environ).stdout
    return float(out.split()[-1])


def compare_memory(name, kind_tg, kind_ref, path, mb):
    a, b = peak_extra_mb(kind_tg, path), peak_extra_mb(kind_ref, path)
    print(f"{name:<48} tg {a:7.0f} MB   ref {b:7.0f} MB   tensors {mb} MB   "
          f"tg/tensors {a / mb:4.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n = args.mb * (1 << 20) // 4 // 32
    torch.manual_seed(0)
    tensors = {f"layer{i}.weight": torch.randn(n) for i in range(32)}
    with tempfile.TemporaryDirectory() as tmp:
        sf, pt = os.path.join(tmp, "w.safetensors"), os.path.join(tmp, "w.pt")
        st.save_file(tensors, sf)
        torch.save(tensors, pt)
        print(f"{args.mb} MB in 32 float32 tensors; threads: tg {tg.get_num_threads()}, "
              f"torch {torch.get_num_threads()}")
        compare("safetensors load_file", lambda: ts.load_file(sf), lambda: st.load_file(sf),
                args.repeats)
        compare("safetensors load_file + read every element",
                lambda: touch_all(ts.load_file(sf)), lambda: touch_all(st.load_file(sf)),
                args.repeats)
        compare("torch zip checkpoint: tg.load vs torch.load",
                lambda: tg.load(pt), lambda: torch.load(pt, weights_only=True), args.repeats)
        print("peak extra memory (load, then read every element; fresh process each)")
        compare_memory("safetensors load_file", "tg-sf", "ref-sf", sf, args.mb)
        compare_memory("torch zip checkpoint", "tg-pt", "ref-pt", pt, args.mb)


if __name__ == "__main__":
    main()
