// In-place updates: write a result into a tensor's memory, bump its version, move its history.
#include "tg/ops.h"

namespace tg {

void check_inplace(const Tensor& self, const char* op, bool any_requires_grad) {
  if (!any_requires_grad || !is_grad_enabled()) return;
  if (self->is_view()) {
    check_view_creation(*self, /*indirect=*/false);
    TG_CHECK(!(self->requires_grad() && self->autograd->view->base->is_leaf()), RuntimeError,
             "a view of a leaf Variable that requires grad is being used in an in-place operation. (op: ", op, ")");
  }
  TG_CHECK(!(self->is_leaf() && self->requires_grad()), RuntimeError,
           "a leaf Variable that requires grad is being used in an in-place operation. (op: ", op, ")");
}

void assign_inplace(const Tensor& self, const Tensor& result, const char* op, bool allow_overlap) {
  check_inplace(self, op, self->requires_grad() || result->requires_grad());
  // an expanded tensor (stride 0 over a dim of size > 1) would be written several times per element
  for (int64_t d = 0; d < self->dim() && self->numel() > 0 && !allow_overlap; ++d)
    TG_CHECK(!(self->strides[d] == 0 && self->shape[d] > 1), RuntimeError,
             "unsupported operation: more than one element of the written-to tensor refers to a single "
             "memory location. Please clone() the tensor before performing the operation. (op: ", op, ")");
  TG_CHECK(result->dtype == self->dtype || is_floating(self->dtype) || kind_of(result->dtype) <= kind_of(self->dtype),
           RuntimeError, "result type ", dtype_name(result->dtype), " can't be cast to the desired output type ",
           dtype_name(self->dtype), " (in-place ", op, ")");
  Shape shape = broadcast_shapes(self->shape, result->shape, op);
  TG_CHECK(shape == self->shape, RuntimeError, "output with shape ", shape_str(self->shape),
           " doesn't match the broadcast shape ", shape_str(shape), " (in-place ", op, ")");
  copy_into(self, result);
  self->bump_version();
  if (!result->grad_fn() || !is_grad_enabled()) return;
  if (self->is_view()) {
    rebase_view_history(self, result);
    return;
  }
  // self now holds result's values: take over its history (cast back if the dtype differs).
  Tensor r = result;
  if (r->dtype != self->dtype) r = to_dtype(r, self->dtype);
  if (r->shape != self->shape) r = expand(r, self->shape);
  set_history(self, r->grad_fn(), r->autograd->output_nr);
}

bool binary_inplace_direct(BinaryOp op, const Tensor& self, const Tensor& other) {
  check_same_device("in-place op", self, other);
  // Disjoint memory, or exactly self's elements (other == self): compared by address, since two
  // storages can wrap the same memory (from_numpy of one array twice).
  auto span = [](const Tensor& t) {
    auto lo = reinterpret_cast<uintptr_t>(t->raw()), hi = lo;
    for (int64_t d = 0; d < t->dim(); ++d) {
      int64_t step = (t->shape[d] - 1) * t->strides[d] * int64_t(itemsize(t->dtype));
      (step < 0 ? lo : hi) += step;
    }
    return std::make_pair(lo, hi + itemsize(t->dtype));
  };
  auto [slo, shi] = span(self);
  auto [olo, ohi] = span(other);
  bool disjoint = ohi <= slo || shi <= olo || other->numel() == 0 || self->numel() == 0;
  bool identical = other->raw() == self->raw() && other->shape == self->shape && other->strides == self->strides &&
                   other->dtype == self->dtype;
  bool partial_overlap = !disjoint && !identical;
  // torch refuses a dense operand that partly overlaps a dense self (the result would depend on
  // the order the elements are written in)
  TG_CHECK(!(partial_overlap && self->is_contiguous() && other->is_contiguous()), RuntimeError,
           "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
           "memory location. Please clone() the tensor before performing the operation.");
  if (partial_overlap) return false;
  if (is_grad_enabled() && (self->requires_grad() || other->requires_grad())) return false;
  if (!is_floating(self->dtype) || result_type(self, other) != self->dtype) return false;
  int64_t nd = self->dim(), od = other->dim();
  if (od > nd) return false;
  for (int64_t d = 0; d < od; ++d) {
    int64_t s = other->shape[od - 1 - d];
    if (s != 1 && s != self->shape[nd - 1 - d]) return false;
  }
  for (int64_t d = 0; d < nd; ++d)
    if (self->strides[d] == 0 && self->shape[d] > 1) return false;  // the general path raises
  binary_kernel_into(op, self, self, other, self->dtype);
  self->bump_version();
  return true;
}

Tensor overwritten(const Tensor& self, const Tensor& value, const char* name, bool value_is_input) {
  if (!needs_grad({self, value_is_input ? value : nullptr})) return value;
  Tensor out = empty(self->shape, self->dtype);
  {
    GradModeGuard off(false);
    copy_into(out, value);
  }
  std::vector<Tensor> inputs{self};
  if (value_is_input) inputs.push_back(value);
  Shape shape = self->shape;
  DType dtype = self->dtype;
  record_node(name, inputs, {out}, [&] {
    return [shape, dtype, value_is_input](const Grads& g) -> Grads {
      Grads grads{zeros(shape, dtype)};
      if (value_is_input) grads.push_back(g[0]);  // the engine sums it to value's shape and dtype
      return grads;
    };
  });
  return out;
}

}  // namespace tg
