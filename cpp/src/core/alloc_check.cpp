// Size checks before allocations whose size an argument decides (see tg/alloc_check.h).
#include "tg/alloc_check.h"

#include <sys/sysinfo.h>

#include <limits>

#include "tg/error.h"

namespace tg {

namespace {

// RAM + swap in bytes, read once (0 when unknown: then only overflow is checked).
uint64_t machine_memory_bytes() {
  static const uint64_t bytes = [] {
    struct sysinfo info {};
    if (sysinfo(&info) != 0) return uint64_t(0);
    return (uint64_t(info.totalram) + uint64_t(info.totalswap)) * uint64_t(info.mem_unit);
  }();
  return bytes;
}

}  // namespace

void check_alloc_size(int64_t count, size_t item_bytes) {
  TG_CHECK(count >= 0, RuntimeError, "Trying to allocate a negative number of elements: ", count);
  const uint64_t n = static_cast<uint64_t>(count), max = std::numeric_limits<uint64_t>::max();
  TG_CHECK(item_bytes == 0 || n <= max / item_bytes, RuntimeError,
           "Storage size calculation overflowed: ", count, " elements of ", item_bytes, " bytes");
  check_alloc_bytes(n * item_bytes);
}

void check_alloc_bytes(uint64_t bytes) {
  const uint64_t memory = machine_memory_bytes();
  TG_CHECK(memory == 0 || bytes <= memory, RuntimeError,
           "DefaultCPUAllocator: can't allocate memory: you tried to allocate ", bytes,
           " bytes (this machine has ", memory, " bytes of memory)");
}

int64_t checked_product(std::initializer_list<int64_t> sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    TG_CHECK(s >= 0, RuntimeError, "Trying to create tensor with negative dimension ", s);
    TG_CHECK(s == 0 || n <= std::numeric_limits<int64_t>::max() / s, RuntimeError,
             "Storage size calculation overflowed: a product of sizes exceeds int64");
    n *= s;
  }
  return n;
}

}  // namespace tg
