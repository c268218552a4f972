// Losses with fused kernels: cross_entropy (log_softmax + nll), nll_loss, binary cross entropy (+ logits).
#include <cmath>
#include <limits>

#include "ops/widen.h"
#include "tg/autocast.h"
#include "tg/nn.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// Class-index losses see the input as outer x C x inner (class dim 1, or 0 for a 1-D input).
struct ClassLayout {
  int64_t outer = 1, C = 1, inner = 1;
  int64_t class_dim = 0;
};

ClassLayout class_layout(const Tensor& input, const Tensor& target, const char* op) {
  TG_CHECK(is_floating(input->dtype), RuntimeError, op, ": expected a floating-point input, got ",
           dtype_name(input->dtype), " input of shape ", shape_str(input->shape));
  TG_CHECK(input->dim() >= 1, RuntimeError, op, ": input must have at least 1 dimension, got shape ",
           shape_str(input->shape));
  TG_CHECK(target->dtype == DType::Int64, RuntimeError, op,
           ": expected int64 class-index targets (or floating class probabilities of the input's shape), got ",
           dtype_name(target->dtype), " target of shape ", shape_str(target->shape), " for input of shape ",
           shape_str(input->shape));
  ClassLayout L;
  if (input->dim() == 1) {
    TG_CHECK(target->dim() == 0, RuntimeError, op, ": a 1-D input of shape ", shape_str(input->shape),
             " expects a 0-d target, got shape ", shape_str(target->shape));
    L.C = input->shape[0];
    return L;
  }
  TG_CHECK(target->dim() >= 1 && target->shape[0] == input->shape[0], ValueError, op,
           ": expected input batch_size (", input->shape[0], ") to match target batch_size (",
           target->dim() >= 1 ? std::to_string(target->shape[0]) : std::string("none: 0-d target"),
           "); input shape ", shape_str(input->shape), ", target shape ", shape_str(target->shape));
  Shape expect{input->shape[0]};
  for (int64_t i = 2; i < input->dim(); ++i) expect.push_back(input->shape[i]);
  TG_CHECK(target->shape == expect, RuntimeError, op, ": expected target of shape ", shape_str(expect),
           " for input of shape ", shape_str(input->shape), ", got ", shape_str(target->shape));
  L.outer = input->shape[0];
  L.C = input->shape[1];
  for (int64_t i = 2; i < input->dim(); ++i) L.inner *= input->shape[i];
  L.class_dim = 1;
  return L;
}

std::optional<Tensor> prepare_weight(const std::optional<Tensor>& weight, const ClassLayout& L,
                                     DType dtype, const char* op) {
  if (!weight || !*weight) return std::nullopt;
  const Tensor& w = *weight;
  TG_CHECK(w->dim() == 1 && w->shape[0] == L.C, RuntimeError, op, ": weight should be a 1-D tensor of ",
           L.C, " elements (one per class), got shape ", shape_str(w->shape));
  return contiguous(to_dtype(detach(w), dtype));
}

void check_targets(const Tensor& t, const ClassLayout& L, int64_t ignore_index, const char* op) {
  const int64_t* ts = t->data<int64_t>();
  for (int64_t i = 0, n = t->numel(); i < n; ++i) {
    TG_CHECK(ts[i] == ignore_index || (ts[i] >= 0 && ts[i] < L.C), IndexError, op, ": target ",
             ts[i], " is out of bounds for ", L.C, " classes");
  }
}

