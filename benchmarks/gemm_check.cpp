// Standalone GEMM checker and benchmark (not part of the Python build).
//
// Build (from the repository root):
//   g++ -std=c++17 -O3 -fopenmp -DTG_OPENMP=1 -Icpp/include -Icpp/src
//       benchmarks/gemm_check.cpp cpp/src/kernels/cpu/gemm*.cpp
//       cpp/src/kernels/cpu/cpu_features.cpp cpp/src/kernels/cpu/cpu_caches.cpp
//       cpp/src/core/parallel.cpp -o gemm_check
// Usage:
//   gemm_check check   correctness at every CPU level (re-runs itself per TG_CPU_LEVEL)
//   gemm_check bench   clock / peak estimate and GFLOP/s for square n (1 and 2 threads)

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tg/cpu_features.h"
#include "tg/gemm.h"
#include "tg/parallel.h"
#include "peak.h"

namespace {

using peak::cpu_seconds;

// ---- correctness ---------------------------------------------------------------

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  int64_t pad;  // extra leading-dimension elements on A, B and C
  double alpha, beta;
};

// Runs one case; returns the worst error relative to the rounding bound
// eps * (K + 2) * (|alpha| sum|a||b| + |beta c|), i.e. <= 1 means within tolerance.
template <typename T>
double run_case(const Case& cs, std::mt19937& rng, double* max_abs) {
  const int64_t M = cs.M, N = cs.N, K = cs.K;
  const int64_t ar = cs.ta ? K : M, ac = cs.ta ? M : K;  // stored shapes
  const int64_t br = cs.tb ? N : K, bc = cs.tb ? K : N;
  const int64_t lda = ac + cs.pad, ldb = bc + cs.pad, ldc = N + cs.pad;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::uniform_real_distribution<double> u(-1, 1);
  // Padding holds NaN: reading it would poison the result, writing it is detected.
  std::vector<T> A(std::max<int64_t>(1, ar * lda), nan), B(std::max<int64_t>(1, br * ldb), nan);
  std::vector<T> C(std::max<int64_t>(1, M * ldc), nan);
  for (int64_t r = 0; r < ar; ++r)
    for (int64_t c = 0; c < ac; ++c) A[r * lda + c] = T(u(rng));
  for (int64_t r = 0; r < br; ++r)
    for (int64_t c = 0; c < bc; ++c) B[r * ldb + c] = T(u(rng));
  if (cs.beta != 0)  // beta == 0 keeps NaN in C: it must be ignored
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = T(u(rng));
  const std::vector<T> C0 = C;

  tg::kernels::gemm(cs.ta, cs.tb, M, N, K, T(cs.alpha), A.data(), lda, B.data(), ldb,
                    T(cs.beta), C.data(), ldc);

  // Reference: double accumulation in (i, p, j) order, plus sum |a||b| for the bound.
  double worst = 0;
  std::vector<double> acc(N), mag(N);
  for (int64_t i = 0; i < M; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0);
    std::fill(mag.begin(), mag.end(), 0.0);
    for (int64_t p = 0; p < K; ++p) {
      const double a = cs.ta ? A[p * lda + i] : A[i * lda + p];
      for (int64_t j = 0; j < N; ++j) {
        const double b = cs.tb ? B[j * ldb + p] : B[p * ldb + j];
        acc[j] += a * b;
        mag[j] += std::fabs(a * b);
      }
    }
    for (int64_t j = 0; j < N; ++j) {
      const double c0 = cs.beta == 0 ? 0.0 : double(C0[i * ldc + j]);
      const double want = cs.alpha * acc[j] + cs.beta * c0;
      const double bound = std::numeric_limits<T>::epsilon() * double(K + 2) *
                               (std::fabs(cs.alpha) * mag[j] + std::fabs(cs.beta * c0)) +
                           std::numeric_limits<T>::min();
      const double err = std::fabs(double(C[i * ldc + j]) - want);
      *max_abs = std::max(*max_abs, err);
      worst = std::max(worst, std::isfinite(err) ? err / bound : INFINITY);
    }
    for (int64_t j = N; j < ldc; ++j)  // padding of C untouched (NaN stays NaN)
      if (!std::isnan(C[i * ldc + j])) worst = INFINITY;
  }
  return worst;
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  const int64_t dims[] = {0, 1, 2, 3, 5, 7, 13, 16, 17, 31, 33, 64, 97, 130};
  const double ab[][2] = {{1, 0}, {1, 1}, {-0.5, 2}, {2, -1.5}};
  std::mt19937 rng(7);
  int n = 0;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      for (int64_t M : dims)
        for (int64_t N : dims)
          for (int64_t K : dims) {
            if (rng() % 8) continue;  // a deterministic 1/8 sample of the grid
            const auto& c = ab[n++ % 4];
            cases.push_back({M, N, K, ta, tb, int64_t(rng() % 3) * 3, c[0], c[1]});
          }
      const int64_t big[][3] = {{1009, 1013, 1021}, {1, 2000, 3001}, {2500, 1, 777},
                                {3, 3, 3},          {1, 1, 5000},     {300, 1200, 1},
                                {523, 29, 1500},    {37, 1301, 611},  {257, 263, 269},
                                {2, 3000, 400}};
      for (auto& s : big) {
        const auto& c = ab[n++ % 4];
        cases.push_back({s[0], s[1], s[2], ta, tb, 5, c[0], c[1]});
      }
      cases.push_back({64, 64, 64, ta, tb, 0, 0.0, 0.5});  // alpha == 0: scale only
      cases.push_back({40, 50, 0, ta, tb, 1, 1.0, 0.0});   // K == 0 with beta == 0
    }
  return cases;
}

