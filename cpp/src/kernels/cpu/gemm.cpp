// GEMM driver: dispatch, threading and the Goto/BLIS blocking loops.
//
// Blocking scheme (one thread, C += alpha * op(A) * op(B)):
//
//   for jc in N by nc:                     B panel  kc x nc   -> packed once, lives in L3
//     for pc in K by kc:
//       pack op(B)[pc:+kc, jc:+nc] into NR-wide slivers (kc x NR each)
//       for ic in M by mc:                 A block  mc x kc   -> packed, lives in L2
//         pack alpha*op(A)[ic:+mc, pc:+kc] into MR-tall slivers (kc x MR each)
//         for jr in nc by NR:              one B sliver stays in L1 ...
//           for ir in mc by MR:            ... while the A slivers stream from L2
//             micro-kernel: C[MR x NR] (+)= A sliver * B sliver
//
// Packing makes every micro-kernel read unit-stride, aligned, zero-padded data, so all
// four transpose cases share one kernel and no transposed copy is ever built. beta is
// applied by the first kc step (pc == 0) only; later steps accumulate with beta = 1.
//
// Threads split C into a tm x tn grid of rectangles (the split that keeps them the
// squarest, so the least data is packed twice); each thread runs the loops above on
// its rectangle with its own thread_local packing buffers, so there is no shared
// mutable state and no synchronisation.
//
// Problems with one or two rows, or one column, have (almost) no operand reuse: they
// skip packing and use the ISA's small_gemm, which works directly on the operands.
#include "tg/gemm.h"

#include <vector>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "gemm_internal.h"
#include "tg/cpu_features.h"
#include "tg/parallel.h"

