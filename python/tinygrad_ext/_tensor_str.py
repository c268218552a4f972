"""Printing tensors the way torch does: tensor([[1., 2.]], requires_grad=True)."""
import math

import numpy as np

LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
PRECISION = 4


class _Formatter:
    """Chooses one format (int, fixed or scientific) and one width for all elements."""

    def __init__(self, values, is_float):
        self.is_float = is_float
        self.sci = False
        self.int_mode = True
        if values.dtype == np.bool_ or not is_float:
            self.width = max((len(self._plain(v)) for v in values.flat), default=1)
            return
        finite = values[np.isfinite(values)]
        nonzero = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if nonzero.size:
            hi, lo = float(nonzero.max()), float(nonzero.min())
            if self.int_mode:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8
            else:
                self.sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        # torch sizes the column from the nonzero finite values only; nan/inf/0 are padded to it
        self.width = max((len(self.format_raw(v)) for v in finite[finite != 0].flat), default=1)

    @staticmethod
    def _plain(v):
        return str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(int(v))

    def format_raw(self, v):
        if not self.is_float:
            return self._plain(v)
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if self.sci:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{PRECISION}f}"

    def format(self, v):
        return self.format_raw(v).rjust(self.width)


def _summarized(arr):
    """Keeps the first and last EDGEITEMS along every dim (for the formatter's statistics)."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        arr = np.concatenate([arr[:EDGEITEMS], arr[-EDGEITEMS:]])
    return np.stack([_summarized(a) for a in arr]) if arr.ndim > 1 else arr


def _body(arr, fmt, indent, summarize):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        items = [fmt.format(v) for v in arr.tolist()] if not summarize or arr.shape[0] <= 2 * EDGEITEMS else (
            [fmt.format(v) for v in arr[:EDGEITEMS].tolist()] + [" ..."] +
            [fmt.format(v) for v in arr[-EDGEITEMS:].tolist()])
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        subs = ([_body(a, fmt, indent + 1, summarize) for a in arr[:EDGEITEMS]] + ["..."] +
                [_body(a, fmt, indent + 1, summarize) for a in arr[-EDGEITEMS:]])
    else:
        subs = [_body(a, fmt, indent + 1, summarize) for a in arr]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(subs) + "]"


def tensor_repr(t, prefix="tensor("):
    from . import _C
    from ._tensor import _values
    arr = _values(t)
    is_float = t.dtype.is_floating_point
    indent = len(prefix)
    suffixes = []
    if arr.size == 0:
        body = "[]"
        if arr.shape != (0,):
            suffixes.append("size=" + str(tuple(arr.shape)))
    else:
        summarize = arr.size > THRESHOLD
        fmt = _Formatter(_summarized(arr) if summarize else arr, is_float)
        body = _body(arr, fmt, indent, summarize)
    default = _C._get_default_dtype()  # torch leaves out the default dtype
    if t.dtype not in (default, _C.dtype.int64, _C.dtype.bool):
        suffixes.append(f"dtype={t.dtype!r}")
    elif arr.size == 0 and t.dtype != default:
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"
