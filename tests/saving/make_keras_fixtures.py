#!/usr/bin/env python3
"""Makes tests/saving/fixtures/: model files written by REAL Keras after real
training on real MNIST digits, plus what Keras computed with them.

Run in three steps (see fixtures/README.md for the versions used):

  KERAS_BACKEND=jax /tmp/venvs/keras/bin/python tests/saving/make_keras_fixtures.py keras3
  KERAS_BACKEND=jax /tmp/venvs/keras/bin/python tests/saving/make_keras_fixtures.py verify
  /tmp/venvs/tf/bin/python tests/saving/make_keras_fixtures.py keras2
  TF_PYTHON=/tmp/venvs/tf/bin/python /tmp/venvs/keras/bin/python tests/saving/make_keras_fixtures.py rewrite

  keras3   keras 3 (JAX backend): .keras, .weights.h5 and legacy .h5 files, and
           for the optimizer fixtures the weights after ONE MORE train_on_batch.
  keras2   tf-keras 2 (TensorFlow backend): a Keras 2 `model.save("x.h5")` file
           and a Keras 2 `save_weights("x.h5")` file.
  verify   keras 3 (JAX) reloads every Keras 3 file: recorded predictions and
           next-step weights (run after keras3).
  rewrite  h5py copies of the Keras 2 weights file with its string attributes
           rewritten the way other writers store them (fixed-length strings as
           h5py 2.x wrote them; `layer_names0/1` chunks as Keras writes lists
           over HDF5's 64 KiB header limit), then checked with tf-keras.

The digits are the first images of the MNIST test set in
../shared/data/mnist (the only MNIST files on these machines), scaled to
[0, 1] as the book does. Sizes are kept small (an 8-unit hidden layer) so the
committed files stay well under 1 MB in total.
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures"
# MNIST_DIR overrides ../shared/data/mnist (from the project root).
DATA = Path(os.environ.get("MNIST_DIR", HERE.parents[1] / ".." / "shared" / "data" / "mnist"))
HIDDEN = 8
N_TRAIN, N_PRED, N_NEXT = 256, 32, 64  # training images, predicted, the next batch
SEED = 20261201
EPOCHS = 5


def load_digits():
    """(images float32 (n, 784) in [0, 1], labels int64) of the MNIST test set."""
    with gzip.open(DATA / "t10k-images-idx3-ubyte.gz", "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, magic
        images = np.frombuffer(f.read(), np.uint8).reshape(n, rows * cols)
    with gzip.open(DATA / "t10k-labels-idx1-ubyte.gz", "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        assert magic == 2049, magic
        labels = np.frombuffer(f.read(), np.uint8).astype(np.int64)
    return images.astype(np.float32) / np.float32(255), labels


def splits():
    x, y = load_digits()
    a, b, c = N_TRAIN, N_TRAIN + N_PRED, N_TRAIN + N_PRED + N_NEXT
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:c], y[b:c])


def write_digits():
    """digits.npz: the images the tests feed (prediction set and next batch)."""
    _, (xp, yp), (xn, yn) = splits()
    np.savez_compressed(OUT / "digits.npz", x_pred=xp, y_pred=yp, x_next=xn, y_next=yn)


# --------------------------------------------------------------------------- keras 3

def keras3():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()
    OUT.mkdir(exist_ok=True)
    write_digits()
    (xt, yt), (xp, yp), (xn, yn) = splits()
    opt = keras.optimizers
    optimizer_fixtures = {
        # name: (optimizer, other formats written besides .keras)
        "rmsprop": (lambda: opt.RMSprop(learning_rate=1e-2), ("weights.h5", "legacy.h5")),
        # (Keras writes a .weights.h5 with the very function that writes the
        # .keras's model.weights.h5 member, so one .weights.h5 covers the format.)
        "adam": (lambda: opt.Adam(learning_rate=1e-2), ()),
        "sgd_momentum": (lambda: opt.SGD(learning_rate=0.05, momentum=0.9), ()),
        "rmsprop_centered": (lambda: opt.RMSprop(learning_rate=1e-2, momentum=0.5, centered=True), ()),
        "adam_amsgrad": (lambda: opt.Adam(learning_rate=1e-2, amsgrad=True), ()),
        "sgd_nesterov": (lambda: opt.SGD(learning_rate=0.05, momentum=0.9, nesterov=True), ()),
        "adagrad": (lambda: opt.Adagrad(learning_rate=0.1), ()),
    }
    for name, (make_optimizer, formats) in optimizer_fixtures.items():
        keras.utils.set_random_seed(SEED)
        model = keras.Sequential([
            keras.Input((784,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        # Real training: 5 epochs of 4 steps of 64 digits, in order (20 steps).
        model.fit(xt, yt, batch_size=64, epochs=EPOCHS, shuffle=False, verbose=0)
        model.save(OUT / f"{name}.keras")
        if "weights.h5" in formats:
            model.save_weights(OUT / f"{name}.weights.h5")
        if "legacy.h5" in formats:
            model.save(OUT / f"k3_legacy_{name}.h5")  # Keras 3's legacy HDF5 writer
        expected = record_predictions(model, xp, yp)
        expected["iterations"] = np.array(int(model.optimizer.iterations), np.int64)
        expected["loss_next_before"] = np.array(
            model.evaluate(xn, yn, batch_size=N_NEXT, verbose=0)[0], np.float64)
        model.train_on_batch(xn, yn)  # the step nabla must reproduce
        for i, w in enumerate(model.weights):
            expected[f"next_w{i}"] = np.asarray(w.numpy())
        # (Only the weights: the optimizer's variables would double the size.)
        np.savez_compressed(OUT / f"{name}.expected.npz", **expected)
        print(name, "iterations", int(expected["iterations"]), "loss", expected["eval_loss"], "accuracy", expected["eval_accuracy"])

    layers_fixture(keras, xt, yt, xp, yp)


def record_predictions(model, xp, yp):
    loss, acc = model.evaluate(xp, yp, batch_size=N_PRED, verbose=0)
    return {
        "predictions": np.asarray(model.predict(xp, batch_size=N_PRED, verbose=0), np.float32),
        "eval_loss": np.array(loss, np.float64),
        "eval_accuracy": np.array(acc, np.float64),
    }


def layers_fixture(keras, xt, yt, xp, yp):
    """Named layers, Flatten of (28, 28), Dropout, use_bias=False, Activation."""
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(name="flatten_in"),
        keras.layers.Dense(HIDDEN, activation="relu", name="hidden"),
        keras.layers.Dropout(0.25, name="drop"),
        keras.layers.Dense(10, use_bias=False, name="logits"),
        keras.layers.Activation("softmax", name="probs"),
    ], name="digits_net")
    # RMSprop: its slots follow the variables, here without the second bias.
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xt.reshape(-1, 28, 28), yt, batch_size=64, epochs=EPOCHS, shuffle=False, verbose=0)
    model.save(OUT / "layers.keras")
    model.save_weights(OUT / "layers.weights.h5")
    expected = record_predictions(model, xp.reshape(-1, 28, 28), yp)
    expected["iterations"] = np.array(int(model.optimizer.iterations), np.int64)
    np.savez_compressed(OUT / "layers.expected.npz", **expected)
    print("layers loss", expected["eval_loss"])


def verify():
    """Each Keras 3 file, reloaded by Keras, predicts what was recorded, and one
    train_on_batch from the reloaded file gives the recorded next weights: the
    files hold the whole optimizer state."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    d = np.load(OUT / "digits.npz")
    for path in sorted(OUT.glob("*.keras")) + sorted(OUT.glob("k3_legacy_*.h5")):
        name = path.name.split(".")[0].replace("k3_legacy_", "")
        e = np.load(OUT / f"{name}.expected.npz")
        model = keras.saving.load_model(path)
        x = d["x_pred"].reshape((-1,) + tuple(model.input_shape[1:]))
        err = float(np.max(np.abs(model.predict(x, verbose=0) - e["predictions"])))
        line = f"{path.name}: iterations {int(model.optimizer.iterations)}, predict max |diff| {err:.2g}"
        assert err < 1e-6, line
        # (Keras 3 does not restore the optimizer from its own legacy .h5: the
        # loaded optimizer is unbuilt, iterations 0, so no next step there.)
        if "next_w0" in e.files and path.suffix == ".keras":
            model.train_on_batch(d["x_next"], d["y_next"])
            step = max(float(np.max(np.abs(np.asarray(w) - e[f"next_w{i}"]))) for i, w in enumerate(model.weights))
            line += f", next step max |diff| {step:.2g}"
            assert step < 1e-6, line
        print(line)


