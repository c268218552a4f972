// Run-time CPU feature detection for choosing ISA-specific kernels.
#pragma once

namespace tg {

// Ordered: a level implies every level below it.
enum class CpuLevel { Baseline = 0, AVX2 = 1, AVX512 = 2 };

// The level kernels should use: the best the CPU supports (AVX2 needs avx2+fma,
// AVX512 needs avx512f; both need f16c), lowered by the environment variable TG_CPU_LEVEL
// ("baseline", "avx2", "avx512") but never raised above what was detected.
// Computed once and cached.
CpuLevel cpu_level();

// "baseline", "avx2" or "avx512".
const char* cpu_level_name(CpuLevel level);

}  // namespace tg
