// Products built from mm/bmm/mul and views: addmv, addr, addbmm, baddbmm, kron, cross,
// tensordot, inner, multi_dot. Autograd flows through the ops they are made of.
#include <algorithm>

#include "tg/autocast.h"
#include "tg/ops_extra.h"

namespace tg {

namespace {

bool is_one(const Scalar& s) { return s.f == 1.0 && s.i == 1; }
bool is_zero(const Scalar& s) { return s.f == 0.0 && s.i == 0; }

// beta * input + alpha * product, with torch's rules: input broadcasts to the product's shape
// (never the other way), and beta = 0 ignores input's values (NaN included).
Tensor scaled_sum(const Tensor& input, const Tensor& product, Scalar beta, Scalar alpha, const char* op) {
  Shape bs = broadcast_shapes(input->shape, product->shape, op);
  TG_CHECK(bs == product->shape, RuntimeError, "The expanded size of the tensor (", shape_str(product->shape),
           ") must match the existing size ", shape_str(input->shape), " in ", op);
  TG_CHECK(input->dtype == product->dtype, RuntimeError, op, ": expected input and the product to have the same dtype, but got ",
           scalar_type_name(input->dtype), " and ", scalar_type_name(product->dtype));
  if (!is_floating(input->dtype)) {  // integer tensors: torch truncates a float beta or alpha toward zero
    beta = Scalar(beta.to<int64_t>());
    alpha = Scalar(alpha.to<int64_t>());
  }
  Tensor p = is_one(alpha) ? product : mul(product, alpha);
  // beta = 0: the value is the product's, and input's gradient zeros (a where that never picks it).
  if (is_zero(beta)) return where(full(product->shape, Scalar(true), DType::Bool), p, input);
  Tensor i = is_one(beta) ? input : mul(input, beta);
  return add(i, p);
}

void check_dims(const Tensor& t, int64_t nd, const char* op, const char* what) {
  TG_CHECK(t->dim() == nd, RuntimeError, op, ": ", what, " must be a ", nd, "-D tensor, got ", t->dim(), "-D");
}

}  // namespace

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, Scalar beta, Scalar alpha) {
  check_dims(mat, 2, "addmv", "mat");
  check_dims(vec, 1, "addmv", "vec");
  return scaled_sum(input, mv(mat, vec), beta, alpha, "addmv");
}

Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, Scalar beta, Scalar alpha) {
  check_dims(vec1, 1, "addr", "vec1");
  check_dims(vec2, 1, "addr", "vec2");
  if (!is_floating(input->dtype)) {  // unlike addmv and the batched forms, addr refuses a float scalar
    TG_CHECK(beta.kind != Kind::Float, RuntimeError,
             "For integral input tensors, argument beta must not be a floating point number.");
    TG_CHECK(alpha.kind != Kind::Float, RuntimeError,
             "For integral input tensors, argument alpha must not be a floating point number.");
  }
  return scaled_sum(input, outer(vec1, vec2), beta, alpha, "addr");
}

Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  check_dims(b1, 3, "addbmm", "batch1");
  check_dims(b2, 3, "addbmm", "batch2");
  return scaled_sum(autocast_lower(input), sum(bmm(b1, b2), {0}, false), beta, alpha, "addbmm");
}

Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  check_dims(b1, 3, "baddbmm", "batch1");
  check_dims(b2, 3, "baddbmm", "batch2");
  return scaled_sum(autocast_lower(input), bmm(b1, b2), beta, alpha, "baddbmm");
}

// kron: with both padded to the same rank, out[i*Bs + j] = a[i] * b[j] in every dim; interleave
// a's and b's dims as (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) and merge each pair.
Tensor kron(const Tensor& a, const Tensor& b) {
  int64_t nd = std::max(a->dim(), b->dim());
  Shape as(nd, 1), bs(nd, 1);
  std::copy(a->shape.begin(), a->shape.end(), as.begin() + (nd - a->dim()));
  std::copy(b->shape.begin(), b->shape.end(), bs.begin() + (nd - b->dim()));
  Shape ai, bi, out;
  for (int64_t d = 0; d < nd; ++d) {
    ai.insert(ai.end(), {as[d], 1});
    bi.insert(bi.end(), {1, bs[d]});
    out.push_back(as[d] * bs[d]);
  }
  return reshape(mul(reshape(a, ai), reshape(b, bi)), out);
}

Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  TG_CHECK(a->dim() == b->dim(), RuntimeError, "linalg.cross: inputs must have the same number of dimensions.");
  Shape shape = broadcast_shapes(a->shape, b->shape, "linalg.cross");
  TG_CHECK(!shape.empty(), IndexError, "linalg.cross: Dimension specified as ", dim.value_or(-1),
           " but tensor has no dimensions");
  int64_t d;
  if (dim) {
    d = wrap_dim(*dim, static_cast<int64_t>(shape.size()), "linalg.cross");
  } else {
    auto it = std::find(shape.begin(), shape.end(), 3);
    TG_CHECK(it != shape.end(), RuntimeError, "no dimension of size 3 in input");
    d = it - shape.begin();
  }
  TG_CHECK(a->shape[d] == 3 && b->shape[d] == 3, RuntimeError, "linalg.cross: inputs dimension ", d,
           " must have length 3. Got ", a->shape[d], " and ", b->shape[d]);
  Tensor x = expand(a, shape), y = expand(b, shape);
  auto at = [d](const Tensor& t, int64_t i) { return select(t, d, i); };
  auto comp = [&](int64_t i, int64_t j) { return sub(mul(at(x, i), at(y, j)), mul(at(x, j), at(y, i))); };
  return stack({comp(1, 2), comp(2, 0), comp(0, 1)}, d);
}

