// Sizes that arguments decide (factory shapes, histc bins, bincount lengths, pool and interpolate
// output sizes, pads, repeats) are checked before anything is allocated for them. A request larger
// than the machine's memory raises torch's RuntimeError ("can't allocate memory") instead of
// reaching the allocator: under AddressSanitizer, operator new aborts the process on such requests
// (it cannot return null and does not throw), where a release build would throw std::bad_alloc.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace tg {

// Throws torch's RuntimeError when `bytes` exceeds the machine's memory (RAM + swap).
void check_alloc_bytes(uint64_t bytes);

// Throws RuntimeError when `count` items of `item_bytes` bytes are negative, overflow, or exceed
// the machine's memory (RAM + swap): no allocation that large can succeed.
void check_alloc_size(int64_t count, size_t item_bytes);

// The product of sizes (elements of an output, entries of a table), RuntimeError on a negative
// factor or on overflow of int64.
int64_t checked_product(std::initializer_list<int64_t> sizes);

// A std::vector of n copies of `value`, its size checked first (n comes from an argument).
template <typename T>
std::vector<T> checked_vector(int64_t n, const T& value = T()) {
  check_alloc_size(n, sizeof(T));
  return std::vector<T>(static_cast<size_t>(n), value);
}

}  // namespace tg
