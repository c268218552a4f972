"""CI's full-length check: concise softmax regression on the real Fashion-MNIST files, 10 epochs."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"


@pytest.mark.skipif(not (DATA / "train-images-idx3-ubyte.gz").exists(),
                    reason="real Fashion-MNIST files are not beside the project (CI has them)")
def test_softmax_regression_reaches_published_accuracy(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "softmax_regression.py"),
                          "--epochs", "10", "--data", str(DATA), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=900, check=True).stdout
    final = re.search(r"final: train loss ([0-9.]+), train acc ([0-9.]+), test acc ([0-9.]+)", out)
    assert final, out
    loss, train_acc, test_acc = map(float, final.groups())
    assert loss < 0.5 and train_acc > 0.80 and test_acc >= 0.82, out
    assert (tmp_path / "softmax_regression_predict.png").exists()
