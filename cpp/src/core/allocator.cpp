// Host memory for tensor storage.
//
// Small blocks come from aligned_alloc. Large blocks (>= kLargeBlockBytes) are mapped directly,
// 2 MiB aligned and advised to use transparent huge pages, and a freed large block is kept in a
// bounded cache for the next allocation of about the same size. Without this, every op on a
// 64 MB tensor asks the C library for a fresh mapping (glibc maps anything above 32 MB each time):
// 15,626 page faults and 64 MB of kernel zeroing per op, several times the cost of the op itself.
#include "tg/allocator.h"

#include "tg/alloc_check.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace tg {

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kHugePage = size_t(2) << 20;

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// The mapped size of a large block: whole pages, whole huge pages from 16 MiB (<= 12.5% slack).
size_t large_block_size(size_t nbytes) { return round_up(nbytes, nbytes >= 8 * kHugePage ? kHugePage : kPage); }

void* map_block(size_t bytes) {
  // Over-map by one huge page and trim, so the block starts on a huge-page boundary.
  size_t align = bytes >= kHugePage ? kHugePage : kPage;
  size_t span = bytes + align - kPage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto base = reinterpret_cast<uintptr_t>(raw);
  uintptr_t start = round_up(base, align);
  size_t head = start - base, tail = span - head - bytes;
  if (head) munmap(raw, head);
  if (tail) munmap(reinterpret_cast<void*>(start + bytes), tail);
#ifdef MADV_HUGEPAGE
  if (bytes >= kHugePage) madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(start);
}

int64_t default_cache_limit() {
  int64_t physical = int64_t(sysconf(_SC_PHYS_PAGES)) * int64_t(sysconf(_SC_PAGESIZE));
  int64_t limit = int64_t(1) << 30;
  if (physical > 0 && physical / 8 < limit) limit = physical / 8;
  return limit;
}

// Freed large blocks by size. A block is reused for a request of up to 25% less, so a loop that
// allocates same-shaped temporaries finds its block again; among equal sizes the most recently
// freed block goes first (its lines may still be in cache). Never holds more than `limit`.
struct BlockCache {
  std::mutex mu;
  std::multimap<size_t, void*> blocks;
  int64_t cached = 0, limit = default_cache_limit(), reused = 0, mapped = 0;

  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = blocks.lower_bound(bytes);
    if (it != blocks.end() && it->first <= bytes + bytes / 4) {
      void* p = it->second;
      cached -= int64_t(it->first);
      blocks.erase(it);
      ++reused;
      return p;
    }
    ++mapped;
    return nullptr;
  }
  // Keeps the block if it fits under the limit (evicting the largest cached blocks first).
  bool keep(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu);
    if (int64_t(bytes) > limit / 4) return false;
    while (!blocks.empty() && cached + int64_t(bytes) > limit) evict(std::prev(blocks.end()));
    if (cached + int64_t(bytes) > limit) return false;
    blocks.emplace_hint(blocks.lower_bound(bytes), bytes, p);  // first among equals: reused next
    cached += int64_t(bytes);
    return true;
  }
  void evict(std::multimap<size_t, void*>::iterator it) {
    munmap(it->second, it->first);
    cached -= int64_t(it->first);
    blocks.erase(it);
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu);
    while (!blocks.empty()) evict(blocks.begin());
  }
};

// Never destroyed: tensors may still be freed while the process exits.
BlockCache& cache() {
  static auto* c = new BlockCache();
  return *c;
}

// Blocks up to 4 KiB come from per-thread free lists by power-of-two size class: small tensors are
// created and dropped on every op, and the C library's aligned allocation (which splits a larger
// chunk and frees the remainder) cost more than the op itself. A list keeps at most kListMax
// blocks; a block freed on another thread simply joins that thread's list.
constexpr size_t kSmallMax = 4096;
constexpr int kClasses = 7;  // 64, 128, ..., 4096 bytes
constexpr size_t kListMax = 256;

int small_class(size_t nbytes) {
  int c = 0;
  while ((size_t(64) << c) < nbytes) ++c;
  return c;
}

// Fixed-size lists: freeing never allocates (it runs in destructors).
struct SmallLists {
  void* blocks[kClasses][kListMax];
  size_t count[kClasses] = {};
  ~SmallLists();
};
thread_local bool t_lists_gone = false;  // trivially destructible: readable during thread exit
thread_local SmallLists t_lists;
SmallLists::~SmallLists() {
  t_lists_gone = true;
  for (int c = 0; c < kClasses; ++c)
    for (size_t i = 0; i < count[c]; ++i) std::free(blocks[c][i]);
}

void* allocate_small(size_t nbytes) {
  int c = small_class(nbytes);
  if (!t_lists_gone && t_lists.count[c] > 0) return t_lists.blocks[c][--t_lists.count[c]];
  void* p = std::aligned_alloc(64, size_t(64) << c);
  if (!p) throw std::bad_alloc();
  return p;
}

void free_small(void* p, size_t nbytes) {
  int c = small_class(nbytes);
  if (!t_lists_gone && t_lists.count[c] < kListMax) {
    t_lists.blocks[c][t_lists.count[c]++] = p;
    return;
  }
  std::free(p);
}

}  // namespace

// An AddressSanitizer build (-DTG_SANITIZE=address) takes every block from the C library, so the
// sanitizer sees each allocation and free (pooled or mapped blocks would hide overflows and
// use-after-free from it).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPools = false;
#else
constexpr bool kPools = true;
#endif

void* allocate_bytes(size_t nbytes) {
  check_alloc_bytes(nbytes);  // RuntimeError for more than the machine has
  if (!kPools) {
    void* p = std::aligned_alloc(64, round_up(nbytes == 0 ? 1 : nbytes, 64));
    if (!p) throw std::bad_alloc();
    return p;
  }
  if (nbytes <= kSmallMax) return allocate_small(nbytes);
  if (nbytes < kLargeBlockBytes) {
    void* p = std::aligned_alloc(64, round_up(nbytes, 64));
    if (!p) throw std::bad_alloc();
    return p;
  }
  size_t bytes = large_block_size(nbytes);
  if (void* p = cache().take(bytes)) return p;
  void* p = map_block(bytes);
  if (!p) {  // out of address space or memory: give the cached blocks back and try once more
    cache().clear();
    p = map_block(bytes);
  }
  if (!p) throw std::bad_alloc();
  return p;
}

void free_bytes(void* p, size_t nbytes) {
  if (!p) return;
  if (!kPools) return std::free(p);
  if (nbytes <= kSmallMax) return free_small(p, nbytes);
  if (nbytes < kLargeBlockBytes) return std::free(p);
  size_t bytes = large_block_size(nbytes);
  if (!cache().keep(p, bytes)) munmap(p, bytes);
}

AllocatorStats allocator_stats() {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return {c.cached, c.limit, c.reused, c.mapped};
}

void empty_cache() { cache().clear(); }

void set_cache_limit(int64_t bytes) {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.limit = bytes < 0 ? 0 : bytes;
  while (!c.blocks.empty() && c.cached > c.limit) c.evict(std::prev(c.blocks.end()));
}

}  // namespace tg
