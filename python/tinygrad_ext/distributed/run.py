"""python -m tinygrad_ext.distributed.run --nproc N [--hostfile FILE] script.py [args...]

Starts N copies of script.py under MPI's launcher (mpiexec, from the same environment as this
Python when there is one), each joining the job with tg.distributed.init_process_group(). On one
machine each process gets cpu_count // N kernel threads unless OMP_NUM_THREADS is set."""
import argparse
import os
import shutil
import sys


def find_mpiexec():
    """mpiexec beside this interpreter (a virtual environment's own, from the mpich wheel), else
    the first on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec")
    if found is None:
        from ._mpi import INSTALL_HINT
        raise SystemExit(f"tinygrad_ext.distributed.run: mpiexec not found; {INSTALL_HINT}")
    return found


def command(args):
    """The mpiexec command line that runs the script."""
    cmd = [find_mpiexec(), "-n", str(args.nproc)]
    if args.hostfile:
        cmd += ["-f", args.hostfile]
    return cmd + [sys.executable, "-u", args.script] + args.script_args


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_ext.distributed.run",
                                     description="Run a tg.distributed script on N processes with mpiexec.")
    parser.add_argument("--nproc", type=int, default=1,
                        help="number of processes in all (default 1)")
    parser.add_argument("--hostfile", default=None,
                        help="MPICH host file (one 'host[:slots]' a line) to spread them over machines")
    parser.add_argument("script", help="the training script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error(f"--nproc must be at least 1, got {args.nproc}")
    if args.hostfile is None and args.nproc > 1 and "OMP_NUM_THREADS" not in os.environ:
        # N processes on this machine share its cores (mpiexec passes the environment on)
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // args.nproc))
    cmd = command(args)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
