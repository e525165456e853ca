#!/usr/bin/env bash
# The main job: installs what is needed, builds, and trains the book's MNIST
# model (Dense 512 relu -> Dense 10 softmax, rmsprop, 5 epochs, batch 128).
# Extra arguments go to `nabla train`, e.g.
#   bash scripts/train.sh --dataset fashion_mnist --plot curves.png
#   bash scripts/train.sh --data-dir ~/Downloads/mnist     # offline
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh release
exec build/release/apps/nabla train "$@"