// Per (outer, inner) row: the loss and the weight of its target class (0 when ignored).
// logits: cross entropy with label smoothing eps; else nll on log-probabilities.
// CE row loss = (1-eps) w[t] (lse - x[t]) + (eps/C) sum_c w_c (lse - x_c), lse = logsumexp of the row.
template <typename T>
void class_rows(const T* x, const int64_t* t, const T* w, const ClassLayout& L, int64_t ignore,
                double eps, bool logits, double* loss, double* wt) {
  parallel_for(L.outer * L.inner, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, L.C)),
               [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t base = (r / L.inner) * L.C * L.inner + r % L.inner;
      int64_t tc = t[r];
      if (tc == ignore) {
        loss[r] = 0;
        wt[r] = 0;
        continue;
      }
      double wtc = w ? static_cast<double>(w[tc]) : 1.0;
      wt[r] = wtc;
      if (!logits) {
        loss[r] = -wtc * static_cast<double>(x[base + tc * L.inner]);
        continue;
      }
      double m = -std::numeric_limits<double>::infinity();
      bool nan = false;
      for (int64_t c = 0; c < L.C; ++c) {
        double v = x[base + c * L.inner];
        nan |= std::isnan(v);
        m = v > m ? v : m;
      }
      if (nan) m = std::numeric_limits<double>::quiet_NaN();
      double s = 0;
      for (int64_t c = 0; c < L.C; ++c) s += std::exp(static_cast<double>(x[base + c * L.inner]) - m);
      double lse = m + std::log(s);
      double l = (1 - eps) * wtc * (lse - static_cast<double>(x[base + tc * L.inner]));
      if (eps > 0) {
        double sm = 0;
        for (int64_t c = 0; c < L.C; ++c)
          sm += (w ? static_cast<double>(w[c]) : 1.0) * (lse - static_cast<double>(x[base + c * L.inner]));
        l += eps / static_cast<double>(L.C) * sm;
      }
      loss[r] = l;
    }
  });
}

// The constant part of the gradient: M[n,c,j] = (1-eps) w[t] [c == t] + (eps/C) w_c (0 when ignored),
// and its row sums A = sum_c M. d CE / d x = p * A - M with p = softmax(x); d nll / d x = -M.
std::pair<Tensor, Tensor> class_grad_parts(const Shape& xshape, const ClassLayout& L, const Tensor& t,
                                           const std::optional<Tensor>& w, int64_t ignore, double eps,
                                           DType dtype) {
  Tensor M = zeros(xshape, dtype);
  Shape ashape = xshape;
  ashape[L.class_dim] = 1;
  Tensor A = zeros(ashape, dtype);
  dispatch_floating(dtype, "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    T* m = M->data<T>();
    T* a = A->data<T>();
    const T* ws = w ? (*w)->data<T>() : nullptr;
    const int64_t* ts = t->data<int64_t>();
    double wsum = 0;
    for (int64_t c = 0; c < L.C; ++c) wsum += ws ? static_cast<double>(ws[c]) : 1.0;
    for (int64_t r = 0; r < L.outer * L.inner; ++r) {
      if (ts[r] == ignore) continue;
      int64_t base = (r / L.inner) * L.C * L.inner + r % L.inner;
      double wtc = ws ? static_cast<double>(ws[ts[r]]) : 1.0;
      if (eps > 0)
        for (int64_t c = 0; c < L.C; ++c)
          m[base + c * L.inner] = static_cast<T>(eps / L.C * (ws ? static_cast<double>(ws[c]) : 1.0));
      m[base + ts[r] * L.inner] += static_cast<T>((1 - eps) * wtc);
      a[r] = static_cast<T>((1 - eps) * wtc + eps / L.C * wsum);
    }
  });
  return {M, A};
}

