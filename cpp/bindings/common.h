// Conversions shared by the binding files: Python numbers/tensors/dims/dtypes -> C++ values.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "tensor_caster.h"
#include "tg/generator.h"
#include "tg/ops.h"

namespace py = pybind11;

namespace tg::bind {

// A Python bool/int/float (or numpy scalar) as a Scalar; nullopt for anything else.
std::optional<Scalar> as_scalar(const py::handle& o);
// The same, raising TypeError naming `op` for anything that is not a number.
// The Python type name of `o`, for error messages ("str", "list", ...).
inline std::string type_name(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__name__")); }
Scalar scalar_arg(const py::handle& o, const char* op);
// A tensor, or a Python number turned into a 0-d tensor of the number's default dtype.
Tensor as_tensor(const py::handle& o, const char* op);
// dim argument: None -> empty (all dims), int -> {int}, tuple/list -> dims.
Shape as_dims(const py::handle& o);
// Sizes given either as varargs ints or one tuple/list/Size.
Shape as_shape(const py::args& args, const char* op);
Shape as_shape(const py::handle& o, const char* op);
std::optional<DType> as_dtype(const py::handle& o);
Generator* as_generator(const py::handle& o);
// The Python tinygrad_ext.Size for a shape.
py::object make_size(const Shape& shape);

void bind_tensor(py::module_& m);
void bind_ops(py::module_& m);
void bind_autograd(py::module_& m);
void bind_indexing(py::module_& m);
void bind_index_ops(py::module_& m);  // cpp/bindings/index_ops.cpp
void bind_math(py::module_& m);  // cpp/bindings/math.cpp
// device= arguments: None -> nullopt, a tinygrad_ext.device or a str as torch; TypeError naming `op` else.
std::optional<Device> as_device(const py::handle& o, const char* op);
void bind_device(py::module_& m);  // cpp/bindings/device.cpp
void bind_math_extra(py::module_& m);  // cpp/bindings/math_extra.cpp
void bind_shape_extra(py::module_& m);  // cpp/bindings/shape_extra.cpp
// squeeze's dim argument: None, an int or a tuple of ints (cpp/bindings/shape_extra.cpp).
Tensor squeeze_any(const Tensor& self, const py::handle& dim);
void bind_special_extra(py::module_& m);  // cpp/bindings/special_extra.cpp
void bind_random_extra(py::module_& m);  // cpp/bindings/random_extra.cpp
// Fills `a` in place with fill(t) as an in-place random op (`name`: the history a tracked tensor gets).
Tensor random_fill_inplace(const Tensor& a, const char* op, const char* name,
                           const std::function<void(const Tensor&)>& fill);

}  // namespace tg::bind
