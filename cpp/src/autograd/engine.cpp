// The backward engine: dependency counting, then nodes in reverse topological order (iterative).
#include <queue>
#include <unordered_map>

#include "tg/autograd.h"
#include "tg/ops.h"

namespace tg {

namespace {

struct ByNewest {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

// True when `shape` broadcasts to `target` (so a gradient of `target` sums down to `shape`).
bool expandable_to(const Shape& shape, const Shape& target) {
  if (shape.size() > target.size()) return false;
  size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 && shape[i] != target[lead + i]) return false;
  return true;
}

// Makes a gradient fit the forward input it belongs to: sum over broadcast dims, cast dtype.
Tensor fit_gradient(const Node& node, size_t i, Tensor g) {
  const TensorMeta& meta = node.input_meta[i];
  if (g->shape != meta.shape) {
    TG_CHECK(expandable_to(meta.shape, g->shape), RuntimeError, "Function ", node.name(),
             " returned an invalid gradient at index ", i, " - got ", shape_str(g->shape),
             " but expected shape compatible with ", shape_str(meta.shape));
    g = sum_to(g, meta.shape);
  }
  if (g->dtype != meta.dtype) g = to_dtype(g, meta.dtype);
  return g;
}

struct Capture {
  std::vector<std::pair<std::pair<Node*, uint32_t>, size_t>> slots;  // (node, output) -> index
  std::vector<Tensor> grads;
};

void run_engine(const std::vector<Edge>& roots, const std::vector<Tensor>& root_grads,
                bool retain_graph, bool create_graph, Capture* capture) {
  // 1. Count, for every reachable node, how many edges point at it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack;
  for (const Edge& e : roots)
    if (e.fn && deps.emplace(e.fn.get(), 0).second) stack.push_back(e.fn.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      auto [it, fresh] = deps.emplace(e.fn.get(), 0);
      it->second += 1;
      if (fresh) stack.push_back(e.fn.get());
    }
  }

  // 2. Seed the input buffers with the root gradients.
  std::unordered_map<Node*, Grads> buffers;
  auto accumulate = [&](Node* fn, uint32_t slot, Tensor g) {
    Grads& buf = buffers[fn];
    if (buf.empty()) buf.resize(fn->output_meta.size());
    buf[slot] = buf[slot] ? add(buf[slot], g) : std::move(g);
  };
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i].fn) accumulate(roots[i].fn.get(), roots[i].input_nr, root_grads[i]);

  // Keep every node alive while the engine runs, even if a hook drops the last reference.
  std::vector<std::shared_ptr<Node>> keep;
  keep.reserve(deps.size());
  std::priority_queue<Node*, std::vector<Node*>, ByNewest> ready;
  for (const Edge& e : roots)
    if (e.fn && deps[e.fn.get()] == 0) {
      deps[e.fn.get()] = -1;  // queued
      ready.push(e.fn.get());
      keep.push_back(e.fn);
    }

  GradModeGuard mode(create_graph);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    Grads grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->output_meta.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i]) grads[i] = zeros(node->output_meta[i].shape, node->output_meta[i].dtype);
      if (i < node->pre_hooks.size())
        for (auto& hook : node->pre_hooks[i]) {
          Tensor r = hook(grads[i]);
          if (r) grads[i] = r;
        }
    }
    bool is_sink = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    if (capture) {
      for (auto& [key, idx] : capture->slots)
        if (key.first == node) capture->grads[idx] = grads[key.second];
    }
    Grads outs;
    if (!(capture && is_sink)) {
      outs = node->apply(std::move(grads));
      if (!retain_graph) node->release();
    }
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.fn) continue;
      if (i < outs.size() && outs[i]) accumulate(e.fn.get(), e.input_nr, fit_gradient(*node, i, outs[i]));
      int& d = deps[e.fn.get()];
      if (--d == 0) {
        d = -1;
        ready.push(e.fn.get());
        keep.push_back(e.fn);
      }
    }
  }
}

std::vector<Edge> root_edges(const std::vector<Tensor>& roots, const char* op) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < roots.size(); ++i) {
    TG_CHECK(roots[i]->requires_grad(), RuntimeError, op, ": element ", i,
             " of tensors does not require grad and does not have a grad_fn");
    edges.push_back(gradient_edge(roots[i]));
  }
  return edges;
}

std::vector<Tensor> make_root_grads(const std::vector<Tensor>& roots, const std::vector<Tensor>& given) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    Tensor g = i < given.size() ? given[i] : nullptr;
    if (!g) {
      TG_CHECK(r->numel() == 1, RuntimeError, "grad can be implicitly created only for scalar outputs");
      g = ones(r->shape, r->dtype);
    } else {
      TG_CHECK(g->shape == r->shape, RuntimeError, "Mismatch in shape: grad_output[", i,
               "] has a shape of ", shape_str(g->shape), " and output[", i, "] has a shape of ",
               shape_str(r->shape), ".");
      if (g->dtype != r->dtype) g = to_dtype(g, r->dtype);
    }
    out.push_back(g);
  }
  return out;
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph, bool create_graph) {
  auto edges = root_edges(roots, "backward");
  auto grads = make_root_grads(roots, grad_roots);
  run_engine(edges, grads, retain_graph, create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  auto edges = root_edges(outputs, "grad");
  auto grads = make_root_grads(outputs, grad_outputs);
  Capture cap;
  cap.grads.resize(inputs.size());
  std::vector<Edge> input_edges;  // keeps the inputs' nodes alive while their address is a key
  for (size_t i = 0; i < inputs.size(); ++i) {
    TG_CHECK(inputs[i]->requires_grad(), RuntimeError,
             "One of the differentiated Tensors does not require grad");
    input_edges.push_back(gradient_edge(inputs[i]));
    cap.slots.push_back({{input_edges.back().fn.get(), input_edges.back().input_nr}, i});
  }
  run_engine(edges, grads, retain_graph, create_graph, &cap);
  for (size_t i = 0; i < inputs.size(); ++i)
    TG_CHECK(cap.grads[i] || allow_unused, RuntimeError,
             "One of the differentiated Tensors appears to not have been used in the graph. Set "
             "allow_unused=True if this is the desired behavior.");
  return cap.grads;
}

}  // namespace tg
