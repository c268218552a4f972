"""tinygrad_ext.cuda as torch.cuda in a build without CUDA: nothing is available, seeding is a
no-op (as torch's seeds are kept for a device that never comes), and asking about a device
raises the RuntimeError that device="cuda" raises."""
from . import _C


def _require_cuda(op):
    _C._check_device("cuda", op)


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    int(seed)  # torch rejects a seed that is not an int-like


def manual_seed_all(seed):
    int(seed)


def current_device():
    _require_cuda("cuda.current_device")


def set_device(device):
    _require_cuda("cuda.set_device")


def synchronize(device=None):
    _require_cuda("cuda.synchronize")


def get_device_name(device=None):
    _require_cuda("cuda.get_device_name")
