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
  libhdf5-dev            # Keras .keras / .weights.h5 / .h5 model files (HDF5 C API)
  hdf5-tools python3-h5py  # h5ls/h5dump and h5py: checks of the HDF5 layout (tests only)
  libcli11-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev libomp-dev  # libFuzzer targets (clang's OpenMP)
  python3 python3-numpy python3-torch python3-pil  # NumPy/PyTorch/Pillow cross-checks (tests only)
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
