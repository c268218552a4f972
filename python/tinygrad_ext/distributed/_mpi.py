"""The MPI side of tg.distributed: loading mpi4py, the dtype and ReduceOp tables, the watchdog that
aborts a job whose collective outlives its timeout, and the hook that aborts on an uncaught error."""
import enum
import sys
import threading
import time
import traceback

INSTALL_HINT = ('tg.distributed needs mpi4py and an MPI library: pip install "tinygrad_ext[distributed]" '
                "(or: pip install mpi4py mpich)")

_mpi = None           # the mpi4py.MPI module once loaded
_load_error = None    # why it could not be loaded


def load():
    """mpi4py.MPI without initializing MPI (init_process_group does that), or None."""
    global _mpi, _load_error
    if _mpi is None and _load_error is None:
        try:
            if "mpi4py.MPI" not in sys.modules:
                import mpi4py
                mpi4py.rc.initialize = False  # init_process_group initializes MPI
                mpi4py.rc.finalize = True     # and MPI_Finalize runs at exit
            from mpi4py import MPI
            _mpi = MPI
        except (ImportError, RuntimeError, OSError) as e:  # no mpi4py, or no MPI library for it
            _load_error = e
    return _mpi


def require():
    mpi = load()
    if mpi is None:
        raise ImportError(f"{INSTALL_HINT}; importing mpi4py.MPI failed: {_load_error}")
    return mpi


class RedOpType(enum.Enum):
    """torch.distributed.ReduceOp.RedOpType (same names and values)."""
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self):
        return f"RedOpType.{self.name}"


# dtype name -> (MPI datatype name, kind). Kinds: "float" and "int" reduce with MPI's arithmetic
# ops, "bool" with its logical ones (SUM and MAX are OR, PRODUCT and MIN are AND, as torch's sums
# of bools saturate). 16-bit floats have no MPI type: "half" dtypes move as 2-byte units and reduce
# through a float32 copy (summed in float32, rounded once). Adding a dtype is one line here.
DTYPES = {
    "bool": ("C_BOOL", "bool"),
    "uint8": ("UINT8_T", "int"),
    "int8": ("INT8_T", "int"),
    "int16": ("INT16_T", "int"),
    "int32": ("INT32_T", "int"),
    "int64": ("INT64_T", "int"),
    "float16": (None, "half"),
    "bfloat16": (None, "half"),
    "float32": ("FLOAT", "float"),
    "float64": ("DOUBLE", "float"),
}
DTYPE_CODES = {name: i for i, name in enumerate(DTYPES)}

# ReduceOp -> (MPI op for numbers, MPI op for bool); None: not defined for that kind.
_REDUCE_OPS = {
    RedOpType.SUM: ("SUM", "LOR"),
    RedOpType.AVG: ("SUM", None),   # then divided by the group size (floating dtypes only)
    RedOpType.PRODUCT: ("PROD", "LAND"),
    RedOpType.MIN: ("MIN", "LAND"),
    RedOpType.MAX: ("MAX", "LOR"),
    RedOpType.BAND: ("BAND", "LAND"),
    RedOpType.BOR: ("BOR", "LOR"),
    RedOpType.BXOR: ("BXOR", "LXOR"),
}
_BITWISE = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR)


def dtype_kind(dtype):
    return DTYPES[dtype.name][1]


def mpi_datatype(dtype):
    mpi = require()
    name, kind = DTYPES[dtype.name]
    return _two_byte_type(mpi) if kind == "half" else getattr(mpi, name)


_two_byte = None


def _two_byte_type(mpi):
    global _two_byte
    if _two_byte is None:
        _two_byte = mpi.BYTE.Create_contiguous(2).Commit()
    return _two_byte


def mpi_op(op, dtype, opname):
    """The MPI op for ReduceOp `op` on tensors of `dtype` (kind "float", "int" or "bool")."""
    if not isinstance(op, RedOpType):
        raise TypeError(f"{opname}(): op must be a tinygrad_ext.distributed.ReduceOp "
                        f"(e.g. ReduceOp.SUM), got {op!r}")
    kind = dtype_kind(dtype)
    if op is RedOpType.AVG and kind not in ("float", "half"):
        raise ValueError(f"{opname}(): Cannot use ReduceOp.AVG with non-floating-point dtype {dtype}")
    if op in _BITWISE and kind not in ("int", "bool"):
        raise ValueError(f"{opname}(): Cannot use ReduceOp.{op.name} with non-integral dtype {dtype}")
    number_op, bool_op = _REDUCE_OPS[op]
    return getattr(require(), bool_op if kind == "bool" else number_op)


class Watchdog:
    """A daemon thread that aborts the MPI job when a blocking wait outlives its deadline (a rank
    that died or never arrives would otherwise hang the others forever). MPI runs with the GIL
    released, so the thread gets to look while the main thread waits."""

    def __init__(self):
        self._active = {}  # token -> (deadline, description)
        self._next = 0
        self._thread = None

    def arm(self, what, timeout_s):
        self._next += 1
        self._active[self._next] = (time.monotonic() + timeout_s, what, timeout_s)
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="tg.distributed watchdog", daemon=True)
            self._thread.start()
        return self._next

    def disarm(self, token):
        self._active.pop(token, None)

    def _watch(self):
        while True:
            now = time.monotonic()
            for deadline, what, timeout_s in list(self._active.values()):
                if now > deadline:
                    abort(f"[tg.distributed] Watchdog caught collective operation timeout: {what} "
                          f"ran for {timeout_s * 1000:.0f} milliseconds before timing out.")
            time.sleep(0.05)


watchdog = Watchdog()


def abort(message, code=1):
    """Print `message` and end every process of the job (MPI_Abort)."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()
    sys.stdout.flush()
    # MPI_Abort tears down mpiexec's I/O forwarding too; a moment's wait lets it pass the message on
    # (without it, a loaded machine sometimes ended the job with the message lost).
    time.sleep(0.5)
    require().COMM_WORLD.Abort(code)


_previous_excepthook = None


def install_abort_on_uncaught_exception(rank):
    """An uncaught exception on one rank prints its traceback and aborts the job, so the other
    ranks fail at once instead of waiting in their next collective for this one."""
    global _previous_excepthook
    if _previous_excepthook is not None:
        return
    _previous_excepthook = sys.excepthook

    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        abort(f"[tg.distributed] rank {rank} raised an uncaught exception; aborting the job:\n{text}")

    sys.excepthook = hook
