"""tg.* names for indexing and joining/shape ops (implemented in C++: cpp/src/ops/{index,scatter,join}.cpp)."""
from . import _C

__all__ = ["index_select", "gather", "scatter", "scatter_add", "masked_fill", "masked_select",
           "take_along_dim", "nonzero", "index_put", "cat", "concat", "concatenate", "stack", "split",
           "chunk", "unbind", "tile", "flip", "roll", "movedim", "moveaxis", "unflatten", "narrow",
           "tril", "triu", "diag"]

for _name in __all__:
    globals()[_name] = getattr(_C, _name)
del _name
