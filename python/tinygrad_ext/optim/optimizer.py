# The Optimizer base class: param groups, per-parameter state, zero_grad, state_dict round trips.
import functools
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

import tinygrad_ext as tg

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter without a default: every param group must then give it."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    """'int', 'list', 'tinygrad_ext.Tensor': how torch.typename names a value in errors."""
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _to_float(x):
    """A hyperparameter given as a number or a 1-element tensor, as a Python float."""
    if isinstance(x, tg.Tensor):
        return float(x.item())
    return float(x)


def _check_lr(lr):
    if isinstance(lr, tg.Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _to_float(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_nonneg(value, what):
    """Raises torch's "Invalid <what> value: v" unless 0 <= value."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def _check_unsupported(differentiable=False, capturable=False):
    if differentiable:
        raise ValueError(
            "tg.optim: differentiable=True is not supported: the update runs in fused C++ kernels "
            "outside autograd")
    if capturable:
        raise ValueError("tg.optim: capturable=True is not supported (there are no CUDA graphs)")


def _scalar_dtype():
    """dtype of the `step` counters: float64 when that is the default dtype, else float32 (as torch)."""
    get_default = getattr(tg, "get_default_dtype", None)
    if get_default is not None and get_default() == tg.float64:
        return tg.float64
    return tg.float32


def _new_step():
    return tg.tensor(0.0, dtype=_scalar_dtype())


def _increment_step(state, key="step"):
    """Adds one to state[key] (a 0-d tensor or a number) and returns the new count as a float."""
    step = state[key]
    if isinstance(step, tg.Tensor):
        value = step.item() + 1
        step.fill_(value)
        return float(value)
    state[key] = step + 1
    return float(state[key])


def _round_like(value, tensor):
    """`value` rounded to the dtype of the 0-d `tensor` (float32 state is rounded like torch's)."""
    if tensor.dtype == tg.float32:
        return float(np.float32(value))
    return float(value)


def _dense_grad(p):
    """p.grad as a contiguous tensor of p's shape, ready for the C++ kernels."""
    g = p.grad
    if g.shape != p.shape:
        raise RuntimeError(
            f"optimizer step: the gradient has shape {tuple(g.shape)} but the parameter has shape "
            f"{tuple(p.shape)}")
    if not g.is_contiguous():
        g = g.contiguous()
    return g


def _uses_no_grad(step_fn):
    """Runs an optimizer's step under no_grad (the closure, if any, runs with grad enabled)."""

    @functools.wraps(step_fn)
    def step(self, *args, **kwargs):
        with tg.no_grad():
            return step_fn(self, *args, **kwargs)

    return step


class Optimizer:
    """Base class of all optimizers: holds `defaults`, `param_groups` (list of dicts whose 'params'
    are tensors) and `state` (a dict per parameter). Subclasses implement `step`."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, tg.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- closures and steps ----
    def _params_with_grads(self, group):
        """(param, dense gradient, state dict) for each parameter of `group` that has a gradient."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, _dense_grad(p), self.state[p]

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        with tg.enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all optimized tensors: to None by default, else to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    with tg.no_grad():
                        if p.grad.grad_fn is not None:
                            p.grad = p.grad.detach()
                        p.grad.zero_()

    # ---- param groups ----
    def add_param_group(self, param_group):
        """Adds a group of parameters (a dict with 'params' and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, tg.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        else:
            param_group["params"] = list(params)

        # (name, tensor) pairs as given by named_parameters()
        names, tensors = [], []
        for item in param_group["params"]:
            if isinstance(item, tuple):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for p in param_group["params"]:
            if not isinstance(p, tg.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or getattr(p, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- saving and loading ----
    def state_dict(self):
        """{'state': {index: per-parameter state}, 'param_groups': [group with 'params' as indices]}.
        Parameters are numbered in the order they appear across the groups."""
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index_of[id(k)] if isinstance(k, tg.Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads a state_dict() of an optimizer with the same group layout. Tensors are copied (to
        the parameter's dtype, except the step counters), so the source can keep training."""
        import copy

        saved_groups = copy.deepcopy(state_dict["param_groups"])
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, tg.Tensor):
                value = value.detach().clone()
                if key != "step" and value.dtype != param.dtype and param.dtype in (
                        tg.float32, tg.float64):
                    value = value.to(param.dtype)
                return value
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = copy.deepcopy(v)
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
        self._fix_loaded_state()

    def _fix_loaded_state(self):
        """Subclasses fill in options missing from older state dicts here."""
        for group in self.param_groups:
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def _kernels():
    """The fused update functions of the C++ core (tinygrad_ext._C._optim)."""
    return tg._C._optim
