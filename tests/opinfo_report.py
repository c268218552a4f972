"""Status of tg against PyTorch's operator database (op_db), and a draft exclusion list.

    python tests/opinfo_report.py                 # status per entry and counts per category
    python tests/opinfo_report.py --draft FILE    # also write a draft tests/opinfo_exclusions.py
                                  [--fresh]       #   (--fresh: propose every reason anew)
    python tests/opinfo_report.py add sum ...     # only these entries (with every unit's message)

The draft keeps each existing exclusion whose entry still fails (with its hand-written reason) and
proposes a category and note for the new failures; review the proposed notes before committing.
"""
import argparse
import collections
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import opinfo_exclusions as ex  # noqa: E402
from opinfo_verdict import failing_units, verdict  # noqa: E402

# op_db entries that belong to another issue, by name (the rest is classified by its failure)
_DECOMP = ("fft.", "linalg.", "stft", "istft", "cholesky", "lu", "qr", "svd", "pinverse", "geqrf",
           "ormqr", "triangular_solve", "logdet", "matrix_exp", "pca_lowrank", "svd_lowrank")
_LINALG_NORMS = ("linalg.vector_norm", "linalg.matrix_norm", "linalg.norm", "linalg.cross",
                 "linalg.diagonal", "linalg.vecdot", "linalg.vander", "linalg.multi_dot",
                 "linalg.matrix_power")
_CONVNET = re.compile(r"conv|pool|batch_norm|layer_norm|group_norm|instance_norm|rms_norm|"
                      r"local_response_norm|interpolate|upsample|pixel_(un)?shuffle|grid_sample|"
                      r"affine_grid|nn\.functional\.(un)?fold|dropout[123]d|alpha_dropout|channel_shuffle")
_SPARSE = re.compile(r"sparse|quantiz|nested|to_sparse|masked\._|_scaled_mm")
_DTYPE_METHODS = ("byte", "char", "short", "int", "half", "bfloat16")
_COMPLEX = ("cfloat", "cdouble", "chalf", "complex", "view_as_complex", "view_as_real", "polar",
            "angle", "real", "imag", "conj", "vdot")


def _short(message):
    """A short note from a failure message."""
    message = re.sub(r"^(sample \d+|error input \d+): ", "", message)
    message = re.sub(r"(method|in-place|operator|in-place operator) variant: (sample \d+: )?", r"\1 variant: ", message)
    if "'str' object has no attribute 'type'" in message:
        return "Tensor.device is a str (op_db reads .device.type; device seam)"
    m = re.search(r"module '[\w.]+' has no attribute '(\w+)'|type object '[\w.]+' has no attribute '(\w+)'", message)
    if m:
        return f"{m.group(1) or m.group(2)} missing"
    m = re.search(r"'[\w.]*Tensor' object has no attribute '(\w+)'", message)
    if m:
        return f"Tensor.{m.group(1)} missing"
    m = re.search(r"unexpected keyword argument '(\w+)'", message)
    if m:
        return f"keyword {m.group(1)!r} not accepted"
    m = re.search(r"inputs tg cannot hold: argument torch\.(\w+)", message)
    if m:
        return f"tg.{m.group(1)} missing"
    m = re.search(r"missing:? (.*)$", message)
    if m:
        return f"{m.group(1)} missing"
    m = re.search(r"no error raised, torch raises (\w+)", message)
    if m:
        return f"no error raised where torch raises {m.group(1)}"
    message = message.replace("Mismatch: ", "").replace("(#define PYBIND11_DETAILED_ERROR_MESSAGES", "")
    return message.split(": Tensor-likes")[0].split(". ")[0].split(" Invoked with")[0][:110]


def propose(entry, unit, message, result):
    """(category constant name, note) for a failure nobody has classified yet."""
    name = entry if entry.startswith(("nn.", "linalg.", "fft.", "special.", "masked.", "signal.")) \
        else entry.split(".")[0]
    note = _short(message)
    if entry.startswith("torch.ops.") or (entry.startswith("_") and not entry.startswith("__")) \
            or "aten." in message:
        return "INTERNAL", "torch-internal op"
    if "jiterator" in entry:
        return "CUDA", "CUDA-only entry"
    if _SPARSE.search(entry):
        return "SPARSE", "sparse/quantized tensors"
    if entry.startswith(_COMPLEX) or name in _COMPLEX or "no dtype in common" in message:
        return "COMPLEX", "complex dtypes only"
    if entry.startswith(_DECOMP) and not entry.startswith(_LINALG_NORMS):
        return "DECOMP", note
    if _CONVNET.search(entry):
        return "CONVNET", note
    if message.startswith("crashed"):
        return "WRONG", "crashes the interpreter (" + message + ")"
    if name in _DTYPE_METHODS:
        return "DTYPE", f"Tensor.{name}() needs its dtype"
    floats_pass = any(result.get(d, "x") is None for d in ("float32", "float64"))
    is_dtype_unit = unit not in ("entry", "grad", "gradgrad", "variants", "errors")
    if "tg lacks dtype" in message or (is_dtype_unit and floats_pass and "Mismatch" not in message):
        return "DTYPE", f"{unit}: {note}" if is_dtype_unit else note
    if "missing" in message or "has no attribute" in message or "inputs tg cannot hold" in message:
        return "TODO", note
    return "WRONG", f"{unit + ': ' if unit != 'entry' else ''}{note}"


