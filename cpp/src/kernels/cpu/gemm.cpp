// GEMM driver: dispatch, the cost model for threads and the Goto/BLIS blocking loops.
//
// Blocking scheme (C += alpha * op(A) * op(B)):
//
//   for jc in N by nc:                     B panel  kc x nc   -> packed once, shared, in L3
//     for pc in K by kc:
//       pack op(B)[pc:+kc, jc:+nc] into NR-wide slivers (kc x NR each)
//       for ic in M by mc:                 A block  mc x kc   -> packed, in the core's L2
//         pack alpha*op(A)[ic:+mc, pc:+kc] into MR-tall slivers (kc x MR each)
//         for jr in nc by NR:              one B sliver stays in L1 ...
//           for ir in mc by MR:            ... while the A slivers stream from L2
//             micro-kernel: C[MR x NR] (+)= A sliver * B sliver
//
// Packing makes every micro-kernel read unit-stride, aligned, zero-padded data, so all
// four transpose cases share one kernel and no transposed copy is ever built. beta is
// applied by the first kc step (pc == 0) only; later steps accumulate with beta = 1.
// mc, kc and nc come from the detected cache sizes (blocks_for below).
//
// Threads (a team of tm x tn): the team packs each B panel together (its slivers split over
// all threads) into a shared buffer, waits at a barrier, then thread (i, j) computes the
// C rectangle of row tiles i/tm and panel slivers j/tn, packing the A block of its rows
// into its own buffer (which stays in its core's L2). Panels alternate between two buffers,
// so one barrier per panel suffices: a thread packing panel s+1 has passed barrier s, which
// everyone reached after finishing panel s-1, the last user of that buffer. So the ic loop
// and the jr loop are both split, and B is packed once for the whole team instead of once
// per thread (which, for a square product on 16 threads, cost as much as a third of the
// multiply-adds). Every C tile still sums its
// K in the same kc blocks in the same order, whichever thread computes it: the result is
// bit-identical for any thread count.
//
// Problems with one or two rows, or one column, have (almost) no operand reuse: they
// skip packing and use the ISA's small_gemm, which works directly on the operands.
#include "tg/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <vector>

#include "gemm_internal.h"
#include "kernels/cpu/narrow.h"
#include "tg/cpu_caches.h"
#include "tg/cpu_features.h"
#include "tg/parallel.h"

