// Products built from mm/bmm/mul and views: addmv, addr, addbmm, baddbmm, kron, cross,
// tensordot, inner, multi_dot. Autograd flows through the ops they are made of.
#include <algorithm>
#include <functional>
#include <limits>

#include "ops/widen.h"
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
  if (is_integral(input->dtype, false)) {  // torch's integer kernels take the numbers' integer parts
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

// torch's addr kernel: (beta * input) + (alpha * vec1[i]) * vec2[j] elementwise, with beta and alpha
// in the vectors' dtype and each step rounded to it (float16/bfloat16 too); for bool,
// (beta and input) or (alpha and vec1[i] and vec2[j]).
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, Scalar beta, Scalar alpha) {
  check_dims(vec1, 1, "addr", "vec1");
  check_dims(vec2, 1, "addr", "vec2");
  const DType dt = promote(promote(input->dtype, vec1->dtype), vec2->dtype);  // torch's common dtype
  for (auto [s, name] : {std::pair<const Scalar&, const char*>{beta, "beta"}, {alpha, "alpha"}}) {
    TG_CHECK(!is_integral(dt, true) || s.kind != Kind::Float, RuntimeError, "For integral input tensors, argument ",
             name, " must not be a floating point number.");
    TG_CHECK(dt == DType::Bool || s.kind != Kind::Bool, RuntimeError, "Boolean ", name,
             " only supported for Boolean results.");
  }
  Tensor col = unsqueeze(vec1, 1), row = unsqueeze(vec2, 0);
  const Scalar one(int64_t(1)), zero(int64_t(0));
  if (dt == DType::Bool) {
    Tensor p = logical_and(logical_and(scalar_tensor(Scalar(alpha.to<bool>()), dt), col), row);
    Tensor only_p = scaled_sum(input, p, zero, one, "addr");  // checks input against the product
    return beta.to<bool>() ? logical_or(input, only_p) : only_p;
  }
  Tensor p = mul(mul(scalar_tensor(alpha, dt), col), row);
  if (is_zero(beta)) return scaled_sum(input, p, zero, one, "addr");
  return scaled_sum(mul(scalar_tensor(beta, dt), input), p, one, one, "addr");
}

// torch's addbmm adds the batches into the result one addmm at a time; for 16-bit floats each step
// is rounded, so tg does the same there (elsewhere the sum of one bmm is the same value).
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  check_dims(b1, 3, "addbmm", "batch1");
  check_dims(b2, 3, "addbmm", "batch2");
  Tensor in = autocast_lower(input);
  if (is_reduced_float(in->dtype) && b1->shape[0] > 0) {
    Tensor acc = in;
    for (int64_t i = 0; i < b1->shape[0]; ++i)
      acc = addmm(acc, select(b1, 0, i), select(b2, 0, i), i == 0 ? beta : Scalar(int64_t(1)), alpha);
    return acc;
  }
  Tensor prod = bmm(b1, b2);
  return scaled_sum(in, sum(prod, {0}, false, prod->dtype), beta, alpha, "addbmm");  // small ints keep their dtype
}

// 16-bit floats: the product and the sum in float32, rounded once (torch's kernel).
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  check_dims(b1, 3, "baddbmm", "batch1");
  check_dims(b2, 3, "baddbmm", "batch2");
  Tensor in = autocast_lower(input), x = autocast_lower(b1), y = autocast_lower(b2);
  if (is_reduced_float(in->dtype) && x->dtype == in->dtype && y->dtype == in->dtype) {
    AutocastOff off;  // the float32 product must not be cast back down
    return to_dtype(scaled_sum(widened(in), bmm(widened(x), widened(y)), beta, alpha, "baddbmm"), in->dtype);
  }
  return scaled_sum(in, bmm(b1, b2), beta, alpha, "baddbmm");
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
  std::vector<Tensor> mats(tensors);
  if (row) mats[0] = unsqueeze(mats[0], 0);
  if (col) mats[n - 1] = unsqueeze(mats[n - 1], 1);
  std::vector<int64_t> p{mats[0]->shape[0]};  // matrix i is p[i] x p[i + 1]
  for (size_t i = 0; i < n; ++i) {
    TG_CHECK(i == 0 || mats[i - 1]->shape[1] == mats[i]->shape[0], RuntimeError, op, "(): tensors ", i - 1, " and ",
             i, " with shapes ", shape_str(tensors[i - 1]->shape), " and ", shape_str(tensors[i]->shape),
             " cannot be multiplied");
    p.push_back(mats[i]->shape[1]);
  }
  // torch's order (it decides where float16 products round): three matrices by comparing the two
  // orders' costs, more by the matrix-chain dynamic program; split[i][j] ends the left part of i..j.
  std::vector<std::vector<size_t>> split(n, std::vector<size_t>(n, 0));
  if (n == 3) {
    split[0][2] = p[0] * p[2] * (p[1] + p[3]) > p[1] * p[3] * (p[0] + p[2]) ? 0 : 1;
    split[1][2] = 1;
  } else {
    std::vector<std::vector<int64_t>> cost(n, std::vector<int64_t>(n, 0));
    for (size_t len = 1; len < n; ++len)
      for (size_t i = 0; i + len < n; ++i) {
        const size_t j = i + len;
        cost[i][j] = std::numeric_limits<int64_t>::max();
        for (size_t k = i; k < j; ++k) {
          const int64_t c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1];
          if (c < cost[i][j]) {
            cost[i][j] = c;
            split[i][j] = k;
          }
        }
      }
  }
  std::function<Tensor(size_t, size_t)> product = [&](size_t i, size_t j) {
    return i == j ? mats[i] : mm(product(i, split[i][j]), product(split[i][j] + 1, j));
  };
  Tensor acc = product(0, n - 1);
  if (col) acc = squeeze(acc, 1);
  if (row) acc = squeeze(acc, 0);
  return acc;
}

}  // namespace tg