Tensor tensordot(const Tensor& a_in, const Tensor& b_in, const Shape& dims_a, const Shape& dims_b) {
  TG_CHECK(dims_a.size() == dims_b.size(), RuntimeError, "both dimension lists should have same length");
  Tensor a = a_in, b = b_in;
  std::vector<bool> ca(a->dim(), false), cb(b->dim(), false);
  Shape da, db;
  int64_t k = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    int64_t x = wrap_dim(dims_a[i], a->dim(), "tensordot"), y = wrap_dim(dims_b[i], b->dim(), "tensordot");
    TG_CHECK(!ca[x] && !cb[y], RuntimeError, "tensordot: a dim appears twice in dims");
    // as torch: a contracted dim of size 1 on one side broadcasts, so the other side is summed over it
    if (a->shape[x] != b->shape[y] && a->shape[x] == 1) b = sum(b, {y}, true, b->dtype);
    else if (a->shape[x] != b->shape[y] && b->shape[y] == 1) a = sum(a, {x}, true, a->dtype);
    TG_CHECK(a->shape[x] == b->shape[y], RuntimeError, "contracted dimensions need to match, but first has size ",
             a->shape[x], " in dim ", x, " and second has size ", b->shape[y], " in dim ", y);
    ca[x] = cb[y] = true;
    da.push_back(x);
    db.push_back(y);
    k *= a->shape[x];
  }
  Shape pa, pb, out;
  int64_t fa = 1, fb = 1;
  for (int64_t i = 0; i < a->dim(); ++i)
    if (!ca[i]) pa.push_back(i), out.push_back(a->shape[i]), fa *= a->shape[i];
  pa.insert(pa.end(), da.begin(), da.end());
  pb = db;
  for (int64_t i = 0; i < b->dim(); ++i)
    if (!cb[i]) pb.push_back(i), out.push_back(b->shape[i]), fb *= b->shape[i];
  Tensor m = mm(reshape(permute(a, pa), {fa, k}), reshape(permute(b, pb), {k, fb}));
  return reshape(m, out);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  TG_CHECK(dims >= 0, RuntimeError, "tensordot expects dims >= 0, but got dims=", dims);
  TG_CHECK(dims <= a->dim() && dims <= b->dim(), RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=", dims);
  Shape da, db;
  for (int64_t i = 0; i < dims; ++i) da.push_back(a->dim() - dims + i), db.push_back(i);
  return tensordot(a, b, da, db);
}

Tensor inner(const Tensor& a, const Tensor& b) {
  if (a->dim() == 0 || b->dim() == 0) return mul(a, b);
  TG_CHECK(a->shape.back() == b->shape.back(), RuntimeError, "inner() the last dimension must match on both input tensors but got shapes ",
           shape_str(a->shape), " and ", shape_str(b->shape));
  return tensordot(a, b, {-1}, {-1});
}

// Left to right (torch picks the cheapest order; the values agree up to rounding). A 1-D first
// operand is a row vector and a 1-D last one a column vector; those dims are dropped at the end.
Tensor multi_dot(const std::vector<Tensor>& tensors, const char* op) {
  size_t n = tensors.size();
  TG_CHECK(n >= 1, RuntimeError, op, "(): expected at least 1 tensor but got 0");
  if (n == 1) {
    TG_CHECK(tensors[0], TypeError, op, "(): expected Tensor as element 0 in argument 0, but got NoneType");
    TG_CHECK(std::string(op) == "chain_matmul", RuntimeError, op, "(): expected at least 2 tensors but got 1");
    check_dims(tensors[0], 2, op, "tensor 0");
    return clone(tensors[0]);
  }
  for (size_t i = 0; i < n; ++i)
    TG_CHECK(tensors[i], TypeError, op, "(): expected Tensor as element ", i, " in argument 0, but got NoneType");
  bool row = tensors[0]->dim() == 1, col = tensors[n - 1]->dim() == 1;
  for (size_t i = 0; i < n; ++i) {
    bool end = i == 0 || i == n - 1;
    int64_t nd = tensors[i]->dim();
    TG_CHECK(nd == 2 || (end && nd == 1 && std::string(op) != "chain_matmul"), RuntimeError, op, "(): tensor ", i,
             " must be 2D", end ? " or 1D" : "", " but got ", nd, "D");
    TG_CHECK(tensors[i]->dtype == tensors[0]->dtype, RuntimeError, op, "(): all tensors must have be the same dtype but tensor 0 is ",
             scalar_type_name(tensors[0]->dtype), " and tensor ", i, " ", scalar_type_name(tensors[i]->dtype));
  }
  Tensor acc = row ? unsqueeze(tensors[0], 0) : tensors[0];
  for (size_t i = 1; i < n; ++i) {
    Tensor t = (i == n - 1 && col) ? unsqueeze(tensors[i], 1) : tensors[i];
    TG_CHECK(acc->shape[1] == t->shape[0], RuntimeError, op, "(): tensors ", i - 1, " and ", i,
             " with shapes ", shape_str(tensors[i - 1]->shape), " and ", shape_str(tensors[i]->shape), " cannot be multiplied");
    acc = mm(acc, t);
  }
  if (col) acc = squeeze(acc, 1);
  if (row) acc = squeeze(acc, 0);
  return acc;
}

}  // namespace tg
