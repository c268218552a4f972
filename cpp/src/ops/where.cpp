// where(cond, x, y): elementwise selection with broadcasting; the gradient follows the choice.
#include "kernels/cpu/loops.h"
#include "tg/ops.h"

namespace tg {

Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y) {
  check_same_device("where", cond, x, y);
  TG_CHECK(cond->dtype == DType::Bool, RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
           dtype_name(cond->dtype));
  Shape shape = broadcast_shapes(broadcast_shapes(cond->shape, x->shape, "where"), y->shape, "where");
  DType dt = result_type(x, y);
  Tensor a = cast_for_kernel(x, dt), b = cast_for_kernel(y, dt);
  Tensor out = empty(shape, dt);
  dispatch_all(dt, [&](auto z) {  // a selection moves bytes: every dtype
    using T = decltype(z);
    kernels::Operands<4> ops{{out->raw(), cond->raw(), a->raw(), b->raw()},
                             {kernels::broadcast_byte_strides(out, shape), kernels::broadcast_byte_strides(cond, shape),
                              kernels::broadcast_byte_strides(a, shape), kernels::broadcast_byte_strides(b, shape)}};
    // Both values are loaded before the select and the mask is read as bytes (GCC does not vectorise
    // loads of bool), so the select compiles to a vector blend: a branch on a random mask
    // mispredicts half the time and runs ~10x slower.
    kernels::for_each_run(shape, ops, [](std::array<char*, 4> p, const std::array<int64_t, 4>& s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const uint8_t* c = reinterpret_cast<const uint8_t*>(p[1]);
      const T* x = reinterpret_cast<const T*>(p[2]);
      const T* y = reinterpret_cast<const T*>(p[3]);
      constexpr int64_t t = sizeof(T);
      if (s[0] == t && s[1] == 1 && s[2] == t && s[3] == t) {
        for (int64_t i = 0; i < n; ++i) {
          T xv = x[i], yv = y[i];
          o[i] = c[i] ? xv : yv;
        }
      } else if (s[0] == t && s[1] == 1 && s[2] == 0 && s[3] == t) {
        const T xv = *x;
        for (int64_t i = 0; i < n; ++i) {
          T yv = y[i];
          o[i] = c[i] ? xv : yv;
        }
      } else if (s[0] == t && s[1] == 1 && s[2] == t && s[3] == 0) {
        const T yv = *y;
        for (int64_t i = 0; i < n; ++i) {
          T xv = x[i];
          o[i] = c[i] ? xv : yv;
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          T xv = *reinterpret_cast<const T*>(p[2] + i * s[2]), yv = *reinterpret_cast<const T*>(p[3] + i * s[3]);
          *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const uint8_t*>(p[1] + i * s[1]) ? xv : yv;
        }
      }
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
