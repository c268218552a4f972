// Graph nodes, grad mode, saved tensors, and how ops attach history to their outputs.
#include <atomic>

#include "tg/autograd.h"
#include "tg/ops.h"

namespace tg {

namespace {
thread_local bool t_grad_enabled = true;
thread_local uint64_t t_next_sequence_nr = 0;
std::atomic<int64_t> g_live_nodes{0};

// Destroying a long chain of nodes recursively would overflow the C stack, so a node's
// destructor hands what it owns (edges, backward closures) to this thread's queue, and only
// the outermost destructor drains it, one piece at a time.
struct DeferredDeleter {
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<BackwardFn> closures;
  bool draining = false;
  void drain() {
    if (draining) return;
    draining = true;
    while (!nodes.empty() || !closures.empty()) {
      if (!closures.empty()) {
        BackwardFn f = std::move(closures.back());
        closures.pop_back();
      } else {
        std::shared_ptr<Node> n = std::move(nodes.back());
        nodes.pop_back();
      }
    }
    draining = false;
  }
};
thread_local DeferredDeleter t_deleter;
}  // namespace

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }
int64_t live_node_count() { return g_live_nodes.load(); }

Node::Node() : sequence_nr(t_next_sequence_nr++) { g_live_nodes.fetch_add(1); }

Node::~Node() {
  g_live_nodes.fetch_sub(1);
  for (auto& e : next_edges)
    if (e.fn) t_deleter.nodes.push_back(std::move(e.fn));
  t_deleter.drain();
}

Grads FunctionNode::apply(Grads&& grads) {
  TG_CHECK(fn_, RuntimeError,
           "Trying to backward through the graph a second time (or directly access saved tensors "
           "after they have already been freed). Saved intermediate values of the graph are freed "
           "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
           "backward through the graph a second time or if you need to access saved tensors after "
           "calling backward. (node: ", name_, ")");
  return fn_(grads);
}

FunctionNode::~FunctionNode() {
  if (fn_) t_deleter.closures.push_back(std::move(fn_));
}

AccumulateGrad::AccumulateGrad(Tensor v) : variable(std::move(v)) {
  output_meta.push_back({variable->shape, variable->dtype});
}

Grads AccumulateGrad::apply(Grads&& grads) {
  Tensor g = std::move(grads[0]);
  AutogradMeta& m = variable->meta();
  for (auto& hook : m.hooks) {
    Tensor r = hook(g);
    if (r) g = r;
  }
  if (!m.grad) {
    // Keep the incoming buffer when nothing else can see it; otherwise store a private copy.
    bool owned = g.use_count() == 1 && g->storage.use_count() == 1 && g->is_contiguous() &&
                 g->offset == 0 && !g->autograd;
    m.grad = (owned || is_grad_enabled()) ? g : clone(g);
  } else if (is_grad_enabled()) {
    m.grad = add(m.grad, g);  // create_graph: keep the sum differentiable
  } else {
    copy_into(m.grad, add(m.grad, g));
    m.grad->bump_version();
  }
  if (!m.post_accumulate_hooks.empty()) {
    auto hooks = m.post_accumulate_hooks;  // a hook may register or remove hooks
    for (auto& hook : hooks) hook(variable);
  }
  return {};
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output) {
  if (!t) return;
  version_ = t->version->value.load();
  is_output_ = is_output;
  producer_ = t->grad_fn() ? t->grad_fn()->name() : nullptr;
  if (is_output && t->grad_fn()) {
    data_ = alias_detached(t, true);
    grad_fn_ = t->grad_fn();
    output_nr_ = t->autograd->output_nr;
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::get() const {
  if (!data_) return nullptr;
  uint64_t now = data_->version->value.load();
  if (now != version_) {
    std::string who = producer_ ? str("which is output 0 of ", producer_) : "which is a leaf";
    throw RuntimeError(str(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: ", describe(data_), ", ", who, ", is at version ", now, "; expected version ",
        version_, " instead. Hint: the operation that saved it ran before the in-place change; "
        "use out-of-place ops or .clone() before modifying."));
  }
  if (!is_output_) return data_;
  auto fn = grad_fn_.lock();
  if (!fn) return data_;
  Tensor t = alias_detached(data_, true);
  set_history(t, fn, output_nr_);
  return t;
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t && t->requires_grad()) return true;
  return false;
}
bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t && t->requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t || !t->requires_grad()) return {};
  const std::shared_ptr<Node>& fn = t->grad_fn();  // regenerates a stale view's history first
  AutogradMeta& m = t->meta();
  if (fn) return {fn, m.output_nr};
  if (!m.requires_grad) return {};  // a view made in no_grad mode: it requires grad only through its base
  auto acc = m.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    m.grad_accumulator = acc;
  }
  return {acc, 0};
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  AutogradMeta& m = t->meta();
  m.grad_fn = fn;
  m.output_nr = output_nr;
  m.requires_grad = false;
  if (m.retains_grad && fn) attach_retain_hook(m);
}

void attach_retain_hook(AutogradMeta& m) {
  if (m.retain_hook_alive) *m.retain_hook_alive = false;  // the previous producer stops storing
  auto alive = std::make_shared<bool>(true);
  m.retain_hook_alive = alive;
  m.grad_fn->pre_hooks[m.output_nr].push_back([weak = m.retain_target, alive](const Tensor& g) -> Tensor {
    if (!*alive) return nullptr;
    if (auto self = weak.lock()) {
      AutogradMeta& sm = self->meta();
      sm.grad = sm.grad ? add(sm.grad, g) : clone(detach(g));
    }
    return nullptr;
  });
}

void retain_grad(const Tensor& t) {
  TG_CHECK(t->requires_grad(), RuntimeError, "can't retain_grad on Tensor that has requires_grad=False");
  if (t->is_leaf() || t->autograd->retains_grad) return;
  t->autograd->retains_grad = true;
  t->autograd->retain_target = t;
  attach_retain_hook(*t->autograd);
}

std::shared_ptr<Node> record_node(const char* name, const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& outputs,
                                  const std::function<BackwardFn()>& make_backward) {
  auto node = std::make_shared<FunctionNode>(name, nullptr);
  node->next_edges.reserve(inputs.size());
  node->input_meta.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    node->next_edges.push_back(gradient_edge(in));
    node->input_meta.push_back(in ? TensorMeta{in->shape, in->dtype} : TensorMeta{{}, DType::Float32});
  }
  node->output_meta.reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    set_history(outputs[i], node, static_cast<uint32_t>(i));
    node->output_meta.push_back({outputs[i]->shape, outputs[i]->dtype});
  }
  node->pre_hooks.resize(outputs.size());
  node->fn_ = make_backward();
  return node;
}

}  // namespace tg
