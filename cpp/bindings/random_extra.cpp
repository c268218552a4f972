// Bindings for the extra random ops (cpp/src/ops/random_extra.cpp): Tensor.exponential_,
// geometric_, cauchy_, log_normal_, bernoulli_ and the _C primitives behind tg.bernoulli,
// tg.multinomial and Tensor.random_ (whose overloads python/tinygrad_ext/_random_ops.py sorts out).
#include "common.h"
#include "tg/ops_random_extra.h"

namespace tg::bind {

namespace {
using T = const Tensor&;
using O = py::object;
}  // namespace

void bind_random_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("exponential_", [](T a, double lambd, O gen) {
    return random_fill_inplace(a, "exponential_", "ExponentialBackward0", [&](T t) { exponential_(t, lambd, as_generator(gen)); });
  }, py::arg("lambd") = 1.0, py::kw_only(), py::arg("generator") = py::none());
  cls.def("geometric_", [](T a, double p, O gen) {
    return random_fill_inplace(a, "geometric_", "GeometricBackward0", [&](T t) { geometric_(t, p, as_generator(gen)); });
  }, py::arg("p"), py::kw_only(), py::arg("generator") = py::none());
  cls.def("cauchy_", [](T a, double median, double sigma, O gen) {
    return random_fill_inplace(a, "cauchy_", "CauchyBackward0", [&](T t) { cauchy_(t, median, sigma, as_generator(gen)); });
  }, py::arg("median") = 0.0, py::arg("sigma") = 1.0, py::kw_only(), py::arg("generator") = py::none());
  cls.def("log_normal_", [](T a, double mean, double std, O gen) {
    return random_fill_inplace(a, "log_normal_", "LogNormalBackward0", [&](T t) { log_normal_(t, mean, std, as_generator(gen)); });
  }, py::arg("mean") = 1.0, py::arg("std") = 2.0, py::kw_only(), py::arg("generator") = py::none());
  cls.def("bernoulli_", [](T a, O p, O gen) {
    if (py::isinstance<TensorImpl>(p)) {
      Tensor probs = p.cast<Tensor>();
      return random_fill_inplace(a, "bernoulli_", "BernoulliBackward1", [&](T t) { bernoulli_(t, probs, as_generator(gen)); });
    }
    double prob = scalar_arg(p, "bernoulli_").f;
    return random_fill_inplace(a, "bernoulli_", "BernoulliBackward1", [&](T t) { bernoulli_(t, prob, as_generator(gen)); });
  }, py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none());
  m.def("_random_", [](T a, int64_t from, std::optional<int64_t> to, O gen) {
    return random_fill_inplace(a, "random_", "RandomBackward0", [&](T t) { random_(t, from, to, as_generator(gen)); });
  });
  m.def("_bernoulli", [](T probs, O gen) { return bernoulli(probs, as_generator(gen)); });
  m.def("_multinomial", [](T probs, int64_t n, bool replacement, O gen) {
    return multinomial(probs, n, replacement, as_generator(gen));
  });
}

}  // namespace tg::bind
