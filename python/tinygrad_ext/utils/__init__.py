# tg.utils: helpers that mirror torch.utils (data loading).
from . import data

__all__ = ["data"]
