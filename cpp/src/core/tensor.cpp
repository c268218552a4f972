// Storage allocation, TensorImpl bookkeeping and shape helpers.
#include "tg/tensor.h"

#include <cstdlib>
#include <limits>
#include <new>

#include "tg/allocator.h"
#include "tg/autograd.h"

namespace tg {

namespace {
std::atomic<int64_t> g_live_tensors{0};
}
int64_t live_tensor_count() { return g_live_tensors.load(); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
  auto s = std::make_shared<Storage>();
  s->data = allocate_bytes(nbytes);
  s->nbytes = nbytes;
  s->owns_data = true;
  return s;
}

Storage::~Storage() {
  if (owns_data) free_bytes(data, nbytes);
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, std::shared_ptr<void> owner) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->owner = std::move(owner);
  return s;
}

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage_, int64_t offset_, Shape shape_,
                       Shape strides_, DType dtype_, std::shared_ptr<VersionCounter> version_)
    : storage(std::move(storage_)),
      offset(offset_),
      shape(std::move(shape_)),
      strides(std::move(strides_)),
      dtype(dtype_),
      version(std::move(version_)) {
  g_live_tensors.fetch_add(1, std::memory_order_relaxed);
}
TensorImpl::~TensorImpl() { g_live_tensors.fetch_sub(1, std::memory_order_relaxed); }

int64_t TensorImpl::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

bool TensorImpl::is_contiguous() const {
  for (int64_t s : shape)
    if (s == 0) return true;  // no elements: contiguous whatever the strides (torch; numpy gives 0 strides)
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

bool TensorImpl::requires_grad() const {
  if (!autograd) return false;
  return autograd->requires_grad || autograd->grad_fn || (autograd->view && autograd->view->base->requires_grad());
}

const std::shared_ptr<Node>& TensorImpl::grad_fn() const {
  static const std::shared_ptr<Node> none;
  if (!autograd) return none;
  if (autograd->view && autograd->view->attr_version != version->value.load()) refresh_view_grad_fn(*this);
  return autograd->grad_fn;
}

AutogradMeta& TensorImpl::meta() {
  if (!autograd) autograd = std::make_unique<AutogradMeta>();
  return *autograd;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t acc = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    // An empty tensor's sizes can multiply past int64 (zeros(0, 2**62, 2)); the product after the
    // first dim is no stride, so it may overflow (torch gives zeros(2**62, 0, 2) strides (2, 2, 1)).
    if (d > 0 && __builtin_mul_overflow(acc, shape[d] > 0 ? shape[d] : 1, &acc))
      throw RuntimeError("Stride calculation overflowed");
  }
  return st;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) {
    TG_CHECK(s >= 0, RuntimeError, "Trying to create tensor with negative dimension ", s, ": ",
             shape_str(shape));
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s)
      throw RuntimeError(str("the number of elements of shape ", shape_str(shape),
                             " overflows int64"));
    n *= s;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string describe(const Tensor& t) {
  std::string s = str("[tinygrad_ext.", scalar_type_name(t->dtype), "Tensor [");
  for (size_t i = 0; i < t->shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t->shape[i]);
  return s + "]]";
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op, bool wrap_scalar) {
  if (ndim == 0 && !wrap_scalar)
    throw IndexError(str(op, ": Dimension specified as ", dim, " but tensor has no dimensions"));
  int64_t n = ndim == 0 ? 1 : ndim;  // 0-d tensors accept dim 0 and -1, as torch
  if (dim < -n || dim >= n)
    throw IndexError(str(op, ": Dimension out of range (expected to be in range of [", -n, ", ",
                         n - 1, "], but got ", dim, ")"));
  return dim < 0 ? dim + n : dim;
}

Tensor empty(const Shape& shape, DType dtype) {
  int64_t n = shape_numel(shape);
  size_t isz = itemsize(dtype);
  if (n > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(isz))
    throw RuntimeError(str("Storage size calculation overflowed with sizes=", shape_str(shape)));
  auto st = Storage::allocate(static_cast<size_t>(n) * isz);
  return std::make_shared<TensorImpl>(std::move(st), 0, shape, contiguous_strides(shape), dtype,
                                      std::make_shared<VersionCounter>());
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  return std::make_shared<TensorImpl>(base->storage, offset, std::move(shape), std::move(strides),
                                      base->dtype, base->version);
}

Tensor alias_detached(const Tensor& t, bool share_version) {
  return std::make_shared<TensorImpl>(
      t->storage, t->offset, t->shape, t->strides, t->dtype,
      share_version ? t->version : std::make_shared<VersionCounter>());
}

}  // namespace tg
