// The vector math algorithms, written once over a SIMD traits type S (included only by the ISA files).
//
// exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, with ln2 split into a short high part
//   (n * hi is exact) and a low part; e^r by its degree-7 Taylor polynomial in Horner form with FMA
//   (truncation error r^8/8! < 6e-9 relative); e^x = e^r * 2^n1 * 2^n2 with n1 + n2 = n so that
//   results in the subnormal range round only once and overflow gives inf.
// log: x = 2^e m with m in [sqrt(1/2), sqrt(2)); log(1+f) = f - f^2/2 + f^3 Q(f), f = m - 1, Q a
//   least-squares fit on Chebyshev nodes (near-minimax, as in Cephes logf); e ln2 added in two parts.
// tanh: |x| < 0.625: x + x^3 P(x^2) (P fitted like Q); else 1 - 2 / (e^{2|x|} + 1), sign copied from x.
// sigmoid: 1 / (1 + e^{-x}), the same formula as the scalar path.
// relu: max(0, x), exact; the max instruction returns its second operand when either is NaN, so NaN
//   and -0.0 pass through as in the scalar `x < 0 ? 0 : x`.
// float64 (exp, sigmoid, log, tanh): the same exp scheme with fdlibm's ln2 split and Taylor degree 13;
//   log by fdlibm's reduction with the atanh series, tanh as float32's with a longer series (Algo64).
#pragma once

namespace tg::kernels::vmath::impl {

template <class S>
struct Algo {
  using V = typename S::V;

  static inline V exp(V x) {
    const V lo = S::set1(-104.0f), hi = S::set1(89.0f);
    x = S::min(hi, S::max(lo, x));  // NaN passes through (the second operand is returned on NaN)
    V n = S::round(S::mul(x, S::set1(1.44269504088896341f)));
    V r = S::fma(n, S::set1(-0.693359375f), x);
    r = S::fma(n, S::set1(2.12194440e-4f), r);
    V p = S::set1(1.0f / 5040.0f);
    p = S::fma(p, r, S::set1(1.0f / 720.0f));
    p = S::fma(p, r, S::set1(1.0f / 120.0f));
    p = S::fma(p, r, S::set1(1.0f / 24.0f));
    p = S::fma(p, r, S::set1(1.0f / 6.0f));
    p = S::fma(p, r, S::set1(0.5f));
    p = S::fma(p, r, S::set1(1.0f));
    p = S::fma(p, r, S::set1(1.0f));
    return S::scale2(p, n);
  }

  static inline V relu(V x) { return S::max(S::set1(0.0f), x); }

  static inline V sigmoid(V x) {
    V e = exp(S::neg(x));
    return S::div(S::set1(1.0f), S::add(S::set1(1.0f), e));
  }

  static inline V tanh(V x) {
    V a = S::abs(x);
    // small |x|: a + a^3 P(a^2)
    V u = S::mul(a, a);
    V p = S::set1(0.0022958526387810707f);
    p = S::fma(p, u, S::set1(-0.008346992544829845f));
    p = S::fma(p, u, S::set1(0.021769965067505836f));
    p = S::fma(p, u, S::set1(-0.05395940691232681f));
    p = S::fma(p, u, S::set1(0.13333304226398468f));
    p = S::fma(p, u, S::set1(-0.3333333432674408f));
    V small = S::fma(S::mul(a, u), p, a);
    // large |x|: 1 - 2 / (e^{2a} + 1)
    V e = exp(S::add(a, a));
    V big = S::sub(S::set1(1.0f), S::div(S::set1(2.0f), S::add(e, S::set1(1.0f))));
    V t = S::select(S::lt(a, S::set1(0.625f)), small, big);
    return S::copysign(t, x);
  }

