#!/usr/bin/env python3
"""nabla -> Keras: real Keras loads the files nabla wrote and agrees with nabla.

    .venv-oracle/bin/python tests/saving/keras_check_load.py SPEC.json

SPEC.json (written by tests/saving/test_keras_oracle.cpp):
  {"keras": "m.keras", "weights": "m.weights.h5",       (either or both)
   "npz": "data.npz",            x, y, predictions (nabla's predict(x))
   "loss": 0.5, "accuracy": 0.9, nabla's evaluate(x, y, batch_size)
   "batch_size": 64, "iterations": 20,                  nabla's optimizer step count
   "input_shape": [784],
   "layers": [{"class_name": "Dense", "name": "dense", "units": 8,
               "activation": "relu", "use_bias": true, "params": 6280}, ...],
   "optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 0.01}},
   "loss_name": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}

Checks, on Keras's numpy backend (no TensorFlow needed):
  .keras        keras.saving.load_model: layer classes, names and parameter counts;
                optimizer class and iterations; predict within 1e-6 (or, where the
                two float32 results round opposite ways, both within 1e-6 of the
                float64 forward pass); evaluate.
  .weights.h5   model.load_weights into a model built here from SPEC (not from
                nabla's config.json), optimizer built first as a trained model's
                is: the same checks, and the variables equal the .keras's.
  both          no "Skipping variable loading for optimizer" warning (nor any
                other warning about loading) in warnings, logging, stdout or stderr.
Prints one line per check; exits 1 naming every failed check.
"""
import contextlib
import copy
import io
import json
import logging
import os
import sys
import tempfile
import warnings

# Keras reads its backend and float type from $KERAS_HOME/keras.json: a private
# one keeps the user's settings (a TensorFlow default, float16...) out of the check.
os.environ["KERAS_BACKEND"] = "numpy"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="nabla-keras-home-")

import numpy as np  # noqa: E402

PREDICT_TOLERANCE = 1e-6
LOSS_TOLERANCE = 1e-6  # relative to max(1, |loss|)
FORBIDDEN = ("Skipping variable loading", "could not be loaded", "mismatch", "not found in")

failures = []