Tensor class_loss(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                  int64_t reduction, int64_t ignore_index, double eps, bool logits) {
  const char* op = logits ? "cross_entropy" : "nll_loss";
  if (autocast_wants_fp32(input))  // on torch's autocast float32 list
    return class_loss(autocast_fp32(input), target, autocast_fp32(weight), reduction, ignore_index, eps, logits);
  check_same_device(op, input, target, weight ? *weight : Tensor());
  TG_CHECK(reduction >= 0 && reduction <= 2, ValueError, op, ": reduction must be 'none', 'mean' or 'sum'");
  TG_CHECK(eps >= 0 && eps <= 1, ValueError, op, ": label_smoothing must be between 0.0 and 1.0, got ", eps);
  if (needs_widening(input->dtype) && is_floating(input->dtype))  // float16/bfloat16 in float32
    return to_dtype(class_loss(widened(input), target, widened(weight), reduction, ignore_index, eps, logits),
                    input->dtype);
  ClassLayout L = class_layout(input, target, op);
  Tensor x = contiguous(input);
  Tensor t = contiguous(target);
  std::optional<Tensor> w = prepare_weight(weight, L, x->dtype, op);
  check_targets(t, L, ignore_index, op);
  int64_t rows = L.outer * L.inner;
  std::vector<double> loss(rows), wt(rows);
  dispatch_floating(x->dtype, op, [&](auto tag) {
    using T = decltype(tag);
    class_rows<T>(x->data<T>(), t->data<int64_t>(), w ? (*w)->data<T>() : nullptr, L, ignore_index, eps,
                  logits, loss.data(), wt.data());
  });
  double total = 0, denom = 0;
  for (int64_t r = 0; r < rows; ++r) total += loss[r], denom += wt[r];
  Tensor out;
  if (reduction == kNone) {
    out = empty(t->shape, x->dtype);
    dispatch_floating(x->dtype, op, [&](auto tag) {
      using T = decltype(tag);
      for (int64_t r = 0; r < rows; ++r) out->data<T>()[r] = static_cast<T>(loss[r]);
    });
  } else {
    out = scalar_tensor(Scalar(reduction == kMean ? total / denom : total), x->dtype);
  }
  record(logits ? "CrossEntropyLossBackward0" : "NllLossBackward0", {input}, {out}, [&] {
    SavedTensor sx = save(input), st = save(t);
    Shape xshape = x->shape;
    DType dt = x->dtype;
    return BackwardFn([sx, st, w, L, ignore_index, eps, reduction, denom, logits, xshape, dt](const Grads& g) -> Grads {
      auto [M, A] = class_grad_parts(xshape, L, st.get(), w, ignore_index, eps, dt);
      Tensor gs = g[0];
      if (reduction == kNone && xshape.size() >= 2) gs = unsqueeze(gs, 1);
      if (reduction == kMean) gs = div(gs, Scalar(denom));
      if (!logits) return {neg(mul(M, gs))};
      Tensor p = softmax(sx.get(), L.class_dim);
      return {mul(sub(mul(p, A), M), gs)};
    });
  });
  return out;
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  check_same_device(op, input, target);
  TG_CHECK(is_floating(input->dtype) && is_floating(target->dtype), RuntimeError, op,
           ": expected floating-point input and target, got ", dtype_name(input->dtype), " and ",
           dtype_name(target->dtype));
  TG_CHECK(input->shape == target->shape, ValueError, op, ": target size (", shape_str(target->shape),
           ") must be the same as input size (", shape_str(input->shape), ")");
}

Tensor scalar_like(double v, const Tensor& t) { return scalar_tensor(Scalar(v), t->dtype); }

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                     int64_t reduction, int64_t ignore_index, double label_smoothing) {
  return class_loss(input, target, weight, reduction, ignore_index, label_smoothing, true);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                int64_t reduction, int64_t ignore_index) {
  return class_loss(input, target, weight, reduction, ignore_index, 0.0, false);
}

// loss = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target_in) {
  const char* op = "binary_cross_entropy";
  if (autocast_wants_fp32(input)) return binary_cross_entropy(autocast_fp32(input), autocast_fp32(target_in));
  check_same_shape(input, target_in, op);
  if (needs_widening(input->dtype)) return to_dtype(binary_cross_entropy(widened(input), widened(target_in)), input->dtype);
  Tensor p = contiguous(input);
  Tensor y = contiguous(to_dtype(target_in, input->dtype));
  Tensor out = empty(p->shape, p->dtype);
  dispatch_floating(p->dtype, op, [&](auto tag) {
    using T = decltype(tag);
    const T* ps = p->data<T>();
    const T* ys = y->data<T>();
    T* o = out->data<T>();
    int64_t n = p->numel();
    for (int64_t i = 0; i < n; ++i)
      TG_CHECK(ps[i] >= 0 && ps[i] <= 1, RuntimeError, op, ": all elements of input should be between 0 and 1, got ",
               ps[i], " in input of shape ", shape_str(p->shape));
    parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T lp = std::max(std::log(ps[i]), T(-100)), l1p = std::max(std::log1p(-ps[i]), T(-100));
        o[i] = -(ys[i] * lp + (T(1) - ys[i]) * l1p);
      }
    });
  });
  record("BinaryCrossEntropyBackward0", {input, target_in}, {out}, [&] {
    SavedTensor sp = save(input), sy = save(target_in);
    return BackwardFn([sp, sy](const Grads& g) -> Grads {
      Tensor pv = sp.get(), yv = to_dtype(sy.get(), pv->dtype);
      // d/dp = (p - y) / max(p (1 - p), 1e-12); d/dy = max(log(1-p), -100) - max(log p, -100)
      Tensor gp = div(mul(g[0], sub(pv, yv)), maximum(mul(pv, rsub(pv, Scalar(1.0))), scalar_like(1e-12, pv)));
      Tensor lo = scalar_like(-100.0, pv);
      Tensor gy = mul(g[0], sub(maximum(log(rsub(pv, Scalar(1.0))), lo), maximum(log(pv), lo)));
      return {gp, to_dtype(gy, sy.get()->dtype)};
    });
  });
  return out;
}

