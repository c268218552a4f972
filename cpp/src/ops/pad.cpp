// Reflect, replicate and circular padding of the last 1-3 dims, forward and backward together.
// Every output position along a padded dim reads one input position (an index table per dim), so
// the forward is a gather and its backward the matching scatter-add; each records the other.
#include <algorithm>
#include <memory>

#include "reduced_float.h"
#include "tg/alloc_check.h"
#include "tg/nn_layers.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// Source index of each output position, per padded dim (outermost first).
using IndexMaps = std::shared_ptr<const std::vector<std::vector<int64_t>>>;

// Output position o of a dim of `size` padded by (l, r) reads input position map(o). Reflect and
// replicate index from the padded origin (negative pads crop what that mapping covers); circular first
// crops by the negative pads and then wraps around what is left, as torch.
std::vector<int64_t> source_index(int64_t size, int64_t l, int64_t r, const std::string& mode) {
  std::vector<int64_t> m = checked_vector<int64_t>(size + l + r);
  int64_t crop_l = std::max<int64_t>(-l, 0), kept = size - crop_l - std::max<int64_t>(-r, 0);
  for (int64_t o = 0; o < static_cast<int64_t>(m.size()); ++o) {
    int64_t i = o - l;
    if (mode == "reflect") {
      if (i < 0) i = -i;
      if (i >= size) i = 2 * (size - 1) - i;
    } else if (mode == "replicate") {
      i = std::clamp<int64_t>(i, 0, size - 1);
    } else {
      int64_t j = o - std::max<int64_t>(l, 0);
      i = crop_l + ((j % kept) + kept) % kept;
    }
    m[o] = i;
  }
  return m;
}

// The input as [B, d0, d1, d2] with the padded dims last (missing dims have size 1).
struct PadGeom {
  int64_t B = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
};

PadGeom pad_geom(const Shape& in_shape, const IndexMaps& maps) {
  PadGeom g;
  int64_t k = static_cast<int64_t>(maps->size()), nd = static_cast<int64_t>(in_shape.size());
  for (int64_t d = 0; d < nd - k; ++d) g.B *= in_shape[d];
  for (int64_t j = 0; j < k; ++j) {
    g.in[3 - k + j] = in_shape[nd - k + j];
    g.out[3 - k + j] = static_cast<int64_t>((*maps)[j].size());
  }
  return g;
}

// The table of dim j of the [d0, d1, d2] view (identity of length 1 for a missing dim).
const int64_t* table(const IndexMaps& maps, int64_t j, const int64_t* zero) {
  int64_t k = static_cast<int64_t>(maps->size());
  return j < 3 - k ? zero : (*maps)[j - (3 - k)].data();
}

Tensor pad_scatter(const Tensor& g, const IndexMaps& maps, const Shape& in_shape);

Tensor pad_gather(const Tensor& x, const IndexMaps& maps) {
  Shape out_shape = x->shape;
  int64_t k = static_cast<int64_t>(maps->size());
  for (int64_t j = 0; j < k; ++j) out_shape[x->dim() - k + j] = static_cast<int64_t>((*maps)[j].size());
  Tensor xc = contiguous(detach(x));
  Tensor y = empty(out_shape, x->dtype);
  PadGeom g = pad_geom(x->shape, maps);
  const int64_t zero = 0;
  const int64_t *m0 = table(maps, 0, &zero), *m1 = table(maps, 1, &zero), *m2 = table(maps, 2, &zero);
  int64_t plane_out = g.out[0] * g.out[1] * g.out[2], plane_in = g.in[0] * g.in[1] * g.in[2];
  dispatch_all(x->dtype, [&](auto tag) {  // a copy: every dtype natively
    using T = decltype(tag);
    const T* src = xc->data<T>();
    T* dst = y->data<T>();
    parallel_for(g.B * g.out[0] * g.out[1], std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.out[2])),
                 [&](int64_t b0, int64_t b1) {
      for (int64_t row = b0; row < b1; ++row) {
        int64_t b = row / (g.out[0] * g.out[1]), o0 = (row / g.out[1]) % g.out[0], o1 = row % g.out[1];
        const T* s = src + b * plane_in + (m0[o0] * g.in[1] + m1[o1]) * g.in[2];
        T* d = dst + b * plane_out + (o0 * g.out[1] + o1) * g.out[2];
        for (int64_t o2 = 0; o2 < g.out[2]; ++o2) d[o2] = s[m2[o2]];
      }
    });
  });
  record("ReflectionPadBackward0", {x}, {y}, [&] {
    Shape in_shape = x->shape;
    return BackwardFn([maps, in_shape](const Grads& gr) -> Grads { return {pad_scatter(gr[0], maps, in_shape)}; });
  });
  return y;
}

