// Convolution and transposed convolution over 1-3 spatial dims, on the packed GEMM.
//
// One geometry serves both ops: the "big" side is a convolution's input (a transposed
// convolution's output) and the "small" side its output. Per sample n and group g, with the
// column matrix cols = im2col(big[n, g]) of shape (C_big * kernel_volume) x small_volume:
//   small[n, g] = W_g @ cols                       (convolution)
//   big[n, g]   = col2im(W_g^T @ small[n, g])      (transposed convolution = input gradient)
//   dW_g       += small_grad[n, g] @ cols^T         (weight gradient)
// The three are linear in each operand and are each other's gradients, so every derivative
// (double backward included) is again one of them. A 1x1 kernel with stride 1 and no padding
// needs no columns: cols is big[n, g] itself. Samples run in parallel (one thread each, GEMM
// single-threaded inside) when there are enough of them; otherwise the GEMM runs threaded.
// Integer convolutions (no autograd) run the same code on the exact int64 GEMM.
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>

#include "ops/widen.h"
#include "tg/autocast.h"
#include "tg/conv.h"
#include "tg/gemm.h"
#include "tg/parallel.h"
#include "reduced_float.h"

namespace tg::nn {
namespace {

constexpr int kMaxDims = 3;
using Dims = std::array<int64_t, kMaxDims>;

// Spatial dims are right-aligned in 3 slots; unused leading slots have size 1 and kernel 1.
struct ConvGeom {
  int nsp = 0;
  int64_t N = 0, G = 1, Cb = 0, Cs = 0;  // batch, groups, big-side / small-side channels per group
  Dims big{1, 1, 1}, small{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, p{0, 0, 0}, d{1, 1, 1};
  // float16/bfloat16 for a transposed convolution of those dtypes: torch rounds its column matrix to
  // the dtype and adds the columns (and the bias) into the output one rounded step at a time.
  DType round = DType::Float64;

  static int64_t vol(const Dims& a) { return a[0] * a[1] * a[2]; }
  int64_t big_vol() const { return vol(big); }
  int64_t small_vol() const { return vol(small); }
  int64_t rows() const { return Cb * vol(k); }  // rows of the column matrix
  bool pointwise() const {
    for (int i = 0; i < kMaxDims; ++i)
      if (k[i] != 1 || s[i] != 1 || p[i] != 0) return false;
    return true;
  }
  // Output columns of the unit-stride forward over the padded input (PaddedColumns):
  // od*PH*PW + oh*PW + ow for every position before the last output's.
  int64_t virtual_cols() const {
    const int64_t PH = big[1] + 2 * p[1], PW = big[2] + 2 * p[2];
    return ((small[0] - 1) * PH + small[1] - 1) * PW + small[2];
  }
  Shape big_shape() const { return shape_of(G * Cb, big); }
  Shape small_shape() const { return shape_of(G * Cs, small); }
  Shape weight_shape() const {
    Shape w{G * Cs, Cb};
    for (int i = kMaxDims - nsp; i < kMaxDims; ++i) w.push_back(k[i]);
    return w;
  }
  Shape shape_of(int64_t C, const Dims& sp) const {
    Shape out{N, C};
    for (int i = kMaxDims - nsp; i < kMaxDims; ++i) out.push_back(sp[i]);
    return out;
  }
};

// a + b; integers wrap around (in unsigned arithmetic, where overflow is defined), as torch's.
template <typename T>
T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(std::make_unsigned_t<T>(a) + std::make_unsigned_t<T>(b));
  else return a + b;
}

// Output positions o along one dim whose input position o * s + off lies in [0, n): [lo, hi).
std::pair<int64_t, int64_t> valid_range(int64_t off, int64_t s, int64_t n, int64_t out) {
  int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t hi = off > n - 1 ? 0 : (n - 1 - off) / s + 1;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

// Walks the column matrix row by row (channel, kernel offset; rows `ld` apart) and, within a
// row, over the output rows (od, oh); f(column_row, big_row, lo, hi, iw0, sw) handles one output
// row, where big_row[iw0 + ow * sw] meets column ow for ow in [lo, hi) and the rest is padding
// (big_row is null when the whole row is padding).
template <typename ColT, typename BigT, typename F>
void for_each_column_row(const ConvGeom& g, ColT* cols, int64_t ld, BigT* big, F&& f) {
  const int64_t OD = g.small[0], OH = g.small[1], OW = g.small[2];
  const int64_t BD = g.big[0], BH = g.big[1], BW = g.big[2];
  int64_t r = 0;
  for (int64_t c = 0; c < g.Cb; ++c) {
    BigT* plane = big + c * g.big_vol();
    for (int64_t kd = 0; kd < g.k[0]; ++kd)
      for (int64_t kh = 0; kh < g.k[1]; ++kh)
        for (int64_t kw = 0; kw < g.k[2]; ++kw, ++r) {
          const int64_t iw0 = kw * g.d[2] - g.p[2];
          auto [lo, hi] = valid_range(iw0, g.s[2], BW, OW);
          ColT* row = cols + r * ld;
          for (int64_t od = 0; od < OD; ++od) {
            const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
            for (int64_t oh = 0; oh < OH; ++oh, row += OW) {
              const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
              bool inside = id >= 0 && id < BD && ih >= 0 && ih < BH;
              f(row, inside ? plane + (id * BH + ih) * BW : nullptr, lo, hi, iw0, g.s[2]);
            }
          }
        }
  }
}

template <typename T>
void im2col(const ConvGeom& g, const T* big, T* cols, int64_t ld) {
  const int64_t OW = g.small[2];
  for_each_column_row(g, cols, ld, big, [OW](T* dst, const T* src, int64_t lo, int64_t hi, int64_t iw0, int64_t sw) {
    if (!src) {
      std::fill(dst, dst + OW, T(0));
      return;
    }
    std::fill(dst, dst + lo, T(0));
    if (sw == 1) {
      std::memcpy(dst + lo, src + iw0 + lo, static_cast<size_t>(hi - lo) * sizeof(T));
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[iw0 + ow * sw];
    }
    std::fill(dst + hi, dst + OW, T(0));
  });
}

// big += the columns scattered back (big must be zeroed by the caller), each addition rounded to
// g.round when that is a 16-bit float.
template <typename T>
void col2im(const ConvGeom& g, const T* cols, int64_t ld, T* big) {
  const bool narrow = is_reduced_float(g.round);
  for_each_column_row(g, cols, ld, big, [&](const T* src, T* dst, int64_t lo, int64_t hi, int64_t iw0, int64_t sw) {
    if (!dst) return;
    dst += iw0;
    if (narrow) {
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow * sw] = static_cast<T>(round_to(g.round, dst[ow * sw] + src[ow]));
      return;
    }
    if (sw == 1) {  // unit stride: a loop the compiler vectorises
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = wrapping_add(dst[ow], src[ow]);
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) dst[ow * sw] = wrapping_add(dst[ow * sw], src[ow]);
    }
  });
}

// Small images are convolved a chunk of samples at a time: their columns side by side make one
// GEMM with about kChunkColumns columns instead of many tiny ones. The chunks depend only on the
// shapes, never on the thread count.
constexpr int64_t kChunkColumns = 2048;

// Per-thread buffers and the operand layouts of one chunk (samples [n0, n0 + nb), one group).
template <typename T>
struct Chunk {
  const ConvGeom& g;
  int64_t B, count;  // samples per chunk, number of chunks
  bool direct;       // 1x1 kernel and one sample per chunk: the image is the column matrix
  std::vector<T> cols, tmp;

