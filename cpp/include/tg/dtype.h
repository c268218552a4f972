// Element types, their sizes and names, torch's type-promotion rules and the dispatch helpers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tg/error.h"
#include "tg/half.h"

namespace tg {

// Every dtype tg stores. The numbering is internal (nothing may depend on it but the tables here).
enum class DType : uint8_t {
  Bool, UInt8, Int8, Int16, Int32, Int64, Float16, BFloat16, Float32, Float64
};
constexpr int kNumDTypes = 10;

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: case DType::UInt8: case DType::Int8: return 1;
    case DType::Int16: case DType::Float16: case DType::BFloat16: return 2;
    case DType::Int32: case DType::Float32: return 4;
    case DType::Int64: case DType::Float64: return 8;
  }
  return 0;
}
// The name after "tinygrad_ext." (torch's dtype names).
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}
// torch's ScalarType names, used in its error messages ("not implemented for 'Half'").
inline const char* scalar_type_name(DType d) {
  switch (d) {
    case DType::Bool: return "Bool";
    case DType::UInt8: return "Byte";
    case DType::Int8: return "Char";
    case DType::Int16: return "Short";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float16: return "Half";
    case DType::BFloat16: return "BFloat16";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "?";
}
inline bool is_floating(DType d) {
  return d == DType::Float16 || d == DType::BFloat16 || d == DType::Float32 || d == DType::Float64;
}
inline bool is_integral(DType d, bool include_bool) {
  return d == DType::Bool ? include_bool : !is_floating(d);
}
inline bool is_signed(DType d) { return d != DType::Bool && d != DType::UInt8; }

// Category used by promotion: bool < integer < floating.
enum class Kind : uint8_t { Bool = 0, Int = 1, Float = 2 };
inline Kind kind_of(DType d) {
  return d == DType::Bool ? Kind::Bool : is_floating(d) ? Kind::Float : Kind::Int;
}

// torch's promoteTypes for two dtypes: the smallest type holding both. Bool gives way to
// anything; uint8 with int8 needs int16; an integer with a float gives the float; float16 with
// bfloat16 gives float32 (neither holds the other); otherwise the wider of the same category.
inline DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka != kb) return ka == Kind::Float ? a : b;
  if (ka == Kind::Int && (a == DType::UInt8 || b == DType::UInt8)) {
    DType other = a == DType::UInt8 ? b : a;
    return other == DType::Int8 ? DType::Int16 : other;
  }
  if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16))
    return DType::Float32;
  return itemsize(a) >= itemsize(b) ? a : b;
}

// torch's combine_categories: the result of a higher-priority group of operands (dimensioned
// tensors over 0-d tensors over Python numbers) stands unless a lower group is of a higher kind.
inline DType combine_categories(DType higher, DType lower) {
  if (is_floating(higher)) return higher;
  if (higher == DType::Bool || is_floating(lower)) return promote(higher, lower);
  return higher;
}

// can_cast(from, to): torch refuses float -> integral and non-bool -> bool.
inline bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

// Kernels exist natively for the four compute dtypes; the others compute in the dtype that holds
// them exactly and round once when storing: integers in int64 (wraparound is the same modulo
// 2^width) and float16/bfloat16 in float32, as torch's CPU kernels do.
inline bool is_compute_dtype(DType d) {
  return d == DType::Bool || d == DType::Int64 || d == DType::Float32 || d == DType::Float64;
}
inline DType compute_dtype(DType d) {
  if (is_compute_dtype(d)) return d;
  return is_floating(d) ? DType::Float32 : DType::Int64;
}

[[noreturn]] inline void throw_not_implemented(const char* op, DType d) {
  throw NotImplementedError(str("\"", op, "\" not implemented for '", scalar_type_name(d), "'"));
}

// Calls f with a value of the C++ type of a compute dtype (bool, int64_t, float or double).
template <typename F>
decltype(auto) dispatch_dtype(DType d, F&& f, const char* op = "kernel") {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::Int64: return f(int64_t{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    default: throw_not_implemented(op, d);
  }
}
// Calls f with a value of the C++ type of any dtype (for copies, casts and fills).
template <typename F>
decltype(auto) dispatch_all(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::UInt8: return f(uint8_t{});
    case DType::Int8: return f(int8_t{});
    case DType::Int16: return f(int16_t{});
    case DType::Int32: return f(int32_t{});
    case DType::Int64: return f(int64_t{});
    case DType::Float16: return f(Half{});
    case DType::BFloat16: return f(BFloat16{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
  }
  throw std::logic_error("dispatch_all: bad dtype");
}
template <typename F>
decltype(auto) dispatch_floating(DType d, const char* op, F&& f) {
  if (d == DType::Float32) return f(float{});
  if (d == DType::Float64) return f(double{});
  if (is_floating(d)) throw_not_implemented(op, d);
  throw std::invalid_argument(std::string(op) + ": expected a floating-point tensor, got " +
                              dtype_name(d));
}

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct dtype_of<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

template <typename T>
constexpr bool is_half_like = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
// A 16-bit float as a float; any other value unchanged.
template <typename T>
inline auto widen(T v) {
  if constexpr (is_half_like<T>) return static_cast<float>(v);
  else return v;
}

// A value converted to dtype Out as torch converts on x86-64: floats to integers through int64
// (truncating toward zero; NaN and out-of-range values give INT64_MIN, what cvttsd2si returns)
// and then wrapped to the width, so nothing here is undefined behaviour. 16-bit floats are made
// from a float (a double is rounded to float first, as torch's conversions do).
template <typename Out, typename In>
inline Out cast_value(In v) {
  if constexpr (std::is_same_v<Out, In>) {
    return v;
  } else if constexpr (std::is_same_v<Out, bool>) {
    return widen(v) != 0;
  } else if constexpr (std::is_integral_v<Out> && std::is_integral_v<In>) {
    return static_cast<Out>(v);  // modular (defined since C++20; what compilers always did)
  } else if constexpr (std::is_integral_v<Out>) {
    double d = static_cast<double>(widen(v));
    int64_t i = (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? static_cast<int64_t>(d) : INT64_MIN;
    return static_cast<Out>(i);
  } else if constexpr (is_half_like<Out>) {
    return Out(static_cast<float>(widen(v)));
  } else {
    return static_cast<Out>(widen(v));
  }
}

// x^e for an integer type with e >= 0, wrapping around on overflow as torch (in uint64, where
// wrapping is defined behaviour).
template <typename T>
inline T int_pow(T x, int64_t e) {
  uint64_t r = 1, base = static_cast<uint64_t>(static_cast<int64_t>(x));
  for (; e > 0; e >>= 1, base *= base)
    if (e & 1) r *= base;
  return static_cast<T>(r);
}

}  // namespace tg
