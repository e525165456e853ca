#!/usr/bin/env bash
# cli_train.sh NABLA MPIRUN_PREFIX...: `mpirun -np 2 nabla train --distributed`
# end to end on Fashion-MNIST (the book's model), against the same command in one process: the epoch's loss and
# accuracy agree within 1e-6, rank 0 alone writes the history and the model.
# SGD, not the default RMSprop: RMSprop divides each gradient by its own
# running RMS, so a Fashion-MNIST pixel whose gradient is a rounding-level
# sum of opposite terms takes a full-size step whose sign depends on the
# summation order; 64 + 64 rows sum in another order than 128 (see
# docs/distributed.md, "Determinism"). The fit tests compare RMSprop on MNIST.
set -euo pipefail
nabla=$1
shift
# Fashion-MNIST from Debian's dataset directory: the one 60,000-image
# training set on these machines (MNIST's is not; see ../shared/data).
data=/usr/share/datasets/fashion-mnist
if [[ ! -s $data/train-images-idx3-ubyte.gz ]]; then
  echo "SKIP: no Fashion-MNIST training files in $data"
  [[ ${NABLA_REQUIRE_ALL:-0} == 1 ]] && exit 1
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--dataset fashion_mnist --data-dir "$data" --epochs 1 --batch-size 128 --validation-split 0.9 --seed 3 --threads 1 --verbose 2
       --optimizer sgd)
"$@" "$nabla" train --distributed "${flags[@]}" --history "$work/h2.json" --save "$work/m.keras" \
  --checkpoint-dir "$work/backup" --plot "$work/p.png" | tee "$work/out2.txt"
"$nabla" train "${flags[@]}" --history "$work/h1.json" > "$work/out1.txt"
# (the backup directory is removed when training ends, as Keras does)
for f in m.keras p.png h2.json; do
  test -e "$work/$f" || { echo "FAIL: rank 0 did not write $f"; exit 1; }
done
n=$(grep -c "^test_loss" "$work/out2.txt")
[[ $n -eq 1 ]] || { echo "FAIL: $n ranks printed the results (rank 0 alone should)"; exit 1; }
grep -q "distributed: 2 ranks" "$work/out2.txt" || { echo "FAIL: the run was not distributed over 2 ranks"; exit 1; }
/usr/bin/python3 - "$work/h1.json" "$work/h2.json" <<'PY'
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
worst = 0.0
for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
    a, b = one[key][-1], two[key][-1]
    worst = max(worst, abs(a - b) / abs(a))
    print(f"{key}: 1 process {a:.9g}, 2 ranks {b:.9g}")
for key in ("test_loss", "test_accuracy"):
    print(f"{key}: 1 process {one[key]:.9g}, 2 ranks {two[key]:.9g}")
    worst = max(worst, abs(one[key] - two[key]) / abs(one[key]))
print(f"worst relative difference {worst:.3g}")
sys.exit(0 if worst < 1e-6 else 1)
PY
echo "PASS: mpirun -np 2 nabla train --distributed matches one process"
