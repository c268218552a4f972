// Matrix products: mm, torch.matmul's rules (1-D, 2-D, batched with broadcast batch dims), and addmm
// (the fused bias + product that nn.Linear runs on).
#include "ops/reduced_float.h"
#include "tg/autocast.h"
#include "tg/gemm.h"
#include "tg/ops.h"
#include "tg/parallel.h"

namespace tg {

namespace {

// Calls f with a Half or a BFloat16 value for a float16 / bfloat16 dtype.
template <typename F>
void with_reduced_float(DType d, F&& f) {
  if (d == DType::Float16) f(Half{});
  else f(BFloat16{});
}

// How a 2-D (or batched) operand can be handed to GEMM without a copy: row-major with a leading
// dimension, or transposed.
struct GemmOperand {
  Tensor t;
  bool trans = false;
  int64_t ld = 0;
};

GemmOperand as_gemm_operand(const Tensor& m) {
  int64_t nd = m->dim();
  int64_t rows = m->shape[nd - 2], cols = m->shape[nd - 1];
  int64_t rs = m->strides[nd - 2], cs = m->strides[nd - 1];
  if ((cs == 1 || cols == 1) && rs >= std::max<int64_t>(cols, 1)) return {m, false, rs};
  if ((rs == 1 || rows == 1) && cs >= std::max<int64_t>(rows, 1)) return {m, true, cs};
  Tensor c = clone(m);
  return {c, false, std::max<int64_t>(cols, 1)};
}

// True for a transposed view of a row-major matrix (e.g. a Linear's weight.t()).
bool transposed_layout(const Tensor& m) {
  int64_t nd = m->dim();
  return m->strides[nd - 2] == 1 && m->strides[nd - 1] != 1 && m->shape[nd - 2] > 1;
}

// a @ b, in a transposed layout when the operand whose gradient this is has one: (b^T a^T)^T is
// the same product, and a Linear's weight gradient then needs no transposing copy.
Tensor matmul_in_layout(const Tensor& a, const Tensor& b, bool transposed) {
  if (!transposed) return matmul(a, b);
  return transpose(matmul(transpose(b, -1, -2), transpose(a, -1, -2)), -1, -2);
}

// [batch..., M, K] @ [batch..., K, N] with equal batch shapes (already broadcast); no autograd.
Tensor batched_product(const Tensor& a, const Tensor& b) {
  int64_t nd = a->dim();
  int64_t M = a->shape[nd - 2], K = a->shape[nd - 1], N = b->shape[nd - 1];
  Shape out_shape(a->shape.begin(), a->shape.end() - 2);
  int64_t batch = shape_numel(out_shape);
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = empty(out_shape, a->dtype);
  if (out->numel() == 0) return out;
  // Collapse the batch dims when they can be walked with one stride; otherwise copy first.
  auto flat = [&](const Tensor& t) {
    Shape s{batch, t->shape[nd - 2], t->shape[nd - 1]};
    Tensor r = t;
    if (nd != 3) {
      GradModeGuard off(false);
      r = reshape(t, s);
    }
    return r;
  };
  Tensor A = flat(a), B = flat(b);
  // float16/bfloat16: accumulated in float32 from operands converted while packed, rounded once
  if (is_reduced_float(a->dtype)) {
    Tensor acc = empty(out_shape, DType::Float32);
    GemmOperand ga = as_gemm_operand(A), gb = as_gemm_operand(B);
    with_reduced_float(a->dtype, [&](auto z) {
      using S = decltype(z);
      kernels::gemm_batched(batch, ga.trans, gb.trans, M, N, K, 1.0f, ga.t->template data<S>(), ga.ld,
                            ga.t->strides[0], gb.t->template data<S>(), gb.ld, gb.t->strides[0], 0.0f,
                            acc->data<float>(), N, M * N);
    });
    copy_into(out, acc);
    return out;
  }
  dispatch_dtype(a->dtype, [&](auto z) {
    using T = decltype(z);
    T* C = out->data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      GemmOperand ga = as_gemm_operand(A), gb = as_gemm_operand(B);
      kernels::gemm_batched(batch, ga.trans, gb.trans, M, N, K, T(1), ga.t->template data<T>(), ga.ld,
                            ga.t->strides[0], gb.t->template data<T>(), gb.ld, gb.t->strides[0], T(0), C,
                            N, M * N);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      GemmOperand ga = as_gemm_operand(A), gb = as_gemm_operand(B);
      for (int64_t i = 0; i < batch; ++i)
        kernels::gemm(ga.trans, gb.trans, M, N, K, T(1), ga.t->template data<T>() + i * ga.t->strides[0], ga.ld,
                      gb.t->template data<T>() + i * gb.t->strides[0], gb.ld, T(0), C + i * M * N, N);
    } else {
      throw RuntimeError("matmul: not implemented for 'Bool'");
    }
  });
  return out;
}

// Differentiable [..., M, K] @ [..., K, N] with broadcast batch dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b, const char* name) {
  int64_t na = a->dim(), nb = b->dim();
  TG_CHECK(a->shape[na - 1] == b->shape[nb - 2], RuntimeError, name,
           ": mat1 and mat2 shapes cannot be multiplied (", a->shape[na - 2], "x", a->shape[na - 1],
           " and ", b->shape[nb - 2], "x", b->shape[nb - 1], ")");
  TG_CHECK(a->dtype == b->dtype, RuntimeError, name, ": expected m1 and m2 to have the same dtype, but got: ",
           dtype_name(a->dtype), " != ", dtype_name(b->dtype));
  if (needs_widening(a->dtype) && !is_reduced_float(a->dtype))  // small ints wrap as int64
    return to_dtype(matmul_nd(widened(a), widened(b), name), a->dtype);
  Shape ba(a->shape.begin(), a->shape.end() - 2), bb(b->shape.begin(), b->shape.end() - 2);
  Shape batch = broadcast_shapes(ba, bb, name);
  Shape sa = batch, sb = batch;
  sa.insert(sa.end(), a->shape.end() - 2, a->shape.end());
  sb.insert(sb.end(), b->shape.end() - 2, b->shape.end());
  Tensor out;
  {
    GradModeGuard off(false);
    out = batched_product(sa == a->shape ? a : expand(a, sa), sb == b->shape ? b : expand(b, sb));
  }
  // d(A B) = (G B^T, A^T G); the engine sums over broadcast batch dims.
  record(name, {a, b}, {out}, [&] {
    bool ga = a->requires_grad(), gb = b->requires_grad(), ta = transposed_layout(a), tb = transposed_layout(b);
    return [ga, gb, ta, tb, sa_ = gb ? save(a) : SavedTensor(), sb_ = ga ? save(b) : SavedTensor()](
               const Grads& g) -> Grads {
      Tensor da, db;
      if (ga) da = matmul_in_layout(g[0], transpose(sb_.get(), -1, -2), ta);
      if (gb) db = matmul_in_layout(transpose(sa_.get(), -1, -2), g[0], tb);
      return {da, db};
    };
  });
  return out;
}

}  // namespace

