// CPU level detection via __builtin_cpu_supports, with a TG_CPU_LEVEL override.
#include "tg/cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace tg {
namespace {

CpuLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // F16C (float16 conversions) came with AVX2 on every x86 CPU; checked all the same
  if (!__builtin_cpu_supports("f16c")) return CpuLevel::Baseline;
  if (__builtin_cpu_supports("avx512f")) return CpuLevel::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuLevel::AVX2;
#endif
  return CpuLevel::Baseline;
}

// Applies TG_CPU_LEVEL; unknown values are ignored, higher-than-detected ones clamped.
CpuLevel with_override(CpuLevel detected) {
  const char* env = std::getenv("TG_CPU_LEVEL");
  if (!env) return detected;
  CpuLevel wanted;
  if (std::strcmp(env, "baseline") == 0) wanted = CpuLevel::Baseline;
  else if (std::strcmp(env, "avx2") == 0) wanted = CpuLevel::AVX2;
  else if (std::strcmp(env, "avx512") == 0) wanted = CpuLevel::AVX512;
  else return detected;
  return wanted < detected ? wanted : detected;
}

}  // namespace

CpuLevel cpu_level() {
  static const CpuLevel level = with_override(detect());
  return level;
}

const char* cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::AVX512: return "avx512";
    case CpuLevel::AVX2: return "avx2";
    default: return "baseline";
  }
}

}  // namespace tg
