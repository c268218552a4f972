#!/usr/bin/env bash
# Builds _C with AddressSanitizer + UBSan in build-asan/ and runs the fuzz and autograd tests against it.
# Usage: .ci/sanitize.sh [extra pytest args]   (fails on any sanitizer report or test failure)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-asan"
SAN="${TG_SANITIZE:-address,undefined}"

mkdir -p "$BUILD"
# -O1 -g1: line tables are enough for the reports' stack traces, and each object compiles in about
# half the time of RelWithDebInfo's -O2 -g (this build is the longest step of CI on 2 cores).
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTG_SANITIZE="$SAN" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -Dpybind11_DIR="$(python -m pybind11 --cmakedir)" > "$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 1; }
cmake --build "$BUILD" -j2

# A package folder: the Python sources (symlinked) next to the sanitized extension.
PKG="$BUILD/pkg/tinygrad_ext"
rm -rf "$BUILD/pkg" && mkdir -p "$PKG"
for f in "$ROOT"/python/tinygrad_ext/*; do
  case "$(basename "$f")" in _C*.so) ;; *) ln -s "$f" "$PKG/" ;; esac
done
ln -s "$BUILD"/_C*.so "$PKG/"

# Python itself is not instrumented, so the ASan runtime must be loaded first.
PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libstdc++.so)"
REPORT="$BUILD/sanitizer-report"
rm -f "$REPORT".*
# allocator_may_return_null: a malloc of terabytes must fail as it does without ASan (MemoryError).
# Sizes that arguments decide are checked before allocating (cpp/include/tg/alloc_check.h), so ASan's
# operator new, which aborts on such requests whatever the options, never sees them.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1:log_path=$REPORT"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$REPORT"
export PYTHONPATH="$BUILD/pkg"
export TG_EXPECT_BUILD="$BUILD"
# The whole-surface crash test runs a share of its calls here (every 8th, and every call with a
# huge size argument); the main suite runs all of them against the release build.
export TG_NO_CRASH_STRIDE="${TG_NO_CRASH_STRIDE:-8}"

status=0
LD_PRELOAD="$PRELOAD" python -m pytest -q -p no:cacheprovider "$ROOT/tests/test_fuzz.py" "$ROOT/tests/test_autograd.py" \
  "$ROOT/tests/test_view_inplace.py" "$ROOT/tests/test_tensor_api.py" "$ROOT/tests/test_no_crash.py" \
  "$@" || status=$?
if ls "$REPORT".* > /dev/null 2>&1; then
  echo "sanitizer reports:"; cat "$REPORT".*; exit 1
fi
# the tests must have used the sanitized build
LD_PRELOAD="$PRELOAD" python -c "import tinygrad_ext, sys; assert '$BUILD' in tinygrad_ext._C.__file__, tinygrad_ext._C.__file__"
exit $status
