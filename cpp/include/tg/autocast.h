// torch's CPU autocast: a thread-local (enabled, dtype) read at the entry of the ops on torch's
// two CPU lists. Lower-precision ops (mm, matmul, bmm, addmm, linear, conv) cast float32/float16
// inputs to the autocast dtype; float32 ops (the losses, prod, cdist) cast 16-bit inputs up to
// float32. float64 and integer tensors are never cast. When autocast is off each check is one
// thread-local load.
#pragma once
#include <optional>

#include "tg/ops.h"

namespace tg {

struct AutocastState {
  bool enabled = false;
  DType dtype = DType::BFloat16;
};

inline AutocastState& autocast_state() {
  static thread_local AutocastState state;
  return state;
}

// torch's is_autocast_eligible on the CPU: a floating tensor other than float64.
inline bool autocast_eligible(const Tensor& t) {
  return t && is_floating(t->dtype) && t->dtype != DType::Float64;
}

// An input of a lower-precision op, in the autocast dtype while autocast is on.
inline Tensor autocast_lower(const Tensor& t) {
  const AutocastState& s = autocast_state();
  if (!s.enabled || !autocast_eligible(t) || t->dtype == s.dtype) return t;
  return to_dtype(t, s.dtype);
}

// True when autocast is on and t is a 16-bit float: a float32 op then casts its inputs up.
inline bool autocast_wants_fp32(const Tensor& t) {
  return autocast_state().enabled && autocast_eligible(t) && t->dtype != DType::Float32;
}
// An input of a float32 op, in float32 while autocast is on.
inline Tensor autocast_fp32(const Tensor& t) { return autocast_wants_fp32(t) ? to_dtype(t, DType::Float32) : t; }
inline std::optional<Tensor> autocast_fp32(const std::optional<Tensor>& t) {
  return t && *t ? std::optional<Tensor>(autocast_fp32(*t)) : t;
}

// Turns autocast off for a scope (ops that reuse a listed op, e.g. mv through matmul, which
// torch does not autocast).
struct AutocastOff {
  AutocastState saved = autocast_state();
  AutocastOff() { autocast_state().enabled = false; }
  ~AutocastOff() { autocast_state() = saved; }
  AutocastOff(const AutocastOff&) = delete;
  AutocastOff& operator=(const AutocastOff&) = delete;
};

}  // namespace tg
