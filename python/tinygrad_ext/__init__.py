"""tinygrad_ext: a PyTorch-shaped autograd engine with a C++17 core.  import tinygrad_ext as tg"""
from ._openmp import load_compiled_module as _load_compiled_module
_C = _load_compiled_module()  # with the OpenMP wait policy of _openmp.py
from ._C import Generator, Tensor, from_numpy, get_num_threads, set_num_threads
from ._C import dtype
from ._C import device, memory_format  # noqa: F401  (tg.device as torch.device)
from . import _tensor  # noqa: F401  (adds the Python-side Tensor methods)
from ._tensor import Size
from ._tensor_surface import *  # noqa: F401,F403  (tg.FloatTensor & co., tg.strided)
from ._creation import (arange, as_tensor, empty, empty_like, eye, full, full_like, initial_seed,
                        linspace, manual_seed, normal, ones, ones_like, rand, rand_like, randint,
                        randn, randn_like, randperm, seed, tensor, zeros, zeros_like)
from ._index_ops import *  # noqa: F401,F403  (indexing, joining and shape ops)
from . import autograd
from ._math import *  # noqa: F401,F403  (math ops and reductions: sin ... median, einsum)
from ._math_extra import *  # noqa: F401,F403  (special functions, xlogy ... fmax, logspace)
from . import special  # noqa: E402  (tg.special)
from .special import igamma, igammac  # noqa: E402,F401
from ._aliases import *  # noqa: F401,F403  (resolve_conj, unsafe_split, zero_, ...: torch aliases)
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

float32 = float = dtype.float32
float64 = double = dtype.float64
float16 = half = dtype.float16
bfloat16 = dtype.bfloat16
uint8 = dtype.uint8
int8 = dtype.int8
int16 = short = dtype.int16
int32 = int = dtype.int32  # noqa: A001  (torch.int)
int64 = long = dtype.int64
bool = dtype.bool  # noqa: A001  (torch.bool)
from ._dtype_info import finfo, iinfo  # noqa: E402
from ._C import can_cast, promote_types  # noqa: E402

default_generator = _C.default_generator()


def _export_ops():
    """tg.add, tg.exp, ... are the C++ functions; a few need Python for torch's return types."""
    names = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt",
             "ge", "neg", "negative", "abs", "exp", "log", "sqrt", "relu", "sigmoid", "tanh", "where",
             "clamp", "clip", "matmul", "mm", "sum", "mean", "amax", "amin", "argmax", "argmin",
             "reshape", "permute", "transpose", "swapaxes", "t", "squeeze", "unsqueeze", "flatten",
             "clone", "select", "broadcast_shapes"]
    g = globals()
    for n in names:
        g[n] = getattr(_C, n)


_export_ops()
subtract, multiply, divide, true_divide = sub, mul, div, div


def max(input, dim=None, keepdim=False):
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def get_default_dtype():
    return _C._get_default_dtype()


def set_default_dtype(d):
    """The dtype of Python floats and of the float factories (a TypeError for non-float dtypes)."""
    if not isinstance(d, dtype):
        raise TypeError(f"set_default_dtype(): argument 'd' (position 1) must be torch.dtype, not {type(d).__name__}")
    _C._set_default_dtype(d)


def result_type(tensor1, tensor2):
    return _C._result_type(tensor1, tensor2)


def detach(input):
    return input.detach()


from . import nn  # noqa: E402  (tg.nn, after the Tensor surface is complete)
from .nn import summary  # noqa: E402
from .nn._conv_functional import TORCH_EXPORTS as _conv_exports  # noqa: E402
globals().update(_conv_exports)  # tg.conv2d, tg.max_pool2d, tg.batch_norm, ...
from . import _memory_format  # noqa: E402,F401  (Tensor.contiguous(memory_format=...))
from . import optim  # noqa: E402  (tg.optim, tg.optim.lr_scheduler)

__version__ = "0.1.0"

# Data loading (tg.utils.data as torch.utils.data; tg.datasets / tg.transforms as torchvision's).
from . import utils, datasets, transforms  # noqa: E402
from .serialization import SerializationError, load, save  # noqa: E402  (tg.save / tg.load)
from ._dlpack import from_dlpack  # noqa: E402  (DLPack and the numpy array protocol)
from . import cuda  # noqa: E402  (tg.cuda: no CUDA in this build)

preserve_format = memory_format.preserve_format
contiguous_format = memory_format.contiguous_format
channels_last = memory_format.channels_last
channels_last_3d = memory_format.channels_last_3d

# Determinism: every CPU kernel splits its work into pieces whose size does not depend on the
# thread count (elementwise ops per element, reductions in fixed-size chunks combined in order,
# GEMM per output tile with one K order), so results are the same bits on any number of threads.
# The switch is kept for torch compatibility and reports what was asked.
_deterministic_algorithms = False


def use_deterministic_algorithms(mode, *, warn_only=False):
    """As torch.use_deterministic_algorithms; tinygrad_ext's kernels are always deterministic."""
    global _deterministic_algorithms
    _deterministic_algorithms = True if mode else False  # (`bool` is tg.bool in this module)


def are_deterministic_algorithms_enabled():
    return _deterministic_algorithms
from . import distributed  # noqa: E402  (tg.distributed on MPI; mpi4py is loaded on first use)
from ._layer_exports import *  # noqa: E402,F401,F403  (torch.layer_norm, torch.pixel_shuffle, ...)
from ._reduce_extra import *  # noqa: F401,F403,E402  (addmv ... cummax: products, reductions and scans)
from . import linalg  # noqa: F401,E402
from ._activation_exports import *  # noqa: E402,F401,F403  (torch.hardshrink, torch.pdist, Tensor.prelu, ...)
from ._shape_extra import *  # noqa: E402,F401,F403  (diagonal, stacks/splits, rot90, meshgrid, *_copy, ...)
from . import signal  # noqa: F401,E402  (tg.signal.windows)
from ._random_ops import *  # noqa: F401,F403,E402  (bernoulli, multinomial, randint_like, Tensor.random_)
from . import amp, cpu  # noqa: E402,F401  (tg.amp.autocast, tg.cpu.amp.autocast)
from .amp import autocast, get_autocast_dtype, is_autocast_enabled, set_autocast_enabled  # noqa: E402,F401
from ._index_extra import *  # noqa: E402,F401,F403  (scatter_reduce, index_add ... repeat_interleave)
from . import masked  # noqa: F401,E402  (tg.masked)
from . import ops  # noqa: F401,E402  (tg.ops.aten: aten operators under torch's names)
from ._reduce_order import *  # noqa: F401,F403,E402  (quantile, nanquantile, mode, nanmedian)
from ._statistics import *  # noqa: F401,F403,E402  (softmax, log_softmax, cov, corrcoef)
from ._out import install as _install_out  # noqa: E402  (out= on torch's functions; keep these last)
from ._numpy_names import install as _install_numpy_names  # noqa: E402  (axis= / keepdims=)
_install_out(globals())
_install_numpy_names(globals())
