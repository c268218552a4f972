// Cache-size detection: CPUID's deterministic cache parameters, sysconf as a fallback.
#include "tg/cpu_caches.h"

#include <unistd.h>

#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace tg {
namespace {

constexpr int64_t kDefaultL1 = 48 << 10, kDefaultL2 = 1 << 20, kDefaultL3 = 32 << 20;

#if defined(__x86_64__) || defined(__i386__)
// Walks the sub-leaves of `leaf` (4 on Intel, 0x8000001D on AMD; both use the same layout:
// EAX[4:0] type (0 = no more caches, 1 = data, 3 = unified), EAX[7:5] level, EAX[25:14]
// logical CPUs sharing it minus 1; EBX ways-1 / partitions-1 / line-1; ECX sets-1).
bool from_cpuid(unsigned leaf, CacheSizes& out) {
  unsigned a, b, c, d;
  if (!__get_cpuid(leaf & 0x80000000u, &a, &b, &c, &d) || a < leaf) return false;
  bool any = false;
  for (unsigned sub = 0; sub < 16; ++sub) {
    __cpuid_count(leaf, sub, a, b, c, d);
    const unsigned type = a & 0x1f, level = (a >> 5) & 0x7;
    if (type == 0) break;
    if (type != 1 && type != 3) continue;  // skip instruction caches
    const int64_t ways = ((b >> 22) & 0x3ff) + 1, parts = ((b >> 12) & 0x3ff) + 1;
    const int64_t line = (b & 0xfff) + 1, sets = int64_t(c) + 1;
    const int64_t bytes = ways * parts * line * sets;
    if (level == 1) out.l1d = bytes;
    else if (level == 2) out.l2 = bytes;
    else if (level == 3) out.l3 = bytes, out.l3_sharing = int(((a >> 14) & 0xfff) + 1);
    any = true;
  }
  return any && out.l1d > 0 && out.l2 > 0;
}

bool is_amd() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4), std::memcpy(vendor + 4, &d, 4), std::memcpy(vendor + 8, &c, 4);
  return std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0;
}
#endif

CacheSizes detect() {
  CacheSizes s;
#if defined(__x86_64__) || defined(__i386__)
  if (from_cpuid(is_amd() ? 0x8000001Du : 4u, s)) {
    s.source = "cpuid";
    return s;
  }
  s = CacheSizes{};
#endif
#ifdef _SC_LEVEL1_DCACHE_SIZE
  const long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l1 > 0 && l2 > 0) {
    s.l1d = l1, s.l2 = l2, s.l3 = l3 > 0 ? l3 : 0, s.source = "sysconf";
    return s;
  }
#endif
  s.l1d = kDefaultL1, s.l2 = kDefaultL2, s.l3 = kDefaultL3, s.source = "default";
  return s;
}

}  // namespace

const CacheSizes& cache_sizes() {
  static const CacheSizes sizes = detect();
  return sizes;
}

}  // namespace tg
