// In-place updates: write a result into a tensor's memory, bump its version, move its history.
#include "tg/ops.h"

namespace tg {

namespace {
// True when `self` is a view (through a chain of single-input nodes) of a leaf that requires grad:
// the walk reaches that leaf's AccumulateGrad and the leaf shares self's storage.
bool views_grad_leaf(const Tensor& self) {
  Node* node = self->grad_fn().get();
  for (int depth = 0; node && depth < 64 && node->next_edges.size() == 1; ++depth) {
    Node* next = node->next_edges[0].fn.get();
    if (auto* acc = dynamic_cast<AccumulateGrad*>(next)) return acc->variable->storage == self->storage;
    node = next;
  }
  return false;
}
}  // namespace

void check_inplace(const Tensor& self, const char* op) {
  if (!is_grad_enabled()) return;
  TG_CHECK(!(self->is_leaf() && self->requires_grad()), RuntimeError,
           "a leaf Variable that requires grad is being used in an in-place operation. (op: ", op, ")");
  TG_CHECK(!views_grad_leaf(self), RuntimeError,
           "a view of a leaf Variable that requires grad is being used in an in-place operation. (op: ", op, ")");
}

void assign_inplace(const Tensor& self, const Tensor& result, const char* op) {
  check_inplace(self, op);
  // an expanded tensor (torch allows fill_/zero_ there, not read-modify-write ops)
  // (stride 0 over a dim of size > 1) would be written several times per element
  for (int64_t d = 0; d < self->dim() && self->numel() > 0; ++d)
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
  if (result->grad_fn() && is_grad_enabled()) {
    // self now holds result's values: take over its history (cast back if the dtype differs).
    Tensor r = result;
    if (r->dtype != self->dtype) r = to_dtype(r, self->dtype);
    if (r->shape != self->shape) r = expand(r, self->shape);
    set_history(self, r->grad_fn(), r->autograd->output_nr);
  }
}

}  // namespace tg