int check_level() {
  const auto cases = make_cases();
  int failures = 0;
  for (int threads : {1, 2}) {
    tg::set_num_threads(threads);
    for (int dtype = 0; dtype < 2; ++dtype) {
      std::mt19937 rng(42);
      double worst = 0, max_abs = 0;
      for (const Case& cs : cases) {
        const double r = dtype == 0 ? run_case<float>(cs, rng, &max_abs)
                                    : run_case<double>(cs, rng, &max_abs);
        if (r > 1) {
          ++failures;
          std::printf("  FAIL M=%ld N=%ld K=%ld ta=%d tb=%d pad=%ld alpha=%g beta=%g: %g\n",
                      long(cs.M), long(cs.N), long(cs.K), cs.ta, cs.tb, long(cs.pad),
                      cs.alpha, cs.beta, r);
        }
        worst = std::max(worst, r);
      }
      std::printf("  %-7s %s threads=%d cases=%zu max_abs_err=%.3g max_err/bound=%.3g\n",
                  tg::cpu_level_name(tg::cpu_level()), dtype == 0 ? "f32" : "f64", threads,
                  cases.size(), max_abs, worst);
    }
  }
  return failures;
}

// Re-runs this program once per CPU level (cpu_level() is cached per process).
int check_all(const char* self) {
  int failures = 0;
  for (const char* level : {"baseline", "avx2", "avx512"}) {
    const std::string cmd = std::string("TG_CPU_LEVEL=") + level + " '" + self + "' check-level";
    std::printf("TG_CPU_LEVEL=%s\n", level);
    std::fflush(stdout);
    if (std::system(cmd.c_str()) != 0) ++failures;
  }
  std::printf(failures ? "FAILED\n" : "ALL OK\n");
  return failures ? 1 : 0;
}

// ---- benchmark -----------------------------------------------------------------

// GFLOP/s of C = A B (n x n, no transposes): median over ~20 ms batches.
template <typename T>
double bench_square(int64_t n) {
  std::vector<T> A(n * n), B(n * n), C(n * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& x : A) x = T(u(rng));
  for (auto& x : B) x = T(u(rng));
  auto call = [&] {
    tg::kernels::gemm(false, false, n, n, n, T(1), A.data(), n, B.data(), n, T(0), C.data(), n);
  };
  call();
  const double once = cpu_seconds(call, 1, 3);
  const int reps = std::max(1, int(0.02 / once));
  return 2.0 * n * n * n / cpu_seconds(call, reps) / 1e9;
}

int bench() {
  const double ghz = peak::measure_clock_ghz();
  std::printf("cpu level: %s\n", tg::cpu_level_name(tg::cpu_level()));
  std::printf("clock estimate: %.2f GHz\n", ghz);
  const peak::FmaPeak fma = peak::measure_fma(ghz);
  std::printf("measured %s f32 FMA throughput: %.1f flops/cycle/core (%.1f GFLOP/s)\n", fma.isa,
              fma.flops_per_cycle, fma.flops_per_cycle * ghz);
  std::printf("peak per core (16 f32 lanes x 2 FMA units x 2 flops x clock): f32 %.1f, "
              "f64 %.1f GFLOP/s\n", 64 * ghz, 32 * ghz);
  std::printf("GFLOP/s, C = A B, median of 7 batches (calling-thread CPU time)\n");
  std::printf("%6s %8s %8s %8s %8s\n", "n", "f32 1T", "f32 2T", "f64 1T", "f64 2T");
  for (int64_t n : {64, 256, 1024, 2048}) {
    double r[4];
    for (int t = 0; t < 2; ++t) {
      tg::set_num_threads(t + 1);
      r[t] = bench_square<float>(n);
      r[2 + t] = bench_square<double>(n);
    }
    std::printf("%6ld %8.1f %8.1f %8.1f %8.1f\n", long(n), r[0], r[1], r[2], r[3]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "check") return check_all(argv[0]);
  if (mode == "check-level") return check_level() ? 1 : 0;
  if (mode == "bench") return bench();
  std::fprintf(stderr, "usage: %s check|bench\n", argv[0]);
  return 2;
}