namespace tg::kernels {
namespace {
using gemm_detail::KernelSet;

// Up to this many rows of C, small_gemm streams op(B) directly (once per row), which
// beats packing it. Below that the packed path wins even for 3x3 problems.
constexpr int64_t kSmallMaxRows = 2;
// Multiply-adds each thread must get before it is worth waking up (about 40 us of one core's
// FMA throughput: the wake-up, the A packing and two barriers per panel stay a few percent).
constexpr int64_t kPackedWorkPerThread = kGemmWorkPerThread;
constexpr int64_t kSmallWorkPerThread = 1 << 17;
// Packing one A sliver costs about this fraction of one micro-kernel call on it (in the grid choice).
constexpr double kPackACost = 0.5;

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
int64_t round_down_at_least(int64_t x, int64_t m) { return std::max(m, x / m * m); }

// Cache blocks. The kernel sets' mc/kc/nc were tuned on Zen 5 (48 KiB L1d, 1 MiB L2, 32 MiB L3
// per 8 cores); other caches scale them: kc with L1 (the B sliver streamed per micro-kernel
// call), then mc so the A block keeps the same share of L2, and nc so the shared B panel keeps
// the same share of L3 (of L2 when there is no L3). kc fixes the order in which K is summed, so
// it depends only on the machine, never on the thread count.
struct Blocks {
  int64_t mc, kc, nc;
};

template <typename T>
Blocks compute_blocks(const KernelSet<T>& ks) {
  constexpr double kRefL1 = 48 << 10, kRefL2 = 1 << 20, kRefL3 = 32 << 20;
  const CacheSizes& c = cache_sizes();
  const double l1 = std::clamp(c.l1d / kRefL1, 0.5, 2.0);
  const int64_t kc = std::max<int64_t>(16, int64_t(std::lround(ks.kc * l1 / 16)) * 16);
  const double kc_ratio = double(ks.kc) / double(kc);
  const double l2 = std::clamp(c.l2 / kRefL2, 0.25, 4.0);
  const int64_t mc = round_down_at_least(int64_t(ks.mc * l2 * kc_ratio), ks.mr);
  const double l3 = c.l3 > 0 ? std::clamp(c.l3 / kRefL3, 0.125, 4.0)
                             : std::clamp(c.l2 / (8 * kRefL2), 0.0625, 1.0);
  const int64_t nc = round_down_at_least(int64_t(ks.nc * l3 * kc_ratio), ks.nr);
  return {mc, kc, nc};
}

template <typename T>
const Blocks& blocks() {
  static const Blocks b = compute_blocks(kernels<T>());  // cpu_level() never changes
  return b;
}

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

// [begin, end) of part `i` of `n` items split into `parts` near-equal parts.
std::pair<int64_t, int64_t> share(int64_t n, int64_t parts, int64_t i) {
  return {n * i / parts, n * (i + 1) / parts};
}

// How the packed path splits C: a tm x tn grid of threads over row tiles (MR rows) and panel
// slivers (NR columns).
struct Grid {
  int tm = 1, tn = 1;
  int threads() const { return tm * tn; }
};

// The grid for at most `threads` threads that minimises the busiest thread's cost (its tiles
// plus packing its A slivers, which a column split repeats); ties go to fewer threads.
Grid choose_grid(int threads, int64_t row_tiles, int64_t slivers) {
  Grid best;
  double best_cost = -1;
  for (int tm = 1; tm <= threads && tm <= row_tiles; ++tm)
    for (int tn = 1; tm * tn <= threads && tn <= slivers; ++tn) {
      const double rows = double((row_tiles + tm - 1) / tm), cols = double((slivers + tn - 1) / tn);
      const double cost = rows * (cols + kPackACost);
      if (best_cost < 0 || cost < best_cost - 1e-9 ||
          (cost < best_cost + 1e-9 && tm * tn < best.threads()))
        best_cost = cost, best = Grid{tm, tn};
    }
  return best;
}

template <typename T>
Grid packed_grid(const KernelSet<T>& ks, int64_t M, int64_t N, int64_t K) {
  const int threads = plan_threads(M * N * K, kPackedWorkPerThread);
  if (threads == 1) return Grid{};
  const int64_t slivers = (std::min(blocks<T>().nc, N) + ks.nr - 1) / ks.nr;
  return choose_grid(threads, (M + ks.mr - 1) / ks.mr, slivers);
}

// The packers for operands of type S (T itself, or float16/bfloat16 for a float product).
template <typename T, typename S>
struct Packers {
  gemm_detail::PackA<T, S> a;
  gemm_detail::PackB<T, S> b;
};
template <typename T>
Packers<T, T> packers(const KernelSet<T>& ks, const T*) { return {ks.pack_a, ks.pack_b}; }
inline Packers<float, Half> packers(const KernelSet<float>& ks, const Half*) { return {ks.pack_a_f16, ks.pack_b_f16}; }
inline Packers<float, BFloat16> packers(const KernelSet<float>& ks, const BFloat16*) {
  return {ks.pack_a_bf16, ks.pack_b_bf16};
}

// One thread's part of one (jc, pc) step: C[rows, panel slivers s0..s1) (+)= A block * panel.
template <typename T, typename S>
struct PanelStep {
  const KernelSet<T>& ks;
  gemm_detail::PackA<T, S> pack_a;
  bool ta;
  const S* A;  // op(A) column pc (already offset)
  int64_t lda;
  T alpha;
  const T* bp;  // the packed panel
  int64_t kc, nc;
  T beta;       // beta of this kc step
  T* C;         // C column jc (already offset)
  int64_t ldc;

  // ap: a buffer for one packed A block or, when a_packed, rows row0..row1 of op(A) already packed.
  void run(int64_t row0, int64_t row1, int64_t s0, int64_t s1, int64_t mc_block, T* ap, bool a_packed = false) const {
    const int64_t MR = ks.mr, NR = ks.nr;
    alignas(64) T tile[gemm_detail::kMaxTile];  // edge tiles are computed here, then merged
    T* const a_block = ap;
    for (int64_t ic = row0; ic < row1; ic += mc_block) {
      const int64_t mc = std::min(mc_block, row1 - ic);
      if (a_packed) ap = a_block + (ic - row0) * kc;
      else pack_a(ta, ta ? A + ic : A + ic * lda, lda, mc, kc, alpha, ap);
      for (int64_t jr = s0 * NR; jr < std::min(s1 * NR, nc); jr += NR) {
        const int64_t nr = std::min(NR, nc - jr);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int64_t mr = std::min(MR, mc - ir);
          const T* a = ap + ir * kc;
          const T* b = bp + jr * kc;
          T* c = C + (ic + ir) * ldc + jr;
          if (mr == MR && nr == NR) {
            ks.micro(kc, a, b, beta, c, ldc);
            continue;
          }
          ks.micro(kc, a, b, T(0), tile, NR);
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < nr; ++j) {
              T& cij = c[i * ldc + j];
              cij = tile[i * NR + j] + (beta == 0 ? T(0) : beta * cij);
            }
        }
      }
    }
  }
};

