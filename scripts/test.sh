#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test.
#   bash scripts/test.sh          # release build
#   bash scripts/test.sh asan     # Address + UndefinedBehavior sanitizers
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install_deps.sh
bash scripts/build.sh "$preset"
ctest --test-dir "build/$preset" --output-on-failure -j"$(nproc)"
