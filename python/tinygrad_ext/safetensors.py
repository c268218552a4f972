"""tinygrad_ext.safetensors: the safetensors format with the API of safetensors.torch.

A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to a
multiple of 8) mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (plus
an optional "__metadata__" of str -> str), then the tensors' raw little-endian bytes, back to back
in offset order.  Files are read memory-mapped (copy-on-write, so tensors are writable and the
file never changes): pages are read when a tensor is first used.  The whole header is validated
as the safetensors package does (sizes, offsets that tile the data exactly, byte lengths that
match shapes) before any tensor exists; a bad file raises SafetensorError.  Written files are
byte-identical to safetensors.torch's for the same tensors (metadata aside, which safetensors
writes in hash order).
"""
import json
import mmap
import os
import struct

import numpy as np

from . import _C
from ._C import Tensor
from ._dtype_table import BY_DTYPE, BY_SAFETENSORS, SAFETENSORS_BITS as _BITS
from .serialization import SerializationError

__all__ = ["save", "save_file", "load", "load_file", "safe_open", "save_model", "load_model",
           "SafetensorError"]

MAX_HEADER_SIZE = 100_000_000  # as the safetensors package
_N_LEN = 8
# The order safetensors writes tensors in: by this rank, highest first, then by name.
_WRITE_RANK = {code: i for i, code in enumerate(
    ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
     "C64", "F64", "I64", "U64"])}


class SafetensorError(SerializationError):
    """A file or buffer that is not valid safetensors data."""


def _bad(kind, detail):
    raise SafetensorError(f"Error while deserializing header: {kind}: {detail}")


def _no_duplicate_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


class _Entry:
    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end