  static inline V log(V x0) {
    auto tiny = S::lt(x0, S::set1(1.17549435e-38f));  // subnormal (or <= 0): rescale by 2^23
    V x = S::select(tiny, S::mul(x0, S::set1(8388608.0f)), x0);
    V e = S::sub(S::exponent(x), S::select(tiny, S::set1(23.0f), S::set1(0.0f)));
    V m = S::mantissa(x);  // in [1, 2)
    auto hi = S::gt(m, S::set1(1.41421356237f));
    m = S::select(hi, S::mul(m, S::set1(0.5f)), m);
    e = S::select(hi, S::add(e, S::set1(1.0f)), e);
    V f = S::sub(m, S::set1(1.0f));
    V z = S::mul(f, f);
    V q = S::set1(-0.08101559430360794f);
    q = S::fma(q, f, S::set1(0.12712308764457703f));
    q = S::fma(q, f, S::set1(-0.12972238659858704f));
    q = S::fma(q, f, S::set1(0.14202173054218292f));
    q = S::fma(q, f, S::set1(-0.16642247140407562f));
    q = S::fma(q, f, S::set1(0.20001468062400818f));
    q = S::fma(q, f, S::set1(-0.25000298023223877f));
    q = S::fma(q, f, S::set1(0.333333283662796f));
    V y = S::mul(S::mul(f, z), q);
    y = S::fma(e, S::set1(-2.12194440e-4f), y);
    y = S::fma(S::set1(-0.5f), z, y);
    V r = S::add(f, y);
    r = S::fma(e, S::set1(0.693359375f), r);
    // special values: log(+inf) = inf, log(+-0) = -inf, log(x < 0) = log(NaN) = NaN
    const float inf = __builtin_inff();
    r = S::select(S::eq(x0, S::set1(inf)), S::set1(inf), r);
    r = S::select(S::eq(x0, S::set1(0.0f)), S::set1(-inf), r);
    r = S::select(S::lt_or_nan(x0, S::set1(0.0f)), S::set1(__builtin_nanf("")), r);
    return r;
  }

  template <V (*F)(V)>
  static void map(const float* in, float* out, int64_t n) {
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) S::store(out + i, F(S::load(in + i)));
    if (i < n) {  // the tail through a padded buffer
      alignas(64) float buf[S::W] = {};
      for (int64_t k = i; k < n; ++k) buf[k - i] = in[k];
      S::store(buf, F(S::load(buf)));
      for (int64_t k = i; k < n; ++k) out[k] = buf[k - i];
    }
  }

  static inline V add(V a, V b) { return S::add(a, b); }
  static inline V sub(V a, V b) { return S::sub(a, b); }
  static inline V mul(V a, V b) { return S::mul(a, b); }
  static inline V div(V a, V b) { return S::div(a, b); }

  // out[i] = F(a[i], b[i]) (b[0] for every i when b_scalar); exact IEEE operations, so the result is
  // the same bits as the scalar loop.
  template <V (*F)(V, V)>
  static void map2(const float* a, const float* b, bool b_scalar, float* out, int64_t n) {
    int64_t i = 0;
    const V bs = S::set1(b[0]);
    for (; i + S::W <= n; i += S::W) S::store(out + i, F(S::load(a + i), b_scalar ? bs : S::load(b + i)));
    if (i < n) {
      alignas(64) float x[S::W] = {}, y[S::W] = {};
      for (int64_t k = i; k < n; ++k) x[k - i] = a[k], y[k - i] = b_scalar ? b[0] : b[k];
      S::store(x, F(S::load(x), S::load(y)));
      for (int64_t k = i; k < n; ++k) out[k] = x[k - i];
    }
  }

  static void apply2(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n) {
    switch (op) {
      case Bin::Add: return map2<&Algo::add>(a, b, b_scalar, out, n);
      case Bin::Sub: return map2<&Algo::sub>(a, b, b_scalar, out, n);
      case Bin::Mul: return map2<&Algo::mul>(a, b, b_scalar, out, n);
      case Bin::Div: return map2<&Algo::div>(a, b, b_scalar, out, n);
    }
  }

