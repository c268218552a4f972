// Thread-count control, the cost model that decides how many threads a loop gets, and parallel
// loops over index ranges (OpenMP when available).
#pragma once
#include <algorithm>
#include <cstdint>
#ifdef TG_OPENMP
#include <omp.h>
#endif

namespace tg {

int get_num_threads();  // the user's setting (tg.set_num_threads)
void set_num_threads(int n);
// CPUs this process may run on (its affinity mask).
int hardware_threads();
// Threads a parallel loop may use: the setting, capped at hardware_threads(): more threads than
// CPUs only time-slice, and a descheduled thread stalls every join and barrier. Tests lift the cap
// (set_allow_oversubscription) to run the partitions of 7 threads on a 2-CPU machine.
int usable_threads();
void set_allow_oversubscription(bool allow);

// Element operations of a simple loop (an add, a copy) that pay for waking one more thread.
constexpr int64_t kGrainSize = 32768;

// The cost model every parallel loop goes through: `units` of work of which each thread must get at
// least `grain` -> clamp(units / grain, 1, usable_threads()); 1 inside a parallel region. A thread
// count only grows once each thread's share pays for its wake-up, so an op never gets slower
// because more threads are available.
inline int plan_threads(int64_t units, int64_t grain) {
#ifdef TG_OPENMP
  if (omp_in_parallel()) return 1;
#endif
  const int64_t most = usable_threads();
  if (most <= 1 || units < 2 * std::max<int64_t>(grain, 1)) return 1;
  return static_cast<int>(std::min(most, units / std::max<int64_t>(grain, 1)));
}

// The grain, in rows, of a loop over rows of `row_len` elements each.
inline int64_t rows_grain(int64_t row_len) {
  return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(row_len, 1));
}

// Calls f(begin, end) on disjoint chunks of [0, n), one per thread of plan_threads(n, grain).
template <typename F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
#ifdef TG_OPENMP
  const int threads = plan_threads(n, grain);
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
      const int64_t per = (n + team - 1) / team;
      const int64_t b = t * per, e = std::min(n, b + per);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  f(0, n);
}

// Runs f(thread_index, team_size) on a team of `threads` threads (the runtime may give fewer: f
// must split its work by team_size), for algorithms that synchronise inside with team_barrier().
template <typename F>
void parallel_team(int threads, const F& f) {
#ifdef TG_OPENMP
  if (threads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(threads)
    f(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  f(0, 1);
}

// Waits until every thread of the enclosing parallel_team has arrived.
inline void team_barrier() {
#ifdef TG_OPENMP
#pragma omp barrier
#endif
}

}  // namespace tg