Tensor mm(const Tensor& a_in, const Tensor& b_in) {
  Tensor a = autocast_lower(a_in), b = autocast_lower(b_in);
  check_same_device("mm", a, b);
  TG_CHECK(a->dim() == 2, RuntimeError, "mm: self must be a matrix, got ", a->dim(), "-D tensor of shape ",
           shape_str(a->shape));
  TG_CHECK(b->dim() == 2, RuntimeError, "mm: mat2 must be a matrix, got ", b->dim(), "-D tensor of shape ",
           shape_str(b->shape));
  return matmul_nd(a, b, "MmBackward0");
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  Tensor a = autocast_lower(a_in), b = autocast_lower(b_in);
  check_same_device("matmul", a, b);
  int64_t na = a->dim(), nb = b->dim();
  TG_CHECK(na > 0 && nb > 0, RuntimeError, "both arguments to matmul need to be at least 1D, but they are ",
           na, "D and ", nb, "D");
  if (na == 1 && nb == 1) {
    TG_CHECK(a->shape[0] == b->shape[0], RuntimeError,
             "inconsistent tensor size, expected tensor [", a->shape[0], "] and src [", b->shape[0],
             "] to have the same number of elements, but got ", a->shape[0], " and ", b->shape[0],
             " elements respectively");
    return reshape(matmul_nd(unsqueeze(a, 0), unsqueeze(b, 1), "MmBackward0"), {});
  }
  if (na == 1) return squeeze(matmul_nd(unsqueeze(a, 0), b, nb == 2 ? "MmBackward0" : "BmmBackward0"), {-2});
  if (nb == 1) return squeeze(matmul_nd(a, unsqueeze(b, 1), na == 2 ? "MmBackward0" : "BmmBackward0"), {-1});
  return matmul_nd(a, b, na == 2 && nb == 2 ? "MmBackward0" : "BmmBackward0");
}