def check(ok, message):
    print(("ok:   " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)


class Capture(logging.Handler):
    """Everything Keras says while loading: warnings, log records, stdout, stderr."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def captured():
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield handler
    root.removeHandler(handler)
    handler.lines += [str(w.message) for w in caught]
    handler.lines += [line for line in (out.getvalue() + err.getvalue()).splitlines() if line.strip()]


def check_quiet(what, lines):
    bad = [line for line in lines if any(f in line for f in FORBIDDEN)]
    check(not bad, f"{what}: no loading warning" + (f" (got: {bad})" if bad else ""))
    for line in lines:
        if line not in bad:
            print(f"      note: {what} said: {line}")


def check_model(what, model, spec, x, y, predictions):
    import keras

    layers = [layer for layer in model.layers]
    want = spec["layers"]
    got_names = [layer.name for layer in layers]
    check(got_names == [w["name"] for w in want], f"{what}: layer names {got_names}")
    got_classes = [type(layer).__name__ for layer in layers]
    check(got_classes == [w["class_name"] for w in want], f"{what}: layer classes {got_classes}")
    got_params = [int(layer.count_params()) for layer in layers]
    check(got_params == [int(w["params"]) for w in want], f"{what}: parameters per layer {got_params}"
          f" (nabla: {[int(w['params']) for w in want]})")

    optimizer = model.optimizer
    want_opt = spec["optimizer"]["class_name"]
    check(optimizer is not None and type(optimizer).__name__ == want_opt,
          f"{what}: optimizer {type(optimizer).__name__} (nabla: {want_opt})")
    if optimizer is not None:
        check(int(optimizer.iterations) == int(spec["iterations"]),
              f"{what}: optimizer iterations {int(optimizer.iterations)} (nabla: {spec['iterations']})")

    got = np.asarray(model.predict(x, batch_size=spec["batch_size"], verbose=0))
    err = float(np.max(np.abs(got - predictions)))
    # Both libraries round in float32, each about 5e-7 from the exact result
    # at worst here; where they round opposite ways they can differ by a
    # little over 1e-6. Then both must be within 1e-6 of the float64 forward
    # pass of the loaded weights (a weight loaded wrong misses by far more).
    exact = reference_forward(model, x)
    keras_off = float(np.max(np.abs(got - exact)))
    nabla_off = float(np.max(np.abs(predictions - exact)))
    close = err <= PREDICT_TOLERANCE or (nabla_off <= PREDICT_TOLERANCE and keras_off <= PREDICT_TOLERANCE)
    check(got.shape == predictions.shape and close,
          f"{what}: predict equals nabla's, max |diff| {err:.3g} (<= {PREDICT_TOLERANCE}, or both within"
          f" it of the float64 forward pass: Keras {keras_off:.3g}, nabla {nabla_off:.3g})")

    result = model.evaluate(x, y, batch_size=spec["batch_size"], verbose=0, return_dict=True)
    loss, acc = float(result["loss"]), float(result.get("accuracy", result.get("acc", float("nan"))))
    loss_err = abs(loss - spec["loss"]) / max(1.0, abs(spec["loss"]))
    check(loss_err <= LOSS_TOLERANCE, f"{what}: evaluate loss {loss:.9g} (nabla: {spec['loss']:.9g})")
    check(abs(acc - spec["accuracy"]) <= 1e-7, f"{what}: evaluate accuracy {acc:.9g} (nabla: {spec['accuracy']:.9g})")
    del keras


def reference_forward(model, x):
    """The model's output computed in float64 from its weights: which of the
    two float32 results is nearer the exact one."""
    h = x.astype(np.float64).reshape(len(x), -1)
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "Dense":
            w = [np.asarray(v.numpy()).astype(np.float64) for v in layer.weights]
            h = h @ w[0] + (w[1] if len(w) > 1 else 0)
        if cls in ("Dense", "Activation"):
            name = layer.get_config()["activation"]
            if name == "relu":
                h = np.maximum(h, 0)
            elif name == "softmax":
                e = np.exp(h - h.max(axis=-1, keepdims=True))
                h = e / e.sum(axis=-1, keepdims=True)
            elif name != "linear":
                return np.full(model.output_shape[1:], np.nan)
    return h


def model_from_spec(spec):
    """The architecture built by hand here, so that load_weights does not lean
    on nabla's own config.json."""
    import keras

    made = [keras.Input(tuple(spec["input_shape"]))]
    for w in spec["layers"]:
        cls, name = w["class_name"], w["name"]
        if cls == "Dense":
            made.append(keras.layers.Dense(w["units"], activation=w.get("activation", "linear"),
                                           use_bias=w.get("use_bias", True), name=name))
        elif cls == "Dropout":
            made.append(keras.layers.Dropout(w["rate"], name=name))
        elif cls == "Flatten":
            made.append(keras.layers.Flatten(name=name))
        elif cls == "Activation":
            made.append(keras.layers.Activation(w["activation"], name=name))
        else:
            raise SystemExit(f"keras_check_load: layer class {cls} is not in this checker")
    model = keras.Sequential(made)
    model.compile(optimizer=keras.optimizers.get(copy.deepcopy(spec["optimizer"])), loss=spec["loss_name"],
                  metrics=spec["metrics"])
    # A compiled model's optimizer has no variables until its first step, and
    # Keras then skips the file's optimizer state with a warning (Keras's own
    # files too): build it, as a model that has trained has it built.
    model.optimizer.build(model.trainable_variables)
    return model


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    data = np.load(spec["npz"])
    x, y, predictions = data["x"], data["y"], data["predictions"]

    import keras

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    loaded = {}
    if spec.get("keras"):
        with captured() as said:
            model = keras.saving.load_model(spec["keras"])
        check_quiet("load_model", said.lines)
        check_model("load_model", model, spec, x, y, predictions)
        loaded["keras"] = model
    if spec.get("weights"):
        model = model_from_spec(spec)
        with captured() as said:
            model.load_weights(spec["weights"])
        check_quiet("load_weights", said.lines)
        check_model("load_weights", model, spec, x, y, predictions)
        loaded["weights"] = model
    if len(loaded) == 2:
        a, b = loaded["keras"], loaded["weights"]
        same = all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a.weights, b.weights))
        check(same and len(a.weights) == len(b.weights), "the .keras and .weights.h5 weights are identical")
        va, vb = a.optimizer.variables, b.optimizer.variables
        same = len(va) == len(vb) and all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(va, vb))
        check(same, f"the .keras and .weights.h5 optimizer variables are identical ({len(va)} and {len(vb)})")
    if not loaded:
        sys.exit("keras_check_load: SPEC names neither a .keras nor a .weights.h5 file")
    if failures:
        print(f"keras_check_load: {len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("keras_check_load: all checks passed")


if __name__ == "__main__":
    main()