def _parse_header(raw, total):
    """(entries in offset order, metadata, data start) from the header bytes; total is the size
    of the whole file/buffer.  Raises SafetensorError for anything the format forbids."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        _bad("InvalidHeader", f"the header is not valid UTF-8 ({e})")
    if not text.startswith("{"):
        _bad("InvalidHeaderStart", "the header does not start with '{'")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as e:
        _bad("InvalidHeaderDeserialization", str(e))
    if not isinstance(header, dict):
        _bad("InvalidHeaderDeserialization", "the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        _bad("InvalidHeaderDeserialization", "__metadata__ must map strings to strings")
    entries = []
    for name, info in header.items():
        if not (isinstance(info, dict) and set(info) == {"dtype", "shape", "data_offsets"}):
            _bad("InvalidHeaderDeserialization", f"tensor {name!r} must have exactly dtype, shape "
                                                 "and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _BITS:
            _bad("InvalidHeaderDeserialization", f"unknown dtype {dtype!r} for tensor {name!r}")
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
            _bad("InvalidHeaderDeserialization", f"shape of {name!r} must be a list of "
                                                 f"non-negative integers, got {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int and o >= 0 for o in offsets)):
            _bad("InvalidHeaderDeserialization", f"data_offsets of {name!r} must be two "
                                                 f"non-negative integers, got {offsets!r}")
        entries.append(_Entry(name, dtype, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e.begin, e.end))
    end = 0
    for e in entries:
        if e.begin != end or e.end < e.begin:
            _bad("InvalidOffset", f"tensor {e.name!r} has data_offsets [{e.begin}, {e.end}]; "
                                  f"the tensors must tile the data exactly (expected to start at {end})")
        numel = 1
        for s in e.shape:
            numel *= s  # Python ints: no overflow
        if numel * _BITS[e.dtype] != (e.end - e.begin) * 8:
            _bad("TensorInvalidInfo", f"tensor {e.name!r} of dtype {e.dtype} and shape "
                                      f"{list(e.shape)} needs {numel * _BITS[e.dtype] // 8} bytes "
                                      f"but its data_offsets span {e.end - e.begin}")
        end = e.end
    start = _N_LEN + len(raw)
    if start + end != total:
        _bad("MetadataIncompleteBuffer", f"the header describes {end} bytes of data but "
                                         f"{total - start} follow it")
    return entries, metadata, start


def _read_prefix(head, total):
    """The header length from the first 8 bytes, checked against the limit and the size."""
    if total < _N_LEN:
        _bad("HeaderTooSmall", f"{total} bytes, fewer than the 8-byte header length")
    (n,) = struct.unpack("<Q", head[:_N_LEN])
    if n > MAX_HEADER_SIZE:
        _bad("HeaderTooLarge", f"header length {n} exceeds the limit of {MAX_HEADER_SIZE}")
    if _N_LEN + n > total:
        _bad("InvalidHeaderLength", f"header length {n} runs past the end of the "
                                    f"{total}-byte file")
    return n


def _tensor_from(buf, entry, start):
    info = BY_SAFETENSORS.get(entry.dtype)
    if info is None:
        raise SafetensorError(f"tensor {entry.name!r} has dtype {entry.dtype}, which "
                              "tinygrad_ext does not support")
    return _C._from_buffer(buf, info.dtype, list(entry.shape), start + entry.begin)


class _Slice:
    """Lazy access to one tensor of a safe_open file: get_shape, get_dtype and indexing that
    reads only the pages the selected elements lie on."""

    def __init__(self, handle, entry):
        self._handle, self._entry = handle, entry

    def get_shape(self):
        return list(self._entry.shape)

    def get_dtype(self):
        return self._entry.dtype

    def __getitem__(self, index):
        e = self._entry
        info = BY_SAFETENSORS.get(e.dtype)
        if info is None:
            _tensor_from(None, e, 0)  # raises the unsupported-dtype error
        # The bytes viewed as unsigned ints of the element size: indexing moves bit patterns.
        carrier = np.frombuffer(self._handle._buffer, dtype=f"<u{info.itemsize}",
                                count=(e.end - e.begin) // info.itemsize,
                                offset=self._handle._start + e.begin).reshape(e.shape)
        picked = np.ascontiguousarray(carrier[index])
        return _C._from_buffer(picked, info.dtype, list(picked.shape))


class safe_open:
    """safe_open(filename, framework="tg", device="cpu"): a memory-mapped safetensors file with
    keys(), metadata(), get_tensor(name) and get_slice(name); usable as a context manager.
    framework="pt" is accepted too, so code written for safetensors.torch runs unchanged."""

    def __init__(self, filename, framework="tg", device="cpu"):
        if framework not in ("tg", "tinygrad_ext", "pt"):
            raise ValueError(f"safe_open: framework {framework!r} is not supported (use 'tg')")
        if device not in ("cpu", None):
            raise ValueError(f"safe_open: device must be 'cpu', got {device!r}")
        with open(filename, "rb") as f:
            total = os.fstat(f.fileno()).st_size
            head = f.read(_N_LEN)
            n = _read_prefix(head, total)
            raw = f.read(n)
            self._entries, self._metadata, self._start = _parse_header(raw, total)
            # Copy-on-write mapping: tensors may be written to, the file never is.
            self._buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        self._by_name = {e.name: e for e in self._entries}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # The mapping stays open while tensors made from it are alive; it closes with them.
        self._buffer = None
        return False

    def keys(self):
        return sorted(self._by_name)

    def offset_keys(self):
        return [e.name for e in self._entries]

    def metadata(self):
        return self._metadata

    def _entry(self, name):
        if self._buffer is None:
            raise SafetensorError("File is closed")
        try:
            return self._by_name[name]
        except KeyError:
            raise SafetensorError(f"File does not contain tensor {name}") from None

    def get_tensor(self, name):
        return _tensor_from(self._buffer, self._entry(name), self._start)

    def get_slice(self, name):
        return _Slice(self, self._entry(name))


def load_file(filename, device="cpu"):
    """All tensors of a safetensors file, memory-mapped, as {name: tensor}."""
    with safe_open(filename, framework="tg", device=device) as f:
        return {name: f.get_tensor(name) for name in f.offset_keys()}


def load(data):
    """All tensors of safetensors bytes as {name: tensor} (copies, since bytes are immutable)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: expected bytes, got {type(data).__name__}")
    data = memoryview(data).cast("B")
    n = _read_prefix(bytes(data[:_N_LEN]), len(data))
    entries, _, start = _parse_header(bytes(data[_N_LEN:_N_LEN + n]), len(data))
    return {e.name: _tensor_from(data, e, start) for e in entries}


# ---------------------------------------------------------------- saving
def _storage_span(t):
    """(storage key, first byte, end byte) of the memory t covers."""
    size = t.element_size()
    first = t.data_ptr()
    last = first + sum((n - 1) * s for n, s in zip(t.shape, t.stride())) * size
    return first, last + size


def _find_shared_tensors(tensors):
    """Groups of names whose tensors overlap in memory, as safetensors' _find_shared_tensors."""
    spans = sorted((*_storage_span(t), name) for name, t in tensors.items() if t.numel())
    groups, last_end = [], None
    for begin, end, name in spans:
        if last_end is not None and begin < last_end:
            groups[-1].append(name)
            last_end = max(last_end, end)
        else:
            groups.append([name])
            last_end = end
    return [sorted(g) for g in groups]


