#!/usr/bin/env bash
# Checks a built libnabla.so (docs/deploy.md, "Exported symbols"): its SONAME
# is libnabla.so.<major>, and it exports nothing but nabla's API (the
# patterns of src/nabla.map). Used by scripts/package.sh and the shared-library
# install test (tests/install/install_test.sh).
#   bash scripts/check_exports.sh path/to/libnabla.so.X.Y.Z [MAJOR]
set -euo pipefail
so=$1 major=${2:-0}
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
echo "$so: SONAME $soname"
[[ $soname == "libnabla.so.$major" ]] || { echo "SONAME is '$soname', expected libnabla.so.$major" >&2; exit 1; }
# By mangled name (a demangled template instance begins with its return
# type). Absolute symbols ("A": the version node NABLA_0) are not code.
exported=$(nm -D --defined-only "$so" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}')
[[ -n $exported ]] || { echo "$so exports nothing" >&2; exit 1; }
echo "exported symbols: $(wc -l <<<"$exported")" \
     "(of which in a detail namespace: $(c++filt <<<"$exported" | grep -c 'detail::' || true))"
# Special names (typeinfo, vtables, TLS wrappers: _ZT.., thunks _ZTh/_ZTv,
# guards _ZGV), then one Z per enclosing function of a local entity (a
# thread_local inside a lambda inside nabla::f is _ZZZN5nabla...).
leaks=$(grep -v -E '^_Z(T[ISVTHW]|T[hv][^N]*|GV)?Z*NK?5nabla' <<<"$exported" || true)
if [[ -n $leaks ]]; then
  echo "symbols outside nabla:: are exported ($(wc -l <<<"$leaks")):" >&2
  c++filt <<<"$leaks" | head -20 >&2
  exit 1
fi
