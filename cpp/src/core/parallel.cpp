// Process-wide thread count for the CPU kernels.
#include "tg/parallel.h"
#include "tg/error.h"
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
void set_num_threads(int n) {
  TG_CHECK(n > 0, RuntimeError, "set_num_threads expects a positive integer");
  thread_setting() = n;
}
}  // namespace tg
