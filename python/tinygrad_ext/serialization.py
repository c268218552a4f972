"""tg.save / tg.load: a data-only container for tensors and state_dicts (never pickle, never code).

File layout (version 1; all integers little-endian)::

    offset  size  field
    0       8     magic  b"\\x89TGSAVE\\n"
    8       4     uint32 format version (1)
    12      4     uint32 flags (0; readers reject anything else)
    16      8     uint64 H = byte length of the header
    24      8     uint64 D = byte length of the data section
    32      H     header: UTF-8 JSON describing the saved object (below)
    32+H    P     zero padding so that the data section starts at a multiple of 64
    ...     D     data section: each tensor's raw bytes, C-contiguous, little-endian
                  (float32 '<f4', float64 '<f8', float16 '<f2', bfloat16 its 16 bits '<i2',
                  int64 '<i8', int32 '<i4', int16 '<i2', int8 '|i1', uint8 '|u1', bool one byte 0/1),
                  each starting at a multiple of 64 relative to the section start
    ...     32    SHA-256 of every byte before it (magic through the end of the data)

The header is ``{"format": "tinygrad_ext.save", "root": NODE}`` where a NODE is one of

- ``null``, ``true``/``false``, a JSON integer, a JSON string, or a finite JSON float
  (written with a '.' or exponent, so 1.0 stays a float and 1 stays an int);
- ``{"t": "float", "v": "inf" | "-inf" | "nan"}`` for non-finite floats;
- ``{"t": "list" | "tuple", "items": [NODE, ...]}``;
- ``{"t": "dict" | "odict" | "counter", "items": [[KEY, NODE], ...]}`` with KEY a JSON string or
  integer ("odict" loads as collections.OrderedDict, as Module.state_dict() returns; "counter"
  as collections.Counter, as MultiStepLR keeps its milestones);
- ``{"t": "tensor", "dtype": "float32" | "float64" | "float16" | "bfloat16" | "uint8" | "int8" |
  "int16" | "int32" | "int64" | "bool", "shape": [int, ...],
  "offset": int, "nbytes": int, "requires_grad": bool, "parameter": bool}`` where offset is
  relative to the data section and nbytes == prod(shape) * itemsize.

Loading reads the fixed 32-byte prefix, checks magic/version/flags and that H and D fit in
what the file actually holds, reads the rest in bounded chunks, verifies the SHA-256 and only
then parses the JSON; every node's type, every dtype, shape, offset and length is validated
against the data section before any array is built.  Anything wrong raises
SerializationError (a RuntimeError) saying what is wrong.  Reading stops right after the
checksum, so several objects can be saved one after another into the same stream.
"""
import hashlib
import io
import json
import math
import os
import struct
import tempfile
from collections import Counter, OrderedDict

import numpy as np

from ._C import Tensor

__all__ = ["save", "load", "SerializationError"]

MAGIC = b"\x89TGSAVE\n"
VERSION = 1
_PREFIX = struct.Struct("<8sIIQQ")  # magic, version, flags, header length, data length
_ALIGN = 64
_DIGEST = 32  # SHA-256
_CHUNK = 1 << 20
_MAX_DEPTH = 200  # nesting limit for both save and load (state_dicts nest a few levels)
_NP_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "float16": np.dtype("<f2"),
              "bfloat16": np.dtype("<i2"), "uint8": np.dtype("|u1"), "int8": np.dtype("|i1"),
              "int16": np.dtype("<i2"), "int32": np.dtype("<i4"), "int64": np.dtype("<i8"),
              "bool": np.dtype("|b1")}
_FLOAT_NAMES = ("float32", "float64", "float16", "bfloat16")


class SerializationError(RuntimeError):
    """A file that tg.load cannot accept: not a tg save file, truncated, corrupted or malformed."""


def _pad(n):
    return (-n) % _ALIGN


def _dtype_name(t):
    name = str(t.dtype).rsplit(".", 1)[-1]
    if name not in _NP_DTYPES:
        raise TypeError(f"tg.save: unsupported tensor dtype {t.dtype}")
    return name