  explicit Chunk(const ConvGeom& geom) : g(geom) {
    // About kChunkColumns columns per chunk, in a multiple of 4 chunks of equal size where the
    // batch allows (so 2 or 4 threads get equal shares).
    const int64_t L = std::max<int64_t>(g.small_vol(), 1), N = std::max<int64_t>(g.N, 1);
    const int64_t target = std::min(N, ((N * L + kChunkColumns - 1) / kChunkColumns + 3) / 4 * 4);
    B = (N + target - 1) / target;
    count = (g.N + B - 1) / B;
    direct = B == 1 && g.pointwise();
    if (B > 1) tmp.resize(static_cast<size_t>(g.Cs * B * g.small_vol()));
  }
  int64_t first(int64_t chunk) const { return chunk * B; }
  int64_t size(int64_t chunk) const { return std::min(B, g.N - chunk * B); }
  const T* big_plane(const T* big, int64_t n, int64_t grp) const { return big + (n * g.G + grp) * g.Cb * g.big_vol(); }
  T* small_plane(T* small, int64_t n, int64_t grp) const { return small + (n * g.G + grp) * g.Cs * g.small_vol(); }

  // The buffer of a column matrix (allocated on first use).
  T* column_buffer() {
    if (cols.empty()) cols.resize(static_cast<size_t>(g.rows() * B * g.small_vol()));
    return cols.data();
  }
  // The column matrix (rows x nb * L, leading dim returned) of the chunk's images.
  std::pair<const T*, int64_t> columns(const T* big, int64_t n0, int64_t nb, int64_t grp) {
    const int64_t L = g.small_vol();
    if (direct) return {big_plane(big, n0, grp), L};
    T* c = column_buffer();
    for (int64_t b = 0; b < nb; ++b) im2col(g, big_plane(big, n0 + b, grp), c + b * L, nb * L);
    return {c, nb * L};
  }
  // The chunk's small-side planes as one Cs x nb * L matrix (gathered when nb > 1).
  std::pair<const T*, int64_t> small_matrix(const T* small, int64_t n0, int64_t nb, int64_t grp) {
    const int64_t L = g.small_vol();
    if (nb == 1) return {small_plane(const_cast<T*>(small), n0, grp), L};
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t c = 0; c < g.Cs; ++c)
        std::memcpy(tmp.data() + c * nb * L + b * L, small_plane(const_cast<T*>(small), n0 + b, grp) + c * L,
                    static_cast<size_t>(L) * sizeof(T));
    return {tmp.data(), nb * L};
  }
};

// Runs f(chunk_state, c0, c1) over the chunks: in parallel when every thread gets a chunk, else
// in one call (the GEMMs inside then use the threads).
template <typename T, typename F>
void over_chunks(const ConvGeom& g, const F& f) {
  const int64_t count = Chunk<T>(g).count;  // (allocates no column buffer)
  if (count >= 2 && count >= get_num_threads()) {
    parallel_for(count, 1, [&](int64_t c0, int64_t c1) {
      Chunk<T> ch(g);
      f(ch, c0, c1);
    });
  } else if (count > 0) {
    Chunk<T> ch(g);
    f(ch, 0, count);
  }
}

