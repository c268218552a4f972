// The strided tensor: storage + offset + shape + strides + dtype, views sharing storage.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "tg/device.h"
#include "tg/dtype.h"
#include "tg/error.h"

namespace tg {

using Shape = std::vector<int64_t>;

// A block of 64-byte-aligned memory, or memory owned by someone else (numpy) kept alive by `owner`,
// on `device` (the CPU for all memory this build allocates; CUDA memory comes with issue #16).
struct Storage {
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
  void* data = nullptr;
  size_t nbytes = 0;
  bool owns_data = false;      // allocated by allocate(): freed with the storage
  std::shared_ptr<void> owner;  // wrapped memory: whatever keeps it alive
  Device device;               // the CPU unless set
  static std::shared_ptr<Storage> allocate(size_t nbytes);
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, std::shared_ptr<void> owner);
};

// Bumped by every in-place op; shared by a tensor and its views (not by `.data`).
struct VersionCounter {
  std::atomic<uint64_t> value{0};
};

class TensorImpl;
using Tensor = std::shared_ptr<TensorImpl>;
struct Node;
// A gradient hook: returns a replacement gradient, or nullptr to keep the one given.
using Hook = std::function<Tensor(const Tensor&)>;
// Runs after a leaf's gradient has been accumulated into its .grad (the leaf is passed).
using PostAccumulateHook = std::function<void(const Tensor&)>;

// How a differentiable view was made; decides torch's errors for in-place ops on it.
enum class ViewCreation : uint8_t { Default, NoGradMode, MultiOutput };

// What a differentiable view remembers of its base (as torch's DifferentiableViewMeta). Its own
// shape/strides/offset locate it in the base's storage, so it is as_strided(base) at any time.
struct ViewInfo {
  Tensor base;            // the root base: never itself a view; kept alive by the view
  uint64_t attr_version;  // version when grad_fn was last set; a newer version regenerates it
  ViewCreation creation;
};

struct AutogradMeta {
  bool requires_grad = false;  // for leaves; a non-leaf requires grad through grad_fn
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;  // leaves: the AccumulateGrad sink, held weakly
  bool retains_grad = false;
  std::weak_ptr<TensorImpl> retain_target;  // retain_grad: the tensor whose .grad the hook fills
  std::shared_ptr<bool> retain_hook_alive;  // false once its history moves to another node
  std::vector<Hook> hooks;  // leaves: run before accumulation
  std::vector<PostAccumulateHook> post_accumulate_hooks;  // leaves: run after accumulation
  std::unique_ptr<ViewInfo> view;  // set for differentiable views only
};

// Live TensorImpl count, for leak tests.
int64_t live_tensor_count();

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Shape strides,
             DType dtype, std::shared_ptr<VersionCounter> version);
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

  std::shared_ptr<Storage> storage;
  int64_t offset;  // in elements
  Shape shape;
  Shape strides;  // in elements
  DType dtype;
  std::shared_ptr<VersionCounter> version;
  std::unique_ptr<AutogradMeta> autograd;  // allocated on first use

  int64_t dim() const { return static_cast<int64_t>(shape.size()); }
  const Device& device() const { return storage->device; }
  int64_t numel() const;
  bool is_contiguous() const;
  char* raw() const { return static_cast<char*>(storage->data) + offset * itemsize(dtype); }
  template <typename T>
  T* data() const { return reinterpret_cast<T*>(raw()); }

  // A view also requires grad when its base does.
  bool requires_grad() const;
  bool is_leaf() const { return !grad_fn(); }
  // For a view whose base changed in place since its history was set, first regenerates the
  // history as an AsStridedBackward0 of the base (cpp/src/ops/view_rebase.cpp).
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_view() const { return autograd && autograd->view; }
  AutogradMeta& meta();  // creates the autograd metadata if needed
  void bump_version() { version->value.fetch_add(1, std::memory_order_relaxed); }
};

// Row-major strides for a shape.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);  // throws on overflow or negative sizes
std::string shape_str(const Shape& shape);  // "[2, 3]"
// "[torch.FloatTensor [2, 3]]"-like description used in error messages.
std::string describe(const Tensor& t);
// Wraps a possibly negative dim into [0, ndim); raises IndexError naming `op` when out of range.
// A 0-d tensor accepts dims 0 and -1 unless wrap_scalar is false (ops that index a dim's size or
// stride: torch's "Dimension specified as 0 but tensor has no dimensions").
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op, bool wrap_scalar = true);

// ---- device checks (cpp/src/core/device.cpp) ----
[[noreturn]] void throw_device_mismatch(const char* op, const Device& a, const Device& b);
// Raises torch's RuntimeError ("Expected all tensors to be on the same device, but found at least
// two devices, cpu and cuda:0!") naming `op` unless every tensor lives on one device; null tensors
// (absent optional operands) are skipped. Multi-tensor ops call it at their entry; it costs a
// byte compare per operand.
inline void check_same_device(const char*, const Tensor&) {}
template <typename... Rest>
void check_same_device(const char* op, const Tensor& first, const Tensor& second, const Rest&... rest) {
  if (first && second && first->device() != second->device())
    throw_device_mismatch(op, first->device(), second->device());
  check_same_device(op, first ? first : second, rest...);
}
void check_same_device(const char* op, const std::vector<Tensor>& tensors);

// New tensors.
Tensor empty(const Shape& shape, DType dtype);
// A view of `base`'s storage with other geometry; shares the version counter.
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);
// An alias that shares storage but not autograd history (detach()).
Tensor alias_detached(const Tensor& t, bool share_version = true);

}  // namespace tg
