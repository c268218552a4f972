"""torch.save checkpoints: tg.load reads the zip format (and the legacy pickle format) through the
restricted unpickler of _torch_pickle.py; tg.save(obj, f, format="torch") writes the zip format
that torch.load(weights_only=True) reads.

The zip holds <prefix>/data.pkl (the pickled object; tensors refer to storages by key),
<prefix>/data/<key> (each storage's raw little-endian bytes, stored uncompressed and, as torch
writes them, 64-byte aligned in the file), <prefix>/byteorder, <prefix>/version and a few
bookkeeping records.  Every record read is checked against the file before memory is allocated
for it; compressed records (torch never writes them) are refused, so nothing can inflate.
"""
import io
import pickle
import struct
import zipfile

from ._torch_pickle import RestrictedUnpickler, Storage, TorchPickler, check_pickle
from .serialization import SerializationError

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch's legacy format: this number, pickled, comes first
_LEGACY_PROTOCOL = 1001
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # zip local file header (30 bytes)
_ALIGN = 64
LEGACY_PREFIX = b"\x80\x02\x8a\x0a" + _LEGACY_MAGIC.to_bytes(10, "little")


def _malformed(e):
    return SerializationError(f"tg.load: malformed torch checkpoint: {type(e).__name__}: {e}")


def _unpickle(data, storage_for):
    """The object pickled in `data` (bytes), checked by check_pickle first."""
    check_pickle(data)
    try:
        return RestrictedUnpickler(io.BytesIO(data), storage_for).load()
    except SerializationError:
        raise
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, IndexError,
            KeyError, RuntimeError, RecursionError, OverflowError, struct.error) as e:
        raise _malformed(e) from None


# ---------------------------------------------------------------- zip format
class _ZipReader:
    def __init__(self, f):
        self.f = f
        self.zf = zipfile.ZipFile(f)
        names = self.zf.namelist()
        pkl = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(pkl) != 1:
            raise SerializationError("tg.load: the zip archive is not a torch checkpoint "
                                     f"(expected one data.pkl record, found {len(pkl)})")
        self.prefix = pkl[0][:-len("data.pkl")]
        self.size = f.seek(0, io.SEEK_END)
        order = self._record("byteorder", required=False)
        if order is not None and self.read_all(order) != b"little":
            raise SerializationError("tg.load: big-endian torch checkpoints are not supported")

    def _record(self, name, required=True):
        try:
            return self.zf.getinfo(self.prefix + name)
        except KeyError:
            if required:
                raise SerializationError(f"tg.load: the torch checkpoint has no record "
                                         f"{self.prefix + name}") from None
            return None

    def _data_offset(self, zinfo):
        """Where the record's bytes start in the file, checked to lie inside it."""
        if zinfo.compress_type != zipfile.ZIP_STORED:
            raise SerializationError(f"tg.load: record {zinfo.filename} is compressed; torch "
                                     "checkpoints store records uncompressed")
        self.f.seek(zinfo.header_offset)
        head = self.f.read(_LOCAL_HEADER.size)
        if len(head) != _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise SerializationError(f"tg.load: bad local header for record {zinfo.filename}")
        name_len, extra_len = _LOCAL_HEADER.unpack(head)[-2:]
        start = zinfo.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if start + zinfo.file_size > self.size:
            raise SerializationError(f"tg.load: record {zinfo.filename} ({zinfo.file_size} bytes) "
                                     f"runs past the end of the {self.size}-byte file")
        return start

    def read_all(self, zinfo):
        self.f.seek(self._data_offset(zinfo))
        return self.f.read(zinfo.file_size)

    def read_into(self, zinfo, view):
        self.f.seek(self._data_offset(zinfo))
        if self.f.readinto(view) != len(view):
            raise SerializationError(f"tg.load: record {zinfo.filename} is truncated")

    def load(self):
        storages = {}

        def storage_for(stype, key, location, numel):
            if key in storages:
                return storages[key]
            zinfo = self._record(f"data/{key}")
            nbytes = numel * (stype.info.itemsize if stype.info else 1)
            if zinfo.file_size != nbytes:
                raise SerializationError(f"tg.load: storage {key} should hold {nbytes} bytes, "
                                         f"its record holds {zinfo.file_size}")
            self._data_offset(zinfo)  # checked now, before any allocation
            fill = lambda s: self.read_into(zinfo, _byte_view(s.tensor))  # noqa: E731
            storages[key] = Storage(key, stype, nbytes, fill)
            return storages[key]

        return _unpickle(self.read_all(self._record("data.pkl")), storage_for)


def _byte_view(t):
    from . import _C
    return memoryview(_C._byte_view(t))


