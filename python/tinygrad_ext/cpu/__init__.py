"""tinygrad_ext.cpu as torch.cpu: the device this build runs on, and the deprecated cpu.amp."""
from . import amp  # noqa: F401


def is_available():
    return True


def device_count():
    return 1