// The blocked loops of the header comment on a team of grid.threads() threads.
template <typename T, typename S>
void packed_gemm(const KernelSet<T>& ks, Packers<T, S> pk, Grid grid, bool ta, bool tb, int64_t M,
                 int64_t N, int64_t K, T alpha, const S* A, int64_t lda, const S* B, int64_t ldb,
                 T beta, T* C, int64_t ldc) {
  const Blocks& bl = blocks<T>();
  const int64_t MR = ks.mr, NR = ks.nr;
  const int64_t panel = std::min(bl.kc, K) * round_up(std::min(bl.nc, N), NR);
  const int64_t steps = ((N + bl.nc - 1) / bl.nc) * ((K + bl.kc - 1) / bl.kc);
  T* panels = scratch<T>(1, steps > 1 && grid.threads() > 1 ? 2 * panel : panel);  // shared
  const int64_t row_tiles = (M + MR - 1) / MR;
  parallel_team(grid.threads(), [&](int tid, int team) {
    // The runtime may give fewer threads than asked: fall back to rows only, then to one.
    const Grid g = team == grid.threads() ? grid : Grid{team, 1};
    const int ti = tid / g.tn, tj = tid % g.tn;
    auto [t0, t1] = share(row_tiles, g.tm, ti);
    const int64_t row0 = t0 * MR, row1 = std::min(M, t1 * MR);
    T* ap = scratch<T>(0, std::min(bl.mc, round_up(row1 - row0, MR)) * std::min(bl.kc, K));
    int64_t step = 0;
    for (int64_t jc = 0; jc < N; jc += bl.nc) {
      const int64_t nc = std::min(bl.nc, N - jc);
      const int64_t slivers = (nc + NR - 1) / NR;
      for (int64_t pc = 0; pc < K; pc += bl.kc, ++step) {
        const int64_t kc = std::min(bl.kc, K - pc);
        T* bp = team > 1 ? panels + (step % 2) * panel : panels;
        auto [p0, p1] = share(slivers, team, tid);  // this thread's share of the packing
        if (p0 < p1) {
          const int64_t j0 = jc + p0 * NR, cols = std::min(p1 * NR, nc) - p0 * NR;
          pk.b(tb, tb ? B + j0 * ldb + pc : B + pc * ldb + j0, ldb, kc, cols, bp + p0 * NR * kc);
        }
        if (team > 1) team_barrier();
        auto [s0, s1] = share(slivers, g.tn, tj);
        const PanelStep<T, S> part{ks, pk.a, ta, ta ? A + pc * lda : A + pc, lda, alpha, bp, kc, nc,
                                   pc == 0 ? beta : T(1), C + jc, ldc};
        if (row0 < row1 && s0 < s1) part.run(row0, row1, s0, s1, bl.mc, ap);
      }
    }
  });
}

