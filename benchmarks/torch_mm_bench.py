"""GFLOP/s of torch.mm on square n x n matrices (the reference for gemm_check bench).

Same protocol as gemm_check: C = A B, 1 and 2 threads, median of 7 ~20 ms batches,
timed by the calling thread's CPU time (the machine is shared with other processes;
the calling thread takes part in all the work and spins while waiting for workers).
"""
import statistics
import time

import torch


def cpu_seconds(call, reps, trials=7):
    times = []
    for _ in range(trials):
        c = time.thread_time()
        for _ in range(reps):
            call()
        times.append((time.thread_time() - c) / reps)
    return statistics.median(times)


def bench(n, dtype):
    a = torch.rand(n, n, dtype=dtype) * 2 - 1
    b = torch.rand(n, n, dtype=dtype) * 2 - 1
    c = torch.empty(n, n, dtype=dtype)

    def call():
        torch.mm(a, b, out=c)

    call()
    reps = max(1, int(0.02 / max(cpu_seconds(call, 1, 3), 1e-9)))
    return 2.0 * n**3 / cpu_seconds(call, reps) / 1e9


def main():
    print(f"torch {torch.__version__}: GFLOP/s, C = A B, median of 7 batches "
          "(calling-thread CPU time)")
    print(f"{'n':>6} {'f32 1T':>8} {'f32 2T':>8} {'f64 1T':>8} {'f64 2T':>8}")
    for n in (64, 256, 1024, 2048):
        row = {}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for dtype in (torch.float32, torch.float64):
                row[dtype, threads] = bench(n, dtype)
        print(f"{n:>6} {row[torch.float32, 1]:8.1f} {row[torch.float32, 2]:8.1f} "
              f"{row[torch.float64, 1]:8.1f} {row[torch.float64, 2]:8.1f}")


if __name__ == "__main__":
    main()
