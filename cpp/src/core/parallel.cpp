// Process-wide thread count for the CPU kernels, and the cap at the CPUs the process may use.
#include "tg/parallel.h"

#include <atomic>

#include "tg/error.h"
#include <thread>

namespace tg {
namespace {
std::atomic<int>& thread_setting() {
  static std::atomic<int> n{[] {
#ifdef TG_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
  }()};
  return n;
}
std::atomic<bool> allow_oversubscription{false};
}  // namespace

int get_num_threads() { return thread_setting().load(std::memory_order_relaxed); }
void set_num_threads(int n) {
  TG_CHECK(n > 0, RuntimeError, "set_num_threads expects a positive integer");
  thread_setting().store(n, std::memory_order_relaxed);
}

int hardware_threads() {
#ifdef TG_OPENMP
  static const int procs = std::max(1, omp_get_num_procs());
#else
  static const int procs = std::max(1u, std::thread::hardware_concurrency());
#endif
  return procs;
}

int usable_threads() {
  const int n = get_num_threads();
  return allow_oversubscription.load(std::memory_order_relaxed) ? n : std::min(n, hardware_threads());
}

void set_allow_oversubscription(bool allow) { allow_oversubscription.store(allow, std::memory_order_relaxed); }

}  // namespace tg
