"""Nothing a user types may crash the interpreter: every public callable of tinygrad_ext (tg.*,
tg.nn.functional.*, tg.nn.*, Tensor methods and settable attributes) is called with a battery of odd
arguments (tests/no_crash_battery.py) in child processes. Any exception is fine; a child that dies
or hangs fails the test, naming the call it was making (each child logs a call before making it,
and the parent restarts a dead child after that call, so one run lists every crash). The sanitizer
job (.ci/sanitize.sh) runs a subset, TG_NO_CRASH_STRIDE being set (no_crash_battery._subset)."""
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import no_crash_battery as battery

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "no_crash_battery.py")
CHUNKS = 4           # child processes at a time: 2 (the CI machines have 2 cores)
STALL_SECONDS = 120  # a call that runs this long without returning counts as a hang
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def _child_env():
    env = dict(os.environ)
    paths = [os.path.dirname(CHILD)] + [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)  # the children run in a scratch directory
    env["OMP_NUM_THREADS"] = "1"
    return env


def _limit_memory():
    # A safety net for the shared machine: an attempted allocation of terabytes must fail, not
    # swap. (ASan reserves terabytes of shadow address space, so not under the sanitizer.)
    if not SANITIZED:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (16 << 30, 16 << 30))


def _last_call(log_path):
    with open(log_path) as f:
        lines = f.read().split()
    return lines[-1] if lines else None


def _run_chunk(start, stop, workdir, all_calls):
    """Runs calls [start, stop) in children, restarting after each death; returns the failures."""
    failures = []
    log = os.path.join(workdir, f"log-{start}")
    while start < stop:
        open(log, "w").close()
        err_path = os.path.join(workdir, f"stderr-{start}")
        with open(err_path, "w") as err:
            proc = subprocess.Popen([sys.executable, CHILD, str(start), str(stop), log], cwd=workdir,
                                    env=_child_env(), stdout=subprocess.DEVNULL, stderr=err,
                                    preexec_fn=_limit_memory)
            last, last_change = None, time.monotonic()
            while proc.poll() is None:
                time.sleep(0.2)
                now_last = _last_call(log)
                if now_last != last:
                    last, last_change = now_last, time.monotonic()
                elif time.monotonic() - last_change > STALL_SECONDS:
                    proc.kill()
                    proc.wait()
        last = _last_call(log)
        if last == "done" and proc.returncode == 0:
            break
        with open(err_path) as f:
            tail = f.read()[-1500:]
        if last is None or last == "done":
            failures.append(f"calls {start}..{stop}: child exited with {proc.returncode} outside a call\n{tail}")
            break
        i = int(last)
        how = "hung" if proc.returncode == -9 else f"died (exit status {proc.returncode})"
        failures.append(f"{battery.describe(all_calls[i])}: {how}\n{tail}")
        start = i + 1
    return failures


def test_no_call_crashes_the_interpreter(tmp_path):
    all_calls = battery.calls()
    n = len(all_calls)
    bounds = [n * k // CHUNKS for k in range(CHUNKS + 1)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda k: _run_chunk(bounds[k], bounds[k + 1], str(tmp_path), all_calls), range(CHUNKS))
        failures = [f for chunk in results for f in chunk]
    assert not failures, f"{len(failures)} calls killed the interpreter:\n\n" + "\n\n".join(failures)


def test_battery_reaches_the_known_crashes():
    """The calls that crashed before the tensor caster refused None and 0-d dims were checked."""
    labels = {battery.describe(c) for c in battery.calls()}
    assert [k for k in battery.KNOWN_CRASHES if k not in labels] == []
    methods, setters = battery._tensor_members()
    assert {"matmul", "__getitem__", "__setitem__", "copy_"} <= set(methods) and "grad" in setters


def test_bad_arguments_raise_torchs_exceptions():
    import pytest
    import torch

    import tinygrad_ext as tg
    cases = [("x.matmul(None)", TypeError), ("x.maximum(None)", TypeError), ("x.copy_(None)", TypeError),
             ("lib.nn.functional.nll_loss(x, None)", TypeError), ("lib.tensor(2.0).stride(0)", IndexError),
             ("lib.roll(lib.tensor(1.5), 1, 0)", IndexError), ("lib.set_num_threads(0)", RuntimeError),
             ("lib.empty(2**62)", RuntimeError), ("lib.manual_seed(2**64)", ValueError),
             ("lib.ones(3).unflatten(0, (-2, -2))", RuntimeError)]
    for code, error in cases:
        for lib in (torch, tg):
            with pytest.raises(error):
                eval(code, {"lib": lib, "x": lib.ones(2, 2)})
    s = tg.tensor(1.5)
    assert tg.logsumexp(s, 0).item() == pytest.approx(torch.logsumexp(torch.tensor(1.5), 0).item())
    assert tg.logsumexp(s, -1, keepdim=True).shape == ()
    assert tg.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    tg.manual_seed(0), torch.manual_seed(0)
