// Data-cache sizes of the CPU, for choosing GEMM block sizes.
#pragma once
#include <cstdint>

namespace tg {

struct CacheSizes {
  int64_t l1d = 0;        // bytes, per core
  int64_t l2 = 0;         // bytes, per core (shared by the core's hardware threads)
  int64_t l3 = 0;         // bytes, per L3 instance (0 when there is none)
  int l3_sharing = 0;     // logical CPUs sharing one L3 instance (0 when unknown)
  const char* source = "";  // "cpuid", "sysconf" or "default"
};

// Read once from CPUID (leaf 4 on Intel, 0x8000001D on AMD), else from sysconf, else the
// Zen 5 values the GEMM blocks were first tuned on (48 KiB, 1 MiB, 32 MiB).
const CacheSizes& cache_sizes();

}  // namespace tg