// loss = (1 - y) x + lw softplus(-x), lw = 1 + (pos_weight - 1) y; softplus(-x) = -log sigmoid(x).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target_in,
                                        const std::optional<Tensor>& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  if (autocast_wants_fp32(input))
    return binary_cross_entropy_with_logits(autocast_fp32(input), autocast_fp32(target_in), autocast_fp32(pos_weight));
  check_same_device(op, input, target_in, pos_weight ? *pos_weight : Tensor());
  check_same_shape(input, target_in, op);
  if (is_reduced_float(input->dtype)) {
    // torch composes this loss of ops in the input's dtype, each step rounded to it:
    // (1 - y) x - log_sigmoid(x) lw, lw = (pos_weight - 1) y + 1, log_sigmoid(x) = -softplus(-x)
    Tensor y = to_dtype(target_in, input->dtype);
    Tensor log_sig = neg(softplus(neg(input), 1.0, 20.0));
    if (pos_weight && *pos_weight) log_sig = mul(log_sig, add(mul(sub(*pos_weight, Scalar(1.0)), y), Scalar(1.0)));
    return sub(mul(rsub(y, Scalar(1.0)), input), log_sig);
  }
  Tensor x = contiguous(input);
  Tensor y = contiguous(to_dtype(target_in, input->dtype));
  bool has_pw = pos_weight && *pos_weight;
  Tensor pw;
  if (has_pw) {
    const Tensor& pwi = *pos_weight;
    Shape b = broadcast_shapes(pwi->shape, x->shape, op);
    TG_CHECK(b == x->shape, RuntimeError, op, ": pos_weight of shape ", shape_str(pwi->shape),
             " does not broadcast to the input shape ", shape_str(x->shape));
    pw = contiguous(expand(to_dtype(detach(pwi), x->dtype), x->shape));
  }
  Tensor out = empty(x->shape, x->dtype);
  dispatch_floating(x->dtype, op, [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x->data<T>();
    const T* ys = y->data<T>();
    const T* ws = has_pw ? pw->data<T>() : nullptr;
    T* o = out->data<T>();
    parallel_for(x->numel(), kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T v = xs[i];
        T sp = std::max(-v, T(0)) + std::log1p(std::exp(-std::abs(v)));  // softplus(-v), stable
        T lw = ws ? T(1) + (ws[i] - T(1)) * ys[i] : T(1);
        o[i] = (T(1) - ys[i]) * v + lw * sp;
      }
    });
  });
  std::vector<Tensor> inputs{input, target_in};
  if (has_pw) inputs.push_back(*pos_weight);
  if (needs_grad(inputs)) {
    record_node("BinaryCrossEntropyWithLogitsBackward0", inputs, {out}, [&] {
      SavedTensor sx = save(input), sy = save(target_in);
      SavedTensor spw = has_pw ? save(*pos_weight) : SavedTensor();
      return BackwardFn([sx, sy, spw, has_pw](const Grads& g) -> Grads {
        Tensor xv = sx.get(), yv = to_dtype(sy.get(), xv->dtype);
        Tensor sp = softplus(neg(xv), 1.0, 20.0);
        Tensor lw = has_pw ? add(mul(sub(to_dtype(spw.get(), xv->dtype), Scalar(1.0)), yv), Scalar(1.0))
                           : Tensor();
        // d/dx = lw (sigmoid(x) - 1) + 1 - y
        Tensor s1 = sub(sigmoid(xv), Scalar(1.0));
        Tensor gx = add(has_pw ? mul(lw, s1) : s1, rsub(yv, Scalar(1.0)));
        // d/dy = -x + (pos_weight - 1) softplus(-x)
        Tensor gy = neg(xv);
        if (has_pw) gy = add(gy, mul(sub(to_dtype(spw.get(), xv->dtype), Scalar(1.0)), sp));
        Grads out{mul(g[0], gx), to_dtype(mul(g[0], gy), sy.get()->dtype)};
        if (has_pw) {
          Tensor pv = spw.get();
          out.push_back(to_dtype(sum_to(mul(g[0], mul(yv, sp)), pv->shape), pv->dtype));
        }
        return out;
      });
    });
  }
  return out;
}

}  // namespace tg::nn
