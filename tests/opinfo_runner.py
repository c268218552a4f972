"""Runs op_db entries in worker processes, so a crash in C++ names its entry instead of killing pytest.

Each worker (spawned: a fresh interpreter, safe with OpenMP) imports torch, op_db and tg once and
then checks the entries it is sent one at a time. When a worker dies (a segfault, an abort) or
runs past ENTRY_TIMEOUT_S, the entry it was running is reported as "crashed" / "timed out" and a
new worker takes over the rest. Results come back in the order asked.
"""
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import wait

ENTRY_TIMEOUT_S = 120


def _worker_main(conn, path):
    sys.path[:0] = [p for p in path if p not in sys.path]
    import torch
    torch.set_num_threads(1)
    import tinygrad_ext as tg
    tg.set_num_threads(1)
    import faulthandler
    faulthandler.enable()  # a crash prints its C-level stack to stderr as well
    from opinfo_checks import run_entry
    conn.send(("ready", None))
    while True:
        try:
            entry = conn.recv()
        except EOFError:  # the parent is gone
            return
        if entry is None:
            return
        start = time.process_time()
        try:
            result = run_entry(entry)
        except BaseException as exc:  # noqa: BLE001  (the harness itself failed: report, go on)
            result = {"entry": f"harness error: {type(exc).__name__}: {exc}"}
        conn.send((entry, (result, time.process_time() - start)))


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = ctx.Process(target=_worker_main, args=(child, [here] + sys.path), daemon=True)
        self.proc.start()
        child.close()
        self.entry = None
        self.started = None
        self.ready = False

    def send(self, entry):
        self.entry, self.started = entry, time.monotonic()
        self.conn.send(entry)

    def stop(self):
        if self.proc.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


class Runner:
    """runner.get(entry) -> {unit: None or message}; entries listed in `schedule` are run ahead,
    up to `workers` at a time, in that order."""

    def __init__(self, schedule, workers=None):
        self.ctx = multiprocessing.get_context("spawn")
        self.pending = list(schedule)
        self.results = {}
        self.cpu_seconds = {}  # entry -> CPU seconds its checks took in the worker
        count = workers or max(1, min(4, os.cpu_count() or 1))
        self.workers = [_Worker(self.ctx) for _ in range(min(count, max(1, len(self.pending))))]

    def _dispatch(self):
        for w in self.workers:
            if w.ready and w.entry is None and self.pending:
                w.send(self.pending.pop(0))

    def _replace(self, w, message):
        self.results[w.entry] = {"entry": message}
        w.stop()
        self.workers[self.workers.index(w)] = _Worker(self.ctx)

    def _pump(self):
        self._dispatch()
        busy = {w.conn: w for w in self.workers}
        sentinels = {w.proc.sentinel: w for w in self.workers}
        ready = wait(list(busy) + list(sentinels), timeout=5)
        for obj in ready:
            w = busy.get(obj)
            if w is not None:
                try:
                    entry, result = w.conn.recv()
                except (EOFError, OSError):
                    continue  # the process died: its sentinel says so
                if entry == "ready":
                    w.ready = True
                else:
                    self.results[entry], self.cpu_seconds[entry] = result
                    w.entry = None
        for obj in ready:
            w = sentinels.get(obj)
            if w is not None and w in self.workers and not w.proc.is_alive():
                code = w.proc.exitcode
                if w.entry is not None:
                    self._replace(w, f"crashed: the worker died with exit code {code} running this entry")
                else:
                    raise RuntimeError(f"an op_db worker died with exit code {code} before its first entry")
        now = time.monotonic()
        for w in list(self.workers):
            if w.entry is not None and now - w.started > ENTRY_TIMEOUT_S:
                self._replace(w, f"timed out after {ENTRY_TIMEOUT_S} s")

    def get(self, entry):
        if entry not in self.results and entry not in self.pending and \
                not any(w.entry == entry for w in self.workers):
            self.pending.insert(0, entry)
        while entry not in self.results:
            self._pump()
        return self.results.pop(entry)

    def close(self):
        for w in self.workers:
            w.stop()
