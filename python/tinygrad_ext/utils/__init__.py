# tg.utils: helpers that mirror torch.utils (data loading).
from . import data, dlpack

__all__ = ["data", "dlpack"]