# ---------------------------------------------------------------- saving
class _Encoder:
    """Turns a Python object into header nodes, collecting tensor bytes for the data section."""

    def __init__(self):
        self.blobs = []  # contiguous numpy arrays, in data-section order
        self.size = 0
        self.active = set()  # ids of containers being encoded (cycle detection)

    def encode(self, obj, path, depth=0):
        if depth > _MAX_DEPTH:
            raise ValueError(f"tg.save: object nested deeper than {_MAX_DEPTH} levels at {path}")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            v = float(obj)
            if math.isfinite(v):
                return v
            return {"t": "float", "v": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        kind = {list: "list", tuple: "tuple", dict: "dict", OrderedDict: "odict",
                Counter: "counter"}.get(type(obj))
        if kind is None:
            from ._tensor import Size
            if type(obj) is Size:
                kind = "tuple"
        if kind is None:
            raise TypeError(f"tg.save: cannot save an object of type "
                            f"{type(obj).__module__}.{type(obj).__qualname__} at {path}; "
                            "supported: dict, OrderedDict, Counter, list, tuple, None, bool, "
                            "int, float, str and tg.Tensor")
        if id(obj) in self.active:
            raise ValueError(f"tg.save: the object contains itself (a reference cycle) at {path}")
        self.active.add(id(obj))
        try:
            if kind in ("list", "tuple"):
                items = [self.encode(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
            else:
                items = []
                for k, v in obj.items():
                    if isinstance(k, bool) or not isinstance(k, (str, int)):
                        raise TypeError(f"tg.save: dict keys must be str or int, got "
                                        f"{type(k).__qualname__} key {k!r} at {path}")
                    key = k if isinstance(k, str) else int(k)
                    items.append([key, self.encode(v, f"{path}[{k!r}]", depth + 1)])
        finally:
            self.active.discard(id(obj))
        return {"t": kind, "items": items}

    def _tensor(self, t):
        from .nn.parameter import Parameter
        name = _dtype_name(t)
        values = t.detach()
        if name == "bfloat16":  # numpy has no bfloat16: its bits travel as int16
            values = values.contiguous().view(_tg_dtype("int16"))
        arr = np.asarray(values.numpy(), dtype=_NP_DTYPES[name], order="C")  # keeps 0-d
        self.size += _pad(self.size)
        node = {"t": "tensor", "dtype": name, "shape": [int(s) for s in arr.shape],
                "offset": self.size, "nbytes": int(arr.nbytes),
                "requires_grad": bool(t.requires_grad), "parameter": isinstance(t, Parameter)}
        self.blobs.append((self.size, arr))
        self.size += arr.nbytes
        return node


def _write(obj, f):
    enc = _Encoder()
    root = enc.encode(obj, "<root>")
    header = json.dumps({"format": "tinygrad_ext.save", "root": root}, allow_nan=False,
                        separators=(",", ":")).encode("utf-8")
    sha = hashlib.sha256()

    def put(b):
        sha.update(b)
        f.write(b)

    put(_PREFIX.pack(MAGIC, VERSION, 0, len(header), enc.size))
    put(header)
    put(b"\0" * _pad(_PREFIX.size + len(header)))
    pos = 0
    for offset, arr in enc.blobs:
        put(b"\0" * (offset - pos))
        put(memoryview(arr).cast("B") if arr.nbytes else b"")
        pos = offset + arr.nbytes
    f.write(sha.digest())


def save(obj, f, format="tg"):
    """Saves obj (nested dict/OrderedDict/list/tuple of None, bool, int, float, str and tensors)
    to f, a path or a writable binary file object.  A path is written atomically (a temporary
    file in the same directory, then renamed).  format="torch" writes a torch.save zip
    checkpoint instead (python/tinygrad_ext/_torch_format.py), which torch.load reads."""
    if format not in ("tg", "torch"):
        raise ValueError(f"tg.save: format must be 'tg' or 'torch', got {format!r}")
    if format == "torch":
        from ._torch_format import save_torch as write
    else:
        write = _write
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        fd, tmp = tempfile.mkstemp(prefix=".tgsave-", dir=os.path.dirname(os.path.abspath(path)))
        try:
            with os.fdopen(fd, "wb") as out:
                write(obj, out)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return
    if not hasattr(f, "write"):
        raise TypeError(f"tg.save: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    if isinstance(f, io.TextIOBase):
        raise TypeError("tg.save: f must be opened in binary mode ('wb'), not text mode")
    write(obj, f)


# ---------------------------------------------------------------- loading
def _remaining(f):
    """Bytes left in f from its position, or None when f cannot seek."""
    try:
        if not f.seekable():
            return None
        here = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def _read_exact(f, n, what):
    """Reads exactly n bytes in bounded chunks (memory grows only with bytes really present)."""
    parts, got = [], 0
    while got < n:
        b = f.read(min(_CHUNK, n - got))
        if not b:
            raise SerializationError(f"tg.load: file is truncated: expected {n} bytes of {what}, "
                                     f"found {got}")
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _read(f):
    remaining = _remaining(f)
    prefix = f.read(_PREFIX.size)
    if not prefix:
        raise SerializationError("tg.load: file is empty (or the stream is at its end): "
                                 "no tinygrad_ext save data to read")
    if len(prefix) < len(MAGIC) and MAGIC.startswith(prefix):
        raise SerializationError(f"tg.load: file is truncated: {len(prefix)} bytes, shorter "
                                 "than the magic header")
    if prefix[:len(MAGIC)] != MAGIC:
        hint = " (it looks like a pickle; tg.load never unpickles)" if prefix[:1] == b"\x80" else \
            " (it looks like a zip archive, e.g. a torch.save file)" if prefix[:2] == b"PK" else ""
        raise SerializationError(f"tg.load: not a tinygrad_ext save file: bad magic "
                                 f"{prefix[:8]!r}, expected {MAGIC!r}{hint}")
    if len(prefix) < _PREFIX.size:
        raise SerializationError(f"tg.load: file is truncated: expected a {_PREFIX.size}-byte "
                                 f"prefix, found {len(prefix)}")
    _, version, flags, hlen, dlen = _PREFIX.unpack(prefix)
    if version != VERSION:
        raise SerializationError(f"tg.load: unsupported format version {version} (this reader "
                                 f"supports version {VERSION})")
    if flags != 0:
        raise SerializationError(f"tg.load: unsupported flags {flags:#x} in the prefix")
    body = hlen + _pad(_PREFIX.size + hlen) + dlen
    if remaining is not None and _PREFIX.size + body + _DIGEST > remaining:
        raise SerializationError(
            f"tg.load: file is truncated or corrupted: the prefix declares a {hlen}-byte header "
            f"and {dlen}-byte data section ({_PREFIX.size + body + _DIGEST} bytes in all) but "
            f"only {remaining} bytes are present")
    rest = _read_exact(f, body, "header and data")
    digest = _read_exact(f, _DIGEST, "SHA-256 checksum")
    if hashlib.sha256(prefix + rest).digest() != digest:
        raise SerializationError("tg.load: checksum mismatch: the file is corrupted or was "
                                 "modified after saving (SHA-256 of its contents differs)")
    try:
        header = json.loads(rest[:hlen].decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise SerializationError(f"tg.load: malformed header: {e}") from None
    if not isinstance(header, dict) or header.get("format") != "tinygrad_ext.save" \
            or "root" not in header:
        raise SerializationError("tg.load: malformed header: expected an object with "
                                 "format 'tinygrad_ext.save' and a root")
    data = memoryview(rest)[hlen + _pad(_PREFIX.size + hlen):]
    return header["root"], data


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


class _Decoder:
    def __init__(self, data, relocate):
        self.data = data
        self.relocate = relocate  # tensor -> tensor: where map_location puts each loaded tensor

    def fail(self, path, msg):
        raise SerializationError(f"tg.load: malformed header at {path}: {msg}")

    def decode(self, node, path, depth=0):
        if depth > _MAX_DEPTH:
            self.fail(path, f"nested deeper than {_MAX_DEPTH} levels")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            self.fail(path, f"expected a value or a tagged object, got {type(node).__name__}")
        kind = node["t"]
        if kind == "float":
            v = node.get("v")
            if v not in ("inf", "-inf", "nan"):
                self.fail(path, f"bad non-finite float {v!r}")
            return float(v)
        if kind == "tensor":
            return self._tensor(node, path)
        items = node.get("items")
        if kind not in ("list", "tuple", "dict", "odict", "counter"):
            self.fail(path, f"unknown node type {kind!r}")
        if not isinstance(items, list):
            self.fail(path, f"{kind} node without an items list")
        if kind in ("list", "tuple"):
            out = [self.decode(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(items)]
            return out if kind == "list" else tuple(out)
        out = {"dict": dict, "odict": OrderedDict, "counter": Counter}[kind]()
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                self.fail(path, "dict items must be [key, value] pairs with str or int keys")
            out[item[0]] = self.decode(item[1], f"{path}[{item[0]!r}]", depth + 1)
        return out

    def _tensor(self, node, path):
        name, shape = node.get("dtype"), node.get("shape")
        offset, nbytes = node.get("offset"), node.get("nbytes")
        if name not in _NP_DTYPES:
            self.fail(path, f"unsupported tensor dtype {name!r}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            self.fail(path, f"tensor shape must be a list of non-negative ints, got {shape!r}")
        for field, v in (("offset", offset), ("nbytes", nbytes)):
            if type(v) is not int or v < 0:
                self.fail(path, f"tensor {field} must be a non-negative int, got {v!r}")
        dt = _NP_DTYPES[name]
        numel = math.prod(shape)  # Python ints: no overflow, checked before any allocation
        if numel * dt.itemsize != nbytes:
            self.fail(path, f"tensor of shape {shape} and dtype {name} needs "
                            f"{numel * dt.itemsize} bytes but nbytes is {nbytes}")
        if offset + nbytes > len(self.data):
            self.fail(path, f"tensor bytes [{offset}, {offset + nbytes}) lie outside the "
                            f"{len(self.data)}-byte data section")
        requires_grad, parameter = node.get("requires_grad", False), node.get("parameter", False)
        if type(requires_grad) is not bool or (requires_grad and name not in _FLOAT_NAMES):
            self.fail(path, f"bad requires_grad {requires_grad!r} for a {name} tensor")
        if type(parameter) is not bool:
            self.fail(path, f"bad parameter flag {parameter!r}")
        t = self.relocate(self._build(name, shape, self.data[offset:offset + nbytes]))
        if parameter:
            from .nn.parameter import Parameter
            return Parameter(t, requires_grad)
        return t.requires_grad_(True) if requires_grad else t


    @staticmethod
    def _build(name, shape, raw):
        """A fresh tensor (owning a copy of raw) of the given dtype name and shape."""
        from . import empty, from_numpy
        if math.prod(shape) == 0:
            return empty(shape, dtype=_tg_dtype(name))
        if name == "bool":
            arr = np.frombuffer(raw, dtype=np.uint8) != 0
        else:
            dt = _NP_DTYPES[name]
            arr = np.frombuffer(raw, dtype=dt).astype(dt.newbyteorder("="), copy=True)
        t = from_numpy(arr.reshape(shape))
        return t.view(_tg_dtype(name)) if name == "bfloat16" else t


def _tg_dtype(name):
    from ._C import dtype
    return getattr(dtype, name)


def _load_any(f, relocate):
    """Dispatches on the first bytes: tg's magic, a zip (torch.save) or torch's legacy pickle."""
    if f.seekable():
        here = f.tell()
        head = f.read(16)
        f.seek(here)
        if head.startswith(b"PK\x03\x04") or head.startswith(_legacy_prefix()):
            from ._torch_format import load_torch
            return _relocate_all(load_torch(f, head, _remaining(f)), relocate)
    root, data = _read(f)
    return _Decoder(data, relocate).decode(root, "<root>")


def _relocate_all(obj, relocate):
    """obj with relocate applied to every tensor inside its dicts, lists and tuples."""
    if isinstance(obj, Tensor):
        return relocate(obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _relocate_all(v, relocate)
        return obj
    if isinstance(obj, list):
        obj[:] = [_relocate_all(v, relocate) for v in obj]
        return obj
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return type(obj)(_relocate_all(v, relocate) for v in obj)
    return obj


def _legacy_prefix():
    from ._torch_format import LEGACY_PREFIX
    return LEGACY_PREFIX


_SAVED_LOCATION = "cpu"  # tg.save writes host memory: every tensor was saved from the CPU


def _relocation(map_location):
    """torch's map_location forms as a function of the loaded (CPU) tensor: None keeps it; a
    device or its string moves every tensor there; a dict maps a saved location ('cpu') to a
    device; a callable gets (tensor, 'cpu') and returns a tensor, or None to keep it."""
    from ._C import device
    if map_location is None:
        return lambda t: t
    if isinstance(map_location, dict):
        map_location = map_location.get(_SAVED_LOCATION)
        return _relocation(None if map_location is None else device(map_location))
    if isinstance(map_location, (str, device)):
        target = device(map_location)
        return lambda t: t.to(target)
    if callable(map_location):
        def call(t):
            moved = map_location(t, _SAVED_LOCATION)
            if moved is not None and not isinstance(moved, Tensor):
                raise TypeError(f"tg.load: map_location must return a tensor or None, got "
                                f"{type(moved).__name__}")
            return t if moved is None else moved
        return call
    raise TypeError(f"tg.load: map_location must be None, a str, a tg.device, a dict or a callable, "
                    f"got {type(map_location).__name__}")


def load(f, map_location=None, *, weights_only=True):
    """Loads an object written by tg.save (either format) or by torch.save from f (a path or a
    readable binary file object).  Nothing in the file is ever executed: torch checkpoints go
    through a restricted unpickler that refuses every global but tensors and containers.
    map_location takes torch's forms (see _relocation); weights_only is accepted for torch
    compatibility and is always in effect."""
    relocate = _relocation(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_any(fh, relocate)
    if not hasattr(f, "read"):
        raise TypeError(f"tg.load: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    if isinstance(f, io.TextIOBase):
        raise TypeError("tg.load: f must be opened in binary mode ('rb'), not text mode")
    return _load_any(f, relocate)
