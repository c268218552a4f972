// Autograd for Python: graph nodes (grad_fn), backward, autograd.grad, grad mode.
#include "common.h"

namespace tg::bind {

namespace {
// Gradients given per root / output, None meaning "implicit" (a null tensor for the engine).
std::vector<Tensor> or_null(const std::vector<std::optional<Tensor>>& ts) {
  std::vector<Tensor> out;
  for (const auto& t : ts) out.push_back(t.value_or(nullptr));
  return out;
}
}  // namespace

void bind_autograd(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node")
      .def("name", [](const Node& n) { return std::string(n.name()); })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::list out;
        for (const Edge& e : n.next_edges)
          out.append(py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr));
        return py::tuple(out);
      })
      .def_property_readonly("variable", [](const Node& n) -> py::object {
        if (auto* acc = dynamic_cast<const AccumulateGrad*>(&n)) return py::cast(acc->variable);
        throw py::attribute_error("'" + std::string(n.name()) + "' object has no attribute 'variable'");
      })
      .def("__repr__", [](py::handle self) {
        const Node& n = self.cast<const Node&>();
        return str("<", n.name(), " object at ", static_cast<const void*>(self.ptr()), ">");
      });

  m.def("_backward", [](const std::vector<Tensor>& roots, const std::vector<std::optional<Tensor>>& grads,
                        bool retain_graph, bool create_graph) {
    backward(roots, or_null(grads), retain_graph, create_graph);
  });
  m.def("_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                    const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph, bool create_graph,
                    bool allow_unused) {
    return grad(outputs, inputs, or_null(grad_outputs), retain_graph, create_graph, allow_unused);
  });
  m.def("is_grad_enabled", &is_grad_enabled);
  m.def("_set_grad_enabled", &set_grad_enabled);
}

}  // namespace tg::bind
