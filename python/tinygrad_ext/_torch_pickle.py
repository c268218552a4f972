"""The pickle half of torch checkpoints: a restricted unpickler (as torch's weights_only=True: only
tensors, containers, numbers and strings; any other global is refused by name, nothing from the
file runs) and a writer of the protocol-2 pickles torch.save emits, opcode by opcode."""
import pickle
import pickletools
import struct
from collections import OrderedDict

from . import _C
from ._C import Tensor
from ._dtype_table import BY_NAME, BY_TORCH_STORAGE, ALL_NAMES, ALL_TORCH_STORAGE, info
from .serialization import SerializationError


class StorageType:
    """What a torch storage class (torch.FloatStorage, torch.storage.UntypedStorage) stands for
    in a pickle: the dtype of its elements, None for untyped (bytes; the tensor names the dtype)."""

    def __init__(self, name, dtype_info):
        self.name, self.info = name, dtype_info


class Storage:
    """A checkpoint storage: `nbytes` bytes under `key`, loaded into a tg tensor on first use
    (its elements are those of the first dtype a tensor asks for); every tensor over it is a
    view of that memory, so tensors that shared a storage in torch share it in tg."""

    def __init__(self, key, stype, nbytes, fill):
        self.key, self.stype, self.nbytes, self._fill = key, stype, nbytes, fill
        self.tensor = None

    def memory(self, dtype_info):
        if self.tensor is None:
            if self.nbytes % dtype_info.itemsize:
                raise SerializationError(f"tg.load: storage {self.key} holds {self.nbytes} bytes, "
                                         f"not a whole number of {dtype_info.name} elements")
            self.tensor = _empty(self.nbytes // dtype_info.itemsize, dtype_info.dtype)
            self._fill(self)
        return self.tensor


def _empty(n, dtype):
    from ._creation import empty
    return empty(n, dtype=dtype)


def _check_storage(storage, where):
    if not isinstance(storage, Storage):
        raise SerializationError(f"tg.load: {where} expects a storage, got {type(storage).__name__}")


def _ints(v, what):
    if not isinstance(v, (tuple, list)) or not all(type(i) is int for i in v):
        raise SerializationError(f"tg.load: tensor {what} must be a tuple of ints, got {v!r}")
    return list(v)


def _view(storage, dtype_info, offset, size, stride, requires_grad):
    if type(offset) is not int:
        raise SerializationError(f"tg.load: tensor storage offset must be an int, got {offset!r}")
    base = storage.memory(dtype_info)
    try:
        t = _C._storage_view(base, dtype_info.dtype, _ints(size, "size"), _ints(stride, "stride"),
                             offset)
    except ValueError as e:
        raise SerializationError(f"tg.load: tensor does not fit its storage {storage.key}: {e}") from None
    if requires_grad is True:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    _check_storage(storage, "_rebuild_tensor_v2")
    if storage.stype.info is None:
        raise SerializationError("tg.load: _rebuild_tensor_v2 of an untyped storage")
    return _view(storage, storage.stype.info, storage_offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    _check_storage(storage, "_rebuild_tensor_v3")
    if isinstance(dtype, _MissingDType):
        dtype()
    if not isinstance(dtype, _C.dtype):
        raise SerializationError(f"tg.load: _rebuild_tensor_v3 expects a dtype, got {dtype!r}")
    return _view(storage, info(dtype, "tg.load"), storage_offset, size, stride, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise SerializationError(f"tg.load: _rebuild_parameter expects a tensor, got {data!r}")
    return Parameter(data, requires_grad is True)


def _latin1_encode(text, encoding="latin1"):
    """_codecs.encode as protocol-2 pickles use it for bytes; latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise SerializationError("tg.load: _codecs.encode is allowed only for latin-1 strings")
    return text.encode("latin1")


class _MissingDType:
    """Stands for a torch dtype or storage class of a dtype tg lacks: any use raises."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        raise SerializationError(f"tg.load: the checkpoint holds {self.name} tensors, a dtype "
                                 "tinygrad_ext does not support")


def _allowed_globals():
    from ._tensor import Size
    allowed = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "Size"): Size,
        ("torch.storage", "UntypedStorage"): StorageType("UntypedStorage", None),
        ("torch", "UntypedStorage"): StorageType("UntypedStorage", None),
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("_codecs", "encode"): _latin1_encode,
    }
    for storage_name, dtype_name in ALL_TORCH_STORAGE.items():
        row = BY_TORCH_STORAGE.get(storage_name)
        allowed[("torch", storage_name)] = StorageType(storage_name, row) if row else \
            _MissingDType(dtype_name)
    for name in ALL_NAMES:
        allowed[("torch", name)] = BY_NAME[name].dtype if name in BY_NAME else _MissingDType(name)
    return allowed


