"""Mixed precision as torch.amp: autocast("cpu", dtype=tg.bfloat16) as a context manager or decorator.

The state (enabled, dtype) is thread-local and lives in C++, where the ops on torch's CPU lists
read it at their entry: matmul, mm, bmm, addmm, baddbmm, linear and the convolutions run in the
autocast dtype; the losses, prod and cdist run in float32 (see cpp/include/tg/autocast.h).
"""
import functools
import warnings

from . import _C

_LOWER_DTYPES = ("bfloat16", "float16")  # what CPU autocast accepts


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _C.device(device_type)  # torch's RuntimeError for a device string it cannot parse
        self.device = device_type
        self.fast_dtype = _C.dtype.bfloat16 if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        self._enabled = bool(enabled)
        if device_type == "cuda" and self._enabled:
            warnings.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling")
            self._enabled = False
        elif device_type != "cpu":
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        if self._enabled and repr(self.fast_dtype).rsplit(".", 1)[-1] not in _LOWER_DTYPES:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.")
            self._enabled = False

    def __enter__(self):
        self._saved = _C._autocast_state()
        if self.device == "cpu":
            _C._set_autocast_state(self._enabled, self.fast_dtype if self._enabled else self._saved[1])
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        _C._set_autocast_state(*self._saved)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorated


def is_autocast_available(device_type):
    return device_type == "cpu"


def is_autocast_enabled(device_type=None):
    """With no device, torch reports CUDA's state (always off here)."""
    return device_type == "cpu" and _C._autocast_state()[0]


def get_autocast_dtype(device_type):
    if device_type == "cuda":
        return _C.dtype.float16
    return _C._autocast_state()[1]


def set_autocast_enabled(device_type, enabled):
    if device_type == "cpu":
        _C._set_autocast_state(bool(enabled), _C._autocast_state()[1])


def set_autocast_dtype(device_type, dtype):
    if device_type == "cpu":
        _C._set_autocast_state(_C._autocast_state()[0], dtype)


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")
