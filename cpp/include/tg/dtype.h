// Element types, their sizes and names, and torch's type-promotion rules.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tg {

enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

// Category used by promotion: bool < integer < floating.
enum class Kind : uint8_t { Bool = 0, Int = 1, Float = 2 };
inline Kind kind_of(DType d) {
  return d == DType::Bool ? Kind::Bool : d == DType::Int64 ? Kind::Int : Kind::Float;
}
// The wider of two dtypes (the enum is ordered bool < int64 < float32 < float64).
inline DType promote(DType a, DType b) { return a > b ? a : b; }

// Calls f with a value of the C++ type for `d` (bool, int64_t, float or double).
template <typename F>
decltype(auto) dispatch_dtype(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::Int64: return f(int64_t{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
  }
  throw std::logic_error("dispatch_dtype: bad dtype");
}
template <typename F>
decltype(auto) dispatch_floating(DType d, const char* op, F&& f) {
  if (d == DType::Float32) return f(float{});
  if (d == DType::Float64) return f(double{});
  throw std::invalid_argument(std::string(op) + ": expected a floating-point tensor, got " +
                              dtype_name(d));
}

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

}  // namespace tg