# The opcodes of protocols 0-4 that plain data needs; refused: INST/OBJ (old-style instances),
# EXT1/2/4 (the copyreg registry), PERSID (text ids), NEWOBJ_EX and protocol 5's buffers.
_ALLOWED_OPCODES = frozenset("""
    PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE INT BININT BININT1 BININT2 LONG
    LONG1 LONG4 FLOAT BINFLOAT UNICODE SHORT_BINUNICODE BINUNICODE BINUNICODE8 SHORT_BINBYTES
    BINBYTES BINBYTES8 EMPTY_LIST APPEND APPENDS LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3
    EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS FROZENSET GLOBAL STACK_GLOBAL REDUCE BUILD
    NEWOBJ BINPERSID PUT BINPUT LONG_BINPUT GET BINGET LONG_BINGET MEMOIZE""".split())
_MEMO_OPCODES = frozenset("PUT BINPUT LONG_BINPUT GET BINGET LONG_BINGET".split())


def check_pickle(f):
    """Walks one pickle in f (bytes or a file positioned at it) without building anything: every
    opcode must be allowed, every counted length must be present in the data and every memo
    index below the number of opcodes (the C unpickler sizes its memo by the largest index and
    allocates counted strings before reading them).  Returns the position after STOP."""
    end = count = 0
    try:
        for count, (op, arg, pos) in enumerate(pickletools.genops(f), 1):
            if op.name not in _ALLOWED_OPCODES:
                raise SerializationError(f"tg.load: pickle opcode {op.name} at byte {pos} is not "
                                         "allowed in a checkpoint")
            if op.name in _MEMO_OPCODES and not 0 <= int(arg) <= count:
                raise SerializationError(f"tg.load: pickle memo index {arg} at byte {pos} is out "
                                         "of range")
            end = pos
    except (ValueError, TypeError, EOFError, struct.error) as e:
        raise SerializationError(f"tg.load: malformed pickle: {e}") from None
    if count == 0:
        raise SerializationError("tg.load: empty pickle")
    return end + 1


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals torch's weights_only unpickler allows for plain checkpoints
    (to tg's own stand-ins, never importing anything) and hands storages to `storage_for`."""

    _allowed = None

    def __init__(self, file, storage_for):
        super().__init__(file)
        self._storage_for = storage_for
        if RestrictedUnpickler._allowed is None:
            RestrictedUnpickler._allowed = _allowed_globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except (KeyError, TypeError):
            raise SerializationError(
                f"tg.load: refusing the global {module}.{name} in the checkpoint: only tensors, "
                "OrderedDict, dicts, lists, tuples, sets, numbers, strings and torch.Size are "
                "loaded, and nothing in the file is executed (as torch.load(weights_only=True))"
            ) from None

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and len(pid) > 1 and isinstance(pid[1], _MissingDType):
            pid[1]()
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], StorageType) and isinstance(pid[2], str)
                and isinstance(pid[3], str) and type(pid[4]) is int and pid[4] >= 0):
            raise SerializationError(f"tg.load: malformed storage reference {pid!r}")
        return self._storage_for(*pid[1:])


