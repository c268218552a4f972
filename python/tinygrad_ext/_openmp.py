"""The OpenMP runtime's wait policy, chosen before the compiled module loads the runtime.

libgomp's default lets idle worker threads spin for 300,000 iterations (milliseconds) after every
parallel region. Those threads take CPU time from every other thread that wants it: the main
thread's SMT sibling, other processes, or (on a loaded machine) the team's own threads. On the
2-core development machines, shared by many processes, a 2-thread MLP 784-256-10 Adam step took
300 ms with the default, 28 ms with GOMP_SPINCOUNT=10000 and 1.5-1.8 ms with OMP_WAIT_POLICY=passive
(1.9 ms on one thread). So tinygrad_ext asks for the passive policy (idle threads sleep at once;
waking them costs a few microseconds per parallel region, which the threading cost model's grains
cover) unless the user has chosen a policy. The runtime reads its settings once, when it is
loaded, so this only takes effect when tinygrad_ext is the first library to load libgomp (one
runtime serves the whole process: torch imported first keeps its settings, torch imported after
shares ours). The variable is removed again afterwards so child processes see the user's own
environment.
"""
import os

_CHOICES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def load_compiled_module():
    """Imports tinygrad_ext._C with OMP_WAIT_POLICY=passive unless the user set a wait policy."""
    chosen_by_user = any(name in os.environ for name in _CHOICES)
    if not chosen_by_user:
        os.environ["OMP_WAIT_POLICY"] = "passive"
    try:
        from . import _C
    finally:
        if not chosen_by_user:
            del os.environ["OMP_WAIT_POLICY"]
    return _C
