"""tg.ops.aten: the few aten operators tg exposes under torch's names (torch.ops.aten.NAME.default),
for code written against torch's operator namespace. Each name is an overload packet: callable,
with the `.default` overload as an attribute."""
from ._C import _conv


class _OverloadPacket:
    def __init__(self, name, default):
        self.__name__ = name
        self.default = default

    def __call__(self, *args, **kwargs):
        return self.default(*args, **kwargs)

    def __repr__(self):
        return f"tg.ops.aten.{self.__name__}"


def _max_pool2d_with_indices_backward(grad_output, self, kernel_size, stride, padding, dilation, ceil_mode, indices):
    """The input gradient of max_pool2d_with_indices: grad_output added into zeros shaped as `self` at
    `indices` (the window arguments only fixed those indices)."""
    unbatched = self.dim() == 3
    if unbatched:
        grad_output, self, indices = grad_output.unsqueeze(0), self.unsqueeze(0), indices.unsqueeze(0)
    out = _conv.max_pool_backward(grad_output, self, indices, "max_pool2d_with_indices_backward")
    return out.squeeze(0) if unbatched else out


class _Aten:
    max_pool2d_with_indices_backward = _OverloadPacket("max_pool2d_with_indices_backward",
                                                       _max_pool2d_with_indices_backward)


aten = _Aten()
