"""tg against PyTorch's own operator database: one test per op_db entry (name + variant_test_name).

Each entry runs its OpInfo's sample inputs through torch and through tg's counterpart (the same name
in tg, tg.nn.functional, tg.special, tg.linalg, tg.fft, tg.Tensor; op_db's own lambdas run with
`torch` rebound to tg) for every dtype both support, and compares values, shapes and dtypes,
gradients, second derivatives, the method / in-place / operator variants and the error inputs
(opinfo_checks.py says what exactly, and how samples are capped). The entries run in worker
processes (opinfo_runner.py): a crash in C++ fails the entry that caused it, not the session.

An entry passes when every check passes, or when exactly its failing parts are listed in
opinfo_exclusions.py with a reason; a listed part that passes fails the test too (the list only
shrinks). `python tests/opinfo_report.py` prints the status and counts and drafts the list.
"""
import pytest
import torch

import opinfo_exclusions
from opinfo_checks import entry_ids
from opinfo_runner import Runner
from opinfo_verdict import verdict

ENTRY_IDS = entry_ids()


@pytest.fixture(scope="module")
def runner(request):
    # run ahead, in collection order, exactly the entries this session selected
    scheduled = [item.callspec.params["entry"] for item in request.session.items
                 if item.module is request.module and hasattr(item, "callspec")]
    r = Runner(scheduled)
    yield r
    r.close()


def test_exclusion_keys_name_entries():
    """Every key of the exclusion list names an op_db entry (and a known unit), with a known category."""
    categories = {v for k, v in vars(opinfo_exclusions).items() if k.isupper() and isinstance(v, str)}
    units = {"entry", "grad", "gradgrad", "variants", "errors"}
    for key, (category, note) in opinfo_exclusions.EXCLUSIONS.items():
        entry, _, unit = key.partition(":")
        assert entry in ENTRY_IDS, f"{key}: no op_db entry {entry!r}"
        assert not unit or unit in units or isinstance(getattr(torch, unit, None), torch.dtype), \
            f"{key}: unknown unit {unit!r}"
        assert category in categories, f"{key}: unknown category {category!r}"
        assert note.strip(), f"{key}: empty note"


@pytest.mark.parametrize("entry", ENTRY_IDS)
def test_op_db_entry(entry, runner):
    ok, message, _ = verdict(entry, runner.get(entry), opinfo_exclusions.EXCLUSIONS)
    assert ok, f"op_db entry {entry!r}: {message}"
