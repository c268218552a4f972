// More indexing ops (cpp/src/ops/index_extra.cpp, cpp/src/ops/view_scatter.cpp): reducing scatters,
// index_add/copy/fill/reduce, take/put, repeat_interleave, unique and the *_scatter family.
#pragma once
#include <optional>
#include <string>
#include <tuple>

#include "tg/ops.h"

namespace tg {

// src reduced into a copy of self at index positions along dim; reduce is sum, prod, mean, amax or
// amin; include_self=false leaves self's values at scattered positions out of the reduction.
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self);
// scatter(..., reduce="add"|"multiply") (torch's older form; no gradient, as torch).
Tensor scatter_legacy_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                             const std::string& reduce);
// The index_* family: index is a 1-D (or 0-d) list of positions along dim of self.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha);
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);  // value 0-d
Tensor index_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                    const std::string& reduce, bool include_self);
// Indexing self as if it were 1-D (negative indices wrap).
Tensor take(const Tensor& self, const Tensor& index);
Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate);
// Copies of self's elements where mask is true, in order, replaced by source's leading elements.
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
// Each element (or slice along dim) repeated repeats[i] times; dim=nullopt flattens first.
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
// torch.repeat_interleave(repeats): arange(len(repeats)) repeated by repeats.
Tensor repeat_interleave_counts(const Tensor& repeats, std::optional<int64_t> output_size);
// unique (sorted) or unique_consecutive of the elements (dim=nullopt) or of the slices along dim:
// (values, inverse, counts).
std::tuple<Tensor, Tensor, Tensor> unique_impl(const Tensor& self, std::optional<int64_t> dim, bool consecutive);
// Whether each element of `elements` occurs in `test` (bool, elements' shape).
Tensor isin(const Tensor& elements, const Tensor& test, bool invert);

// ---- strided views and their scatters (cpp/src/ops/view_scatter.cpp) ----
// A view of self's storage; storage_offset defaults to self's own offset.
Tensor as_strided(const Tensor& self, const Shape& size, const Shape& stride, std::optional<int64_t> storage_offset);
// Tensor.unfold: windows of `size` elements every `step` along dimension, as a new last dim (a view).
Tensor unfold(const Tensor& self, int64_t dimension, int64_t size, int64_t step);
// self with the named view's elements replaced by src (src has the view's shape).
Tensor select_scatter(const Tensor& self, const Tensor& src, int64_t dim, int64_t index);
Tensor slice_scatter(const Tensor& self, const Tensor& src, int64_t dim, std::optional<int64_t> start,
                     std::optional<int64_t> end, int64_t step);
Tensor diagonal_scatter(const Tensor& self, const Tensor& src, int64_t offset, int64_t dim1, int64_t dim2);
Tensor as_strided_scatter(const Tensor& self, const Tensor& src, const Shape& size, const Shape& stride,
                          std::optional<int64_t> storage_offset);

}  // namespace tg
