#!/usr/bin/env python3
"""nabla's optimizers step exactly as Keras's, from the same state.

    .venv-oracle/bin/python tests/training/keras_optimizer_oracle.py DIR

For each DIR/<case>.json ({"optimizer": {"class_name", "config"}, "npz": ...})
the npz holds what nabla had after training an MLP (784 -> 16 relu -> 10
softmax) on real digits: w0..w3, the optimizer's slots s<i>_<slot name> for
weight i, `iterations`; then x_steps/y_steps, the next batches, and
after_w0..after_w3, nabla's weights after one train_on_batch on each. Keras (JAX
backend, which trains) gets the same weights and optimizer variables by hand,
takes the same steps, and must end within 1e-6 of the largest weight's
magnitude of nabla's weights. No file format is involved: this isolates the
update rules (and the slot names and layout) from saving.
Exits 1 naming every case that differs.
"""
import glob
import json
import os
import re
import sys
import tempfile

os.environ["KERAS_BACKEND"] = "jax"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="nabla-keras-home-")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402


def run_case(keras, spec):
    a = np.load(spec["npz"])
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.get(dict(spec["optimizer"])),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for i, w in enumerate(model.weights):
        w.assign(a[f"w{i}"])
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    optimizer.iterations.assign(int(a["iterations"]))
    # Slot paths are "<optimizer>/<weight path with _>_<slot>", e.g.
    # "adam/sequential_dense_kernel_velocity_hat".
    prefixes = [w.path.replace("/", "_") + "_" for w in model.weights]
    used = set()
    for v in optimizer.variables[2:]:
        name = v.path.split("/", 1)[1]
        i = next(i for i, p in enumerate(prefixes) if name.startswith(p))
        key = f"s{i}_{name[len(prefixes[i]):]}"
        if key not in a.files:
            return f"Keras has the slot {v.path}, nabla has no {key} (nabla's: {sorted(a.files)})"
        v.assign(a[key])
        used.add(key)
    extra = sorted(k for k in a.files if re.fullmatch(r"s\d+_\w+", k) and k not in used)
    if extra:
        return f"nabla has slots Keras does not: {extra}"
    for x, y in zip(a["x_steps"], a["y_steps"]):
        model.train_on_batch(x, y)
    want = [a[f"after_w{i}"] for i in range(len(model.weights))]
    scale = max(float(np.max(np.abs(w))) for w in want)
    err = max(float(np.max(np.abs(np.asarray(v) - w))) for v, w in zip(model.weights, want))
    line = f"{len(a['x_steps'])} steps from iteration {int(a['iterations'])}: max |diff| {err:.3g} (largest |w| {scale:.3g})"
    return None if err <= 1e-6 * scale else "differs: " + line, line


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    import keras

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    failures = []
    cases = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
    if not cases:
        sys.exit(f"keras_optimizer_oracle: no cases in {sys.argv[1]}")
    for path in cases:
        with open(path) as f:
            spec = json.load(f)
        result = run_case(keras, spec)
        error, line = result if isinstance(result, tuple) else (result, "")
        name = os.path.basename(path)[:-5]
        print(("FAIL: " if error else "ok:   ") + f"{name} {spec['optimizer']}: " + (error or line))
        if error:
            failures.append(name)
    if failures:
        sys.exit(f"keras_optimizer_oracle: {len(failures)} case(s) differ from Keras: {failures}")
    print("keras_optimizer_oracle: all cases agree")


if __name__ == "__main__":
    main()
