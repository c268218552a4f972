// Machine limits for the benchmarks: core clock and FMA throughput, timed by the calling thread's
// CPU time (the machine is shared; CPU time is what one thread gets when it runs).
// Used by peak.cpp (run.py compiles it) and gemm_check.cpp.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <vector>

namespace peak {

// CPU seconds used by the calling thread.
inline double thread_cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Median seconds per call over `trials` batches of `reps` calls, timed by the calling thread's
// CPU time. The calling thread takes part in all the work of a call and spins while waiting for
// workers, so its CPU time tracks the wall time the call would take on its own.
template <typename F>
double cpu_seconds(const F& call, int reps, int trials = 7) {
  std::vector<double> times;
  for (int t = 0; t < trials; ++t) {
    const double c = thread_cpu_now();
    for (int r = 0; r < reps; ++r) call();
    times.push_back((thread_cpu_now() - c) / reps);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Core clock from a chain of dependent 1-cycle integer adds (8 per iteration).
inline double measure_clock_ghz() {
  const int64_t iters = 20000000;
  const double t = cpu_seconds(
      [&] {
        int64_t x = 0, n = iters;
        asm volatile(
            "1:\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "dec %1\n\tjnz 1b"
            : "+r"(x), "+r"(n));
      },
      1);
  return 8.0 * iters / t / 1e9;
}

// 16 independent chains of `iters` f32 FMAs on the widest vectors; sink keeps them observable.
__attribute__((target("avx512f"))) inline void fma_chains_avx512(int64_t iters, float* sink) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(1.0f + i);  // distinct chains
  const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm512_fmadd_ps(a, m, b);
  for (int i = 1; i < 16; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  _mm512_storeu_ps(sink, acc[0]);
}

__attribute__((target("avx2,fma"))) inline void fma_chains_avx2(int64_t iters, float* sink) {
  __m256 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm256_set1_ps(1.0f + i);
  const __m256 m = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (auto& a : acc) a = _mm256_fmadd_ps(a, m, b);
  for (int i = 1; i < 16; ++i) acc[0] = _mm256_add_ps(acc[0], acc[i]);
  _mm256_storeu_ps(sink, acc[0]);
}

struct FmaPeak {
  const char* isa;         // "avx512", "avx2" or "none"
  int lanes;               // f32 lanes per vector
  double flops_per_cycle;  // measured, one core
};

// Measured f32 FMA throughput per cycle on one core with the widest FMA the CPU has.
inline FmaPeak measure_fma(double ghz) {
  const int64_t iters = 5000000;
  float sink[16];
  if (__builtin_cpu_supports("avx512f")) {
    const double t = cpu_seconds([&] { fma_chains_avx512(iters, sink); }, 1);
    return {"avx512", 16, 16.0 * 16 * 2 * iters / t / (ghz * 1e9)};
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    const double t = cpu_seconds([&] { fma_chains_avx2(iters, sink); }, 1);
    return {"avx2", 8, 16.0 * 8 * 2 * iters / t / (ghz * 1e9)};
  }
  return {"none", 4, 0.0};
}

}  // namespace peak
