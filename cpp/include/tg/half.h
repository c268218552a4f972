// The two 16-bit floating types: IEEE binary16 (Half) and bfloat16 (BFloat16). Both are storage
// formats: arithmetic converts to float, computes there and rounds back once, as torch's CPU
// kernels do. Conversions round to nearest even and keep NaN (quiet) and infinities.
#pragma once
#include <cstdint>
#include <cstring>

namespace tg {

namespace half_bits {
inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
inline uint16_t from_float(float f) {
  uint32_t x = float_bits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;  // NaN: the canonical quiet NaN, as torch's scalar conversion
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: infinity
  if (abs < 0x38800000u) {
    // result is subnormal (or zero): add 0.5 so the float adder rounds the mantissa to nearest even
    // at the subnormal half's resolution (2^-24), then read the low bits
    float r = bits_float(abs) + 0.5f;
    return sign | static_cast<uint16_t>(float_bits(r) - 0x3f000000u);
  }
  uint32_t mant_odd = (abs >> 13) & 1u;
  abs += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return sign | static_cast<uint16_t>(abs >> 13);
}

inline float to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t rest = h & 0x7fffu;
  if (rest >= 0x7c00u) return bits_float(sign | 0x7f800000u | (rest & 0x3ffu) << 13);  // inf / NaN
  if (rest < 0x0400u) {  // zero or subnormal: rest * 2^-24
    float v = static_cast<float>(rest) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return bits_float(sign | ((rest << 13) + 0x38000000u));  // rebias exponent (+112 << 23)
}

// bfloat16: the top half of a float32, rounded to nearest even.
inline uint16_t bf16_from_float(float f) {
  uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;  // NaN: torch's canonical bfloat16 NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}
inline float bf16_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }
}  // namespace half_bits

struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(half_bits::from_float(f)) {}
  operator float() const { return half_bits::to_float(bits); }
  static Half from_bits(uint16_t b) { Half h; h.bits = b; return h; }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) : bits(half_bits::bf16_from_float(f)) {}
  operator float() const { return half_bits::bf16_to_float(bits); }
  static BFloat16 from_bits(uint16_t b) { BFloat16 h; h.bits = b; return h; }
};

}  // namespace tg
