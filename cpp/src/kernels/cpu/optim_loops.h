// The optimizer update loops, included by optim.cpp once per instruction set (generic, AVX2+FMA).
// No include guard: optim.cpp includes this file twice, inside different namespaces.
//
// Rounding follows torch's CPU kernels op by op: a Python scalar is first rounded to T; `add` with
// alpha, `addcmul` and `lerp` are fused multiply-adds in torch's kernels, so they are fma() here;
// mul, div, sqrt and addcdiv round each operation; `scalar / tensor` is reciprocal(tensor) * scalar.

// fma() rounds once, like torch's vectorised fmadd.
template <typename T>
inline T fmadd(T a, T b, T c) {
  if constexpr (sizeof(T) == 4) return __builtin_fmaf(a, b, c);
  else return __builtin_fma(a, b, c);
}

template <typename T>
inline T sqrt_(T x) {
  if constexpr (sizeof(T) == 4) return __builtin_sqrtf(x);
  else return __builtin_sqrt(x);
}

// torch's lerp kernel: self + w * (end - self) for |w| < 0.5, else end + (w - 1) * (end - self).
template <typename T>
inline T lerp(T self, T end, T w, T w_minus_1, bool small) {
  const T diff = end - self;
  return small ? fmadd(w, diff, self) : fmadd(w_minus_1, diff, end);
}

struct Lerp {
  template <typename T>
  static void coeffs(double weight, T& w, T& wm1, bool& small) {
    w = T(weight);
    wm1 = w - T(1);
    small = (w < 0 ? -w : w) < T(0.5);
  }
};

// torch.maximum: NaN in either argument gives NaN.
template <typename T>
inline T nan_max(T a, T b) {
  if (a != a) return a;
  return a > b ? a : b;
}

// The gradient as torch's loops first rewrite it: negated for maximize, then
// grad.add(param, alpha=weight_decay) for L2 weight decay.
template <bool Maximize, bool L2, typename T>
inline T effective_grad(T g, T p, T wd) {
  if constexpr (Maximize) g = -g;
  if constexpr (L2) g = fmadd(p, wd, g);
  return g;
}

// Calls f(std::bool_constant<b0>{}, std::bool_constant<b1>{}, ...): option flags become compile-time
// constants so that every combination gets its own branch-free, vectorisable loop.
template <typename F>
inline void with_flags(F&& f) { f(); }
template <typename F, typename... B>
inline void with_flags(F&& f, bool b, B... rest) {
  if (b) with_flags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else with_flags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

template <typename F>
inline void for_range(int64_t n, const F& body) {
  parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) body(i);
  });
}

template <typename T>
void sgd(T* param, const T* grad, T* buf, int64_t n, const SGDOptions& o, bool first_step) {
  const T wd = T(o.weight_decay), mom = T(o.momentum), one_minus_damp = T(1.0 - o.dampening);
  const T neg_lr = T(-o.lr);
  with_flags([&](auto MAX, auto L2, auto MOM, auto FIRST, auto NESTEROV) {
    for_range(n, [&](int64_t i) {
      T g = effective_grad<MAX, L2>(grad[i], param[i], wd);
      if constexpr (MOM) {
        // buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g
        T b = g;
        if constexpr (!FIRST) b = fmadd(g, one_minus_damp, buf[i] * mom);
        buf[i] = b;
        if constexpr (NESTEROV) g = fmadd(b, mom, g);
        else g = b;
      }
      param[i] = fmadd(g, neg_lr, param[i]);
    });
  }, o.maximize, o.weight_decay != 0, o.momentum != 0, first_step, o.nesterov);
}

