// Process-wide thread count for the CPU kernels.
#include "tg/parallel.h"
#include <thread>

namespace tg {
namespace {
int& thread_setting() {
  static int n = [] {
#ifdef TG_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
  }();
  return n;
}
}  // namespace

int get_num_threads() { return thread_setting(); }
void set_num_threads(int n) { thread_setting() = n < 1 ? 1 : n; }
}  // namespace tg