# ---------------------------------------------------------------- legacy format
def _load_legacy(f, remaining):
    """torch.save(..., _use_new_zipfile_serialization=False): pickled magic, protocol version and
    system info, the object (typed storages by key), the list of keys, then each storage as an
    int64 element count followed by its bytes."""
    def next_pickle():
        start = f.tell()
        end = check_pickle(_Capped(f, remaining))
        f.seek(start)
        return f.read(end - start)

    def plain():
        return _unpickle(next_pickle(), _no_storages)

    if plain() != _LEGACY_MAGIC or plain() != _LEGACY_PROTOCOL:
        raise SerializationError("tg.load: not a torch legacy checkpoint (bad magic or protocol)")
    sys_info = plain()
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise SerializationError("tg.load: only little-endian legacy torch checkpoints are supported")
    storages = {}

    def storage_for(stype, key, location, numel, view_metadata=None):
        if view_metadata is not None:
            raise SerializationError("tg.load: legacy storage views are not supported")
        if stype.info is None:
            raise SerializationError("tg.load: untyped storages in a legacy checkpoint")
        if key not in storages:
            nbytes = numel * stype.info.itemsize
            if remaining is not None and nbytes > remaining:
                raise SerializationError(f"tg.load: storage {key} of {nbytes} bytes is larger "
                                         "than the file")
            storages[key] = Storage(key, stype, nbytes, lambda s: None)
            storages[key].memory(stype.info)  # the bytes follow the pickles; read below
        return storages[key]

    result = _unpickle(next_pickle(), storage_for)
    keys = plain()
    if not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise SerializationError("tg.load: the legacy checkpoint's storage list does not match "
                                 "the storages its object uses")
    for key in keys:
        s = storages[key]
        head = f.read(8)
        if len(head) != 8 or struct.unpack("<q", head)[0] * s.stype.info.itemsize != s.nbytes:
            raise SerializationError(f"tg.load: bad size record for legacy storage {key}")
        view = _byte_view(s.tensor)
        if f.readinto(view) != len(view):
            raise SerializationError(f"tg.load: legacy storage {key} is truncated")
    return result


class _Capped:
    """A read-only view of f that never reads past `limit` bytes from where it starts (so a
    forged length cannot make a read allocate more than the file holds)."""

    def __init__(self, f, limit):
        self.f, self.left = f, (1 << 62) if limit is None else limit

    def read(self, n=-1):
        data = self.f.read(self.left if n is None or n < 0 else min(n, self.left))
        self.left -= len(data)
        return data

    def readline(self):
        line = self.f.readline(min(self.left, 1 << 16))
        self.left -= len(line)
        return line

    def tell(self):
        return self.f.tell()


def _no_storages(*pid):
    raise SerializationError("tg.load: unexpected storage reference in a legacy header pickle")


def load_torch(f, head, remaining):
    """The object in torch checkpoint f (positioned at its start; head = its first bytes)."""
    if head.startswith(b"PK"):
        try:
            return _ZipReader(f).load()
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError,
                OverflowError, struct.error) as e:  # a damaged zip directory or local header
            if isinstance(e, SerializationError):
                raise
            raise SerializationError(f"tg.load: not a valid zip archive: {e}") from None
    return _load_legacy(f, remaining)


# ---------------------------------------------------------------- writing
def _aligned_info(zf, name, nbytes):
    """A ZipInfo whose local header is padded (an 'FB' extra field, as torch's writer) so that
    the record's bytes start at a multiple of 64 in the file."""
    zinfo = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zinfo.compress_type = zipfile.ZIP_STORED
    zinfo.file_size = nbytes
    zip64 = nbytes * 1.05 > zipfile.ZIP64_LIMIT  # as ZipFile.open decides
    header = zf.fp.tell() + 30 + len(name.encode("utf-8")) + (20 if zip64 else 0) + 4
    pad = -header % _ALIGN
    zinfo.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    return zinfo, zip64


def save_torch(obj, f):
    """Writes obj as a torch.save zip checkpoint to the binary file object f."""
    pickler = TorchPickler()
    data = pickler.dump(obj)
    prefix = "archive/"
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        def record(name, payload):
            zinfo, zip64 = _aligned_info(zf, prefix + name, len(payload))
            with zf.open(zinfo, "w", force_zip64=zip64) as out:
                out.write(payload)

        record("data.pkl", data)
        record(".format_version", b"1")
        record(".storage_alignment", b"64")
        record("byteorder", b"little")
        for key, t in enumerate(pickler.storages):
            record(f"data/{key}", _byte_view(t) if t.numel() else b"")
        record("version", b"3\n")
        record(".data/serialization_id", b"0" * 40)
