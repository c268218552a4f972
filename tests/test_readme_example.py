"""The README's example (examples/linear_regression_scratch.py) converges as the README says."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_linear_regression_scratch_converges():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "linear_regression_scratch.py")],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    losses = [float(v) for v in re.findall(r"loss ([0-9.e-]+)", out)]
    assert len(losses) == 3 and losses[-1] < 1e-3
    w = [float(v) for v in re.search(r"w = \[([^\]]+)\]", out).group(1).split(",")]
    b = float(re.search(r"b = ([-0-9.e]+)", out).group(1))
    assert abs(w[0] - 2) < 0.01 and abs(w[1] + 3.4) < 0.01
    assert abs(b - 4.2) < 0.01