// addmm = beta input + alpha (mat1 @ mat2) as one GEMM: C starts as the broadcast input and the
// GEMM accumulates into it (C = alpha A B + beta C). beta == 0 ignores the input, NaN included.
// Backward: d input = beta G (summed to input's shape), d mat1 = alpha G mat2^T, d mat2 = alpha mat1^T G.
Tensor addmm(const Tensor& input_in, const Tensor& m1_in, const Tensor& m2_in, Scalar beta, Scalar alpha) {
  Tensor input = autocast_lower(input_in), m1 = autocast_lower(m1_in), m2 = autocast_lower(m2_in);
  check_same_device("addmm", input, m1, m2);
  TG_CHECK(m1->dim() == 2, RuntimeError, "addmm: mat1 must be a matrix, got ", m1->dim(), "-D tensor");
  TG_CHECK(m2->dim() == 2, RuntimeError, "addmm: mat2 must be a matrix, got ", m2->dim(), "-D tensor");
  int64_t M = m1->shape[0], K = m1->shape[1], N = m2->shape[1];
  TG_CHECK(K == m2->shape[0], RuntimeError, "addmm: mat1 and mat2 shapes cannot be multiplied (", M, "x", K,
           " and ", m2->shape[0], "x", N, ")");
  for (const Tensor& m : {m1, m2})
    TG_CHECK(input->dtype == m->dtype, RuntimeError, "addmm: self and mat2 must have the same dtype, but got ",
             dtype_name(input->dtype), " and ", dtype_name(m->dtype));
  Shape shape{M, N};
  Tensor bias = expand(input, shape);  // raises torch's error when input does not broadcast to [M, N]
  if (!is_floating(input->dtype)) {    // integer matrices: no GEMM kernel, compose the same formula
    Tensor prod = mm(m1, m2);
    if (alpha.f != 1.0) prod = mul(prod, alpha);
    return beta.f == 0.0 ? prod : add(beta.f == 1.0 ? bias : mul(bias, beta), prod);
  }
  Tensor out = empty(shape, input->dtype);
  {
    GradModeGuard off(false);
    // float16/bfloat16: the bias and the product meet in float32, rounded once into out
    const bool half = is_reduced_float(input->dtype);
    Tensor acc = half ? empty(shape, DType::Float32) : out;
    if (beta.f != 0.0 && out->numel() > 0) copy_into(acc, bias);
    GemmOperand ga = as_gemm_operand(m1), gb = as_gemm_operand(m2);
    if (half) {
      with_reduced_float(input->dtype, [&](auto z) {
        using S = decltype(z);
        kernels::gemm(ga.trans, gb.trans, M, N, K, float(alpha.f), ga.t->template data<S>(), ga.ld,
                      gb.t->template data<S>(), gb.ld, float(beta.f), acc->data<float>(), N);
      });
      copy_into(out, acc);
    } else {
      dispatch_floating(input->dtype, "addmm", [&](auto z) {
        using T = decltype(z);
        kernels::gemm(ga.trans, gb.trans, M, N, K, T(alpha.f), ga.t->template data<T>(), ga.ld,
                      gb.t->template data<T>(), gb.ld, T(beta.f), out->data<T>(), N);
      });
    }
  }
  record("AddmmBackward0", {input, m1, m2}, {out}, [&] {
    bool gi = input->requires_grad(), g1 = m1->requires_grad(), g2 = m2->requires_grad();
    bool t1 = transposed_layout(m1), t2 = transposed_layout(m2);
    return [beta, alpha, gi, g1, g2, t1, t2, s1 = g2 ? save(m1) : SavedTensor(), s2 = g1 ? save(m2) : SavedTensor()](
               const Grads& g) -> Grads {
      auto scaled = [](Tensor t, Scalar s) { return s.f == 1.0 ? t : mul(t, s); };
      Tensor di, d1, d2;
      if (gi) di = scaled(g[0], beta);
      if (g1) d1 = scaled(matmul_in_layout(g[0], transpose(s2.get(), 0, 1), t1), alpha);
      if (g2) d2 = scaled(matmul_in_layout(transpose(s1.get(), 0, 1), g[0], t2), alpha);
      return {di, d1, d2};
    };
  });
  return out;
}

}  // namespace tg
