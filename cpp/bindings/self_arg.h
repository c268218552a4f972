// `self` of a Tensor method that Python code may also call unbound, as Tensor.__radd__(2, t): torch
// raises TypeError there; a pybind11 operator would return NotImplemented instead (it cannot load
// self), so these methods take self as an object and convert it here.
#pragma once
#include "common.h"

namespace tg::bind {

inline Tensor self_tensor(const py::handle& self, const char* method) {
  if (!py::isinstance<TensorImpl>(self))
    throw TypeError(str("descriptor '", method, "' requires a 'tinygrad_ext.Tensor' object but received '",
                        type_name(self), "'"));
  return self.cast<Tensor>();
}

}  // namespace tg::bind
