// where(cond, x, y): elementwise selection with broadcasting; the gradient follows the choice.
#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg {

Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y) {
  TG_CHECK(cond->dtype == DType::Bool, RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
           dtype_name(cond->dtype));
  Shape shape = broadcast_shapes(broadcast_shapes(cond->shape, x->shape, "where"), y->shape, "where");
  DType dt = result_type(x, y);
  Tensor a = cast_for_kernel(x, dt), b = cast_for_kernel(y, dt);
  Tensor out = empty(shape, dt);
  dispatch_dtype(dt, [&](auto z) {
    using T = decltype(z);
    kernels::Operands<4> ops{{out->raw(), cond->raw(), a->raw(), b->raw()},
                             {kernels::broadcast_byte_strides(out, shape), kernels::broadcast_byte_strides(cond, shape),
                              kernels::broadcast_byte_strides(a, shape), kernels::broadcast_byte_strides(b, shape)}};
    kernels::for_each_run(shape, ops, [](std::array<char*, 4> p, const std::array<int64_t, 4>& s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[1] + i * s[1])
                                                     ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                                                     : *reinterpret_cast<const T*>(p[3] + i * s[3]);
    });
  });
  record("WhereBackward0", {x, y}, {out}, [&] {
    return [c = detach(cond)](const Grads& g) -> Grads {
      Tensor zero = zeros({}, g[0]->dtype);
      return {where(c, g[0], zero), where(c, zero, g[0])};
    };
  });
  return out;
}

}  // namespace tg
