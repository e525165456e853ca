#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test.
#   bash scripts/test.sh          # release build
#   bash scripts/test.sh asan     # Address + UndefinedBehavior sanitizers
#   bash scripts/test.sh tsan     # ThreadSanitizer: the concurrent-prediction
#                                 # tests only (tests/models/test_predict_threads.cpp)
# The release run also fuzzes the IDX and .npy/.npz readers for 60 seconds
# each (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install_deps.sh
if [[ "$preset" == tsan ]]; then
  # Only the test binary, and only the thread tests (the test preset's
  # filter, its NABLA_NUM_THREADS=1 and tests/tsan.supp): a whole suite
  # under TSan is slow and OpenMP-heavy tests report libgomp's uninstrumented
  # barriers.
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j"$(nproc)"
  ctest --preset tsan -j"$(nproc)"
  exit 0
fi
bash scripts/build.sh "$preset"
# Everything a test needs is installed above, so none may skip: tests that
# would skip on a bare checkout fail instead (tests/support/requirements.hpp).
NABLA_REQUIRE_ALL=1 ctest --test-dir "build/$preset" --output-on-failure -j"$(nproc)"
if [[ "$preset" == release ]]; then
  bash scripts/fuzz.sh 60
fi
