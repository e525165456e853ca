#!/usr/bin/env bash
# The install test: nabla installed into a temporary prefix is used as a user
# would, from outside the build:
#   1. cmake --install BUILD --prefix TMP
#   2. tests/install/consumer built with find_package(nabla CONFIG REQUIRED),
#      run: tensors, training on real digits, save + load
#   3. the same source built with `pkg-config --cflags --libs nabla`, run
#   4. examples/deploy (classify) built against the prefix, and the installed
#      `nabla predict --image`, both classifying the consumer's digit.png
# A static build (ctest `install.consumer`, label install) links libnabla.a
# (pkg-config --static). A shared build (scripts/test.sh runs it on the
# `package` preset's tree) installs libnabla.so.0, whose SONAME and exports
# are checked (scripts/check_exports.sh), and every program must load the
# installed libnabla.so.0 (ldd).
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
# lib, or lib/<multiarch> where the build was configured for /usr (GNUInstallDirs).
pc=$(find "$prefix" -name nabla.pc -path '*/pkgconfig/*' | head -1)
[[ -n $pc ]] || fail "nabla.pc is not installed"
libdir=$(dirname "$(dirname "$pc")")
for f in include/nabla/nabla.hpp include/nabla/io/image_input.hpp bin/nabla \
         "${libdir#"$prefix"/}"/cmake/nabla/nablaConfig.cmake "${libdir#"$prefix"/}"/cmake/nabla/nablaConfigVersion.cmake; do
  [[ -e $prefix/$f ]] || fail "$f is not installed"
done
ls "$libdir"/libnabla.* >/dev/null || fail "no libnabla installed in $libdir"
shared=0
if [[ -e $libdir/libnabla.so ]]; then
  shared=1
  [[ ! -e $libdir/libnabla.a ]] || fail "a shared build installed libnabla.a too"
  # libnabla.so -> libnabla.so.0 -> libnabla.so.0.1.0, the last one checked.
  [[ $(readlink "$libdir/libnabla.so") == libnabla.so.0 ]] || fail "libnabla.so does not point to libnabla.so.0"
  real=$(readlink -f "$libdir/libnabla.so.0")
  [[ $real == "$libdir"/libnabla.so.0.* ]] || fail "libnabla.so.0 resolves to $real"
  bash "$src/scripts/check_exports.sh" "$real" 0 || fail "libnabla.so.0's SONAME or exports"
fi
# A program loads the installed shared library (a static one: no libnabla.so at all).
check_links() {
  local exe=$1 deps
  deps=$(ldd "$exe")
  if ((shared)); then
    grep -Eq "libnabla\.so\.0 => $libdir/libnabla\.so\.0 " <<<"$deps" || fail "$exe does not load $libdir/libnabla.so.0: $deps"
  else
    ! grep -q libnabla <<<"$deps" || fail "$exe links a libnabla.so: $deps"
  fi
}
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
check_links "$tmp/cmake-build/consumer"
mkdir "$tmp/run1"
out=$("$tmp/cmake-build/consumer" "$mnist" "$tmp/run1")
echo "$out"
check_run "$out"

# 3. pkg-config (libnabla.a: --static adds the libraries it calls; the
# shared library records its own, and the program finds it by its rpath).
export PKG_CONFIG_PATH=$libdir/pkgconfig
if ((shared)); then
  pc_args=(--cflags --libs nabla) link_extra=(-Wl,-rpath,"$libdir")
else
  pc_args=(--static --cflags --libs nabla) link_extra=()
fi
pc_flags=$(pkg-config "${pc_args[@]}")
echo "pkg-config ${pc_args[*]}: $pc_flags"
# shellcheck disable=SC2086
"$cxx" -std=c++20 -O0 "$src/tests/install/consumer/consumer.cpp" -o "$tmp/consumer-pc" $pc_flags "${link_extra[@]}"
check_links "$tmp/consumer-pc"
mkdir "$tmp/run2"
out=$("$tmp/consumer-pc" "$mnist" "$tmp/run2")
check_run "$out"

# 4. The deploy example and the installed tool on the picture (dark on white: --invert).
label=$(sed -n 's/^digit: //p' <<<"$out")
"$cmake" -S "$src/examples/deploy" -B "$tmp/deploy-build" "${flags[@]}" >"$tmp/configure-deploy.log"
"$cmake" --build "$tmp/deploy-build" >"$tmp/build-deploy.log" || { cat "$tmp/build-deploy.log"; fail "examples/deploy build"; }
check_links "$tmp/deploy-build/classify"
got=$("$tmp/deploy-build/classify" "$tmp/run2/model.keras" "$tmp/run2/digit.png" --invert)
echo "classify: $got"
[[ $got =~ ^$label\ (0\.[0-9]{4}|1\.0000)$ ]] || fail "classify printed '$got', expected '$label <probability>'"
# The installed tool has no rpath (Debian's policy; /usr/lib needs none):
# a temporary prefix is on the loader's path.
if ((shared)); then export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
check_links "$prefix/bin/nabla"
got=$("$prefix/bin/nabla" predict "$tmp/run2/model.keras" --image "$tmp/run2/digit.png" --invert)
echo "nabla predict: $got"
[[ $got =~ ^predicted:\ $label\ probability:\ (0\.[0-9]{4}|1\.0000)$ ]] || fail "nabla predict printed '$got'"
echo "install test passed ($( ((shared)) && echo shared || echo static) library)"
