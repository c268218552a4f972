"""gradcheck: compares autograd's Jacobian with central finite differences (float64)."""
import numpy as np

from .. import _C
from ..autograd.grad_mode import no_grad


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _numeric_jacobian(fn, inputs, x, eps):
    """d(outputs)/d(x) by central differences: column k is (f(x + eps e_k) - f(x - eps e_k)) / 2 eps."""
    arr = x.detach().numpy()  # a view: writes perturb x itself
    columns = []
    for idx in np.ndindex(arr.shape):
        orig = arr[idx]
        arr[idx] = orig + eps
        with no_grad():
            plus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
        arr[idx] = orig - eps
        with no_grad():
            minus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
        arr[idx] = orig
        columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    n_out = sum(o.numel() for o in _outputs(fn, inputs))
    return np.stack(columns, axis=1) if columns else np.zeros((n_out, 0))


def _analytic_jacobians(fn, inputs, wrt):
    """Row j holds the gradient of output element j with respect to each input in `wrt`."""
    from ..autograd import grad
    outs = _outputs(fn, inputs)
    rows = {id(x): [] for x in wrt}
    for o in outs:
        flat_count = o.numel()
        for j in range(flat_count):
            seed = np.zeros(flat_count)
            seed[j] = 1.0
            seed_t = _C._numpy_to_tensor(seed.reshape(o.shape).astype(o.detach().numpy().dtype))
            if not o.requires_grad:
                for x in wrt:
                    rows[id(x)].append(np.zeros(x.numel()))
                continue
            gs = grad([o], wrt, [seed_t], retain_graph=True, allow_unused=True)
            for x, g in zip(wrt, gs):
                rows[id(x)].append(np.zeros(x.numel()) if g is None else g.detach().numpy().astype(np.float64).ravel())
    return {k: (np.stack(v) if v else np.zeros((0, 0))) for k, v in rows.items()}


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when autograd's gradients of fn(*inputs) match finite differences.

    Inputs that require grad must be float64 and must not share memory between elements
    (an expanded view would give wrong numeric gradients)."""
    from .._C import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for x in wrt:
        if x.dtype != _C.dtype.float64:
            raise GradcheckError(f"gradcheck: input of dtype {x.dtype!r} should be float64 for accurate checks")
        if x.numel() > 0 and any(s == 0 for s, n in zip(x.stride(), x.shape) if n > 1):
            raise GradcheckError("gradcheck: an input has overlapping memory (an expanded view); "
                                 "pass a contiguous copy")
    analytic = _analytic_jacobians(fn, inputs, wrt)
    for i, x in enumerate(wrt):
        numeric = _numeric_jacobian(fn, inputs, x, eps)
        a = analytic[id(x)]
        if a.shape != numeric.shape:
            a = a.reshape(numeric.shape)
        if not np.allclose(a, numeric, rtol=rtol, atol=atol, equal_nan=True):
            if not raise_exception:
                return False
            diff = np.abs(a - numeric)
            raise GradcheckError(
                f"Jacobian mismatch for input {i} (shape {tuple(x.shape)}): max abs difference "
                f"{diff.max():.3e}\nnumerical:\n{numeric}\nanalytical:\n{a}")
    return True
