"""tg.signal: torch.signal's window functions (tg.signal.windows)."""
from . import windows

__all__ = ["windows"]
