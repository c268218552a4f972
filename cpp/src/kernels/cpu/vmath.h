// Vectorised float32 exp/log/tanh/sigmoid/relu, arithmetic and row reductions (sum, max/min) over
// contiguous arrays, chosen at run time by tg::cpu_level().
#pragma once
#include <cstdint>

// The SIMD kernels use GCC/Clang target pragmas and x86 intrinsics.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TG_VMATH_X86 1
#endif

namespace tg::kernels::vmath {

enum class Fn { Exp, Log, Tanh, Sigmoid, Relu };

// True when the current CPU level has vector kernels (AVX2+FMA or AVX-512 on x86-64).
bool available();

// out[i] = fn(in[i]) for i < n (in == out is allowed). Returns false when no SIMD kernel applies at the
// current CPU level (baseline), so the caller runs its scalar libm loop instead.
bool apply_f32(Fn fn, const float* in, float* out, int64_t n);

// The same for float64: Exp, Sigmoid, Log and Tanh (false for Relu, and at baseline).
bool has_f64(Fn fn);
bool apply_f64(Fn fn, const double* in, double* out, int64_t n);

// out[i] = a[i] op b[i] (b[0] for all i when b_scalar) for float32; in == out allowed. False at
// baseline (the caller's compiler-vectorised loop runs instead).
enum class Bin { Add, Sub, Mul, Div };
bool binary_f32(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n);

// *result = the sum of p[0..n) (float accumulation, pairwise over blocks); false at baseline.
bool sum_f32(const float* p, int64_t n, float* result);

// out[r] = the sum of row r of `rows` rows of n floats (row r at p + r * ld), the same bits as
// sum_f32 of that row; with `square` the sum of its squares, each added by a fused multiply-add.
// False at baseline.
bool sum_rows_f32(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square = false);

// For each of `rows` rows of n >= 1 floats (row r at p + r * ld): values[r] = its maximum (is_max)
// or minimum and indices[r] (when indices is not null) its position, with the scalar rule "a NaN
// wins at once, else only a strictly better value replaces the best": the first NaN, or the first
// element equal to the extreme. False at baseline.
bool extreme_rows_f32(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                      int64_t* indices);

// The ISA-specific bodies (vmath_avx2.cpp, vmath_avx512.cpp); call only when the CPU supports them.
void apply_f32_avx2(Fn fn, const float* in, float* out, int64_t n);
void apply_f32_avx512(Fn fn, const float* in, float* out, int64_t n);
bool apply_f64_avx2(Fn fn, const double* in, double* out, int64_t n);
bool apply_f64_avx512(Fn fn, const double* in, double* out, int64_t n);
float sum_f32_avx2(const float* p, int64_t n);
void binary_f32_avx2(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n);
void binary_f32_avx512(Bin op, const float* a, const float* b, bool b_scalar, float* out, int64_t n);
float sum_f32_avx512(const float* p, int64_t n);
void sum_rows_f32_avx2(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square);
void sum_rows_f32_avx512(const float* p, int64_t rows, int64_t n, int64_t ld, float* out, bool square);
void extreme_rows_f32_avx2(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                           int64_t* indices);
void extreme_rows_f32_avx512(bool is_max, const float* p, int64_t rows, int64_t n, int64_t ld, float* values,
                             int64_t* indices);

}  // namespace tg::kernels::vmath
