"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled (thread-local, in C++)."""
import functools

from .. import _C


class _GradMode:
    """Base for context managers that are also decorators."""

    _enabled = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._enabled)
        return None

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Disables gradient recording inside the block or the decorated function."""

    _enabled = False


class enable_grad(_GradMode):
    """Enables gradient recording inside the block or the decorated function."""

    _enabled = True


class set_grad_enabled:
    """set_grad_enabled(mode): takes effect immediately; also a context manager that restores."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(bool(mode))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


is_grad_enabled = _C.is_grad_enabled
