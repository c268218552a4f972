// CPU optimizer updates: the loops of optim_loops.h compiled generically and for AVX2+FMA, chosen
// once at run time by CPU features (both give the same bits; FMA hardware is just faster).
// CMakeLists.txt compiles this file with -fno-math-errno, which lets GCC vectorise sqrt (no result
// changes: only errno would).
#include "tg/optim_kernels.h"

#include <cmath>
#include <type_traits>

#include "tg/parallel.h"

namespace tg::optim {

namespace generic {
#include "kernels/cpu/optim_loops.h"
}  // namespace generic

#if defined(__x86_64__) && defined(__GNUC__)
#define TG_OPTIM_FMA_CLONE 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "kernels/cpu/optim_loops.h"
}  // namespace avx2
#pragma GCC pop_options
#endif

namespace {
bool use_avx2() {
#ifdef TG_OPTIM_FMA_CLONE
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}
}  // namespace

#ifdef TG_OPTIM_FMA_CLONE
#define TG_OPTIM_DISPATCH(fn, ...) \
  (use_avx2() ? avx2::fn<T>(__VA_ARGS__) : generic::fn<T>(__VA_ARGS__))
#else
#define TG_OPTIM_DISPATCH(fn, ...) generic::fn<T>(__VA_ARGS__)
#endif

template <typename T>
void sgd_update(T* param, const T* grad, T* buf, int64_t n, const SGDOptions& o, bool first_step) {
  TG_OPTIM_DISPATCH(sgd, param, grad, buf, n, o, first_step);
}
template <typename T>
void adam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_sq, int64_t n,
                 const AdamOptions& o) {
  TG_OPTIM_DISPATCH(adam, param, grad, exp_avg, exp_avg_sq, max_sq, n, o);
}
template <typename T>
void adagrad_update(T* param, const T* grad, T* sum, int64_t n, const AdagradOptions& o) {
  TG_OPTIM_DISPATCH(adagrad, param, grad, sum, n, o);
}
template <typename T>
void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, int64_t n,
                    const RMSpropOptions& o) {
  TG_OPTIM_DISPATCH(rmsprop, param, grad, square_avg, grad_avg, buf, n, o);
}
template <typename T>
void adadelta_update(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n,
                     const AdadeltaOptions& o) {
  TG_OPTIM_DISPATCH(adadelta, param, grad, square_avg, acc_delta, n, o);
}
template <typename T>
void adamax_update(T* param, const T* grad, T* exp_avg, T* exp_inf, int64_t n,
                   const AdamaxOptions& o) {
  TG_OPTIM_DISPATCH(adamax, param, grad, exp_avg, exp_inf, n, o);
}
template <typename T>
void nadam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n,
                  const NAdamOptions& o) {
  TG_OPTIM_DISPATCH(nadam, param, grad, exp_avg, exp_avg_sq, n, o);
}
template <typename T>
void radam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n,
                  const RAdamOptions& o) {
  TG_OPTIM_DISPATCH(radam, param, grad, exp_avg, exp_avg_sq, n, o);
}
#undef TG_OPTIM_DISPATCH

#define TG_OPTIM_INSTANTIATE(T)                                                              \
  template void sgd_update<T>(T*, const T*, T*, int64_t, const SGDOptions&, bool);           \
  template void adam_update<T>(T*, const T*, T*, T*, T*, int64_t, const AdamOptions&);       \
  template void adagrad_update<T>(T*, const T*, T*, int64_t, const AdagradOptions&);         \
  template void rmsprop_update<T>(T*, const T*, T*, T*, T*, int64_t, const RMSpropOptions&); \
  template void adadelta_update<T>(T*, const T*, T*, T*, int64_t, const AdadeltaOptions&);   \
  template void adamax_update<T>(T*, const T*, T*, T*, int64_t, const AdamaxOptions&);       \
  template void nadam_update<T>(T*, const T*, T*, T*, int64_t, const NAdamOptions&);         \
  template void radam_update<T>(T*, const T*, T*, T*, int64_t, const RAdamOptions&);
TG_OPTIM_INSTANTIATE(float)
TG_OPTIM_INSTANTIATE(double)
#undef TG_OPTIM_INSTANTIATE

}  // namespace tg::optim