// The column matrix as offsets into zero-padded input planes (PD x PH x PW per channel): row
// (c, kd, kh, kw) and output position (od, oh, ow) read the padded plane at
// offs[row] + vq, with offs[row] = c*PVOL + (kd*dd*PH + kh*dh)*PW + kw*dw and
// vq = (od*sd*PH + oh*sh)*PW + ow*sw, no bounds to check. The GEMM's B packers read the
// image through them (implicit GEMM): no column matrix is stored.
//
// Unit-stride forward: with "virtual" output columns q = vq for ow < PW (strides 1), each row
// of the column matrix is the padded image shifted by offs[row], contiguous in q across output
// rows, so the packer copies NR-wide runs; the columns with ow >= OW are computed and dropped
// (PW/OW extra work: 40% for a 5x5 kernel on 14x14, 4% for 3x3 on 56x56).
//
// Weight gradient: B = cols^T (pixels x rows), one value per (pixel, row); only real pixels.
template <typename T>
struct PaddedColumns {
  const ConvGeom& g;
  bool padded;
  int64_t PH, PW, pvol, qv;   // padded plane, virtual columns per sample
  std::vector<int64_t> offs;  // per column-matrix row
  explicit PaddedColumns(const ConvGeom& geom) : g(geom) {
    padded = g.p[0] || g.p[1] || g.p[2];
    const int64_t PD = g.big[0] + 2 * g.p[0];
    PH = g.big[1] + 2 * g.p[1], PW = g.big[2] + 2 * g.p[2], pvol = PD * PH * PW;
    qv = g.virtual_cols();
    offs.reserve(static_cast<size_t>(g.rows()));
    for (int64_t c = 0; c < g.Cb; ++c)
      for (int64_t kd = 0; kd < g.k[0]; ++kd)
        for (int64_t kh = 0; kh < g.k[1]; ++kh)
          for (int64_t kw = 0; kw < g.k[2]; ++kw)
            offs.push_back(c * pvol + (kd * g.d[0] * PH + kh * g.d[1]) * PW + kw * g.d[2]);
  }
  // planes[b] = the (padded) input planes of sample n0 + b, group grp, for b < nb; padding
  // copies them into buf (nb x Cb x pvol).
  void gather(const T* big, int64_t n0, int64_t nb, int64_t grp, std::vector<T>& buf,
              std::vector<const T*>& planes) const {
    if (padded) buf.resize(static_cast<size_t>(nb * g.Cb * pvol));
    planes.resize(static_cast<size_t>(nb));
    for (int64_t b = 0; b < nb; ++b) {
      const T* x = big + ((n0 + b) * g.G + grp) * g.Cb * g.big_vol();
      if (padded) pad(x, buf.data() + b * g.Cb * pvol);
      planes[b] = padded ? buf.data() + b * g.Cb * pvol : x;
    }
  }
  // Copies the Cb planes of one sample into dst (Cb x pvol) with their zero borders.
  void pad(const T* src, T* dst) const {
    std::fill(dst, dst + g.Cb * pvol, T(0));
    const int64_t BD = g.big[0], BH = g.big[1], BW = g.big[2];
    for (int64_t c = 0; c < g.Cb; ++c)
      for (int64_t z = 0; z < BD; ++z)
        for (int64_t y = 0; y < BH; ++y)
          std::memcpy(dst + c * pvol + ((z + g.p[0]) * PH + y + g.p[1]) * PW + g.p[2],
                      src + ((c * BD + z) * BH + y) * BW, static_cast<size_t>(BW) * sizeof(T));
  }
  // dst[r * NR + t] = src[offs[r] + t] for r < kc, t < NR, with NR a constant the copy unrolls
  // to a few vector moves; false for an unexpected sliver width.
  template <int NR>
  static void copy_rows(const T* src, const int64_t* offs, int64_t kc, T* dst) {
    for (int64_t r = 0; r < kc; ++r, dst += NR) {
      std::memcpy(dst, src + offs[r], NR * sizeof(T));
    }
  }
  static bool copy_slivers(int64_t nr, const T* src, const int64_t* offs, int64_t kc, T* dst) {
    switch (nr) {
      case 8: copy_rows<8>(src, offs, kc, dst); return true;
      case 16: copy_rows<16>(src, offs, kc, dst); return true;
      case 32: copy_rows<32>(src, offs, kc, dst); return true;
      case 64: copy_rows<64>(src, offs, kc, dst); return true;
      default: return false;
    }
  }
  // The weight gradient's B packer: rows are the nb * L real pixels of samples planes[0..nb),
  // columns the rows of the column matrix.
  kernels::ImplicitB<T> weight_packer(const std::vector<const T*>& planes) const {
    return [this, &planes](int64_t k0, int64_t kc, int64_t j0, int64_t n, int64_t nr, T* dst) {
      const int64_t OD = g.small[0], OH = g.small[1], OW = g.small[2];
      const int64_t step_w = g.s[2], step_h = g.s[1] * PW, step_d = g.s[0] * PH * PW;
      // f(p, base) for the pixels k0 + p, p < kc, base = their position in their sample's planes.
      auto each_pixel = [&](const auto& f) {
        const int64_t l = k0 % g.small_vol();
        int64_t b = k0 / g.small_vol(), ow = l % OW, oh = l / OW % OH, od = l / (OW * OH);
        for (int64_t p = 0; p < kc; ++p) {
          f(p, planes[b] + od * step_d + oh * step_h + ow * step_w);
          if (++ow == OW && (ow = 0, ++oh == OH) && (oh = 0, ++od == OD)) od = 0, ++b;
        }
      };
      for (int64_t s0 = 0; s0 < n; s0 += nr, dst += kc * nr) {
        const int64_t cols = std::min(nr, n - s0);
        const int64_t* col_offs = offs.data() + j0 + s0;
        if (cols == nr && gather_slivers(nr, each_pixel, col_offs, dst)) continue;
        each_pixel([&](int64_t p, const T* base) {
          T* d = dst + p * nr;
          for (int64_t t = 0; t < cols; ++t) d[t] = base[col_offs[t]];
          for (int64_t t = cols; t < nr; ++t) d[t] = T(0);
        });
      }
    };
  }
  // dst[p * NR + t] = base_p[col_offs[t]] over each_pixel's pixels, with NR a constant (the
  // offsets then stay in registers); false for an unexpected sliver width.
  template <int NR, typename Walk>
  static void gather_rows(const Walk& each_pixel, const int64_t* col_offs, T* dst) {
    int64_t o[NR];
    std::copy(col_offs, col_offs + NR, o);
    each_pixel([&](int64_t p, const T* base) {
      T* d = dst + p * NR;
      for (int t = 0; t < NR; ++t) d[t] = base[o[t]];
    });
  }
  template <typename Walk>
  static bool gather_slivers(int64_t nr, const Walk& each_pixel, const int64_t* col_offs, T* dst) {
    switch (nr) {
      case 8: gather_rows<8>(each_pixel, col_offs, dst); return true;
      case 16: gather_rows<16>(each_pixel, col_offs, dst); return true;
      case 32: gather_rows<32>(each_pixel, col_offs, dst); return true;
      case 64: gather_rows<64>(each_pixel, col_offs, dst); return true;
      default: return false;
    }
  }
  // The B packer over samples planes[0..nb) (nb * qv columns).
  kernels::ImplicitB<T> packer(const std::vector<const T*>& planes) const {
    return [this, &planes](int64_t k0, int64_t kc, int64_t j0, int64_t n, int64_t nr, T* dst) {
      const int64_t* row_offs = offs.data() + k0;
      for (int64_t s0 = 0; s0 < n; s0 += nr, dst += kc * nr) {
        const int64_t cols = std::min(nr, n - s0), j = j0 + s0;
        if (cols == nr && j % qv + nr <= qv && copy_slivers(nr, planes[j / qv] + j % qv, row_offs, kc, dst)) continue;
        // A sliver that crosses into the next sample or ends the block: runs per sample, zeros after.
        for (int64_t t0 = 0; t0 < nr;) {
          if (t0 == cols) {
            for (int64_t r = 0; r < kc; ++r) std::fill(dst + r * nr + t0, dst + (r + 1) * nr, T(0));
            break;
          }
          const int64_t b = (j + t0) / qv, q = (j + t0) % qv, t1 = std::min(cols, t0 + qv - q);
          for (int64_t r = 0; r < kc; ++r)
            std::memcpy(dst + r * nr + t0, planes[b] + row_offs[r] + q, static_cast<size_t>(t1 - t0) * sizeof(T));
          t0 = t1;
        }
      }
    };
  }
};

