// Host memory for tensor storage: 64-byte aligned blocks. Small blocks are recycled through
// per-thread free lists, large ones are backed by transparent huge pages and recycled through a
// bounded cache (see allocator.cpp for why); an AddressSanitizer build uses the C library only.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

// Blocks of at least this many bytes take the large-block path.
constexpr size_t kLargeBlockBytes = size_t(1) << 20;

// Never returns null: RuntimeError (tg/alloc_check.h) for more than the machine has, else std::bad_alloc.
void* allocate_bytes(size_t nbytes);
void free_bytes(void* p, size_t nbytes);    // nbytes: what was passed to allocate_bytes

struct AllocatorStats {
  int64_t cached_bytes;   // freed large blocks kept for reuse
  int64_t cache_limit;    // the most the cache keeps
  int64_t reused;         // large allocations served from the cache
  int64_t mapped;         // large allocations that mapped fresh memory
};
AllocatorStats allocator_stats();
void empty_cache();           // returns every cached block to the system
void set_cache_limit(int64_t bytes);

}  // namespace tg
