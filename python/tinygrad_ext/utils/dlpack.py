"""tg.utils.dlpack, as torch.utils.dlpack: tensors to and from DLPack capsules."""
from .._dlpack import DLDeviceType, from_dlpack

__all__ = ["to_dlpack", "from_dlpack", "DLDeviceType"]


def to_dlpack(tensor):
    """A legacy DLPack capsule ('dltensor') sharing tensor's memory, as torch.utils.dlpack.to_dlpack."""
    return tensor.__dlpack__()