def draft(results, path, fresh=False):
    """Writes a draft exclusion module: existing reasons kept where still failing (unless `fresh`),
    new ones proposed."""
    known = {} if fresh else ex.EXCLUSIONS
    lines = []
    for entry, result in results.items():
        failing = failing_units(result)
        if not failing:
            continue
        old_whole = known.get(entry)
        if old_whole is not None:
            lines.append((entry, old_whole))
            continue
        dtype_units = [u for u in result if u not in ("entry", "grad", "gradgrad", "variants", "errors")]
        if "entry" in failing or all(u in failing for u in dtype_units):  # no dtype passes: one line
            unit = next(u for u in ("entry", "float32", "float64") + tuple(sorted(failing)) if u in failing)
            lines.append((entry, _as_reason(propose(entry, unit, result[unit], result))))
            continue
        for unit in sorted(failing):
            key = f"{entry}:{unit}"
            lines.append((key, known.get(key) or _as_reason(propose(entry, unit, result[unit], result))))
    with open(path, "w") as f:
        with open(ex.__file__) as current:
            f.write(current.read().split("EXCLUSIONS = {")[0])  # the docstring and the categories
        f.write("EXCLUSIONS = {\n")
        for key, (category, note) in lines:
            const = next(k for k, v in vars(ex).items() if v == category and k.isupper())
            f.write(f"    {key!r}: ({const}, {note!r}),\n")
        f.write("}\n")


def _as_reason(proposal):
    const, note = proposal
    return getattr(ex, const), note


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("entries", nargs="*", help="op_db entry ids (default: all)")
    parser.add_argument("--draft", metavar="FILE", help="write a draft exclusion list to FILE")
    parser.add_argument("--fresh", action="store_true", help="propose every reason anew in the draft")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--save", metavar="JSON", help="also save the raw results to JSON")
    parser.add_argument("--load", metavar="JSON", help="report on saved results instead of running")
    parser.add_argument("--quiet", action="store_true", help="counts only")
    args = parser.parse_args()
    from opinfo_checks import entry_ids
    from opinfo_runner import Runner
    ids = args.entries or entry_ids()
    start = time.time()
    cpu = {}
    if args.load:
        with open(args.load) as f:
            results = {e: r for e, r in json.load(f).items() if e in ids}
    else:
        runner = Runner(ids, workers=args.workers)
        results = {}
        try:
            for entry in ids:
                results[entry] = runner.get(entry)
        finally:
            runner.close()
        cpu = runner.cpu_seconds
    if args.save:
        with open(args.save, "w") as f:
            json.dump(results, f, indent=0)
    status = collections.Counter()
    by_category = collections.Counter()
    for entry, result in results.items():
        ok, message, covered = verdict(entry, result, ex.EXCLUSIONS)
        state = ("pass" if not failing_units(result) else "excluded") if ok else "FAIL"
        status[state] += 1
        for category in covered:
            by_category[category] += 1
        if not args.quiet:
            print(f"{state:8} {entry}: {message}")
            if args.entries:
                for unit, msg in result.items():
                    print(f"           {unit}: {msg or 'ok'}")
    print(f"\n{len(results)} entries in {time.time() - start:.0f} s: " +
          ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    f32 = sum(1 for r in results.values() if r.get("float32", "absent") is None)
    print(f"float32 forward values match torch for {f32} entries (gradients, variants, errors aside)")
    print("excluded entries per category (an entry counts once per category it is listed under):")
    for category, count in by_category.most_common():
        print(f"  {count:4}  {category}")
    slowest = sorted(cpu, key=cpu.get, reverse=True)[:8]
    if cpu:
        print(f"CPU time in the workers: {sum(cpu.values()):.0f} s; slowest entries: " +
              ", ".join(f"{e} {cpu[e]:.1f} s" for e in slowest))
    if args.draft:
        draft(results, args.draft, args.fresh)
        print(f"draft exclusion list written to {args.draft}")
    return 0 if status["FAIL"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
