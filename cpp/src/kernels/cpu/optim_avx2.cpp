// The optimizer loops of optim_loops.h compiled with -mavx2 -mfma (see CMakeLists.txt); optim.cpp
// calls them when the CPU has both.
#include <cmath>
#include <type_traits>

#include "tg/optim_kernels.h"
#include "tg/parallel.h"

#ifdef TG_OPTIM_AVX2
#if !defined(__AVX2__) || !defined(__FMA__)
#error "optim_avx2.cpp must be compiled with -mavx2 -mfma"
#endif

namespace tg::optim::avx2 {
#include "kernels/cpu/optim_loops.h"

#define TG_OPTIM_INSTANTIATE(T)                                                   \
  template void sgd<T>(T*, const T*, T*, int64_t, const SGDOptions&, bool);       \
  template void adam<T>(T*, const T*, T*, T*, T*, int64_t, const AdamOptions&);   \
  template void adagrad<T>(T*, const T*, T*, int64_t, const AdagradOptions&);     \
  template void rmsprop<T>(T*, const T*, T*, T*, T*, int64_t, const RMSpropOptions&); \
  template void adadelta<T>(T*, const T*, T*, T*, int64_t, const AdadeltaOptions&);   \
  template void adamax<T>(T*, const T*, T*, T*, int64_t, const AdamaxOptions&);   \
  template void nadam<T>(T*, const T*, T*, T*, int64_t, const NAdamOptions&);     \
  template void radam<T>(T*, const T*, T*, T*, int64_t, const RAdamOptions&);
TG_OPTIM_INSTANTIATE(float)
TG_OPTIM_INSTANTIATE(double)
#undef TG_OPTIM_INSTANTIATE
}  // namespace tg::optim::avx2
#endif
