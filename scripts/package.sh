#!/usr/bin/env bash
# Builds the Debian packages (docs/deploy.md, cmake/package.cmake):
#   bash scripts/package.sh            # -> build/package/*.deb
#   bash scripts/package.sh --check    # also installs them with dpkg -i (root),
#                                      # builds examples/deploy against /usr
#                                      # (shared and static), classifies a
#                                      # digit with it and /usr/bin/nabla,
#                                      # and purges them again
# The library is built twice, for any x86-64 (NABLA_NATIVE=OFF): shared
# (libnabla0, the tool) and static (libnabla-dev); the compile flags are the
# same, so with ccache the second build costs little.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[[ ${1:-} == --check ]] && check=1
jobs=$(nproc)

cmake --preset package-static >/dev/null
cmake --build build/package-static -j"$jobs"
cmake --preset package >/dev/null
cmake --build build/package -j"$jobs"
rm -f build/package/*.deb
(cd build/package && cpack -G DEB >/dev/null)
debs=(build/package/libnabla0_*.deb build/package/libnabla-dev_*.deb build/package/nabla_*.deb)
for deb in "${debs[@]}"; do
  echo "== $deb"
  dpkg-deb -f "$deb" Package Version Depends
  dpkg-deb -c "$deb" | awk '{print "   " $6 ($7 ? " " $7 " " $8 : "")}'
done

# The shared library: its SONAME, and nothing but nabla's API exported.
bash scripts/check_exports.sh "$(find build/package -maxdepth 1 -name 'libnabla.so.*.*' | head -1)"

if ((check)); then
  # Install for real, use, remove: what a user of the packages does.
  names=(nabla libnabla-dev libnabla0)
  for n in "${names[@]}"; do
    if dpkg-query -W -f='${Status}' "$n" 2>/dev/null | grep -q "install ok installed"; then
      echo "$n is already installed: not touching it"; exit 1
    fi
  done
  tmp=$(mktemp -d)
  trap 'flock /tmp/apt.lock dpkg -P "${names[@]}" >/dev/null || true; rm -rf "$tmp"' EXIT
  flock /tmp/apt.lock dpkg -i "${debs[@]}"
  /usr/bin/nabla --help >/dev/null
  cmake -S examples/deploy -B "$tmp/shared" -G Ninja >/dev/null && cmake --build "$tmp/shared" >/dev/null
  # (/lib is /usr/lib on Debian: ld.so.cache may name either.)
  ldd "$tmp/shared/classify" | grep -Eq 'libnabla.so.0 => (/usr)?/lib/' ||
    { echo "classify does not use the installed libnabla.so.0:"; ldd "$tmp/shared/classify"; exit 1; }
  cmake -S examples/deploy -B "$tmp/static" -G Ninja -Dnabla_SHARED_LIBS=OFF >/dev/null && cmake --build "$tmp/static" >/dev/null
  ! ldd "$tmp/static/classify" | grep -q libnabla || { echo "the static classify links libnabla.so"; exit 1; }
  # All three classify MNIST test digit 0 (a 7), drawn dark on white by the
  # installed tool, with a model Keras saved (tests/saving/fixtures).
  /usr/bin/nabla show --dataset mnist --split test --index 0 --data-dir ../shared/data/mnist \
    --png "$tmp/digit.png" >/dev/null
  model=tests/saving/fixtures/rmsprop.keras
  for run in "$tmp/shared/classify $model $tmp/digit.png --invert" \
             "$tmp/static/classify $model $tmp/digit.png --invert" \
             "/usr/bin/nabla predict $model --image $tmp/digit.png --invert"; do
    out=$($run)
    echo "$run -> $out"
    [[ $out =~ (^7\ |predicted:\ 7\ ) ]] || { echo "expected class 7"; exit 1; }
  done
  pkg-config --exists nabla && echo "pkg-config: $(pkg-config --cflags --libs nabla)"
  echo "package check passed: dpkg -i, /usr/bin/nabla, examples/deploy (shared and static) against /usr"
fi
