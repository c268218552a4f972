// Random number generator state (mt19937_64); tg.manual_seed seeds the default one.
#pragma once
#include <cstdint>
#include <mutex>
#include <random>

namespace tg {

struct Generator {
  explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
  void manual_seed(uint64_t s) {
    seed_ = s;
    engine.seed(s);
  }
  uint64_t initial_seed() const { return seed_; }
  std::mt19937_64 engine;
  std::mutex mutex;  // random ops on one generator from several threads take turns

 private:
  uint64_t seed_ = 0;
};

}  // namespace tg