// The adjoint of pad_gather: every output gradient is added to the input position it was read from.
Tensor pad_scatter(const Tensor& gout, const IndexMaps& maps, const Shape& in_shape) {
  if (is_reduced_float(gout->dtype)) return to_dtype(pad_scatter(widen_reduced(gout), maps, in_shape), gout->dtype);
  Tensor gc = contiguous(detach(gout));
  Tensor gin = zeros(in_shape, gout->dtype);
  PadGeom g = pad_geom(in_shape, maps);
  const int64_t zero = 0;
  const int64_t *m0 = table(maps, 0, &zero), *m1 = table(maps, 1, &zero), *m2 = table(maps, 2, &zero);
  int64_t plane_out = g.out[0] * g.out[1] * g.out[2], plane_in = g.in[0] * g.in[1] * g.in[2];
  dispatch_floating(gout->dtype, "pad backward", [&](auto tag) {
    using T = decltype(tag);
    const T* src = gc->data<T>();
    T* dst = gin->data<T>();
    // batches are independent, so threads split them and never write the same element
    parallel_for(g.B, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, plane_out)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
          for (int64_t o1 = 0; o1 < g.out[1]; ++o1) {
            T* d = dst + b * plane_in + (m0[o0] * g.in[1] + m1[o1]) * g.in[2];
            const T* s = src + b * plane_out + (o0 * g.out[1] + o1) * g.out[2];
            for (int64_t o2 = 0; o2 < g.out[2]; ++o2) d[m2[o2]] += s[o2];
          }
    });
  });
  record("ReflectionPadBackwardBackward0", {gout}, {gin}, [&] {
    return BackwardFn([maps](const Grads& gr) -> Grads { return {pad_gather(gr[0], maps)}; });
  });
  return gin;
}

}  // namespace

Tensor pad_nd(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode) {
  TG_CHECK(mode == "reflect" || mode == "replicate" || mode == "circular", ValueError,
           "pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '", mode, "'");
  TG_CHECK(pads.size() % 2 == 0, RuntimeError, "Padding length must be divisible by 2");
  int64_t k = static_cast<int64_t>(pads.size() / 2), nd = x->dim();
  TG_CHECK(k <= nd, RuntimeError, "Padding length should be less than or equal to two times the input dimension "
           "but got padding length ", pads.size(), " and input of dimension ", nd);
  TG_CHECK(k >= 1 && k <= 3 && (nd == k + 1 || nd == k + 2), RuntimeError, "Padding size ", pads.size(),
           " is not supported for ", nd, "D input tensor.");
  auto maps = std::make_shared<std::vector<std::vector<int64_t>>>();
  for (int64_t j = 0; j < k; ++j) {  // padded dims outermost first; pads are given from the last dim
    int64_t d = nd - k + j, size = x->shape[d];
    int64_t l = pads[2 * (k - 1 - j)], r = pads[2 * (k - 1 - j) + 1];
    if (mode == "circular") {
      TG_CHECK(l <= size && r <= size && -l <= size && -r <= size, RuntimeError,
               "Padding value causes wrapping around more than once.");
      TG_CHECK(size + l + r >= 0, RuntimeError, "Negative padding value is resulting in an empty dimension");
      TG_CHECK(size + l + r == 0 || size - std::max<int64_t>(-l, 0) - std::max<int64_t>(-r, 0) > 0, RuntimeError,
               "pad: circular padding of dim ", d, " by (", l, ", ", r, ") crops all of its ", size, " elements");
    } else {
      bool batch_ok = true;  // every dim but a leading batch dim must be non-empty
      for (int64_t e = nd == k + 2 ? 1 : 0; e < nd; ++e) batch_ok = batch_ok && x->shape[e] > 0;
      TG_CHECK(batch_ok, RuntimeError, "Expected ", k + 1, "D or ", k + 2,
               "D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ",
               shape_str(x->shape));
      if (mode == "reflect")
        TG_CHECK(l < size && r < size, RuntimeError, "Argument #", 2 * (k - 1 - j) + 4,
                 ": Padding size should be less than the corresponding input dimension, but got: padding (", l,
                 ", ", r, ") at dimension ", d, " of input ", shape_str(x->shape));
      TG_CHECK(size + l + r > 0, RuntimeError, "input (", size, " at dim ", d, ") is too small. Calculated output "
               "size: ", size + l + r);
    }
    TG_CHECK(size + l + r >= 0, RuntimeError, "pad: the padded size of dim ", d, " would be ", size + l + r,
             " (input shape ", shape_str(x->shape), ", pads ", l, ", ", r, ")");
    maps->push_back(source_index(size, l, r, mode));
  }
  return pad_gather(x, maps);
}

}  // namespace tg::nn