  // Sums of `rows` rows of n floats (row r at p + r * ld), or with kSquare of their squares (each
  // added by a fused multiply-add, one rounding per term, as torch's vector_norm), up to four rows at a
  // time: one stream through memory leaves bandwidth unused, four interleaved ones reach it
  // (measured on Zen: 4.4 ms for the rows of a 4096^2 matrix one at a time, 3.4 ms four at a time,
  // on one core). Each row is summed exactly as a lone row (sum_group<1>), so the grouping never
  // changes the bits.
  template <bool kSquare = false>
  static void sum_rows(const float* p, int64_t rows, int64_t n, int64_t ld, float* out) {
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) sum_group<4, kSquare>(p + r * ld, n, ld, out + r);
    switch (rows - r) {
      case 3: return sum_group<3, kSquare>(p + r * ld, n, ld, out + r);
      case 2: return sum_group<2, kSquare>(p + r * ld, n, ld, out + r);
      case 1: return sum_group<1, kSquare>(p + r * ld, n, ld, out + r);
      default: return;
    }
  }

  static float sum(const float* p, int64_t n) {
    float s;
    sum_group<1, false>(p, n, 0, &s);
    return s;
  }

  template <bool kSquare>
  static inline V accumulate(V acc, V x) { return kSquare ? S::fma(x, x, acc) : S::add(acc, x); }

  // Per row: blocks of up to 4096 with four vector accumulators (each lane adds at most
  // 4096 / (4 W) values), blocks combined pairwise, so the rounding error grows like log(n).
  // (No software prefetch: it made the hardware prefetcher's streams slower, 6.9 ms against 4.4.)
  template <int R, bool kSquare>
  static void sum_group(const float* p, int64_t n, int64_t ld, float* out) {
    constexpr int64_t kBlock = 4096, kStep = 4 * S::W;
    if (n > kBlock) {
      const int64_t half = (n / 2 + kStep - 1) / kStep * kStep;
      float lo[R], hi[R];
      sum_group<R, kSquare>(p, half, ld, lo);
      sum_group<R, kSquare>(p + half, n - half, ld, hi);
      for (int k = 0; k < R; ++k) out[k] = lo[k] + hi[k];
      return;
    }
    V a[R][4];
    for (int k = 0; k < R; ++k) a[k][0] = a[k][1] = a[k][2] = a[k][3] = S::set1(0.0f);
    int64_t i = 0;
    for (; i + kStep <= n; i += kStep) {
#pragma GCC unroll 4
      for (int k = 0; k < R; ++k) {
        const float* q = p + k * ld + i;
        a[k][0] = accumulate<kSquare>(a[k][0], S::load(q));
        a[k][1] = accumulate<kSquare>(a[k][1], S::load(q + S::W));
        a[k][2] = accumulate<kSquare>(a[k][2], S::load(q + 2 * S::W));
        a[k][3] = accumulate<kSquare>(a[k][3], S::load(q + 3 * S::W));
      }
    }
    for (; i + S::W <= n; i += S::W)
      for (int k = 0; k < R; ++k) a[k][0] = accumulate<kSquare>(a[k][0], S::load(p + k * ld + i));
    for (int k = 0; k < R; ++k) {
      alignas(64) float lanes[S::W];
      S::store(lanes, S::add(S::add(a[k][0], a[k][1]), S::add(a[k][2], a[k][3])));
      for (int w = S::W / 2; w >= 1; w /= 2)  // pairwise across the lanes
        for (int j = 0; j < w; ++j) lanes[j] += lanes[j + w];
      float s = lanes[0];
      for (int64_t t = i; t < n; ++t) {
        const float x = p[k * ld + t];
        s = kSquare ? __builtin_fmaf(x, x, s) : s + x;
      }
      out[k] = s;
    }
  }

  // The maximum (kMax) or minimum of each of `rows` rows of n >= 1 floats (row r at p + r * ld),
  // as the scalar rule "a NaN wins at once, else replace the best only by a strictly better value"
  // picks it: the first NaN if the row has one, else the first element equal to the extreme (which
  // decides the sign of a zero). indices (may be null) receive its position. Four rows at a time,
  // as sum_rows; each row's vector pass finds the extreme value and whether there is a NaN, and a
  // second pass over the row (in cache) finds the position only where it is needed.
  static void extreme_rows(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                           int64_t* indices) {
    if (is_max) extreme_rows<true>(p, rows, n, ld, values, indices);
    else extreme_rows<false>(p, rows, n, ld, values, indices);
  }

  template <bool kMax>
  static void extreme_rows(const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                           int64_t* indices) {
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) extreme_group<kMax, 4>(p + r * ld, n, ld, values + r, indices ? indices + r : nullptr);
    switch (rows - r) {
      case 3: return extreme_group<kMax, 3>(p + r * ld, n, ld, values + r, indices ? indices + r : nullptr);
      case 2: return extreme_group<kMax, 2>(p + r * ld, n, ld, values + r, indices ? indices + r : nullptr);
      case 1: return extreme_group<kMax, 1>(p + r * ld, n, ld, values + r, indices ? indices + r : nullptr);
      default: return;
    }
  }

  template <bool kMax>
  static inline V better(V a, V b) { return kMax ? S::max(a, b) : S::min(a, b); }

  // Position of the first element of p[0..n) equal to m, or of the first NaN when nan is set.
  static int64_t first_match(const float* p, int64_t n, float m, bool nan) {
    const V mv = S::set1(m);
    int64_t i = 0;
    for (; i + S::W <= n; i += S::W) {
      const V x = S::load(p + i);
      const unsigned hit = S::mask_bits(nan ? S::lt_or_nan(x, x) : S::eq(x, mv));
      if (hit) return i + __builtin_ctz(hit);
    }
    for (; i < n; ++i)
      if (nan ? p[i] != p[i] : p[i] == m) return i;
    return n;  // not reached: m is an element of the row
  }

  template <bool kMax, int R>
  static void extreme_group(const float* p, int64_t n, int64_t ld, float* values, int64_t* indices) {
    constexpr int64_t kStep = 4 * S::W;
    V a[R][4];
    typename S::M nan[R];
    for (int k = 0; k < R; ++k) {
      a[k][0] = a[k][1] = a[k][2] = a[k][3] = S::set1(p[k * ld]);  // an element: never wins wrongly
      nan[k] = S::lt_or_nan(a[k][0], a[k][0]);
    }
    int64_t i = 0;
    for (; i + kStep <= n; i += kStep) {
#pragma GCC unroll 4
      for (int k = 0; k < R; ++k) {
        const float* q = p + k * ld + i;
        for (int j = 0; j < 4; ++j) {
          const V x = S::load(q + j * S::W);
          a[k][j] = better<kMax>(a[k][j], x);
          nan[k] = S::mask_or(nan[k], S::lt_or_nan(x, x));
        }
      }
    }
    for (; i + S::W <= n; i += S::W)
      for (int k = 0; k < R; ++k) {
        const V x = S::load(p + k * ld + i);
        a[k][0] = better<kMax>(a[k][0], x);
        nan[k] = S::mask_or(nan[k], S::lt_or_nan(x, x));
      }
    for (int k = 0; k < R; ++k) {
      const float* row = p + k * ld;
      alignas(64) float lanes[S::W];
      S::store(lanes, better<kMax>(better<kMax>(a[k][0], a[k][1]), better<kMax>(a[k][2], a[k][3])));
      float m = lanes[0];
      for (int j = 1; j < S::W; ++j) m = kMax ? (lanes[j] > m ? lanes[j] : m) : (lanes[j] < m ? lanes[j] : m);
      bool has_nan = S::mask_bits(nan[k]) != 0;
      for (int64_t t = i; t < n; ++t) {
        const float x = row[t];
        has_nan |= x != x;
        m = kMax ? (x > m ? x : m) : (x < m ? x : m);
      }
      if (!indices && !has_nan && m != 0.0f) {  // equal nonzero floats have equal bits
        values[k] = m;
        continue;
      }
      const int64_t at = first_match(row, n, m, has_nan);
      values[k] = row[at];
      if (indices) indices[k] = at;
    }
  }

  static void apply(Fn fn, const float* in, float* out, int64_t n) {
    switch (fn) {
      case Fn::Exp: return map<&Algo::exp>(in, out, n);
      case Fn::Log: return map<&Algo::log>(in, out, n);
      case Fn::Tanh: return map<&Algo::tanh>(in, out, n);
      case Fn::Sigmoid: return map<&Algo::sigmoid>(in, out, n);
      case Fn::Relu: return map<&Algo::relu>(in, out, n);
    }
  }
};