// gemm_implicit_b: op(A) is packed once (all of it: the weights or gradient block of a
// convolution), then each thread walks its slivers of C in column blocks sized for L2, packing
// each B block right before using it; no barrier and no shared panel.
template <typename T>
void implicit_gemm(bool ta, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                   const ImplicitB<T>& pack_b, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) return scale_c(M, N, beta, C, ldc);
  const KernelSet<T>& ks = kernels<T>();
  const Blocks& bl = blocks<T>();
  const int64_t NR = ks.nr, kc_block = std::min(bl.kc, K), rows = round_up(M, ks.mr);
  std::vector<T> a_packed(static_cast<size_t>(rows * K));  // block pc at rows * pc
  for (int64_t pc = 0; pc < K; pc += kc_block)
    ks.pack_a(ta, ta ? A + pc * lda : A + pc, lda, M, std::min(kc_block, K - pc), alpha, a_packed.data() + rows * pc);
  const int64_t l2 = std::max<int64_t>(cache_sizes().l2, 256 << 10);
  const int64_t nc_block = std::min(bl.nc, round_down_at_least(l2 / 2 / (kc_block * int64_t(sizeof(T))), NR));
  const int64_t slivers = (N + NR - 1) / NR;
  const int threads = int(std::min<int64_t>(plan_threads(M * N * K, kPackedWorkPerThread), slivers));
  parallel_team(threads, [&](int tid, int team) {
    auto [s0, s1] = share(slivers, team, tid);
    const int64_t col1 = std::min(N, s1 * NR);
    T* bp = scratch<T>(1, kc_block * std::min(nc_block, round_up(N, NR)));
    for (int64_t jc = s0 * NR; jc < col1; jc += nc_block) {
      const int64_t nc = std::min(nc_block, col1 - jc);
      for (int64_t pc = 0; pc < K; pc += kc_block) {
        const int64_t kc = std::min(kc_block, K - pc);
        pack_b(pc, kc, jc, nc, NR, bp);
        const PanelStep<T, T> part{ks, ks.pack_a, ta, A, lda, alpha, bp, kc, nc, pc == 0 ? beta : T(1), C + jc, ldc};
        part.run(0, M, 0, (nc + NR - 1) / NR, bl.mc, a_packed.data() + rows * pc, true);
      }
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

// A narrow output (a few columns, many rows: a Linear layer with few outputs) would pad every
// micro-tile's columns to the kernel width. C^T = op(B)^T op(A)^T puts the narrow side on the
// rows instead, where tiles are only a few rows tall; the small result is then transposed back.
constexpr int64_t kNarrowCols = 16;
bool narrow(int64_t M, int64_t N) { return N < kNarrowCols && N > 1 && M >= 4 * kNarrowCols; }

// The threads gemm_impl gives (M, N, K): the same path choice, after the narrow rewrite.
template <typename T>
int planned_threads(int64_t M, int64_t N, int64_t K) {
  if (M <= 0 || N <= 0 || K <= 0) return 1;
  if (narrow(M, N)) std::swap(M, N);
  const KernelSet<T>& ks = kernels<T>();
  if (M <= kSmallMaxRows || N == 1) {
    const int64_t work = std::max<int64_t>(1, (M == 1 ? 1 : N) * K);
    return plan_threads(M == 1 ? N : M, std::max<int64_t>(1, kSmallWorkPerThread / work));
  }
  return packed_grid(ks, M, N, K).threads();
}

template <typename T>
void gemm_impl(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) return scale_c(M, N, beta, C, ldc);
  // A stride-1 vector reads the same either way; prefer the contiguous-dot layouts.
  if (M == 1 && ta && lda == 1) ta = false;
  if (N == 1 && !tb && ldb == 1) tb = true, ldb = K;
  if (narrow(M, N)) {
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
  packed_gemm(ks, packers(ks, A), packed_grid(ks, M, N, K), ta, tb, M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}

// X (rows x cols as stored, leading dimension ld) widened to a dense float copy.
template <typename S>
std::vector<float> widened_copy(const S* X, int64_t rows, int64_t cols, int64_t ld) {
  std::vector<float> out(static_cast<size_t>(rows) * static_cast<size_t>(cols));
  for (int64_t i = 0; i < rows; ++i)
    narrow::to_float(dtype_of<S>::value, &X[i * ld].bits, out.data() + i * cols, cols);
  return out;
}

// float16/bfloat16 operands, float32 C. Products with operand reuse pack the operands converted
// to float (no float copy of them is made); the small, vector-shaped and narrow ones (and kernel
// sets without such packers) widen the operands once and run the float path.
template <typename S>
void gemm_16bit(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const S* A,
                int64_t lda, const S* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) return scale_c(M, N, beta, C, ldc);
  const KernelSet<float>& ks = kernels<float>();
  const Packers<float, S> pk = packers(ks, A);
  if (M <= kSmallMaxRows || N == 1 || narrow(M, N) || !pk.a || !pk.b) {
    const std::vector<float> a = widened_copy(A, ta ? K : M, ta ? M : K, lda);
    const std::vector<float> b = widened_copy(B, tb ? N : K, tb ? K : N, ldb);
    return gemm_impl(ta, tb, M, N, K, alpha, a.data(), ta ? M : K, b.data(), tb ? K : N, beta, C, ldc);
  }
  packed_gemm(ks, pk, packed_grid(ks, M, N, K), ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <typename T, typename S>
void gemm_any(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const S* A, int64_t lda,
              const S* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if constexpr (std::is_same_v<S, T>) gemm_impl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else gemm_16bit(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// Batch entries per thread when the entries are small: as many as make kGemmWorkPerThread.
template <typename T>
int batch_threads(int64_t batch, int64_t M, int64_t N, int64_t K) {
  if (batch < 2 || planned_threads<T>(M, N, K) > 1) return 1;
  const int64_t work = std::max<int64_t>(1, M * N * std::max<int64_t>(K, 1));
  return plan_threads(batch, std::max<int64_t>(1, kGemmWorkPerThread / work));
}

template <typename T, typename S>
void batched_impl(int64_t batch, bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                  const S* A, int64_t lda, int64_t sa, const S* B, int64_t ldb, int64_t sb, T beta,
                  T* C, int64_t ldc, int64_t sc) {
  auto entries = [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i)
      gemm_any(ta, tb, M, N, K, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
  };
  const int threads = batch_threads<T>(batch, M, N, K);
  if (threads == 1) return entries(0, batch);
  parallel_for(batch, (batch + threads - 1) / threads, entries);
}

}  // namespace

void gemm_batched(int64_t batch, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, int64_t sa, const float* B, int64_t ldb, int64_t sb,
                  float beta, float* C, int64_t ldc, int64_t sc) {
  batched_impl(batch, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc);
}
void gemm_batched(int64_t batch, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  double alpha, const double* A, int64_t lda, int64_t sa, const double* B,
                  int64_t ldb, int64_t sb, double beta, double* C, int64_t ldc, int64_t sc) {
  batched_impl(batch, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc);
}
void gemm_batched(int64_t batch, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                  const Half* A, int64_t lda, int64_t sa, const Half* B, int64_t ldb, int64_t sb,
                  float beta, float* C, int64_t ldc, int64_t sc) {
  batched_impl(batch, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc);
}
void gemm_batched(int64_t batch, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                  const BFloat16* A, int64_t lda, int64_t sa, const BFloat16* B, int64_t ldb,
                  int64_t sb, float beta, float* C, int64_t ldc, int64_t sc) {
  batched_impl(batch, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc);
}
int gemm_batch_threads(bool f64, int64_t batch, int64_t M, int64_t N, int64_t K) {
  return f64 ? batch_threads<double>(batch, M, N, K) : batch_threads<float>(batch, M, N, K);
}

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_impl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_impl(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t alpha, const int64_t* A,
          int64_t lda, const int64_t* B, int64_t ldb, int64_t beta, int64_t* C, int64_t ldc) {
  using U = uint64_t;  // unsigned arithmetic: overflow wraps instead of being undefined
  auto a_at = [&](int64_t i, int64_t k) { return U(ta ? A[k * lda + i] : A[i * lda + k]); };
  for (int64_t i = 0; i < M; ++i) {
    int64_t* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == 0 ? 0 : int64_t(U(c[j]) * U(beta));
    if (tb) {  // rows of B are columns of op(B): one dot product per element
      for (int64_t j = 0; j < N; ++j) {
        U s = 0;
        for (int64_t k = 0; k < K; ++k) s += a_at(i, k) * U(B[j * ldb + k]);
        c[j] = int64_t(U(c[j]) + U(alpha) * s);
      }
    } else {  // c[i, :] += alpha a[i, k] b[k, :], rows of B read in order
      for (int64_t k = 0; k < K; ++k) {
        const U a = U(alpha) * a_at(i, k);
        const int64_t* b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] = int64_t(U(c[j]) + a * U(b[j]));
      }
    }
  }
}

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const Half* A,
          int64_t lda, const Half* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_16bit(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const BFloat16* A,
          int64_t lda, const BFloat16* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_16bit(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_implicit_b(bool ta, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                     const ImplicitB<float>& pack_b, float beta, float* C, int64_t ldc) {
  implicit_gemm(ta, M, N, K, alpha, A, lda, pack_b, beta, C, ldc);
}
void gemm_implicit_b(bool ta, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                     const ImplicitB<double>& pack_b, double beta, double* C, int64_t ldc) {
  implicit_gemm(ta, M, N, K, alpha, A, lda, pack_b, beta, C, ldc);
}

int gemm_threads(bool f64, int64_t M, int64_t N, int64_t K) {
  return f64 ? planned_threads<double>(M, N, K) : planned_threads<float>(M, N, K);
}

GemmBlocks gemm_blocks(bool f64) {
  const auto& b = f64 ? blocks<double>() : blocks<float>();
  return {b.mc, b.kc, b.nc};
}

}  // namespace tg::kernels