# ---------------------------------------------------------------- writing
class TorchPickler:
    """Writes obj as torch.save's protocol-2 data.pkl: containers as themselves, tensors through
    torch._utils._rebuild_tensor_v2 / _rebuild_parameter with a persistent storage reference.
    Tensors with the same memory, dtype and geometry (tied weights) share one storage."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.storages = []  # contiguous tensors, in key order
        self._keys = {}

    def dump(self, obj):
        self._save(obj, 0)
        self.out += pickle.STOP
        return bytes(self.out)

    def _global(self, module, name):
        self.out += pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii")

    def _tuple(self, items, depth):
        if not items:
            self.out += pickle.EMPTY_TUPLE
            return
        if len(items) > 3:
            self.out += pickle.MARK
        for v in items:
            self._save(v, depth + 1)
        self.out += pickle.TUPLE if len(items) > 3 else \
            (pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)[len(items) - 1]

    def _save(self, obj, depth):
        from ._tensor import Size
        if depth > 200:
            raise ValueError("tg.save: object nested deeper than 200 levels")
        out = self.out
        if obj is None:
            out += pickle.NONE
        elif obj is True or obj is False:
            out += pickle.NEWTRUE if obj else pickle.NEWFALSE
        elif isinstance(obj, int):
            if -2 ** 31 <= obj < 2 ** 31:
                out += pickle.BININT + struct.pack("<i", obj)
            else:
                raw = int(obj).to_bytes((obj.bit_length() + 8) // 8, "little", signed=True)
                out += pickle.LONG1 + bytes([len(raw)]) + raw if len(raw) < 256 else \
                    pickle.LONG4 + struct.pack("<i", len(raw)) + raw
        elif isinstance(obj, float):
            out += pickle.BINFLOAT + struct.pack(">d", obj)
        elif isinstance(obj, str):
            raw = obj.encode("utf-8", "surrogatepass")
            out += pickle.BINUNICODE + struct.pack("<I", len(raw)) + raw
        elif isinstance(obj, Tensor):
            self._tensor(obj, depth)
        elif type(obj) is Size:
            self._global("torch", "Size")
            self._tuple((tuple(obj),), depth)
            out += pickle.REDUCE
        elif type(obj) is tuple:
            self._tuple(obj, depth)
        elif type(obj) is list:
            out += pickle.EMPTY_LIST
            if obj:
                out += pickle.MARK
                for v in obj:
                    self._save(v, depth + 1)
                out += pickle.APPENDS
        elif type(obj) in (dict, OrderedDict):
            if type(obj) is OrderedDict:
                self._global("collections", "OrderedDict")
                out += pickle.EMPTY_TUPLE + pickle.REDUCE
            else:
                out += pickle.EMPTY_DICT
            if obj:
                out += pickle.MARK
                for k, v in obj.items():
                    self._save(k, depth + 1)
                    self._save(v, depth + 1)
                out += pickle.SETITEMS
        else:
            raise TypeError(f"tg.save(format='torch'): cannot save an object of type "
                            f"{type(obj).__module__}.{type(obj).__qualname__}; supported: dict, "
                            "OrderedDict, list, tuple, None, bool, int, float, str and tg.Tensor")

    def _tensor(self, t, depth):
        from .nn.parameter import Parameter
        row = info(t.dtype, "tg.save(format='torch')")
        if isinstance(t, Parameter):
            self._global("torch._utils", "_rebuild_parameter")
            self.out += pickle.MARK
            self._tensor(t.detach(), depth + 1)
            self._save(bool(t.requires_grad), depth + 1)
            self._global("collections", "OrderedDict")
            self.out += pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.TUPLE + pickle.REDUCE
            return
        ident = (t.data_ptr(), t.dtype, tuple(t.shape), t.stride())
        key = self._keys.get(ident) if t.numel() else None
        if key is None:
            key = str(len(self.storages))
            self.storages.append(t.detach().contiguous())
            if t.numel():
                self._keys[ident] = key
        if row.torch_storage:
            self._global("torch._utils", "_rebuild_tensor_v2")
        else:
            self._global("torch._utils", "_rebuild_tensor_v3")
        self.out += pickle.MARK
        self.out += pickle.MARK + b"X\x07\x00\x00\x00storage"
        if row.torch_storage:
            self._global("torch", row.torch_storage)
        else:
            self._global("torch.storage", "UntypedStorage")
        numel = t.numel() if row.torch_storage else t.numel() * row.itemsize
        self._save(key, depth)
        self._save("cpu", depth)
        self._save(numel, depth)
        self.out += pickle.TUPLE + pickle.BINPERSID
        self._save(0, depth)
        self._tuple(tuple(int(s) for s in t.shape), depth)
        self._tuple(tuple(int(s) for s in self.storages[int(key)].stride()), depth)
        self._save(bool(t.requires_grad), depth)
        self._global("collections", "OrderedDict")
        self.out += pickle.EMPTY_TUPLE + pickle.REDUCE
        if not row.torch_storage:
            self._global("torch", row.name)
        self.out += pickle.TUPLE + pickle.REDUCE