// float64 exp/sigmoid/log/tanh over a double-precision traits type D.
template <class D>
struct Algo64 {
  using V = typename D::V;

  static inline V exp(V x) {
    x = D::min(D::set1(710.0), D::max(D::set1(-746.0), x));  // NaN passes through
    V n = D::round(D::mul(x, D::set1(1.4426950408889634)));
    V r = D::fma(n, D::set1(-6.93147180369123816490e-01), x);  // ln2 high part: 32 significant bits
    r = D::fma(n, D::set1(-1.90821492927058770002e-10), r);
    // 1/k! for k = 13 down to 0, each correctly rounded
    static constexpr double kInvFact[14] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0,
                                            1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                                            1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
    V p = D::set1(kInvFact[0]);
    for (int k = 1; k < 14; ++k) p = D::fma(p, r, D::set1(kInvFact[k]));
    return D::scale2(p, n);
  }

  static inline V sigmoid(V x) {
    return D::div(D::set1(1.0), D::add(D::set1(1.0), exp(D::neg(x))));
  }

  // tanh: |x| < 0.625: x + x^3 P(x^2), P the Taylor series of tanh to x^43 (coefficients
  // 2^2n (2^2n - 1) B_2n / (2n)!, correctly rounded; the rest is below 3e-18 relative there);
  // else 1 - 2 / (e^2|x| + 1). Both on |x|, the sign copied from x last (so tanh(-0) = -0).
  static inline V tanh(V x) {
    static constexpr double kTaylor[21] = {-0.3333333333333333, 0.13333333333333333, -0.05396825396825397, 0.021869488536155203, -0.008863235529902197, 0.003592128036572481, -0.0014558343870513183, 0.000590027440945586, -0.00023912911424355248, 9.691537956929451e-05, -3.927832388331683e-05, 1.5918905069328964e-05, -6.451689215655431e-06, 2.6147711512907546e-06, -1.0597268320104654e-06, 4.294911078273806e-07, -1.7406618963571648e-07, 7.054636946400968e-08, -2.859136662305254e-08, 1.1587644432798853e-08, -4.6962953982309016e-09};
    V a = D::abs(x), z = D::mul(a, a);
    V p = D::set1(kTaylor[20]);
    for (int k = 19; k >= 0; --k) p = D::fma(p, z, D::set1(kTaylor[k]));
    V small = D::fma(D::mul(a, z), p, a);
    V big = D::sub(D::set1(1.0), D::div(D::set1(2.0), D::add(exp(D::add(a, a)), D::set1(1.0))));
    return D::copysign(D::select(D::lt(a, D::set1(0.625)), small, big), x);
  }

