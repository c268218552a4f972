// Python bindings of the fused optimizer updates: the `_C._optim` submodule.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "tg/optim_kernels.h"
#include "tg/tensor.h"

namespace py = pybind11;

namespace tg {
namespace {

using MaybeTensor = std::optional<Tensor>;

// Checks that `t` can be updated in place alongside `param`: defined, floating, same dtype, same
// shape, contiguous. Names the op and the argument in the error.
void check_buffer(const char* op, const char* name, const Tensor& t, const Tensor& param) {
  TG_CHECK(t != nullptr, TypeError, op, ": ", name, " must be a Tensor, got None");
  TG_CHECK(t->dtype == param->dtype, TypeError, op, ": ", name, " has dtype ",
           dtype_name(t->dtype), " but the parameter has dtype ", dtype_name(param->dtype));
  TG_CHECK(t->shape == param->shape, ValueError, op, ": ", name, " has shape ", shape_str(t->shape),
           " but the parameter has shape ", shape_str(param->shape));
  TG_CHECK(t->is_contiguous(), ValueError, op, ": ", name, " of shape ", shape_str(t->shape),
           " must be contiguous");
}

void check_param(const char* op, const Tensor& param) {
  TG_CHECK(param != nullptr, TypeError, op, ": param must be a Tensor, got None");
  TG_CHECK(is_floating(param->dtype), TypeError, op,
           ": only float32 and float64 parameters are supported, got ", dtype_name(param->dtype));
  TG_CHECK(param->is_contiguous(), ValueError, op, ": the parameter of shape ",
           shape_str(param->shape), " must be contiguous");
}

template <typename T>
T* ptr(const Tensor& t) { return t ? t->data<T>() : nullptr; }
template <typename T>
T* ptr(const MaybeTensor& t) { return t && *t ? (*t)->data<T>() : nullptr; }

void bump(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    if (t && *t) (*t)->bump_version();
}

// A state buffer that must be present when `needed`; returns the tensor or nullptr.
Tensor require(const char* op, const char* name, const MaybeTensor& t, const Tensor& param,
               bool needed) {
  if (!needed) return nullptr;
  TG_CHECK(t.has_value() && *t, TypeError, op, ": ", name, " is required with these options");
  check_buffer(op, name, *t, param);
  return *t;
}

}  // namespace
}  // namespace tg

