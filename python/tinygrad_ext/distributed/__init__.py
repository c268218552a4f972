"""tg.distributed: torch.distributed's API on MPI (mpi4py). Launch with
`mpiexec -n N python script.py` or `python -m tinygrad_ext.distributed.run --nproc N script.py`."""
from . import _mpi
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all


def is_available():
    """True when mpi4py and an MPI library it can load are installed (the [distributed] extra)."""
    return _mpi.load() is not None


__all__ = ["is_available"] + list(_c10d_all)