namespace tg::kernels {
namespace {
using gemm_detail::KernelSet;

// Up to this many rows of C, small_gemm streams op(B) directly (once per row), which
// beats packing it. Below that the packed path wins even for 3x3 problems.
constexpr int64_t kSmallMaxRows = 2;
// Multiply-adds each extra thread must get before it is worth waking up.
constexpr int64_t kPackedWorkPerThread = 1 << 20;
constexpr int64_t kSmallWorkPerThread = 1 << 17;

template <typename T>
const KernelSet<T>& kernels();
template <>
const KernelSet<float>& kernels<float>() {
  using namespace gemm_detail;
  switch (cpu_level()) {
    case CpuLevel::AVX512: return kAvx512F32;
    case CpuLevel::AVX2: return kAvx2F32;
    default: return kBaselineF32;
  }
}
template <>
const KernelSet<double>& kernels<double>() {
  using namespace gemm_detail;
  switch (cpu_level()) {
    case CpuLevel::AVX512: return kAvx512F64;
    case CpuLevel::AVX2: return kAvx2F64;
    default: return kBaselineF64;
  }
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// 64-byte aligned, grow-only buffer owned by the calling thread (slot 0: A, 1: B).
template <typename T>
T* scratch(int slot, int64_t count) {
  struct Buffer {
    void* ptr = nullptr;
    size_t bytes = 0;
    ~Buffer() { std::free(ptr); }
  };
  thread_local Buffer buffers[2];
  Buffer& buf = buffers[slot];
  const size_t need = static_cast<size_t>(round_up(count * int64_t(sizeof(T)), 64));
  if (need > buf.bytes) {
    std::free(buf.ptr);
    buf.ptr = std::aligned_alloc(64, need);
    buf.bytes = buf.ptr ? need : 0;
    if (!buf.ptr) throw std::bad_alloc();
  }
  return static_cast<T*>(buf.ptr);
}

// C = beta * C (beta == 0 writes zeros without reading C).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == 0) std::fill(c, c + N, T(0));
    else if (beta != 1)
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

// The blocked loops of the header comment, on one thread.
template <typename T>
void packed_gemm(const KernelSet<T>& ks, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                 T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
                 int64_t ldc) {
  const int64_t MR = ks.mr, NR = ks.nr;
  T* ap = scratch<T>(0, std::min(ks.mc, round_up(M, MR)) * std::min(ks.kc, K));
  T* bp = scratch<T>(1, std::min(ks.kc, K) * std::min(ks.nc, round_up(N, NR)));
  alignas(64) T tile[gemm_detail::kMaxTile];  // edge tiles are computed here, then merged
  for (int64_t jc = 0; jc < N; jc += ks.nc) {
    const int64_t nc = std::min(ks.nc, N - jc);
    for (int64_t pc = 0; pc < K; pc += ks.kc) {
      const int64_t kc = std::min(ks.kc, K - pc);
      const T step_beta = pc == 0 ? beta : T(1);
      ks.pack_b(tb, tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, kc, nc, bp);
      for (int64_t ic = 0; ic < M; ic += ks.mc) {
        const int64_t mc = std::min(ks.mc, M - ic);
        ks.pack_a(ta, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, alpha, ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min(NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min(MR, mc - ir);
            const T* a = ap + ir * kc;
            const T* b = bp + jr * kc;
            T* c = C + (ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              ks.micro(kc, a, b, step_beta, c, ldc);
              continue;
            }
            ks.micro(kc, a, b, T(0), tile, NR);
            for (int64_t i = 0; i < mr; ++i)
              for (int64_t j = 0; j < nr; ++j) {
                T& cij = c[i * ldc + j];
                cij = tile[i * NR + j] + (step_beta == 0 ? T(0) : step_beta * cij);
              }
          }
        }
      }
    }
  }
}

// Splits C into a tm x tn grid for `threads` threads (rows in multiples of MR, columns
// of NR) and runs packed_gemm on every rectangle in parallel.
template <typename T>
void parallel_packed_gemm(const KernelSet<T>& ks, int threads, bool ta, bool tb, int64_t M,
                          int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  int tm = 1;
  double best = -1;
  for (int d = 1; d <= threads; ++d) {
    if (threads % d) continue;
    const double cost = double(M) / d + double(N) / (threads / d);  // panel sizes packed
    if (best < 0 || cost < best) best = cost, tm = d;
  }
  const int tn = threads / tm;
  const int64_t rows = round_up((M + tm - 1) / tm, ks.mr);
  const int64_t cols = round_up((N + tn - 1) / tn, ks.nr);
  parallel_for(threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i0 = (t / tn) * rows, j0 = (t % tn) * cols;
      const int64_t m = std::min(rows, M - i0), n = std::min(cols, N - j0);
      if (m <= 0 || n <= 0) continue;
      packed_gemm(ks, ta, tb, m, n, K, alpha, ta ? A + i0 : A + i0 * lda, lda,
                  tb ? B + j0 * ldb : B + j0, ldb, beta, C + i0 * ldc + j0, ldc);
    }
  });
}

// small_gemm, split over rows of C (or over columns when M == 1) for large vectors.
template <typename T>
void parallel_small_gemm(const KernelSet<T>& ks, bool ta, bool tb, int64_t M, int64_t N,
                         int64_t K, T alpha, const T* A, int64_t lda, const T* B,
                         int64_t ldb, T beta, T* C, int64_t ldc) {
  const int64_t work = std::max<int64_t>(1, (M == 1 ? 1 : N) * K);  // per unit of split
  const int64_t grain = std::max<int64_t>(1, kSmallWorkPerThread / work);
  if (M == 1) {
    parallel_for(N, grain, [&](int64_t j0, int64_t j1) {
      ks.small(ta, tb, 1, j1 - j0, K, alpha, A, lda, tb ? B + j0 * ldb : B + j0, ldb, beta,
               C + j0, ldc);
    });
  } else {
    parallel_for(M, grain, [&](int64_t i0, int64_t i1) {
      ks.small(ta, tb, i1 - i0, N, K, alpha, ta ? A + i0 : A + i0 * lda, lda, B, ldb, beta,
               C + i0 * ldc, ldc);
    });
  }
}

template <typename T>
void gemm_impl(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) return scale_c(M, N, beta, C, ldc);
  // A stride-1 vector reads the same either way; prefer the contiguous-dot layouts.
  if (M == 1 && ta && lda == 1) ta = false;
  if (N == 1 && !tb && ldb == 1) tb = true, ldb = K;
  // A narrow output (a few columns, many rows: a Linear layer with few outputs) would pad every
  // micro-tile's columns to the kernel width. C^T = op(B)^T op(A)^T puts the narrow side on the
  // rows instead, where tiles are only a few rows tall; the small result is then transposed back.
  constexpr int64_t kNarrowCols = 16;
  if (N < kNarrowCols && N > 1 && M >= 4 * kNarrowCols) {
    std::vector<T> ct(static_cast<size_t>(N) * static_cast<size_t>(M));
    gemm_impl(!tb, !ta, N, M, K, alpha, B, ldb, A, lda, T(0), ct.data(), M);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T& c = C[i * ldc + j];
        c = beta == T(0) ? ct[j * M + i] : beta * c + ct[j * M + i];
      }
    return;
  }
  const KernelSet<T>& ks = kernels<T>();
  if (M <= kSmallMaxRows || N == 1)
    return parallel_small_gemm(ks, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const int threads = static_cast<int>(std::clamp<int64_t>(
      M * N * K / kPackedWorkPerThread, 1, std::max(1, get_num_threads())));
  if (threads == 1) return packed_gemm(ks, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  parallel_packed_gemm(ks, threads, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_impl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_impl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace tg::kernels
