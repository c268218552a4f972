// Contiguous kernels for the narrow dtypes: uint8/int8/int16/int32 arithmetic in the type's own
// width, and float16/bfloat16 arithmetic and conversions through float32. The AVX2 set (with F16C,
// narrow_avx2.cpp) or the portable one (narrow.cpp) is chosen at run time by tg::cpu_level().
#pragma once
#include <cstdint>

#include "tg/dtype.h"

// The AVX2 set uses GCC/Clang target pragmas and x86 intrinsics.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TG_NARROW_X86 1
#endif

namespace tg::kernels::narrow {

enum class Op { Add, Sub, Mul, Div, Max, Min };

// out[i] = a[i] op b[i] (b[0] for every i when b_scalar) over n contiguous values of dtype d.
// UInt8/Int8/Int16/Int32 wrap modulo 2^width as torch (Div is not an integer op here);
// Float16/BFloat16 are computed in float32 and rounded once to nearest even, as torch's CPU
// kernels; Max/Min propagate NaN. out may alias a or b.
void binary(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n);

// Float16/BFloat16 (d) <-> float32 over n contiguous values: exact widening, and rounding to
// nearest even with NaN kept (as a quiet NaN of the same sign) and overflow to infinity.
void to_float(DType d, const uint16_t* in, float* out, int64_t n);
void from_float(DType d, const float* in, uint16_t* out, int64_t n);

// The per-ISA bodies (narrow.cpp: portable, narrow_avx2.cpp: AVX2 + F16C).
void binary_base(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n);
void to_float_base(DType d, const uint16_t* in, float* out, int64_t n);
void from_float_base(DType d, const float* in, uint16_t* out, int64_t n);
void binary_avx2(DType d, Op op, const void* a, const void* b, bool b_scalar, void* out, int64_t n);
void to_float_avx2(DType d, const uint16_t* in, float* out, int64_t n);
void from_float_avx2(DType d, const float* in, uint16_t* out, int64_t n);

}  // namespace tg::kernels::narrow
