#!/usr/bin/env python3
"""Resume in Keras: Keras with a TRAINING backend (JAX) continues training from a
checkpoint nabla wrote, from nabla's optimizer state.

    .venv-oracle/bin/python tests/saving/keras_resume_check.py SPEC.json
    .venv-oracle/bin/python tests/saving/keras_resume_check.py model.keras [MNIST_DIR]

With SPEC.json (written by tests/saving/test_keras_oracle.cpp):
  {"keras": "ckpt.keras", "iterations": 20,   nabla's step count in the file
   "npz": "steps.npz"}   x_steps (k, batch, ...), y_steps (k, batch): the batches
                         nabla trained on AFTER saving, and w0, w1, ...: nabla's
                         weights after those k train_on_batch steps
  1. keras.saving.load_model restores the optimizer with iterations = nabla's;
  2. the same k train_on_batch steps in Keras end at nabla's weights, within
     1e-6 of the largest weight's magnitude (the state nabla saved is the state
     Keras trains on: an optimizer restarted from zero slots misses by far more);
  3. model.fit goes on for one epoch over the k batches: iterations += k, finite loss.
With a .keras file (by hand, on any nabla model of MNIST): load it and fit one
epoch on the first 2,048 MNIST test digits, printing the iterations and loss.
Exits 1 naming every failed check.
"""
import gzip
import os
import struct
import sys
import tempfile

os.environ["KERAS_BACKEND"] = "jax"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="nabla-keras-home-")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402

import numpy as np  # noqa: E402

failures = []


def check(ok, message):
    print(("ok:   " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)


def finish():
    if failures:
        print(f"keras_resume_check: {len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("keras_resume_check: all checks passed")


def resume_from_spec(keras, spec):
    model = keras.saving.load_model(spec["keras"])
    start = int(model.optimizer.iterations)
    check(start == int(spec["iterations"]),
          f"load_model: {type(model.optimizer).__name__} iterations {start} (nabla: {spec['iterations']})")
    data = np.load(spec["npz"])
    xs, ys = data["x_steps"], data["y_steps"]
    for x, y in zip(xs, ys):
        model.train_on_batch(x, y)
    want = [data[f"w{i}"] for i in range(len(model.weights))]
    scale = max(float(np.max(np.abs(w))) for w in want)
    diffs = [np.abs(np.asarray(v) - w) for v, w in zip(model.weights, want)]
    worst = int(np.argmax([d.max() for d in diffs]))
    err = float(diffs[worst].max())
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diffs[worst])), diffs[worst].shape))
    check(err <= 1e-6 * scale,
          f"{len(xs)} train_on_batch steps in Keras end at nabla's weights: max |diff| {err:.3g}"
          f" (<= 1e-6 x largest |w| {scale:.3g}), at {model.weights[worst].path}{list(where)}:"
          f" Keras {float(np.asarray(model.weights[worst])[where]):.9g}, nabla {float(want[worst][where]):.9g}")
    check(int(model.optimizer.iterations) == start + len(xs),
          f"iterations after the steps: {int(model.optimizer.iterations)}")
    x_all = xs.reshape((-1,) + xs.shape[2:])
    history = model.fit(x_all, ys.reshape(-1), batch_size=xs.shape[1], epochs=1, shuffle=False, verbose=0)
    loss = float(history.history["loss"][-1])
    check(np.isfinite(loss) and int(model.optimizer.iterations) == start + 2 * len(xs),
          f"fit continues: iterations {int(model.optimizer.iterations)}, loss {loss:.6g}")


def mnist(directory, count):
    with gzip.open(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        x = np.frombuffer(f.read(), np.uint8).reshape(n, rows, cols)[:count]
    with gzip.open(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        f.read(8)
        y = np.frombuffer(f.read(), np.uint8)[:count].astype(np.int64)
    return x.astype(np.float32) / np.float32(255), y


def resume_by_hand(keras, path, directory):
    model = keras.saving.load_model(path)
    start = int(model.optimizer.iterations)
    x, y = mnist(directory, 2048)
    x = x.reshape((len(x),) + tuple(d for d in model.input_shape[1:]))
    before = model.evaluate(x, y, batch_size=128, verbose=0, return_dict=True)
    history = model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0)
    after = model.evaluate(x, y, batch_size=128, verbose=0, return_dict=True)
    print(f"{path}: {type(model.optimizer).__name__} resumed at iteration {start}, now "
          f"{int(model.optimizer.iterations)}; fit loss {history.history['loss'][-1]:.4f}; "
          f"evaluate before {before}, after {after}")
    check(int(model.optimizer.iterations) == start + 16, "fit ran 16 steps from the saved iteration")
    check(np.isfinite(history.history["loss"][-1]), "finite loss")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    import keras

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    if sys.argv[1].endswith(".json"):
        with open(sys.argv[1]) as f:
            resume_from_spec(keras, json.load(f))
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        default = os.path.join(here, "..", "..", "..", "shared", "data", "mnist")
        resume_by_hand(keras, sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else default)
    finish()


if __name__ == "__main__":
    main()