template <typename T>
void forward_unit_stride(const ConvGeom& g, const T* big, const T* w, const T* bias, T* small) {
  const PaddedColumns<T> us(g);
  const int64_t R = g.rows(), L = g.small_vol(), OH = g.small[1], OW = g.small[2];
  // Samples per GEMM: about kChunkColumns virtual columns. The result does not depend on it.
  const int64_t B = std::clamp<int64_t>((kChunkColumns + us.qv - 1) / us.qv, 1, std::max<int64_t>(g.N, 1));
  parallel_for(g.N, 1, [&](int64_t n_begin, int64_t n_end) {
    std::vector<T> padded, out(static_cast<size_t>(g.Cs * B * us.qv));
    std::vector<const T*> planes;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += B) {
      const int64_t nb = std::min(B, n_end - n0), ld = nb * us.qv;
      for (int64_t grp = 0; grp < g.G; ++grp) {
        us.gather(big, n0, nb, grp, padded, planes);
        kernels::gemm_implicit_b(false, g.Cs, ld, R, T(1), w + grp * g.Cs * R, R, us.packer(planes), T(0),
                                 out.data(), ld);
        for (int64_t b = 0; b < nb; ++b)  // the valid columns, plus the bias, into the output
          for (int64_t o = 0; o < g.Cs; ++o) {
            T* dst = small + (((n0 + b) * g.G + grp) * g.Cs + o) * L;
            const T add = bias ? bias[grp * g.Cs + o] : T(0);
            for (int64_t od = 0; od < g.small[0]; ++od)
              for (int64_t oh = 0; oh < OH; ++oh, dst += OW) {
                const T* src = out.data() + o * ld + b * us.qv + (od * us.PH + oh) * us.PW;
                for (int64_t ow = 0; ow < OW; ++ow) dst[ow] = src[ow] + add;
              }
          }
      }
    }
  });
}

template <typename T>
void forward_kernel(const ConvGeom& g, const T* big, const T* w, const T* bias, T* small) {
  const int64_t R = g.rows(), L = g.small_vol();
  if constexpr (std::is_floating_point_v<T>) {
    // (A 1x1 kernel needs no columns at all: the chunked path below multiplies the images directly.)
    if (g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1 && !g.pointwise()) return forward_unit_stride(g, big, w, bias, small);
  }
  over_chunks<T>(g, [&](Chunk<T>& ch, int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t n0 = ch.first(c), nb = ch.size(c);
      for (int64_t grp = 0; grp < g.G; ++grp) {
        auto [cols, ld] = ch.columns(big, n0, nb, grp);
        T* out = nb == 1 ? ch.small_plane(small, n0, grp) : ch.tmp.data();
        kernels::gemm(false, false, g.Cs, nb * L, R, T(1), w + grp * g.Cs * R, R, cols, ld, T(0), out, nb * L);
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t o = 0; o < g.Cs; ++o) {
            T* dst = ch.small_plane(small, n0 + b, grp) + o * L;
            const T* src = out + o * nb * L + b * L;
            const T add = bias ? bias[grp * g.Cs + o] : T(0);
            if (nb == 1 && !bias) continue;
            for (int64_t i = 0; i < L; ++i) dst[i] = wrapping_add(src[i], add);
          }
      }
    }
  });
}