void bind_optim(py::module_& m) {
  using namespace tg;
  using namespace tg::optim;
  py::module_ o = m.def_submodule("_optim", "Fused in-place optimizer updates (torch's update rules)");

  o.def(
      "sgd_step",
      [](const Tensor& param, const Tensor& grad, MaybeTensor buf, double lr, double momentum,
         double dampening, double weight_decay, bool nesterov, bool maximize) -> MaybeTensor {
        const char* op = "sgd_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        bool first = false;
        Tensor b;
        if (momentum != 0) {
          if (buf && *buf) {
            check_buffer(op, "momentum_buffer", *buf, param);
            b = *buf;
          } else {
            b = empty(param->shape, param->dtype);  // filled with the gradient on the first step
            first = true;
          }
        }
        SGDOptions opt{lr, momentum, dampening, weight_decay, nesterov, maximize};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            sgd_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(b), param->numel(), opt, first);
          });
        }
        bump({&param, &b});
        return b ? MaybeTensor(b) : std::nullopt;
      },
      py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
      py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
      py::arg("maximize"),
      "One SGD step on `param` in place; returns the momentum buffer (created on the first step) "
      "or None when momentum == 0.");

  o.def(
      "adam_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
         MaybeTensor max_exp_avg_sq, double step, double lr, double beta1, double beta2,
         double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled) {
        const char* op = "adam_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "exp_avg", exp_avg, param);
        check_buffer(op, "exp_avg_sq", exp_avg_sq, param);
        Tensor mx = require(op, "max_exp_avg_sq", max_exp_avg_sq, param, amsgrad);
        AdamOptions opt{lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled, step};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            adam_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(exp_avg), ptr<T>(exp_avg_sq),
                           ptr<T>(mx), param->numel(), opt);
          });
        }
        bump({&param, &exp_avg, &exp_avg_sq, &mx});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
      py::arg("max_exp_avg_sq"), py::arg("step"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"),
      py::arg("maximize"), py::arg("decoupled_weight_decay"),
      "One Adam (or AdamW when decoupled_weight_decay) step in place; `step` counts this step.");

  o.def(
      "adagrad_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& sum, double step, double lr,
         double lr_decay, double weight_decay, double eps, bool maximize) {
        const char* op = "adagrad_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "sum", sum, param);
        AdagradOptions opt{lr, lr_decay, weight_decay, eps, maximize, step};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            adagrad_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(sum), param->numel(), opt);
          });
        }
        bump({&param, &sum});
      },
      py::arg("param"), py::arg("grad"), py::arg("sum"), py::arg("step"), py::arg("lr"),
      py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"));

  o.def(
      "rmsprop_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& square_avg, MaybeTensor grad_avg,
         MaybeTensor momentum_buffer, double lr, double alpha, double eps, double weight_decay,
         double momentum, bool centered, bool maximize) {
        const char* op = "rmsprop_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "square_avg", square_avg, param);
        Tensor ga = require(op, "grad_avg", grad_avg, param, centered);
        Tensor mb = require(op, "momentum_buffer", momentum_buffer, param, momentum > 0);
        RMSpropOptions opt{lr, alpha, eps, weight_decay, momentum, centered, maximize};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            rmsprop_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(square_avg), ptr<T>(ga),
                              ptr<T>(mb), param->numel(), opt);
          });
        }
        bump({&param, &square_avg, &ga, &mb});
      },
      py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("grad_avg"),
      py::arg("momentum_buffer"), py::arg("lr"), py::arg("alpha"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"), py::arg("maximize"));

  o.def(
      "adadelta_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& square_avg,
         const Tensor& acc_delta, double lr, double rho, double eps, double weight_decay,
         bool maximize) {
        const char* op = "adadelta_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "square_avg", square_avg, param);
        check_buffer(op, "acc_delta", acc_delta, param);
        AdadeltaOptions opt{lr, rho, eps, weight_decay, maximize};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            adadelta_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(square_avg),
                               ptr<T>(acc_delta), param->numel(), opt);
          });
        }
        bump({&param, &square_avg, &acc_delta});
      },
      py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("acc_delta"),
      py::arg("lr"), py::arg("rho"), py::arg("eps"), py::arg("weight_decay"),
      py::arg("maximize"));

  o.def(
      "adamax_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf,
         double step, double lr, double beta1, double beta2, double eps, double weight_decay,
         bool maximize) {
        const char* op = "adamax_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "exp_avg", exp_avg, param);
        check_buffer(op, "exp_inf", exp_inf, param);
        AdamaxOptions opt{lr, beta1, beta2, eps, weight_decay, maximize, step};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            adamax_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(exp_avg), ptr<T>(exp_inf),
                             param->numel(), opt);
          });
        }
        bump({&param, &exp_avg, &exp_inf});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_inf"), py::arg("step"),
      py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"));

  o.def(
      "nadam_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
         double step, double mu, double mu_next, double mu_product, double mu_product_next,
         double lr, double beta1, double beta2, double eps, double weight_decay, bool maximize,
         bool decoupled) {
        const char* op = "nadam_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "exp_avg", exp_avg, param);
        check_buffer(op, "exp_avg_sq", exp_avg_sq, param);
        NAdamOptions opt{lr, beta1, beta2, eps, weight_decay, maximize, decoupled,
                         step, mu, mu_next, mu_product, mu_product_next};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            nadam_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(exp_avg), ptr<T>(exp_avg_sq),
                            param->numel(), opt);
          });
        }
        bump({&param, &exp_avg, &exp_avg_sq});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
      py::arg("step"), py::arg("mu"), py::arg("mu_next"), py::arg("mu_product"),
      py::arg("mu_product_next"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
      py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
      py::arg("decoupled_weight_decay"));

  o.def(
      "radam_step",
      [](const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
         double step, double lr, double beta1, double beta2, double eps, double weight_decay,
         bool maximize, bool decoupled) {
        const char* op = "radam_step";
        check_param(op, param);
        check_buffer(op, "grad", grad, param);
        check_buffer(op, "exp_avg", exp_avg, param);
        check_buffer(op, "exp_avg_sq", exp_avg_sq, param);
        RAdamOptions opt{lr, beta1, beta2, eps, weight_decay, maximize, decoupled, step};
        {
          py::gil_scoped_release nogil;
          dispatch_floating(param->dtype, op, [&](auto tag) {
            using T = decltype(tag);
            radam_update<T>(ptr<T>(param), ptr<T>(grad), ptr<T>(exp_avg), ptr<T>(exp_avg_sq),
                            param->numel(), opt);
          });
        }
        bump({&param, &exp_avg, &exp_avg_sq});
      },
      py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
      py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"), py::arg("decoupled_weight_decay"));
}
