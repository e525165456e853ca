#!/usr/bin/env bash
# Installs the Debian packages nabla needs to build, test and run. Idempotent:
# packages already present are skipped, so a second run costs a second.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev            # oneDNN: matrix products (see docs/DESIGN.md)
  ocl-icd-opencl-dev     # oneDNN's CMake config requires OpenCL headers (its GPU runtime)
  zlib1g-dev libpng-dev  # .npz / gzip IDX, PNG pictures
  libcurl4-openssl-dev   # dataset download
  libssl-dev             # SHA-256 of downloaded files
  openmpi-bin libopenmpi-dev  # MPI data-parallel fit (nabla/distributed, docs/distributed.md)
  libhdf5-dev            # Keras .keras / .weights.h5 / .h5 model files (HDF5 C API)
  hdf5-tools python3-h5py  # h5ls/h5dump and h5py: checks of the HDF5 layout (tests only)
  python3-onnx           # onnx.checker: checks of the ONNX export (tests only)
  libcli11-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev libomp-dev  # libFuzzer targets (clang's OpenMP)
  python3 python3-numpy python3-torch python3-pil  # NumPy/PyTorch/Pillow cross-checks (tests only)
  python3-venv           # .venv-oracle/: the Keras oracle of tests/saving (pinned PyPI packages)
  dataset-fashion-mnist  # full-size training data, from Debian
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Keras oracle (tests/saving): a virtual environment with the exact PyPI
# pins of tests/saving/requirements-oracle.txt, at .venv-oracle/ (gitignored).
# It is reused while its stamp (a hash of the pins and the interpreter) still
# matches, so a second run costs nothing; any change rebuilds it from scratch.
# The stamp is written last: an interrupted install is redone next time.
# NABLA_NO_ORACLE=1 skips it (the oracle tests then skip, or fail under
# NABLA_REQUIRE_ALL).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORACLE_REQUIREMENTS="$ROOT/tests/saving/requirements-oracle.txt"
ORACLE_VENV="$ROOT/.venv-oracle"
if [[ -z "${NABLA_NO_ORACLE:-}" ]]; then
  want="$( { cat "$ORACLE_REQUIREMENTS"; /usr/bin/python3 -VV; } | sha256sum | cut -d' ' -f1)"
  if [[ "$(cat "$ORACLE_VENV/.nabla-stamp" 2>/dev/null)" != "$want" ]] || [[ ! -x "$ORACLE_VENV/bin/python" ]]; then
    echo "install_deps: creating $ORACLE_VENV (keras oracle, pinned PyPI packages)"
    rm -rf "$ORACLE_VENV"
    /usr/bin/python3 -m venv "$ORACLE_VENV"
    # --no-deps: the file pins every package, so pip resolves nothing itself;
    # pip check then proves the set is complete and consistent.
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$ORACLE_VENV/bin/pip" install -q --no-deps \
      --only-binary=:all: --retries 5 --timeout 60 -r "$ORACLE_REQUIREMENTS"
    "$ORACLE_VENV/bin/pip" check
    KERAS_BACKEND=numpy "$ORACLE_VENV/bin/python" -c "import keras, h5py, scipy, jax, onnxruntime" >/dev/null 2>&1 \
      || { echo "install_deps: $ORACLE_VENV cannot import keras" >&2; exit 1; }
    echo "$want" >"$ORACLE_VENV/.nabla-stamp"
  fi
fi