  // log: x = 2^e m with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^54 first); with f = m - 1
  // (exact) and s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - (hfsq - s (hfsq + R)), hfsq = f^2/2,
  // R = sum_k 2 s^2k / (2k + 1) by its Taylor series to k = 12 (|s| < 0.172, so the rest is below
  // 1e-21); e ln2 is added as e ln2_hi (exact) + e ln2_lo, as in fdlibm.
  static inline V log(V x) {
    auto tiny = D::lt(x, D::set1(2.2250738585072014e-308));
    V xs = D::select(tiny, D::mul(x, D::set1(18014398509481984.0)), x);  // * 2^54
    V m;
    V e = D::split(xs, m);
    e = D::select(tiny, D::sub(e, D::set1(54.0)), e);
    auto big = D::gt(m, D::set1(1.4142135623730951));
    m = D::select(big, D::mul(m, D::set1(0.5)), m);
    e = D::select(big, D::add(e, D::set1(1.0)), e);
    V f = D::sub(m, D::set1(1.0));
    V s = D::div(f, D::add(D::set1(2.0), f));
    V z = D::mul(s, s);
    V R = D::set1(2.0 / 25.0);
    for (int k = 11; k >= 1; --k) R = D::fma(R, z, D::set1(2.0 / (2 * k + 1)));
    R = D::mul(R, z);
    V hfsq = D::mul(D::set1(0.5), D::mul(f, f));
    V t = D::fma(s, D::add(hfsq, R), D::mul(e, D::set1(1.90821492927058770002e-10)));
    V r = D::fma(e, D::set1(6.93147180369123816490e-01), D::sub(f, D::sub(hfsq, t)));
    r = D::select(D::eq(x, D::set1(0.0)), D::set1(-__builtin_inf()), r);
    r = D::select(D::eq(x, D::set1(__builtin_inf())), x, r);
    r = D::select(D::lt(x, D::set1(0.0)), D::set1(__builtin_nan("")), r);
    return D::select(D::isnan(x), x, r);
  }

  template <V (*F)(V)>
  static void map(const double* in, double* out, int64_t n) {
    int64_t i = 0;
    for (; i + D::W <= n; i += D::W) D::store(out + i, F(D::load(in + i)));
    if (i < n) {
      alignas(64) double buf[D::W] = {};
      for (int64_t k = i; k < n; ++k) buf[k - i] = in[k];
      D::store(buf, F(D::load(buf)));
      for (int64_t k = i; k < n; ++k) out[k] = buf[k - i];
    }
  }

  static bool apply(Fn fn, const double* in, double* out, int64_t n) {
    switch (fn) {
      case Fn::Exp: map<&Algo64::exp>(in, out, n); return true;
      case Fn::Sigmoid: map<&Algo64::sigmoid>(in, out, n); return true;
      case Fn::Log: map<&Algo64::log>(in, out, n); return true;
      case Fn::Tanh: map<&Algo64::tanh>(in, out, n); return true;
      default: return false;
    }
  }
};

}  // namespace tg::kernels::vmath::impl
