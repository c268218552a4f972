// torch's default floating dtype (torch.set_default_dtype): what Python floats, true division of
// integers, float ops on integers and the float factories give. One process-wide setting, as torch's.
#pragma once
#include <atomic>

#include "tg/dtype.h"
#include "tg/scalar.h"

namespace tg {

inline std::atomic<DType> g_default_float_dtype{DType::Float32};

inline DType default_float_dtype() { return g_default_float_dtype.load(std::memory_order_relaxed); }

// Only floating dtypes may be the default, as torch ("only floating-point types are supported as
// the default type", a TypeError).
inline void set_default_float_dtype(DType d) {
  TG_CHECK(is_floating(d), TypeError, "only floating-point types are supported as the default type");
  g_default_float_dtype.store(d, std::memory_order_relaxed);
}

// The dtype a lone Python number gets: a float the default dtype, an int int64, a bool bool.
inline DType scalar_dtype(const Scalar& s) {
  return s.kind == Kind::Float ? default_float_dtype() : s.default_dtype();
}

}  // namespace tg
