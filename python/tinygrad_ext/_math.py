"""Python faces of the math family: var/std/norm argument parsing, named-tuple results
(sort, topk, kthvalue, median) and einsum (any number of operands, '...') built from
permute/reshape/matmul."""
import builtins
import collections
import math as _pymath
import string

from . import _C
from ._C import Tensor

sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])
kthvalue_result = collections.namedtuple("kthvalue", ["values", "indices"])
median_result = collections.namedtuple("median", ["values", "indices"])

_NAMES = ["sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh",
          "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "square", "sign", "floor",
          "ceil", "trunc", "fix", "frac", "erf", "round", "isnan", "isinf", "isfinite", "logical_not",
          "bitwise_not", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor", "fmod", "remainder", "floor_divide", "atan2", "arctan2", "lerp", "addcmul",
          "addcdiv", "addmm", "bmm", "mv", "dot", "inner", "outer", "ger", "matrix_power", "isclose",
          "allclose", "equal", "prod", "logsumexp", "cumsum", "cumprod", "count_nonzero", "all", "any",
          "argsort"]
globals().update({n: getattr(_C, n) for n in _NAMES})


def _var_args(op, dim, unbiased, keepdim, correction):
    """torch accepts var(x, unbiased), var(x, dim, unbiased, keepdim) and var(x, dim, *, correction)."""
    if isinstance(dim, bool):  # var(x, True): the second positional argument is `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, float(correction), bool(keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, c, k = _var_args("var", dim, unbiased, keepdim, correction)
    return _C._var(input, dim, c, k)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, c, k = _var_args("std", dim, unbiased, keepdim, correction)
    return _C._std(input, dim, c, k)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, c, k = _var_args("var_mean", dim, unbiased, keepdim, correction)
    return _C._var(input, dim, c, k), _C.mean(input, dim, k)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, c, k = _var_args("std_mean", dim, unbiased, keepdim, correction)
    return _C._std(input, dim, c, k), _C.mean(input, dim, k)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector norm over `dim` (all elements when None): p in {number, inf, -inf, 'fro'}."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "nuc":
        raise RuntimeError("norm: p='nuc' (nuclear norm) is not supported")
    return _C._norm(input, p, dim, keepdim)


def sort(input, dim=-1, descending=False, *, stable=False):
    return sort_result(*_C._sort(input, dim, descending, bool(stable)))


def topk(input, k, dim=-1, largest=True, sorted=True):
    return topk_result(*_C._topk(input, k, dim, largest, sorted))


def kthvalue(input, k, dim=-1, keepdim=False):
    return kthvalue_result(*_C._kthvalue(input, k, dim, keepdim))


def median(input, dim=None, keepdim=False):
    """Lower median of all elements, or (values, indices) along `dim`."""
    if dim is None:
        return _C._median_all(input)
    return median_result(*_C._median_dim(input, dim, keepdim))


def _std_method(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(self, dim, unbiased, keepdim, correction=correction)


def _var_method(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(self, dim, unbiased, keepdim, correction=correction)


for _name, _fn in {"var": _var_method, "std": _std_method, "norm": norm, "sort": sort, "topk": topk,
                   "kthvalue": kthvalue, "median": median}.items():
    setattr(Tensor, _name, _fn)


# ---- einsum ----

def _expand_ellipsis(lhs, rhs, arrow, operands):
    """Replaces '...' by letters unused in the equation, aligned from the right across operands (as
    broadcasting aligns dims); an implicit output lists the ellipsis dims first."""
    terms = lhs.split(",")
    if "..." not in lhs:
        return terms, rhs
    free = [c for c in string.ascii_letters if c not in lhs + rhs]
    counts = [op.dim() - (len(t) - 3) if "..." in t else 0 for t, op in zip(terms, operands)]
    width = builtins.max(counts, default=0)
    letters = "".join(free[:width])
    terms = [t.replace("...", letters[width - k:]) if "..." in t else t for t, k in zip(terms, counts)]
    if arrow:
        rhs = rhs.replace("...", letters)
    else:
        once = collections.Counter(c for c in "".join(terms) if c not in letters)
        rhs = letters + "".join(sorted(c for c, n in once.items() if n == 1))
    return terms, rhs


def _parse_einsum(equation, operands):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if len(lhs.split(",")) != len(operands):
        raise ValueError(f"einsum(): {len(lhs.split(','))} operand subscripts in '{equation}' but "
                         f"{len(operands)} operands given")
    for k, (t, op) in enumerate(zip(lhs.split(","), operands)):
        if t.count("...") > 1 or "." in t.replace("...", ""):
            raise RuntimeError(f"einsum(): found more than one '.' for operand {k} that is not part of any ellipsis")
        if ("..." in t and len(t) - 3 > op.dim()) or ("..." not in t and len(t) != op.dim()):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t.replace('...', ''))}) does "
                               f"not match the number of dimensions ({op.dim()}) for operand {k}"
                               f"{' and no ellipsis was given' if '...' not in t else ''}")
    terms, rhs = _expand_ellipsis(lhs, rhs, arrow, operands)
    for t in terms:
        if not t.isalpha() and t:
            raise ValueError(f"einsum(): invalid subscript '{t}' in '{equation}' (letters only)")
    if not arrow and "..." not in lhs:  # implicit output: letters seen exactly once, alphabetically
        counts = collections.Counter("".join(terms))
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(set(rhs)) != len(rhs) or builtins.any(c not in "".join(terms) for c in rhs):
        raise ValueError(f"einsum(): invalid output subscripts '{rhs}' in '{equation}'")
    return terms, rhs


