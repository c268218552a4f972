// The autograd graph: nodes, edges, saved tensors, grad mode, and how ops record history.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "tg/tensor.h"

namespace tg {

using Grads = std::vector<Tensor>;

// Grad mode is thread-local, as in torch.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
struct GradModeGuard {
  explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  bool prev_;
};

struct Edge {
  std::shared_ptr<Node> fn;  // null when that input needs no gradient
  uint32_t input_nr = 0;     // which output of fn the gradient flows into
};

// What a node remembers of a forward tensor it produced or consumed.
struct TensorMeta {
  Shape shape;
  DType dtype;
};

struct Node : std::enable_shared_from_this<Node> {
  Node();
  virtual ~Node();
  virtual const char* name() const = 0;
  // Gradients for each forward output (materialised: never null) -> gradients for each input.
  virtual Grads apply(Grads&& grads) = 0;
  // Frees what backward needs; a later apply raises.
  virtual void release() {}
  bool needs_input_grad(size_t i) const { return i < next_edges.size() && next_edges[i].fn; }

  std::vector<Edge> next_edges;        // one per forward input
  std::vector<TensorMeta> input_meta;  // shape/dtype of each forward input
  std::vector<TensorMeta> output_meta; // shape/dtype of each forward output
  std::vector<std::vector<Hook>> pre_hooks;  // per output: register_hook / retain_grad on non-leaves
  uint64_t sequence_nr;
};

// The sink at a leaf that requires grad: accumulates into `.grad`.
struct AccumulateGrad : Node {
  explicit AccumulateGrad(Tensor variable);
  const char* name() const override { return "AccumulateGrad"; }
  Grads apply(Grads&& grads) override;
  Tensor variable;
};

using BackwardFn = std::function<Grads(const Grads&)>;

// A node whose backward is a closure over what it saved; `release` drops the closure.
struct FunctionNode : Node {
  FunctionNode(const char* name, BackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  ~FunctionNode() override;
  const char* name() const override { return name_; }
  Grads apply(Grads&& grads) override;
  void release() override { fn_ = nullptr; }
  const char* name_;
  BackwardFn fn_;
};

// A tensor kept for backward, with the version it had when saved.
// Outputs of the node are saved without their history (no reference cycle) and get it back,
// through a weak pointer to the node, when unpacked.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output = false);
  Tensor get() const;  // raises if the tensor was modified in place since it was saved
  bool defined() const { return static_cast<bool>(data_); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
  bool is_output_ = false;
  std::weak_ptr<Node> grad_fn_;
  uint32_t output_nr_ = 0;
  const char* producer_ = nullptr;  // name of the op that produced it, for the error message
};
inline SavedTensor save(const Tensor& t) { return SavedTensor(t, false); }
inline SavedTensor save_output(const Tensor& t) { return SavedTensor(t, true); }

// True when grad mode is on and some input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// The edge a gradient for `t` should flow along (its grad_fn, or its leaf accumulator).
Edge gradient_edge(const Tensor& t);

// Connects `outputs` to a new FunctionNode whose inputs are `inputs`, when grad is needed.
// `make_backward` is called only then, after the outputs have their history, so it may save
// outputs; it returns the BackwardFn. Returns the node, or null when nothing was recorded.
std::shared_ptr<Node> record_node(const char* name, const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& outputs,
                                  const std::function<BackwardFn()>& make_backward);
template <typename Make>
std::shared_ptr<Node> record(const char* name, std::initializer_list<Tensor> inputs,
                             std::initializer_list<Tensor> outputs, Make&& make_backward) {
  if (!needs_grad(inputs)) return nullptr;
  return record_node(name, std::vector<Tensor>(inputs), std::vector<Tensor>(outputs), make_backward);
}

// Sets `t`'s history to output `output_nr` of `fn` (used by record_node and in-place ops).
void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr);
// retain_grad on a non-leaf: a hook on the node producing t stores the gradient in t.grad. When
// t's history moves (an in-place op, a view regenerated), the hook moves to the new node, so
// .grad is the gradient of t's current value, as torch.
void retain_grad(const Tensor& t);
void attach_retain_hook(AutogradMeta& m);

// Lazily regenerates a view's history after its base changed in place (cpp/src/ops/view_rebase.cpp);
// called by TensorImpl::grad_fn().
void refresh_view_grad_fn(const TensorImpl& view);

// The engine.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph, bool create_graph);
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused);

// Live Node count, for leak tests.
int64_t live_node_count();

}  // namespace tg
