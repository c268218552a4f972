# IDX file reader (the MNIST / Fashion-MNIST format), gzip or raw, with structural checks.
"""The IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header

    magic: 2 zero bytes, 1 type byte, 1 byte = number of dims
    dims:  one uint32 per dim
    data:  prod(dims) items of the type, row-major

Type bytes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""
import gzip
import os
import zlib

import numpy as np

__all__ = ["IDXError", "read_idx", "parse_idx", "write_idx"]

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {np.dtype(v).newbyteorder("=") if v.itemsize > 1 else v: k for k, v in _TYPES.items()}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (bad magic, truncated, wrong size)."""


def parse_idx(buf, name="<bytes>", expect_ndim=None):
    """Decodes IDX bytes into a native-endian numpy array; raises IDXError naming `name`."""
    buf = memoryview(buf).cast("B")
    if len(buf) < 4:
        raise IDXError(f"{name}: truncated IDX file ({len(buf)} bytes, the header needs at least 4)")
    zero0, zero1, code, ndim = buf[0], buf[1], buf[2], buf[3]
    if zero0 != 0 or zero1 != 0 or code not in _TYPES:
        magic = int.from_bytes(bytes(buf[:4]), "big")
        raise IDXError(f"{name}: bad IDX magic number 0x{magic:08X} (expected 0x0000TTDD with type "
                       f"TT in {{08,09,0B,0C,0D,0E}}); not an IDX file or corrupt")
    if ndim == 0:
        raise IDXError(f"{name}: IDX header declares 0 dimensions")
    if expect_ndim is not None and ndim != expect_ndim:
        raise IDXError(f"{name}: expected an IDX file with {expect_ndim} dims, got {ndim} "
                       f"(magic 0x{int.from_bytes(bytes(buf[:4]), 'big'):08X})")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise IDXError(f"{name}: truncated IDX header ({len(buf)} bytes, need {header} for {ndim} dims)")
    dims = tuple(int.from_bytes(bytes(buf[4 + 4 * i:8 + 4 * i]), "big") for i in range(ndim))
    dtype = _TYPES[code]
    count = 1
    for d in dims:
        count *= d
    need = header + count * dtype.itemsize
    if len(buf) < need:
        raise IDXError(f"{name}: truncated IDX file: header says shape {dims} of {dtype.name} "
                       f"({need} bytes in all) but the file has {len(buf)} bytes")
    if len(buf) > need:
        raise IDXError(f"{name}: IDX file has {len(buf) - need} trailing bytes after shape {dims} "
                       f"of {dtype.name}; corrupt or not an IDX file")
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else arr


def read_idx(path, expect_ndim=None):
    """Reads an IDX file (gzip-compressed when it starts with the gzip magic) into numpy."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise IDXError(f"{path}: corrupt or truncated gzip stream ({e})") from None
    return parse_idx(raw, name=path, expect_ndim=expect_ndim)


def write_idx(path, array, compress=None):
    """Writes a numpy array as an IDX file (gzip when `compress` or the name ends in .gz)."""
    path = os.fspath(path)
    a = np.asarray(array)
    key = a.dtype.newbyteorder("=") if a.dtype.itemsize > 1 else a.dtype
    if key not in _CODES:
        raise TypeError(f"write_idx: unsupported dtype {a.dtype} (IDX holds uint8, int8, int16, "
                        f"int32, float32, float64)")
    code = _CODES[key]
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"write_idx: IDX needs 1 to 255 dims, got {a.ndim}")
    body = bytes([0, 0, code, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    body += np.ascontiguousarray(a, dtype=_TYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        body = gzip.compress(body, compresslevel=6)
    with open(path, "wb") as f:
        f.write(body)
