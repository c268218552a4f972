// Fused optimizer update loops over raw contiguous float/double buffers (torch's single-tensor rules).
#pragma once
#include <cstdint>

// Every kernel updates `n` elements in place, element by element, repeating the exact sequence of
// roundings that torch's for-loop implementation performs one whole-tensor op at a time: each scalar
// hyperparameter is first rounded to T (as torch casts a Python scalar to the tensor dtype), then each
// intermediate result is rounded to T. Scalars that torch computes in Python (bias corrections, step
// sizes) are computed here in double by the same formulas. Large buffers are split with parallel_for.
namespace tg::optim {

struct SGDOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// momentum_buf is null when momentum == 0. first_step: the buffer is uninitialised and is set to the
// (decayed) gradient, as torch does with `buf = grad.clone()`.
template <typename T>
void sgd_update(T* param, const T* grad, T* momentum_buf, int64_t n, const SGDOptions& o,
                bool first_step);

struct AdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled_weight_decay;  // decoupled: AdamW
  double step;  // the step count after this step's increment (1 on the first step)
};
template <typename T>
void adam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                 const AdamOptions& o);

struct AdagradOptions {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
  double step;
};
template <typename T>
void adagrad_update(T* param, const T* grad, T* sum, int64_t n, const AdagradOptions& o);

struct RMSpropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
// grad_avg is null unless centered; momentum_buf is null unless momentum > 0.
template <typename T>
void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buf,
                    int64_t n, const RMSpropOptions& o);

struct AdadeltaOptions {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
template <typename T>
void adadelta_update(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n,
                     const AdadeltaOptions& o);

struct AdamaxOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize;
  double step;
};
template <typename T>
void adamax_update(T* param, const T* grad, T* exp_avg, T* exp_inf, int64_t n,
                   const AdamaxOptions& o);

struct NAdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize, decoupled_weight_decay;
  double step;
  double mu, mu_next;          // momentum schedule values for this and the next step
  double mu_product;           // prod of mu up to this step (as stored, e.g. float32-rounded)
  double mu_product_next;      // mu_product * mu_next
};
template <typename T>
void nadam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n,
                  const NAdamOptions& o);

struct RAdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize, decoupled_weight_decay;
  double step;
};
template <typename T>
void radam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n,
                  const RAdamOptions& o);

}  // namespace tg::optim