// A unit-stride transposed convolution is a convolution of `small` with the kernel flipped
// (and its channel axes swapped) and padding d*(k-1) - p, whose output has the big side's
// size: x[cb, i] = sum_{cs, j} w[cs, cb, k-1-j] * small[cs, i - (d*(k-1) - p) + j*d]. That runs
// on forward_unit_stride, with no column matrix to scatter back. Not for 1x1 kernels (a plain
// GEMM already), padding beyond d*(k-1), an output padding, or a 16-bit result, whose rounding
// steps follow torch's scatter. Nor where the flipped convolution would compute more than 1.5x
// the multiply-adds (its virtual columns over the big side against the small side's positions:
// a 5x5 kernel without padding on 14x14 computes 2.5x, slower than the scatter, measured).
std::optional<ConvGeom> flipped(const ConvGeom& g) {
  if (g.pointwise() || is_reduced_float(g.round)) return std::nullopt;
  ConvGeom f = g;
  std::swap(f.Cb, f.Cs);
  std::swap(f.big, f.small);
  for (int i = 0; i < kMaxDims; ++i) {
    f.p[i] = g.d[i] * (g.k[i] - 1) - g.p[i];
    if (g.s[i] != 1 || f.p[i] < 0 || f.big[i] + 2 * f.p[i] - g.d[i] * (g.k[i] - 1) != g.big[i]) return std::nullopt;
  }
  if (2 * f.virtual_cols() > 3 * g.small_vol()) return std::nullopt;
  return f;
}

template <typename T>
void transpose_kernel(const ConvGeom& g, const T* small, const T* w, const T* bias, T* big) {
  if constexpr (std::is_floating_point_v<T>) {
    if (const std::optional<ConvGeom> f = flipped(g)) {
      const int64_t KV = ConvGeom::vol(g.k);
      std::vector<T> wf(static_cast<size_t>(g.G * g.Cs * g.Cb * KV));  // (G, Cb, Cs, k) reversed in k
      for (int64_t grp = 0; grp < g.G; ++grp)
        for (int64_t cs = 0; cs < g.Cs; ++cs)
          for (int64_t cb = 0; cb < g.Cb; ++cb)
            for (int64_t t = 0; t < KV; ++t)
              wf[((grp * g.Cb + cb) * g.Cs + cs) * KV + KV - 1 - t] = w[((grp * g.Cs + cs) * g.Cb + cb) * KV + t];
      return forward_unit_stride(*f, small, wf.data(), bias, big);
    }
  }
  const int64_t R = g.rows(), L = g.small_vol(), BV = g.big_vol();
  const bool narrow = is_reduced_float(g.round);
  over_chunks<T>(g, [&](Chunk<T>& ch, int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t n0 = ch.first(c), nb = ch.size(c);
      for (int64_t grp = 0; grp < g.G; ++grp) {
        auto [y, ldy] = ch.small_matrix(small, n0, nb, grp);
        T* first_plane = const_cast<T*>(ch.big_plane(big, n0, grp));
        T* dst = ch.direct ? first_plane : ch.column_buffer();
        kernels::gemm(true, false, R, nb * L, g.Cs, T(1), w + grp * g.Cs * R, R, y, ldy, T(0), dst, nb * L);
        if (narrow)
          for (int64_t i = 0, n = R * nb * L; i < n; ++i) dst[i] = static_cast<T>(round_to(g.round, dst[i]));
        for (int64_t b = 0; b < nb; ++b) {
          T* x = const_cast<T*>(ch.big_plane(big, n0 + b, grp));
          if (!ch.direct) {
            std::fill(x, x + g.Cb * BV, T(0));
            col2im(g, ch.cols.data() + b * L, nb * L, x);
          }
          if (bias)
            for (int64_t i = 0; i < g.Cb; ++i) {
              const T add = bias[grp * g.Cb + i];
              T* xr = x + i * BV;
              for (int64_t j = 0; j < BV; ++j)
                xr[j] = narrow ? static_cast<T>(round_to(g.round, xr[j] + add)) : wrapping_add(xr[j], add);
            }
        }
      }
    }
  });
}