template <typename T>
void adam(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_sq, int64_t n,
          const AdamOptions& o) {
  const T wd = T(o.weight_decay), decay_factor = T(1.0 - o.lr * o.weight_decay);
  T w1, w1m1;
  bool small;
  Lerp::coeffs(1.0 - o.beta1, w1, w1m1, small);
  const T beta2 = T(o.beta2), one_minus_b2 = T(1.0 - o.beta2);
  // m_hat / (sqrt(v_hat) + eps) arranged as torch does: lr / (1 - b1^t) is the step size and
  // sqrt(1 - b2^t) divides sqrt(v).
  const double bc1 = 1.0 - std::pow(o.beta1, o.step);
  const double bc2 = 1.0 - std::pow(o.beta2, o.step);
  const T neg_step_size = T(-(o.lr / bc1));
  const T bc2_sqrt = T(std::pow(bc2, 0.5));
  const T eps = T(o.eps);
  with_flags([&](auto MAX, auto L2, auto DECAY, auto AMS) {
    for_range(n, [&](int64_t i) {
      T p = param[i];
      if constexpr (DECAY) p = p * decay_factor;
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T m = lerp(exp_avg[i], g, w1, w1m1, small);
      exp_avg[i] = m;
      T v = fmadd(one_minus_b2 * g, g, exp_avg_sq[i] * beta2);
      exp_avg_sq[i] = v;
      if constexpr (AMS) {
        v = nan_max(max_sq[i], v);
        max_sq[i] = v;
      }
      const T denom = sqrt_(v) / bc2_sqrt + eps;
      param[i] = p + neg_step_size * m / denom;
    });
  }, o.maximize, o.weight_decay != 0 && !o.decoupled_weight_decay,
     o.weight_decay != 0 && o.decoupled_weight_decay, o.amsgrad);
}

template <typename T>
void adagrad(T* param, const T* grad, T* sum, int64_t n, const AdagradOptions& o) {
  const T wd = T(o.weight_decay), eps = T(o.eps);
  const T neg_clr = T(-(o.lr / (1 + (o.step - 1) * o.lr_decay)));  // lr / (1 + (t-1) lr_decay)
  with_flags([&](auto MAX, auto L2) {
    for_range(n, [&](int64_t i) {
      const T p = param[i];
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T s = fmadd(g, g, sum[i]);
      sum[i] = s;
      param[i] = p + neg_clr * g / (sqrt_(s) + eps);
    });
  }, o.maximize, o.weight_decay != 0);
}

template <typename T>
void rmsprop(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, int64_t n,
             const RMSpropOptions& o) {
  const T wd = T(o.weight_decay), alpha = T(o.alpha), one_minus_alpha = T(1.0 - o.alpha);
  T wa, wam1;
  bool small;
  Lerp::coeffs(1.0 - o.alpha, wa, wam1, small);
  const T eps = T(o.eps), mom = T(o.momentum), neg_lr = T(-o.lr);
  with_flags([&](auto MAX, auto L2, auto CENTERED, auto MOM) {
    for_range(n, [&](int64_t i) {
      const T p = param[i];
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T sq = fmadd(one_minus_alpha * g, g, square_avg[i] * alpha);
      square_avg[i] = sq;
      T avg;
      if constexpr (CENTERED) {
        // sqrt(E[g^2] - E[g]^2)
        const T ga = lerp(grad_avg[i], g, wa, wam1, small);
        grad_avg[i] = ga;
        avg = sqrt_(fmadd(-ga, ga, sq));
      } else {
        avg = sqrt_(sq);
      }
      avg = avg + eps;
      if constexpr (MOM) {
        const T b = buf[i] * mom + g / avg;
        buf[i] = b;
        param[i] = fmadd(b, neg_lr, p);
      } else {
        param[i] = p + neg_lr * g / avg;
      }
    });
  }, o.maximize, o.weight_decay != 0, o.centered, o.momentum > 0);
}

template <typename T>
void adadelta(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n,
              const AdadeltaOptions& o) {
  const T wd = T(o.weight_decay), rho = T(o.rho), one_minus_rho = T(1.0 - o.rho);
  const T eps = T(o.eps), neg_lr = T(-o.lr);
  with_flags([&](auto MAX, auto L2) {
    for_range(n, [&](int64_t i) {
      const T p = param[i];
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T sq = fmadd(one_minus_rho * g, g, square_avg[i] * rho);
      square_avg[i] = sq;
      // delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
      const T delta = sqrt_(acc_delta[i] + eps) / sqrt_(sq + eps) * g;
      acc_delta[i] = fmadd(one_minus_rho * delta, delta, acc_delta[i] * rho);
      param[i] = fmadd(delta, neg_lr, p);
    });
  }, o.maximize, o.weight_decay != 0);
}

