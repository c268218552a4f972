"""nn.Parameter: a tensor that a Module registers as a learnable parameter."""
from .._C import Tensor


class Parameter(Tensor):
    """A tg.Tensor that shares `data`'s storage and requires grad by default (torch.nn.Parameter)."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from .. import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a tg.Tensor as data, got {type(data).__name__}")
        super().__init__(data.detach())  # an alias of data's storage without its history
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__  # print(param) shows the header too, as in torch

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result
