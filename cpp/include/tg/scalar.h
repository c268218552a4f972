// A Python number (bool, int or float) carried into C++ with its kind, for type promotion.
#pragma once
#include <cstdint>
#include "tg/dtype.h"

namespace tg {

struct Scalar {
  Kind kind = Kind::Float;
  double f = 0.0;   // value as a double (always set)
  int64_t i = 0;    // exact value when kind is Int or Bool
  Scalar() = default;
  Scalar(double v) : kind(Kind::Float), f(v), i(cast_value<int64_t>(v)) {}
  Scalar(int64_t v) : kind(Kind::Int), f(static_cast<double>(v)), i(v) {}
  Scalar(int v) : Scalar(static_cast<int64_t>(v)) {}
  Scalar(bool v) : kind(Kind::Bool), f(v ? 1.0 : 0.0), i(v ? 1 : 0) {}
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return kind == Kind::Float ? f != 0.0 : i != 0;
    else if constexpr (std::is_integral_v<T>) return kind == Kind::Float ? cast_value<T>(f) : static_cast<T>(i);
    else return cast_value<T>(kind == Kind::Float ? f : static_cast<double>(i));
  }
  // The dtype a lone scalar of this kind gets (torch: float -> default float32, int -> int64).
  DType default_dtype() const {
    return kind == Kind::Float ? DType::Float32 : kind == Kind::Int ? DType::Int64 : DType::Bool;
  }
};

}  // namespace tg
