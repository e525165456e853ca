#!/usr/bin/env bash
# ctest `install.consumer` (label install): nabla installed into a temporary
# prefix is used as a user would, from outside the build:
#   1. cmake --install BUILD --prefix TMP
#   2. tests/install/consumer built with find_package(nabla CONFIG REQUIRED),
#      run: tensors, training on real digits, save + load
#   3. the same source built with `pkg-config --cflags --libs nabla`, run
#   4. examples/deploy (classify) built against the prefix, and the installed
#      `nabla predict --image`, both classifying the consumer's digit.png
# Usage: install_test.sh BUILD_DIR SOURCE_DIR MNIST_DIR CMAKE CXX GENERATOR
set -euo pipefail
build=$1 src=$2 mnist=$3 cmake=$4 cxx=$5 generator=$6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nabla-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ ! -e $mnist/t10k-images-idx3-ubyte.gz ]]; then
  # As tests/support/requirements.hpp: skip by hand, fail under NABLA_REQUIRE_ALL (CI).
  [[ -n ${NABLA_REQUIRE_ALL:-} ]] && fail "the shared MNIST test set is missing at $mnist"
  echo "skipped: the shared MNIST test set is missing at $mnist"; exit 77
fi

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log"
for f in include/nabla/nabla.hpp include/nabla/io/image_input.hpp bin/nabla \
         lib/cmake/nabla/nablaConfig.cmake lib/cmake/nabla/nablaConfigVersion.cmake lib/pkgconfig/nabla.pc; do
  [[ -e $prefix/$f ]] || fail "$f is not installed"
done
ls "$prefix"/lib/libnabla.* >/dev/null || fail "no libnabla installed"
# Only the public headers: nothing of src/.
[[ -z $(find "$prefix/include" -type f ! -path "$prefix/include/nabla/*.hpp") ]] || fail "non-header files installed"

# The consumer's checks, on the output of one run.
check_run() {
  local out=$1
  grep -qx "tensor: sum(a @ a) = 54" <<<"$out" || fail "tensor line wrong: $out"
  local acc; acc=$(sed -n 's/^accuracy: //p' <<<"$out")
  awk -v a="$acc" 'BEGIN { exit !(a > 0.85) }' || fail "accuracy $acc <= 0.85"
  grep -qx "reloaded: max difference 0" <<<"$out" || fail "the reloaded model predicts differently: $out"
  grep -q "^digit: [0-9]$" <<<"$out" || fail "no digit line: $out"
}
flags=(-DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-O0 -DCMAKE_CXX_COMPILER="$cxx" -G "$generator"
       -DCMAKE_PREFIX_PATH="$prefix")

# 2. CMake, find_package.
"$cmake" -S "$src/tests/install/consumer" -B "$tmp/cmake-build" "${flags[@]}" >"$tmp/configure.log"
"$cmake" --build "$tmp/cmake-build" >"$tmp/build.log" || { cat "$tmp/build.log"; fail "consumer build (CMake)"; }
mkdir "$tmp/run1"
out=$("$tmp/cmake-build/consumer" "$mnist" "$tmp/run1")
echo "$out"
check_run "$out"

# 3. pkg-config (libnabla.a: --static adds the libraries it calls).
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_flags=$(pkg-config --static --cflags --libs nabla)
echo "pkg-config --static --cflags --libs nabla: $pc_flags"
# shellcheck disable=SC2086
"$cxx" -std=c++20 -O0 "$src/tests/install/consumer/consumer.cpp" -o "$tmp/consumer-pc" $pc_flags
mkdir "$tmp/run2"
out=$("$tmp/consumer-pc" "$mnist" "$tmp/run2")
check_run "$out"

# 4. The deploy example and the installed tool on the picture (dark on white: --invert).
label=$(sed -n 's/^digit: //p' <<<"$out")
"$cmake" -S "$src/examples/deploy" -B "$tmp/deploy-build" "${flags[@]}" >"$tmp/configure-deploy.log"
"$cmake" --build "$tmp/deploy-build" >"$tmp/build-deploy.log" || { cat "$tmp/build-deploy.log"; fail "examples/deploy build"; }
got=$("$tmp/deploy-build/classify" "$tmp/run2/model.keras" "$tmp/run2/digit.png" --invert)
echo "classify: $got"
[[ $got =~ ^$label\ (0\.[0-9]{4}|1\.0000)$ ]] || fail "classify printed '$got', expected '$label <probability>'"
got=$("$prefix/bin/nabla" predict "$tmp/run2/model.keras" --image "$tmp/run2/digit.png" --invert)
echo "nabla predict: $got"
[[ $got =~ ^predicted:\ $label\ probability:\ (0\.[0-9]{4}|1\.0000)$ ]] || fail "nabla predict printed '$got'"
echo "install test passed"
