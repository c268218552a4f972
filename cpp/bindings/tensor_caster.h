// How Python arguments become a tg::Tensor (std::shared_ptr<TensorImpl>) in every bound function.
// pybind11's shared_ptr caster turns None into a null pointer, which every op would then
// dereference; this caster refuses None, so a call such as x.matmul(None) fails overload
// resolution and raises TypeError naming the op and its signature, as torch's TypeError does.
// A parameter that may be None is declared std::optional<Tensor> (None -> nullopt).
// CMakeLists.txt force-includes this header in every file under cpp/bindings.
#pragma once
#include <pybind11/pybind11.h>

#include "tg/tensor.h"

namespace pybind11::detail {

template <>
class type_caster<std::shared_ptr<tg::TensorImpl>>
    : public copyable_holder_caster<tg::TensorImpl, std::shared_ptr<tg::TensorImpl>> {
  using base = copyable_holder_caster<tg::TensorImpl, std::shared_ptr<tg::TensorImpl>>;

 public:
  bool load(handle src, bool convert) { return !src.is_none() && base::load(src, convert); }
};

}  // namespace pybind11::detail
