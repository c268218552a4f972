"""Run under mpiexec with a mode: rank 1 fails in some way while rank 0 waits in a collective.
The job must end with a non-zero exit code and a message, quickly, never hang."""
import sys

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 60)
rank = dist.get_rank()
dist.barrier()
if rank == 1:
    if mode == "raise":
        raise ValueError("rank 1 gave up")
    if mode == "exit":
        sys.exit(0)  # leaves without joining the collective below
    if mode == "hang":
        dist.recv(tg.empty(1), src=0)  # waits for a message nobody sends
dist.all_reduce(tg.ones(4))
print(f"finished {rank}", flush=True)
