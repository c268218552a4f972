"""Test setup: torch must import (tests compare against it), hypothesis profiles, import path."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # so `from tests.helpers import ...` works
# appended, so a PYTHONPATH package (e.g. the sanitized build of .ci/sanitize.sh) wins
sys.path.append(os.path.join(os.path.dirname(__file__), "..", "python"))

try:
    import torch  # noqa: F401
except Exception as exc:  # pragma: no cover - the point is to fail loudly
    raise pytest.UsageError(f"torch must be importable: the test suite compares against it ({exc!r})")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("default", deadline=None, max_examples=15, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", deadline=None, max_examples=400,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("deep" if os.environ.get("TG_FUZZ_DEEP") == "1" else "default")

torch.set_num_threads(1)

if os.environ.get("TG_EXPECT_BUILD"):  # set by .ci/sanitize.sh: the tests must use that build
    import tinygrad_ext  # noqa: E402
    assert os.environ["TG_EXPECT_BUILD"] in os.path.realpath(tinygrad_ext._C.__file__), tinygrad_ext._C.__file__


def pytest_configure(config):
    # hypothesis' reporting imports mypy_extensions, which warns; not our code
    config.addinivalue_line("filterwarnings", "ignore:mypy_extensions.TypedDict:DeprecationWarning")