// dW_g = sum over chunks of small[chunk, g] @ cols(big[chunk, g])^T, the column matrix packed
// straight from the image (PaddedColumns::weight_packer) except for 1x1 kernels, whose columns
// are the image itself. The chunks are grouped into a number of pieces that depends only on the
// shapes; each piece sums its chunks in order and the pieces are added in order, so the result
// is the same on any number of threads.
template <typename T>
void weight_kernel(const ConvGeom& g, const T* big, const T* small, T* dw) {
  const int64_t R = g.rows(), L = g.small_vol();
  const int64_t wn = g.G * g.Cs * R;
  const Chunk<T> shape(g);
  const int64_t count = shape.count;
  if (count == 0) {
    std::fill(dw, dw + wn, T(0));
    return;
  }
  const int64_t pieces = std::clamp<int64_t>(std::min<int64_t>(count, (int64_t(1) << 22) / std::max<int64_t>(wn, 1)),
                                             1, 16);
  const PaddedColumns<T> im(g);
  std::vector<T> acc(static_cast<size_t>((pieces - 1) * wn));  // pieces after the first; the first sums in dw
  parallel_for(pieces, 1, [&](int64_t p0, int64_t p1) {
    Chunk<T> ch(g);
    std::vector<T> padded;
    std::vector<const T*> planes;
    for (int64_t piece = p0; piece < p1; ++piece) {
      T* out = piece == 0 ? dw : acc.data() + (piece - 1) * wn;
      const int64_t c0 = piece * count / pieces, c1 = (piece + 1) * count / pieces;
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t n0 = ch.first(c), nb = ch.size(c);
        const T beta = c == c0 ? T(0) : T(1);
        for (int64_t grp = 0; grp < g.G; ++grp) {
          auto [y, ldy] = ch.small_matrix(small, n0, nb, grp);
          T* dwg = out + grp * g.Cs * R;
          if (g.pointwise()) {
            auto [cols, ldc] = ch.columns(big, n0, nb, grp);
            kernels::gemm(false, true, g.Cs, R, nb * L, T(1), y, ldy, cols, ldc, beta, dwg, R);
          } else {
            im.gather(big, n0, nb, grp, padded, planes);
            kernels::gemm_implicit_b(false, g.Cs, R, nb * L, T(1), y, ldy, im.weight_packer(planes), beta, dwg, R);
          }
        }
      }
    }
  });
  for (int64_t piece = 1; piece < pieces; ++piece) {
    const T* src = acc.data() + (piece - 1) * wn;
    for (int64_t i = 0; i < wn; ++i) dw[i] += src[i];
  }
}

Tensor kernel_input(const Tensor& t, DType dtype) { return contiguous(cast_for_kernel(detach(t), dtype)); }

Tensor bias_grad(const Tensor& g) {
  Shape dims{0};
  for (int64_t i = 2; i < g->dim(); ++i) dims.push_back(i);
  return sum(g, dims, false);
}

Tensor conv_small(const Tensor& big, const Tensor& w, const std::optional<Tensor>& bias,
                  std::shared_ptr<const ConvGeom> g);
Tensor conv_big(const Tensor& small, const Tensor& w, const std::optional<Tensor>& bias,
                std::shared_ptr<const ConvGeom> g);
Tensor conv_weight(const Tensor& big, const Tensor& small, std::shared_ptr<const ConvGeom> g);

std::vector<Tensor> inputs_of(const Tensor& a, const Tensor& b, const std::optional<Tensor>& bias) {
  std::vector<Tensor> in{a, b};
  if (bias && *bias) in.push_back(*bias);
  return in;
}

Tensor conv_small(const Tensor& big, const Tensor& w, const std::optional<Tensor>& bias,
                  std::shared_ptr<const ConvGeom> g) {
  DType dt = big->dtype;
  Tensor x = kernel_input(big, dt), wk = kernel_input(w, dt);
  Tensor b = bias && *bias ? kernel_input(*bias, dt) : Tensor();
  Tensor out = empty(g->small_shape(), dt);
  dispatch_floating_or_int64(dt, "convolution", [&](auto tag) {
    using T = decltype(tag);
    forward_kernel<T>(*g, x->data<T>(), wk->data<T>(), b ? b->data<T>() : nullptr, out->data<T>());
  });
  std::vector<Tensor> in = inputs_of(big, w, bias);
  if (needs_grad(in)) {
    record_node("ConvolutionBackward0", in, {out}, [&] {
      bool gx = big->requires_grad(), gw = w->requires_grad(), gb = b && (*bias)->requires_grad();
      return BackwardFn([g, gx, gw, gb, sx = gw ? save(big) : SavedTensor(), sw = gx ? save(w) : SavedTensor()](
                            const Grads& gr) -> Grads {
        return {gx ? conv_big(gr[0], sw.get(), std::nullopt, g) : nullptr,
                gw ? conv_weight(sx.get(), gr[0], g) : nullptr, gb ? bias_grad(gr[0]) : nullptr};
      });
    });
  }
  return out;
}

Tensor conv_big(const Tensor& small, const Tensor& w, const std::optional<Tensor>& bias,
                std::shared_ptr<const ConvGeom> g) {
  DType dt = small->dtype;
  Tensor y = kernel_input(small, dt), wk = kernel_input(w, dt);
  Tensor b = bias && *bias ? kernel_input(*bias, dt) : Tensor();
  Tensor out = empty(g->big_shape(), dt);
  dispatch_floating_or_int64(dt, "conv_transpose", [&](auto tag) {
    using T = decltype(tag);
    transpose_kernel<T>(*g, y->data<T>(), wk->data<T>(), b ? b->data<T>() : nullptr, out->data<T>());
  });
  std::vector<Tensor> in = inputs_of(small, w, bias);
  if (needs_grad(in)) {
    record_node("ConvolutionBackward0", in, {out}, [&] {
      bool gy = small->requires_grad(), gw = w->requires_grad(), gb = b && (*bias)->requires_grad();
      return BackwardFn([g, gy, gw, gb, sy = gw ? save(small) : SavedTensor(), sw = gy ? save(w) : SavedTensor()](
                            const Grads& gr) -> Grads {
        return {gy ? conv_small(gr[0], sw.get(), std::nullopt, g) : nullptr,
                gw ? conv_weight(gr[0], sy.get(), g) : nullptr, gb ? bias_grad(gr[0]) : nullptr};
      });
    });
  }
  return out;
}