def _check_for_save(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"safetensors: tensor names must be str, got {type(k).__name__} {k!r}")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected tinygrad_ext.Tensor but received "
                             f"{type(v)}")
        if v.dtype not in BY_DTYPE or BY_DTYPE[v.dtype].safetensors is None:
            raise TypeError(f"safetensors: tensor `{k}` has dtype {v.dtype}, which safetensors "
                            "cannot store")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(a, str) and isinstance(b, str) for a, b in metadata.items())):
        raise TypeError("safetensors: metadata must be a dict of str to str")
    failing = [g for g in _find_shared_tensors(tensors) if len(g) > 1]
    if failing:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\nA potential way to correctly save "
            "your model is to use `save_model`.\nMore information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors")
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other in "
                "which case it's recommended to save only the full tensors, and reslice at load "
                "time, or simply call `.contiguous()` on your tensor to pack it before saving.")


def _serialize(tensors, metadata):
    """(header bytes including the length prefix, [(tensor, nbytes)] in data order)."""
    _check_for_save(tensors, metadata)
    order = sorted(tensors.items(), key=lambda kv: (
        -_WRITE_RANK[BY_DTYPE[kv[1].dtype].safetensors], kv[0]))
    header, layout, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in order:
        nbytes = t.numel() * t.element_size()
        header[name] = {"dtype": BY_DTYPE[t.dtype].safetensors, "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        layout.append((t, nbytes))
        offset += nbytes
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % _N_LEN)
    return struct.pack("<Q", len(text)) + text, layout


def _write(f, tensors, metadata):
    head, layout = _serialize(tensors, metadata)
    f.write(head)
    for t, nbytes in layout:
        if nbytes:
            f.write(_C._byte_view(t))


def save(tensors, metadata=None):
    """The safetensors bytes of {name: tensor} (contiguous, not sharing memory)."""
    head, layout = _serialize(tensors, metadata)
    return head + b"".join(_C._byte_view(t).tobytes() for t, n in layout if n)


def save_file(tensors, filename, metadata=None):
    """Writes {name: tensor} (contiguous, not sharing memory) to filename in safetensors format."""
    with open(filename, "wb") as f:
        _write(f, tensors, metadata)


# ---------------------------------------------------------------- models with shared tensors
def _is_complete(t, span):
    """Does t cover all of span, the memory its group of sharing tensors covers (so saving t
    alone keeps every shared byte)?  safetensors asks that of the whole storage; tg compares
    with the bytes the state_dict's tensors reach."""
    return t.is_contiguous() and _storage_span(t) == span


def _remove_duplicate_names(state_dict, *, preferred_names=()):
    """{kept name: [names dropped because they share its memory]}, as safetensors picks them."""
    to_remove = {}
    for shared in _find_shared_tensors(state_dict):
        if len(shared) < 2:
            continue
        spans = [_storage_span(state_dict[n]) for n in shared]
        span = (min(b for b, _ in spans), max(e for _, e in spans))
        complete = sorted(n for n in shared if _is_complete(state_dict[n], span))
        if not complete:
            raise RuntimeError(
                f"Error while trying to find names to remove to save state dict, but found no "
                f"suitable name to keep for saving amongst: {set(shared)}. None is covering the "
                "entire storage.Refusing to save/load the model since you could be storing much "
                "more memory than needed. Please refer to "
                "https://huggingface.co/docs/safetensors/torch_shared_tensors for more information.")
        preferred = [n for n in complete if n in preferred_names]
        keep = (preferred or complete)[0]
        to_remove[keep] = [n for n in shared if n != keep]
    return to_remove


def save_model(model, filename, metadata=None, force_contiguous=True):
    """Saves model.state_dict(), keeping one name of each group of tensors that share memory
    (tied weights) and recording the dropped names in the metadata, as safetensors.torch."""
    state_dict = model.state_dict()
    for kept, removed in _remove_duplicate_names(state_dict).items():
        for name in removed:
            metadata = {} if metadata is None else metadata
            metadata.setdefault(name, kept)
            del state_dict[name]
    if force_contiguous:
        state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    save_file(state_dict, filename, metadata=metadata)


def load_model(model, filename, strict=True, device="cpu"):
    """Loads a file written by save_model into model; returns (missing, unexpected) names."""
    state_dict = load_file(filename, device=device)
    to_removes = _remove_duplicate_names(model.state_dict(), preferred_names=set(state_dict))
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing, unexpected = set(missing), list(unexpected)
    for removed in to_removes.values():
        for name in removed:
            if name in missing:
                missing.remove(name)
            else:
                unexpected.append(name)
    if strict and (missing or unexpected):
        error = f"Error(s) in loading state_dict for {model.__class__.__name__}:"
        if missing:
            error += "\n    Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(missing))
        if unexpected:
            error += "\n    Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(unexpected))
        raise RuntimeError(error)
    return sorted(missing), unexpected