# --------------------------------------------------------------------------- keras 2

def keras2():
    import tensorflow as tf
    import tf_keras as k2

    OUT.mkdir(exist_ok=True)
    (xt, yt), (xp, yp), _ = splits()
    k2.utils.set_random_seed(SEED)
    model = k2.Sequential([
        k2.Input((784,)),
        k2.layers.Dense(HIDDEN, activation="relu", name="hidden"),
        k2.layers.Dense(10, activation="softmax", name="output"),
    ])
    model.compile(optimizer=k2.optimizers.RMSprop(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xt, yt, batch_size=64, epochs=EPOCHS, shuffle=False, verbose=0)
    model.save(OUT / "k2_model.h5", save_format="h5")
    model.save_weights(OUT / "k2_weights.h5", save_format="h5")
    expected = record_predictions(model, xp, yp)
    expected["iterations"] = np.array(int(model.optimizer.iterations.numpy()), np.int64)
    np.savez_compressed(OUT / "k2.expected.npz", **expected)
    print("keras2", tf.__version__, k2.__version__, "loss", expected["eval_loss"])


def check_keras2(path):
    """tf-keras loads the rewritten file and predicts what it predicted before."""
    import tf_keras as k2

    _, (xp, _), _ = splits()
    model = k2.Sequential([
        k2.Input((784,)),
        k2.layers.Dense(HIDDEN, activation="relu", name="hidden"),
        k2.layers.Dense(10, activation="softmax", name="output"),
    ])
    model.load_weights(path)
    got = model.predict(xp, verbose=0)
    want = np.load(OUT / "k2.expected.npz")["predictions"]
    err = float(np.max(np.abs(got - want)))
    assert err < 1e-6, (path, err)
    print("tf-keras loads", Path(path).name, "max |diff|", err)


# --------------------------------------------------------------------------- rewrites

def rewrite():
    import h5py

    src = OUT / "k2_weights.h5"
    # 1. Fixed-length strings (h5py 2.x wrote `np.array([b'a', b'bc'])` as
    #    H5T_STRING of fixed size 'S<n>', NUL-padded; h5py 3 writes lists of
    #    bytes as variable-length strings).
    fixed = OUT / "k2_weights_fixed_strings.h5"
    shutil.copyfile(src, fixed)
    with h5py.File(fixed, "r+") as f:
        groups = [f] + [f[n] for n in f.attrs["layer_names"]]
        for g in groups:
            for key in list(g.attrs):
                value = g.attrs[key]
                if isinstance(value, np.ndarray) and value.dtype.kind == "O":
                    items = [v if isinstance(v, bytes) else v.encode() for v in value]
                    g.attrs.create(key, np.array(items, dtype="S%d" % max(1, max(map(len, items), default=1))))
                elif isinstance(value, (str, bytes)):
                    b = value if isinstance(value, bytes) else value.encode()
                    g.attrs.create(key, np.bytes_(b))
    # 2. Chunked `layer_names`: Keras (both 2 and 3) splits a list attribute
    #    longer than HDF5_OBJECT_HEADER_LIMIT (64512 bytes) into `layer_names0`,
    #    `layer_names1`, ... (hdf5_format.py save_attributes_to_hdf5_group). Two
    #    layers never reach the limit, so the split is written by hand here.
    chunked = OUT / "k2_weights_chunked.h5"
    shutil.copyfile(src, chunked)
    with h5py.File(chunked, "r+") as f:
        names = list(f.attrs["layer_names"])
        del f.attrs["layer_names"]
        ascii_vlen = h5py.string_dtype("ascii")  # what Keras's list of bytes becomes
        f.attrs.create("layer_names0", names[:1], dtype=ascii_vlen)
        f.attrs.create("layer_names1", names[1:], dtype=ascii_vlen)
    for path in (fixed, chunked):
        tf_python = os.environ.get("TF_PYTHON", "/tmp/venvs/tf/bin/python")
        subprocess.run([tf_python, __file__, "check_keras2", str(path)], check=True)


def main():
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "keras3":
        keras3()
    elif step == "keras2":
        keras2()
    elif step == "verify":
        verify()
    elif step == "rewrite":
        rewrite()
    elif step == "check_keras2":
        check_keras2(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
