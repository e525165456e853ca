#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test.
#   bash scripts/test.sh          # release build, then the ThreadSanitizer,
#                                 # shared-library and Address/UB sanitizer
#                                 # runs below (CI)
#   bash scripts/test.sh asan     # Address + UndefinedBehavior sanitizers
#   bash scripts/test.sh tsan     # ThreadSanitizer alone: nabla_tsan_tests
#   bash scripts/test.sh shared   # the shared-library install test alone
# The release run also fuzzes the IDX and .npy/.npz readers for 60 seconds
# each (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install_deps.sh

# ThreadSanitizer (docs/CONVENTIONS.md, "Sanitizers"): the library built with
# -fsanitize=thread in build/tsan, and one small binary of the tests that run
# threads (tests/CMakeLists.txt, nabla_tsan_tests), each test in its own
# process; any report fails (exit code 66). tests/tsan.supp silences only
# the uninstrumented third-party runtime (libgomp).
run_tsan() {
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j"$(nproc)"
  ctest --preset tsan -j"$(nproc)"
}
# AddressSanitizer + UndefinedBehaviorSanitizer over the whole suite (the
# asan preset, build/asan): any report fails its test. About 16 min to build
# cold on 2 cores, 3.5 min to run (2026-12-02).
run_asan() {
  bash scripts/build.sh asan
  NABLA_REQUIRE_ALL=1 ctest --preset asan -j"$(nproc)"
}
# The shared library as a user links it (docs/deploy.md): the `package`
# preset's tree (BUILD_SHARED_LIBS, any x86-64), only the library and the
# tool, installed into a temporary prefix; the SONAME, the exported symbols,
# and the consumer, examples/deploy and the tool against libnabla.so.0
# (find_package and pkg-config; ldd shows the installed library).
run_shared() {
  cmake --preset package >/dev/null
  cmake --build build/package -j"$(nproc)" --target nabla nabla_cli
  NABLA_REQUIRE_ALL=1 GOMP_SPINCOUNT=1000 bash tests/install/install_test.sh "$PWD/build/package" "$PWD" \
    "$PWD/../shared/data/mnist" "$(command -v cmake)" "$(command -v c++)" Ninja
}
case "$preset" in
  asan) run_asan; exit 0 ;;
  tsan) run_tsan; exit 0 ;;
  shared) run_shared; exit 0 ;;
esac
bash scripts/build.sh "$preset"
# Everything a test needs is installed above, so none may skip: tests that
# would skip on a bare checkout fail instead (tests/support/requirements.hpp).
NABLA_REQUIRE_ALL=1 ctest --test-dir "build/$preset" --output-on-failure -j"$(nproc)"
# The float kernels at every other CPU level this machine runs, forced one
# after another (docs/deploy.md, CPU levels): the kernel, optimizer, model
# and training suites, about 30 s a level (25 of them the Keras optimizer
# oracle); the full suite above ran the default (best) level.
levels_subset='GradientTape.*:GradientCheck.*:Dense.*:Elementwise*:Linalg*:NN*:Reduce*:SgemmLevels.*:CpuLevel.*'
levels_subset+=':Fit.*:Sequential.*:*FusedStep*:*FusedConvStep*:ConvPool.*:Optimizers.*:Losses.*:BookTrainingLoop.*:KerasOptimizerOracle.*'
default_level=$("build/$preset/apps/nabla" --version | sed -n 's/^CPU level: \([a-z0-9]*\).*/\1/p')
for level in baseline avx2 avx512; do
  if [[ "$level" != "$default_level" ]] && NABLA_CPU=$level "build/$preset/apps/nabla" --version >/dev/null 2>&1; then
    echo "== NABLA_CPU=$level"
    NABLA_CPU=$level NABLA_REQUIRE_ALL=1 GOMP_SPINCOUNT=1000 "build/$preset/tests/nabla_tests" \
      --gtest_filter="$levels_subset" --gtest_brief=1
    NABLA_CPU=$level NABLA_REQUIRE_ALL=1 "build/$preset/tests/nabla_internal_tests" \
      --gtest_filter='Shapes/SparseProducts.*:SparseInput.*:SparseFirstLayer.*' --gtest_brief=1
  fi
done
if [[ "$preset" == release ]]; then
  run_tsan
  run_shared
  run_asan
  bash scripts/fuzz.sh 60
fi