Tensor conv_weight(const Tensor& big, const Tensor& small, std::shared_ptr<const ConvGeom> g) {
  DType dt = big->dtype;
  Tensor x = kernel_input(big, dt), y = kernel_input(small, dt);
  Tensor out = empty(g->weight_shape(), dt);
  dispatch_floating(dt, "convolution_backward", [&](auto tag) {
    using T = decltype(tag);
    weight_kernel<T>(*g, x->data<T>(), y->data<T>(), out->data<T>());
  });
  record("ConvolutionBackwardBackward0", {big, small}, {out}, [&] {
    bool gx = big->requires_grad(), gy = small->requires_grad();
    return BackwardFn([g, gx, gy, sx = gy ? save(big) : SavedTensor(), sy = gx ? save(small) : SavedTensor()](
                          const Grads& gr) -> Grads {
      return {gx ? conv_big(sy.get(), gr[0], std::nullopt, g) : nullptr,
              gy ? conv_small(sx.get(), gr[0], std::nullopt, g) : nullptr};
    });
  });
  return out;
}

// ---- argument checks (torch's messages) ----

std::string sizes_str(const Dims& a, int nsp) {
  std::string s;
  for (int i = kMaxDims - nsp; i < kMaxDims; ++i) s += (s.empty() ? "" : " x ") + std::to_string(a[i]);
  return s;
}

Dims per_dim(const Shape& v, int nsp, int64_t fill, const char* what, const char* op) {
  TG_CHECK(static_cast<int>(v.size()) == nsp, RuntimeError, op, ": expected ", what, " to have ", nsp,
           " elements (one per spatial dim), got ", v.size());
  Dims out{fill, fill, fill};
  for (int i = 0; i < nsp; ++i) out[kMaxDims - nsp + i] = v[i];
  return out;
}

// Common checks; fills g's spatial parameters and the batch size.
void check_common(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias, const Shape& stride,
                  const Shape& padding, const Shape& dilation, int64_t groups, const char* op, ConvGeom& g) {
  TG_CHECK(x->dtype == w->dtype, RuntimeError, op, ": Input type (", dtype_name(x->dtype),
           ") and weight type (", dtype_name(w->dtype), ") should be the same");
  TG_CHECK(w->dim() >= 3 && w->dim() <= 5, RuntimeError, op, ": expected a 3-, 4- or 5-dimensional weight, got weight of size ",
           shape_str(w->shape));
  TG_CHECK(x->dim() == w->dim(), RuntimeError, "Expected ", w->dim(), "-dimensional input for ", w->dim(),
           "-dimensional weight ", shape_str(w->shape), ", but got ", x->dim(), "-dimensional input of size ",
           shape_str(x->shape), " instead");
  g.nsp = static_cast<int>(x->dim() - 2);
  g.N = x->shape[0];
  g.G = groups;
  TG_CHECK(groups > 0, RuntimeError, "non-positive groups is not supported");
  g.s = per_dim(stride, g.nsp, 1, "stride", op);
  g.p = per_dim(padding, g.nsp, 0, "padding", op);
  g.d = per_dim(dilation, g.nsp, 1, "dilation", op);
  for (int i = 0; i < kMaxDims; ++i) {
    TG_CHECK(g.s[i] > 0, RuntimeError, "non-positive stride is not supported");
    TG_CHECK(g.p[i] >= 0, RuntimeError, "negative padding is not supported");
    TG_CHECK(g.d[i] > 0, RuntimeError, "non-positive dilation is not supported");
  }
  for (int i = 0; i < g.nsp; ++i) g.k[kMaxDims - g.nsp + i] = w->shape[2 + i];
  if (bias && *bias) {
    const Tensor& b = *bias;
    TG_CHECK(b->dtype == x->dtype, RuntimeError, op, ": Input type (", dtype_name(x->dtype), ") and bias type (",
             dtype_name(b->dtype), ") should be the same");
  }
}

// torch's CPU kernels take every integer dtype for a plain convolution (computed here exactly, in
// int64), only int64 for a dilated or transposed one, and bool for none; its messages name them.
void check_integer_support(DType dt, bool transposed, const ConvGeom& g) {
  if (is_floating(dt)) return;
  bool dilated = false;
  for (int64_t d : g.d) dilated = dilated || d != 1;
  if (dt == DType::Int64 || (dt != DType::Bool && !transposed && !dilated)) return;
  const bool three = g.nsp == 3;
  throw_not_implemented(transposed ? (three ? "slow_conv_transpose3d_out_cpu" : "slow_conv_transpose2d_out_cpu")
                        : dilated  ? "slow_conv_dilated<>"
                        : three    ? "compute_columns3d"
                                   : "slow_conv2d_cpu",
                        dt);
}

void check_bias(const std::optional<Tensor>& bias, int64_t channels, const Tensor& w) {
  if (!bias || !*bias) return;
  const Tensor& b = *bias;
  TG_CHECK(b->dim() == 1 && b->shape[0] == channels, RuntimeError, "Given weight of size ", shape_str(w->shape),
           ", expected bias to be 1-dimensional with ", channels, " elements, but got bias of size ",
           shape_str(b->shape), " instead");
}

