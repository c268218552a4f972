// Thread-count control and a parallel-for over index ranges (OpenMP when available).
#pragma once
#include <cstdint>
#include <algorithm>
#ifdef TG_OPENMP
#include <omp.h>
#endif

namespace tg {

int get_num_threads();
void set_num_threads(int n);
// Work below this many elements runs on one thread (tuned by benchmarks/).
constexpr int64_t kGrainSize = 32768;

// Calls f(begin, end) on disjoint chunks of [0, n); parallel when n >= grain.
template <typename F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
#ifdef TG_OPENMP
  int threads = get_num_threads();
  if (threads > 1 && n >= grain && !omp_in_parallel()) {
    int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast<int>(chunks))
    {
      int64_t t = omp_get_thread_num();
      int64_t per = (n + chunks - 1) / chunks;
      int64_t b = t * per, e = std::min(n, b + per);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  f(0, n);
}

}  // namespace tg