def _diagonalize(term, x):
    """Removes repeated letters of one operand by taking diagonals (x * I summed over one copy)."""
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        if x.shape[i] != x.shape[j]:
            raise RuntimeError(f"einsum(): subscript {c} is repeated for operand but the sizes "
                               f"don't match, {x.shape[i]} != {x.shape[j]}")
        n = x.shape[i]
        eye_shape = [1] * x.dim()
        eye_shape[i] = eye_shape[j] = n
        mask = _C._eye(n, n, x.dtype).reshape(eye_shape)
        x = (x * mask).sum(j)
        term = term[:j] + term[j + 1:]
    return term, x


def _sum_out(term, x, keep):
    """Sums the letters of `term` not in `keep`."""
    drop = [i for i, c in enumerate(term) if c not in keep]
    if drop:
        x = x.sum(drop)
        term = "".join(c for c in term if c in keep)
    return term, x


def _to_order(term, x, order):
    return x.permute([term.index(c) for c in order]) if term != order else x


def einsum(equation, *operands):
    """Einstein summation over any number of operands (sum_to, diagonals, transposes, contractions,
    '...'); operands are contracted left to right, each pair as one batched matmul."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    terms, out = _parse_einsum(equation, operands)
    parts = [_diagonalize(t, x) for t, x in zip(terms, operands)]
    term, x = parts[0]
    for k in range(1, len(parts)):
        later = out + "".join(t for t, _ in parts[k + 1:])
        tb, b = parts[k]
        keep = "".join(dict.fromkeys(c for c in term + tb if c in later))  # letters still needed, in order
        term, x = keep, _contract_pair(term, x, tb, b, keep)
    term, x = _sum_out(term, x, out)
    return _to_order(term, x, out)


def _contract_pair(ta, a, tb, b, out):
    """a (letters ta) times b (letters tb), summed over the letters not in `out`, in `out`'s order."""
    ta, a = _sum_out(ta, a, out + tb)
    tb, b = _sum_out(tb, b, out + ta)
    size = {}
    for t, x in ((ta, a), (tb, b)):
        for c, n in zip(t, x.shape):
            if c in size and size[c] != n and 1 not in (size[c], n):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript {c} "
                                   f"has size {size[c]} and {n}")
            size[c] = n if c not in size or size[c] == 1 else size[c]
    batch = [c for c in ta if c in tb and c in out]
    contract = [c for c in ta if c in tb and c not in out]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    prod = lambda cs: _pymath.prod(size[c] for c in cs)
    a = _to_order(ta, a, "".join(batch + left + contract))
    b = _to_order(tb, b, "".join(batch + contract + right))
    a = a.expand([size[c] for c in batch + left + contract])
    b = b.expand([size[c] for c in batch + contract + right])
    a = a.reshape(prod(batch), prod(left), prod(contract))
    b = b.reshape(prod(batch), prod(contract), prod(right))
    r = _C.matmul(a, b).reshape([size[c] for c in batch + left + right])
    return _to_order("".join(batch + left + right), r, out)


__all__ = _NAMES + ["var", "std", "var_mean", "std_mean", "norm", "sort", "topk", "kthvalue", "median", "einsum"]