// The output geometry of a transposed convolution (g holds the checked common parameters), then the op.
Tensor transpose_geometry(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias,
                          const Shape& output_padding, int64_t groups, const char* op,
                          const std::shared_ptr<ConvGeom>& g) {
  Dims op_pad = per_dim(output_padding, g->nsp, 0, "output_padding", op);
  const int64_t cin = w->shape[0];
  TG_CHECK(cin % groups == 0, RuntimeError, "Given groups=", groups, ", expected weight to be divisible by ",
           groups, " at dimension 0, but got weight of size ", shape_str(w->shape), " instead");
  TG_CHECK(x->shape[1] == cin, RuntimeError, "Given transposed=1, weight of size ", shape_str(w->shape),
           ", expected input", shape_str(x->shape), " to have ", cin, " channels, but got ", x->shape[1],
           " channels instead");
  check_bias(bias, w->shape[1] * groups, w);
  g->Cb = w->shape[1];
  g->Cs = cin / groups;
  for (int i = kMaxDims - g->nsp; i < kMaxDims; ++i) {
    TG_CHECK(op_pad[i] >= 0 && (op_pad[i] < g->s[i] || op_pad[i] < g->d[i]), RuntimeError, op,
             ": output padding must be smaller than either stride or dilation, but got output_padding ",
             op_pad[i], " with stride ", g->s[i], " and dilation ", g->d[i]);
    g->small[i] = x->shape[2 + i - (kMaxDims - g->nsp)];
    g->big[i] = (g->small[i] - 1) * g->s[i] - 2 * g->p[i] + g->d[i] * (g->k[i] - 1) + op_pad[i] + 1;
  }
  for (int i = 0; i < kMaxDims; ++i)
    TG_CHECK(g->big[i] >= 0, RuntimeError, op, ": Given input size per channel: (", sizes_str(g->small, g->nsp),
             "). Calculated output size per channel: (", sizes_str(g->big, g->nsp), "). Output size is too small");
  return conv_big(x, w, bias, g);
}

}  // namespace

Tensor convolution(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias, const Shape& stride,
                   const Shape& padding, const Shape& dilation, int64_t groups, const char* op) {
  if (autocast_state().enabled) {  // a lower-precision op under autocast
    Tensor xa = autocast_lower(x), wa = autocast_lower(w);
    std::optional<Tensor> ba = bias && *bias ? std::optional<Tensor>(autocast_lower(*bias)) : bias;
    AutocastOff off;
    return convolution(xa, wa, ba, stride, padding, dilation, groups, op);
  }
  auto g = std::make_shared<ConvGeom>();
  check_common(x, w, bias, stride, padding, dilation, groups, op, *g);
  check_integer_support(x->dtype, false, *g);
  if (needs_widening(x->dtype))  // float16/bfloat16 in float32, small integers in int64; rounded once
    return to_dtype(convolution(widened(x), widened(w), widened(bias), stride, padding, dilation, groups, op), x->dtype);
  const int64_t cout = w->shape[0];
  TG_CHECK(cout % groups == 0, RuntimeError, "Given groups=", groups, ", expected weight to be divisible by ",
           groups, " at dimension 0, but got weight of size ", shape_str(w->shape), " instead");
  TG_CHECK(x->shape[1] == w->shape[1] * groups, RuntimeError, "Given groups=", groups, ", weight of size ",
           shape_str(w->shape), ", expected input", shape_str(x->shape), " to have ", w->shape[1] * groups,
           " channels, but got ", x->shape[1], " channels instead");
  check_bias(bias, cout, w);
  g->Cb = w->shape[1];
  g->Cs = cout / groups;
  Dims padded{1, 1, 1};
  for (int i = kMaxDims - g->nsp; i < kMaxDims; ++i) {
    g->big[i] = x->shape[2 + i - (kMaxDims - g->nsp)];
    padded[i] = g->big[i] + 2 * g->p[i];
  }
  Dims eff{1, 1, 1};
  for (int i = 0; i < kMaxDims; ++i) eff[i] = g->d[i] * (g->k[i] - 1) + 1;
  for (int i = 0; i < kMaxDims; ++i)
    TG_CHECK(padded[i] >= eff[i], RuntimeError, "Calculated padded input size per channel: (",
             sizes_str(padded, g->nsp), "). Kernel size: (", sizes_str(eff, g->nsp),
             "). Kernel size can't be greater than actual input size");
  for (int i = 0; i < kMaxDims; ++i) g->small[i] = (padded[i] - eff[i]) / g->s[i] + 1;
  return conv_small(x, w, bias, g);
}

Tensor conv_transpose(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias, const Shape& stride,
                      const Shape& padding, const Shape& output_padding, const Shape& dilation, int64_t groups,
                      const char* op) {
  if (autocast_state().enabled) {
    Tensor xa = autocast_lower(x), wa = autocast_lower(w);
    std::optional<Tensor> ba = bias && *bias ? std::optional<Tensor>(autocast_lower(*bias)) : bias;
    AutocastOff off;
    return conv_transpose(xa, wa, ba, stride, padding, output_padding, dilation, groups, op);
  }
  auto g = std::make_shared<ConvGeom>();
  check_common(x, w, bias, stride, padding, dilation, groups, op, *g);
  check_integer_support(x->dtype, true, *g);
  if (needs_widening(x->dtype)) {  // float16/bfloat16: computed in float32 with torch's rounding steps
    g->round = x->dtype;
    return to_dtype(transpose_geometry(widened(x), widened(w), widened(bias), output_padding, groups, op, g),
                    x->dtype);
  }
  return transpose_geometry(x, w, bias, output_padding, groups, op, g);
}

}  // namespace tg::nn
