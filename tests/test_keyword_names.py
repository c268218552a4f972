"""Every tg function and Tensor method accepts the keyword names of torch's signature, checked
against torch.overrides.get_testing_overrides() (a lambda with torch's exact signature per torch
function and Tensor method). Gaps are listed below with their reason; the list only shrinks."""
import inspect
import re

import numpy as np
import pytest
import torch
from torch.overrides import get_testing_overrides

import tinygrad_ext as tg

# (keyword, reason): the tg names that do not accept it yet.
GAPS = {
    ("dimension", "torch's testing override names this keyword; torch's own function rejects it"):
        "Tensor.narrow_copy",
    ("diagonal", "torch's testing override names this keyword; torch's own function rejects it"):
        "Tensor.diag_embed diag_embed",
    ("axis0", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.swapdims Tensor.swapdims_",
    ("axis1", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.swapdims Tensor.swapdims_",
    ("descending", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.topk topk",
    ("dim", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.permute permute",
    ("dim0", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.swapaxes Tensor.swapaxes_ swapaxes",
    ("dim1", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.swapaxes Tensor.swapaxes_ swapaxes",
    ("from_", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.uniform_",
    ("inplace", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.relu relu",
    ("layout", "devices (#13 item 3, the device seam)"):
        "empty_like full_like ones_like zeros_like",
    ("names", "named tensors (not supported)"):
        "Tensor.logsumexp logsumexp",
    ("non_blocking", "device-copy keyword (#13 item 3, the device seam)"):
        "Tensor.copy_",
    ("other", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.dot Tensor.resize_as_ dot",
    ("inputs", "torch's testing override names this parameter `inputs`; torch.adaptive_max_pool1d itself takes `input`"):
        "adaptive_max_pool1d",
    ("self", "torch's testing override names this parameter `self`; torch's function itself takes `input`"):
        "alias_copy as_strided_copy as_strided_scatter broadcast_to diagonal_copy expand_copy narrow_copy permute_copy split_with_sizes_copy squeeze_copy t_copy transpose_copy unbind_copy unfold_copy unsqueeze_copy view_copy",
    ("e", "torch's testing override names this parameter `e`; torch.isin itself takes `elements`"): "isin",
    ("te", "torch's testing override names this parameter `te`; torch.isin itself takes `test_elements`"): "isin",
    ("descending", "torch's testing override has `descending`; torch.msort itself rejects it"): "Tensor.msort msort",
    ("indices", "torch's testing override names this parameter `indices`; Tensor.put_ itself takes `index`"):
        "Tensor.put_",
    ("tensor", "torch's testing override names this parameter `tensor`; Tensor.put_ itself takes `source`"):
        "Tensor.put_ split_with_sizes",
    ("include_input", "torch's testing override has `include_input`; index_reduce itself takes `include_self`"):
        "Tensor.index_reduce Tensor.index_reduce_ index_reduce",
    ("out", "out= is not implemented yet (msort)"): "msort",
    ("out", "out= (writing into a given tensor) is not implemented yet"):
        "full_like resolve_conj resolve_neg squeeze unsqueeze",
    ("out", "out= of the order statistics and histogram (written with the rest of out=; not implemented yet)"):
        "histogram",
    ("min", "torch's testing override lists histc's min/max for histogram; torch.histogram itself rejects them"):
        "Tensor.histogram histogram",
    ("max", "torch's testing override lists histc's min/max for histogram; torch.histogram itself rejects them"):
        "Tensor.histogram histogram",
    ("out_dtype", "mm/bmm(out_dtype=) needs the low-precision dtypes (the dtype seam)"):
        "Tensor.bmm Tensor.mm bmm",
    ("self", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "permute",
    ("shape", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.reshape Tensor.view",
    ("size", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.expand",
    ("split_size_or_sections", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.split Tensor.split_with_sizes split_with_sizes",
    ("tensor", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "isfinite isinf isreal",
    ("weight", "torch's testing signature lists a weight that torch's own l1_loss/mse_loss do not take"):
        "nn.functional.l1_loss nn.functional.mse_loss",
    ("x", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.where where xlogy",
    ("y", "keyword name differs from torch's (variadic or differently named parameter in the binding; to fix)"):
        "Tensor.where Tensor.xlogy Tensor.xlogy_ where xlogy",
}


def _accepted_keywords(fn):
    """The keyword names fn accepts (None: anything, it takes **kwargs). pybind11 functions have no
    Python signature, so their overloads are read from the docstring pybind11 writes."""
    if getattr(fn, "aliases_of", None) is not None:  # axis=/keepdims= aliases (tinygrad_ext/_numpy_names.py)
        return _accepted_keywords(fn.aliases_of)
    inner = getattr(fn, "out_of", None)
    if inner is not None:  # given out= by tinygrad_ext/_out.py: the function's own keywords and out
        names = _accepted_keywords(inner)
        return None if names is None else names | {"out"}
    try:
        params = inspect.signature(fn).parameters.values()
    except (ValueError, TypeError):
        names = set()
        for line in (fn.__doc__ or "").splitlines():
            m = re.match(r"\s*(?:\d+\.\s*)?\w+\((.*)\)\s*->", line)
            if m:
                parts = [p.strip() for p in re.split(r",\s*(?![^\[]*\])", m.group(1))]
                if any(p.startswith("**") for p in parts):
                    return None  # parses its keywords itself (e.g. Tensor.to's torch forms)
                names |= {p.split(":")[0].strip() for p in parts if p and p not in "*/" and not p.startswith("*")}
        return names
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _torch_surface():
    """(label, tg callable, torch's keyword names) for every overridable torch name tg has."""
    for fn, lam in get_testing_overrides().items():
        qual, module = getattr(fn, "__qualname__", ""), getattr(fn, "__module__", "") or ""
        method = qual.startswith(("TensorBase.", "Tensor."))
        if method:
            owner, name, label = tg.Tensor, qual.split(".", 1)[1], "Tensor." + qual.split(".", 1)[1]
        elif module.startswith("torch.nn.functional"):
            owner, name, label = tg.nn.functional, qual, "nn.functional." + qual
        elif qual.startswith("_VariableFunctionsClass.") or (module in ("torch", "torch.functional") and "." not in qual):
            name = qual.rsplit(".", 1)[-1]
            owner, label = tg, name
        else:
            continue
        if name.startswith("_") or not hasattr(owner, name):
            continue
        try:
            params = list(inspect.signature(lam).parameters.values())
        except (ValueError, TypeError):
            continue
        # A method's lambda is its function's, self included as `input`; torch's methods take no out=.
        want = [p.name for p in params[1 if method else 0:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                and not (method and p.name == "out")]
        yield label, getattr(owner, name), want


def test_torch_keyword_names_are_accepted():
    listed = {(label, kw) for (kw, _), labels in GAPS.items() for label in labels.split()}
    missing, checked = set(), 0
    for label, fn, want in _torch_surface():
        have = _accepted_keywords(fn)
        checked += 1
        if have is not None:
            missing |= {(label, kw) for kw in want if kw not in have}
    assert checked > 300
    assert sorted(missing - listed) == [], "keywords torch accepts and tg does not (fix, or list in GAPS)"
    assert sorted(listed - missing) == [], "accepted now: remove from GAPS"


@pytest.mark.parametrize("call", [
    lambda lib, x: x.softmax(dim=1), lambda lib, x: x.log_softmax(dim=-1), lambda lib, x: lib.sum(input=x, dim=1, keepdim=True),
    lambda lib, x: x.sum(dim=(0, 1)), lambda lib, x: lib.argmax(x, dim=1, keepdim=True), lambda lib, x: x.argmax(dim=1),
    lambda lib, x: lib.transpose(input=x, dim0=0, dim1=1), lambda lib, x: lib.clamp(x, min=0.0, max=0.5),
    lambda lib, x: lib.add(input=x, other=x, alpha=2), lambda lib, x: lib.where(x > 0, input=x, other=x * 2),
    lambda lib, x: x.type(dtype=lib.float64), lambda lib, x: lib.cat(tensors=[x, x], dim=1),
    # numpy-style aliases torch accepts wherever there is a dim / keepdim
    lambda lib, x: x.argmax(axis=1), lambda lib, x: lib.sum(x, axis=0, keepdims=True),
    lambda lib, x: x.mean(axis=1, keepdims=True), lambda lib, x: lib.amax(x, axis=(0, 1)),
    lambda lib, x: x.softmax(axis=0), lambda lib, x: lib.cat([x, x], axis=1), lambda lib, x: x.max(axis=0).values,
    lambda lib, x: lib.cdist(x1=x, x2=x), lambda lib, x: x.clone().cumsum_(0, dtype=lib.float32),
])
def test_keyword_calls_match_torch(call):
    data = [[1.0, -2.0, 3.0], [0.25, 0.5, -1.0]]
    t, g = call(torch, torch.tensor(data)), call(tg, tg.tensor(data))
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)
