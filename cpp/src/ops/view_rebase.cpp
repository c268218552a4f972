// In-place ops on differentiable views, as torch does them: a view remembers its root base; an
// in-place op on the view gives the base a "CopySlices" history (the base with the view's region
// replaced by the op's result) and the view an AsStridedBackward0 of the new base. A view whose
// base (or another view of it) was changed in place regenerates its history the same way, lazily,
// when its grad_fn is next asked for.
#include <cctype>

#include "tg/ops.h"

namespace tg {

namespace {

// Where a view's elements lie in its base's storage: the base's layout and the view's layout,
// the view's offset counted from the base's first element.
struct Geometry {
  Shape base_shape, base_strides;
  Shape shape, strides;
  int64_t offset;
};

Geometry geometry_of(const TensorImpl& view) {
  const Tensor& base = view.autograd->view->base;
  return {base->shape, base->strides, view.shape, view.strides, view.offset - base->offset};
}

// A new buffer with the base's shape and strides (offset 0), filled from `g` (of the base's shape),
// so that the view's geometry picks the same elements out of it as out of the base.
Tensor like_base(const Tensor& g, const Geometry& geo) {
  int64_t extent = 1;  // elements the base's layout spans
  for (size_t d = 0; d < geo.base_shape.size(); ++d) extent += (geo.base_shape[d] - 1) * geo.base_strides[d];
  if (shape_numel(geo.base_shape) == 0) extent = 0;
  auto storage = Storage::allocate(static_cast<size_t>(extent) * itemsize(g->dtype));
  auto buf = std::make_shared<TensorImpl>(std::move(storage), 0, geo.base_shape, geo.base_strides, g->dtype,
                                          std::make_shared<VersionCounter>());
  GradModeGuard off(false);
  copy_into(buf, g);
  return buf;
}

Tensor region(const Tensor& buf, const Geometry& geo) { return make_view(buf, geo.shape, geo.strides, geo.offset); }

Tensor put_view(const Tensor& gv, const Geometry& geo);

// The values of g (base-shaped) at the view's positions: the forward of as_strided.
Tensor take_view(const Tensor& g, const Geometry& geo) {
  Tensor out = region(like_base(g, geo), geo);
  record("AsStridedBackward0", {g}, {out}, [&] {
    return [geo](const Grads& gg) -> Grads { return {put_view(gg[0], geo)}; };
  });
  return out;
}

// Zeros of the base's shape with gv added at the view's positions: the adjoint of take_view.
Tensor put_view(const Tensor& gv, const Geometry& geo) {
  Tensor buf = like_base(zeros({}, gv->dtype), geo);
  // An expanded dim (stride 0) puts all its elements at one place: sum them there.
  Geometry flat = geo;
  Shape summed;
  for (size_t d = 0; d < geo.shape.size(); ++d)
    if (geo.strides[d] == 0 && geo.shape[d] > 1) {
      summed.push_back(static_cast<int64_t>(d));
      flat.shape[d] = 1;
    }
  {
    GradModeGuard off(false);
    copy_into(region(buf, flat), summed.empty() ? gv : sum(gv, summed, true));
  }
  record("AsStridedBackwardBackward0", {gv}, {buf}, [&] {
    return [geo](const Grads& gg) -> Grads { return {take_view(gg[0], geo)}; };
  });
  return buf;
}

// g with the view's positions set to zero (what the base's old value gets from the overwrite);
// a projection, so its own backward.
Tensor zero_view(const Tensor& g, const Geometry& geo) {
  Tensor buf = like_base(g, geo);
  {
    GradModeGuard off(false);
    copy_into(region(buf, geo), zeros({}, g->dtype));
  }
  record("CopySlicesBackward0", {g}, {buf}, [&] {
    return [geo](const Grads& gg) -> Grads { return {zero_view(gg[0], geo)}; };
  });
  return buf;
}

// Sets the view's history to AsStridedBackward0 of its base's current history.
void regenerate_view_grad_fn(const TensorImpl& view) {
  ViewInfo& info = *view.autograd->view;
  Geometry geo = geometry_of(view);
  auto node = std::make_shared<FunctionNode>(
      "AsStridedBackward0", [geo](const Grads& g) -> Grads { return {put_view(g[0], geo)}; });
  node->next_edges.push_back(gradient_edge(info.base));
  node->input_meta.push_back({info.base->shape, info.base->dtype});
  node->output_meta.push_back({view.shape, view.dtype});
  node->pre_hooks.resize(1);
  AutogradMeta& m = *view.autograd;
  m.grad_fn = std::move(node);
  m.output_nr = 0;
  m.requires_grad = false;
  info.attr_version = view.version->value.load();
  if (m.retains_grad) attach_retain_hook(m);
}

// "SliceBackward0" -> "Slice": how torch names a view's node in the errors below.
std::string op_name(const Node& fn) {
  std::string name = fn.name();
  size_t end = name.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
  const std::string suffix = "Backward";
  if (end >= suffix.size() && name.compare(end - suffix.size(), suffix.size(), suffix) == 0)
    return name.substr(0, end - suffix.size());
  return name;
}

}  // namespace

Tensor make_differentiable_view(const Tensor& t, Shape shape, Shape strides, int64_t offset) {
  Tensor out = make_view(t, std::move(shape), std::move(strides), offset);
  ViewCreation creation = is_grad_enabled() ? ViewCreation::Default : ViewCreation::NoGradMode;
  Tensor base = t;
  if (t->is_view()) {
    const ViewInfo& parent = *t->autograd->view;
    base = parent.base;
    if (creation == ViewCreation::Default) creation = parent.creation;  // a view of a view inherits
  }
  out->meta().view = std::make_unique<ViewInfo>(ViewInfo{base, out->version->value.load(), creation});
  return out;
}

void mark_multi_output_views(const std::vector<Tensor>& views) {
  if (!is_grad_enabled()) return;  // already marked as made in no_grad mode
  for (const Tensor& v : views)
    if (v->is_view()) v->autograd->view->creation = ViewCreation::MultiOutput;
}

void check_view_creation(const TensorImpl& view, bool indirect) {
  ViewCreation creation = view.autograd->view->creation;
  if (creation == ViewCreation::Default) return;
  const std::string modified = indirect ? "its base or another view of its base has been" : "is being";
  const Node* fn = view.autograd->grad_fn.get();  // as recorded, not regenerated
  std::string msg;
  if (creation == ViewCreation::NoGradMode || !fn) {
    std::string prefix = fn ? str("Output ", view.autograd->output_nr, " of ", op_name(*fn),
                                  " is a view of a view which was created in")
                            : std::string("A view was created in");
    msg = str(prefix, " no_grad mode and ", modified, " modified inplace with grad mode enabled.");
  } else {
    msg = str("Output ", view.autograd->output_nr, " of ", op_name(*fn), " is a view and ", modified,
              " modified inplace.");
  }
  if (creation == ViewCreation::MultiOutput)
    msg += " This view is the output of a function that returns multiple views. Such functions do not allow "
           "the output views to be modified inplace. You should replace the inplace operation by an "
           "out-of-place one.";
  else
    msg += " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code "
           "by moving both the view and the inplace either both inside the no_grad block (if you don't want "
           "the inplace to be tracked) or both outside (if you want the inplace to be tracked).";
  throw RuntimeError(msg);
}

void refresh_view_grad_fn(const TensorImpl& view) {
  // Nothing to regenerate while neither the view nor its base has a history.
  if (!view.autograd->grad_fn && !view.autograd->view->base->requires_grad()) return;
  check_view_creation(view, /*indirect=*/true);
  regenerate_view_grad_fn(view);
}

// The base's new value is its old value with the view's region replaced by `result`, so the
// gradient g of the new base splits into: g outside the region for the old base, and g inside
// the region for `result` (whose own backward reaches the old view values and the op's operands).
void rebase_view_history(const Tensor& view, const Tensor& result) {
  Tensor base = view->autograd->view->base;
  Geometry geo = geometry_of(*view);
  record_node("CopySlices", {base, result}, {base}, [&] {
    return [geo](const Grads& g) -> Grads { return {zero_view(g[0], geo), take_view(g[0], geo)}; };
  });
  regenerate_view_grad_fn(*view);
}

}  // namespace tg
