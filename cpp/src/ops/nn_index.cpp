// Index-style nn ops: embedding (gather rows / scatter-add rows), one_hot, constant padding.
#include <algorithm>

#include "ops/widen.h"
#include "tg/nn.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

Tensor embedding_scatter(const Tensor& g, const Tensor& idx, int64_t num_weights, std::optional<int64_t> pad);

// out[..., :] = W[idx[...], :]; rows whose index is `pad` are zero when zero_pad (the gradient's gather).
Tensor embedding_gather(const Tensor& weight, const Tensor& idx, std::optional<int64_t> pad, bool zero_pad) {
  Tensor W = contiguous(weight);
  int64_t D = W->shape[1], n = idx->numel();
  Shape out_shape = idx->shape;
  out_shape.push_back(D);
  Tensor out = empty(out_shape, W->dtype);
  dispatch_all(W->dtype, [&](auto tag) {  // a copy of rows: every dtype as stored
    using T = decltype(tag);
    const T* w = W->data<T>();
    const int64_t* ix = idx->data<int64_t>();
    T* o = out->data<T>();
    parallel_for(n, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, D)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (zero_pad && pad && ix[i] == *pad) std::fill(o + i * D, o + (i + 1) * D, T(0));
        else std::copy(w + ix[i] * D, w + (ix[i] + 1) * D, o + i * D);
      }
    });
  });
  record(zero_pad ? "EmbeddingDenseBackwardBackward0" : "EmbeddingBackward0", {weight}, {out}, [&] {
    int64_t V = W->shape[0];
    return BackwardFn([idx, V, pad](const Grads& g) -> Grads { return {embedding_scatter(g[0], idx, V, pad)}; });
  });
  return out;
}

// grad_W[v, :] = sum of g rows whose index is v (rows indexed `pad` contribute nothing).
Tensor embedding_scatter(const Tensor& gin, const Tensor& idx, int64_t num_weights, std::optional<int64_t> pad) {
  if (is_reduced_float(gin->dtype))  // summed in float32, rounded once
    return to_dtype(embedding_scatter(widened(gin), idx, num_weights, pad), gin->dtype);
  Tensor g = contiguous(gin);
  int64_t D = g->shape.back(), n = idx->numel();
  Tensor out = zeros({num_weights, D}, g->dtype);
  dispatch_floating(g->dtype, "embedding_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gs = g->data<T>();
    const int64_t* ix = idx->data<int64_t>();
    T* o = out->data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (pad && ix[i] == *pad) continue;
      T* row = o + ix[i] * D;
      for (int64_t k = 0; k < D; ++k) row[k] += gs[i * D + k];
    }
  });
  record("EmbeddingDenseBackward0", {gin}, {out}, [&] {
    return BackwardFn([idx, pad](const Grads& gg) -> Grads { return {embedding_gather(gg[0], idx, pad, true)}; });
  });
  return out;
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  check_same_device("embedding", weight, indices);
  TG_CHECK(weight->dim() == 2, RuntimeError, "embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape ",
           shape_str(weight->shape));
  TG_CHECK(indices->dtype == DType::Int64, RuntimeError, "embedding: expected int64 indices, got ",
           dtype_name(indices->dtype), " tensor of shape ", shape_str(indices->shape));
  Tensor idx = clone(indices);  // owned copy: later in-place edits of `indices` cannot change backward
  int64_t V = weight->shape[0];
  const int64_t* ix = idx->data<int64_t>();
  for (int64_t i = 0, n = idx->numel(); i < n; ++i)
    TG_CHECK(ix[i] >= 0 && ix[i] < V, IndexError, "embedding: index ", ix[i], " is out of range for ", V,
             " embeddings");
  return embedding_gather(weight, idx, padding_idx, false);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  TG_CHECK(indices->dtype == DType::Int64, RuntimeError,
           "one_hot is only applicable to index tensor of dtype int64, got ", dtype_name(indices->dtype));
  Tensor idx = contiguous(indices);
  const int64_t* ix = idx->data<int64_t>();
  int64_t n = idx->numel();
  if (num_classes == -1) {
    TG_CHECK(n > 0, RuntimeError, "one_hot: can not infer total number of classes from empty tensor.");
    num_classes = *std::max_element(ix, ix + n) + 1;
  }
  TG_CHECK(num_classes >= 0, RuntimeError, "one_hot: num_classes should be -1 or non-negative, got ", num_classes);
  for (int64_t i = 0; i < n; ++i) {
    TG_CHECK(ix[i] >= 0, RuntimeError, "one_hot: class values must be non-negative, got ", ix[i]);
    TG_CHECK(ix[i] < num_classes, RuntimeError, "one_hot: class values must be smaller than num_classes (",
             num_classes, "), got ", ix[i]);
  }
  Shape shape = idx->shape;
  shape.push_back(num_classes);
  Tensor out = zeros(shape, DType::Int64);
  int64_t* o = out->data<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * num_classes + ix[i]] = 1;
  return out;
}

Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& pads, Scalar value) {
  TG_CHECK(pads.size() % 2 == 0, ValueError, "pad: padding length must be divisible by 2, got ", pads.size());
  TG_CHECK(static_cast<int64_t>(pads.size() / 2) <= x->dim(), ValueError, "pad: padding length (", pads.size(),
           ") is too large for an input of shape ", shape_str(x->shape));
  Tensor out;
  {
    GradModeGuard no_grad(false);
    Tensor src = x;
    Shape out_shape = x->shape, off(x->dim(), 0);
    for (size_t k = 0; k < pads.size() / 2; ++k) {
      int64_t d = x->dim() - 1 - static_cast<int64_t>(k), l = pads[2 * k], r = pads[2 * k + 1];
      int64_t size = x->shape[d], new_size = size + l + r;
      TG_CHECK(new_size >= 0, RuntimeError, "pad: the padded size of dim ", d, " would be ", new_size,
               " (input shape ", shape_str(x->shape), ", pads ", l, ", ", r, ")");
      // negative pads crop the input before the positive ones are added
      int64_t start = l < 0 ? -l : 0, stop = std::max(start, r < 0 ? size + r : size);
      src = slice(src, d, start, stop, 1);
      out_shape[d] = new_size;
      off[d] = std::max<int64_t>(l, 0);
    }
    out = full(out_shape, value, x->dtype);
    if (src->numel() > 0) {
      int64_t offset = out->offset;
      for (int64_t d = 0; d < x->dim(); ++d) offset += off[d] * out->strides[d];
      copy_into(make_view(out, src->shape, out->strides, offset), src);
    }
  }
  record("ConstantPadNdBackward0", {x}, {out}, [&] {
    std::vector<int64_t> back(pads.size());
    for (size_t i = 0; i < pads.size(); ++i) back[i] = -pads[i];
    return BackwardFn([back](const Grads& g) -> Grads { return {constant_pad(g[0], back, Scalar(0.0))}; });
  });
  return out;
}

}  // namespace tg::nn