template <typename T>
void adamax(T* param, const T* grad, T* exp_avg, T* exp_inf, int64_t n, const AdamaxOptions& o) {
  const T wd = T(o.weight_decay), beta2 = T(o.beta2), eps = T(o.eps);
  T w1, w1m1;
  bool small;
  Lerp::coeffs(1.0 - o.beta1, w1, w1m1, small);
  const T neg_clr = T(-(o.lr / (1.0 - std::pow(o.beta1, o.step))));
  with_flags([&](auto MAX, auto L2) {
    for_range(n, [&](int64_t i) {
      const T p = param[i];
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T m = lerp(exp_avg[i], g, w1, w1m1, small);
      exp_avg[i] = m;
      // u = max(beta2 * u, |g| + eps)
      const T u = nan_max(exp_inf[i] * beta2, (g < 0 ? -g : g) + eps);
      exp_inf[i] = u;
      param[i] = p + neg_clr * m / u;
    });
  }, o.maximize, o.weight_decay != 0);
}

template <typename T>
void nadam(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n, const NAdamOptions& o) {
  const T wd = T(o.weight_decay), decay_factor = T(1.0 - o.lr * o.weight_decay);
  T w1, w1m1;
  bool small;
  Lerp::coeffs(1.0 - o.beta1, w1, w1m1, small);
  const T beta2 = T(o.beta2), one_minus_b2 = T(1.0 - o.beta2);
  const T bc2 = T(1.0 - std::pow(o.beta2, o.step)), eps = T(o.eps);
  // p -= lr (1 - mu_t) / (1 - prod mu) g / denom + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) m / denom
  const T c_grad = T(-o.lr * (1.0 - o.mu) / (1.0 - o.mu_product));
  const T c_avg = T((-o.lr * o.mu_next) / (1.0 - o.mu_product_next));
  with_flags([&](auto MAX, auto L2, auto DECAY) {
    for_range(n, [&](int64_t i) {
      T p = param[i];
      if constexpr (DECAY) p = p * decay_factor;
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T m = lerp(exp_avg[i], g, w1, w1m1, small);
      exp_avg[i] = m;
      const T v = fmadd(one_minus_b2 * g, g, exp_avg_sq[i] * beta2);
      exp_avg_sq[i] = v;
      const T denom = sqrt_(v / bc2) + eps;
      p = p + c_grad * g / denom;
      param[i] = p + c_avg * m / denom;
    });
  }, o.maximize, o.weight_decay != 0 && !o.decoupled_weight_decay,
     o.weight_decay != 0 && o.decoupled_weight_decay);
}

template <typename T>
void radam(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n, const RAdamOptions& o) {
  const T wd = T(o.weight_decay), decay_factor = T(1.0 - o.lr * o.weight_decay);
  T w1, w1m1;
  bool small;
  Lerp::coeffs(1.0 - o.beta1, w1, w1m1, small);
  const T beta2 = T(o.beta2), one_minus_b2 = T(1.0 - o.beta2);
  const double bc1 = 1.0 - std::pow(o.beta1, o.step);
  const double bc2 = 1.0 - std::pow(o.beta2, o.step);
  // Length of the approximated SMA: rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2^t / (1-b2^t);
  // the variance is tractable, and the adaptive (rectified) step used, only when rho_t > 5.
  const double rho_inf = 2 / (1 - o.beta2) - 1;
  const double rho_t = rho_inf - 2 * o.step * std::pow(o.beta2, o.step) / bc2;
  const bool rectify = rho_t > 5.0;
  const double rect = rectify ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf /
                                             ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
                              : 0.0;
  const T bc1_t = T(bc1), lr = T(o.lr), eps = T(o.eps);
  const T bc2_sqrt = T(std::pow(bc2, 0.5)), rect_t = T(rect);
  with_flags([&](auto MAX, auto L2, auto DECAY, auto RECTIFY) {
    for_range(n, [&](int64_t i) {
      T p = param[i];
      if constexpr (DECAY) p = p * decay_factor;
      const T g = effective_grad<MAX, L2>(grad[i], p, wd);
      const T m = lerp(exp_avg[i], g, w1, w1m1, small);
      exp_avg[i] = m;
      const T v = fmadd(one_minus_b2 * g, g, exp_avg_sq[i] * beta2);
      exp_avg_sq[i] = v;
      T update = m / bc1_t * lr;
      // bias_correction2**0.5 / (sqrt(v) + eps) is computed by torch as reciprocal * scalar
      if constexpr (RECTIFY) update = update * (T(1) / (sqrt_(v) + eps) * bc2_sqrt) * rect_t;
      param[i] = p - update;
    });
  }, o.maximize, o.weight_decay != 0 && !o.decoupled_weight_decay,
     o.weight_decay != 0 && o.decoupled_weight_decay, rectify);
}
