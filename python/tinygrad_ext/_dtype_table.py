"""One table of every torch dtype tg may have, with its name in each interchange format.

Each row: tg/torch dtype name, numpy dtype (None where numpy has none), DLPack (type code, bits),
safetensors dtype string (None where safetensors has none), torch storage class name as
torch.save pickles it (None: saved as an untyped storage plus the dtype, _rebuild_tensor_v3).
Rows whose dtype tg does not have (yet) are skipped when the lookups below are built, so a dtype
added to the core works in every format as soon as it exists.
"""
from . import _C

# DLPack type codes (dlpack.h): kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBfloat 4, kDLComplex 5,
# kDLBool 6; the float8 codes come from DLPack 1.1.
_ROWS = [
    # name           numpy   dlpack     safetensors  torch storage
    ("bool",          "|b1", (6, 8),    "BOOL",      "BoolStorage"),
    ("uint8",         "|u1", (1, 8),    "U8",        "ByteStorage"),
    ("int8",          "|i1", (0, 8),    "I8",        "CharStorage"),
    ("int16",         "<i2", (0, 16),   "I16",       "ShortStorage"),
    ("uint16",        "<u2", (1, 16),   "U16",       None),
    ("int32",         "<i4", (0, 32),   "I32",       "IntStorage"),
    ("uint32",        "<u4", (1, 32),   "U32",       None),
    ("int64",         "<i8", (0, 64),   "I64",       "LongStorage"),
    ("uint64",        "<u8", (1, 64),   "U64",       None),
    ("float16",       "<f2", (2, 16),   "F16",       "HalfStorage"),
    ("bfloat16",      None,  (4, 16),   "BF16",      "BFloat16Storage"),
    ("float32",       "<f4", (2, 32),   "F32",       "FloatStorage"),
    ("float64",       "<f8", (2, 64),   "F64",       "DoubleStorage"),
    ("complex64",     "<c8", (5, 64),   "C64",       "ComplexFloatStorage"),
    ("complex128",    "<c16", (5, 128), None,        "ComplexDoubleStorage"),
    ("float8_e4m3fn", None,  (10, 8),   "F8_E4M3",   None),
    ("float8_e5m2",   None,  (12, 8),   "F8_E5M2",   None),
]


class DTypeInfo:
    """A row of the table for a dtype tg has."""
    __slots__ = ("name", "dtype", "itemsize", "numpy", "dlpack", "safetensors", "torch_storage")

    def __init__(self, name, dtype, numpy, dlpack, safetensors, torch_storage):
        self.name, self.dtype, self.itemsize = name, dtype, dtype.itemsize
        self.numpy, self.dlpack, self.safetensors, self.torch_storage = \
            numpy, dlpack, safetensors, torch_storage


# The dtypes tg has, in table order, and lookups by each format's name.
INFOS = [DTypeInfo(name, getattr(_C.dtype, name), *rest)
         for name, *rest in _ROWS if hasattr(_C.dtype, name)]
BY_DTYPE = {i.dtype: i for i in INFOS}
BY_NAME = {i.name: i for i in INFOS}
BY_DLPACK = {i.dlpack: i.dtype for i in INFOS}
BY_SAFETENSORS = {i.safetensors: i for i in INFOS if i.safetensors}
BY_TORCH_STORAGE = {i.torch_storage: i for i in INFOS if i.torch_storage}
# Every name each format may use, to tell "a dtype tg lacks" from "not a dtype at all".
ALL_NAMES = {row[0] for row in _ROWS}
SAFETENSORS_BITS = {row[3]: row[2][1] for row in _ROWS if row[3]}  # bits per element
ALL_TORCH_STORAGE = {row[4]: row[0] for row in _ROWS if row[4]}


def info(dtype, op):
    """The row for a tg dtype, or a TypeError naming op."""
    try:
        return BY_DTYPE[dtype]
    except KeyError:
        raise TypeError(f"{op}: unsupported dtype {dtype}") from None
