// Copies between tensors: contiguous(), clone(), dtype conversion and broadcasting copy_into.
#include <cstring>

#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg {

void copy_into(const Tensor& dst, const Tensor& src) {
  Shape target = broadcast_shapes(dst->shape, src->shape, "copy_");
  TG_CHECK(target == dst->shape, RuntimeError, "copy_: the source of shape ", shape_str(src->shape),
           " cannot be broadcast to the destination shape ", shape_str(dst->shape));
  if (dst->numel() == 0) return;
  if (dst->dtype == src->dtype && src->shape == dst->shape && dst->is_contiguous() &&
      src->is_contiguous()) {
    if (dst->raw() != src->raw())
      std::memmove(dst->raw(), src->raw(), dst->numel() * itemsize(dst->dtype));
    return;
  }
  dispatch_dtype(dst->dtype, [&](auto o) {
    using Out = decltype(o);
    dispatch_dtype(src->dtype, [&](auto i) {
      using In = decltype(i);
      kernels::unary_loop<Out, In>(dst, src, [](In v) { return static_cast<Out>(v); });
    });
  });
}

Tensor contiguous(const Tensor& t) {
  if (t->is_contiguous()) return t;
  return clone(t);
}

Tensor clone(const Tensor& t) {
  Tensor out = empty(t->shape, t->dtype);
  copy_into(out, t);
  record("CloneBackward0", {t}, {out}, [] { return [](const Grads& g) -> Grads { return {g[0]}; }; });
  return out;
}

Tensor cast_for_kernel(const Tensor& t, DType dtype) {
  if (t->dtype == dtype) return t;
  Tensor out = empty(t->shape, dtype);
  copy_into(out, t);
  return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t->dtype == dtype) return t;
  Tensor out = empty(t->shape, dtype);
  copy_into(out, t);
  if (is_floating(dtype)) {
    DType from = t->dtype;
    record("ToCopyBackward0", {t}, {out},
           [from] { return [from](const Grads& g) -> Grads { return {to_dtype(g[0], from)}; }; });
  }
  return out;
}

}  // namespace tg
