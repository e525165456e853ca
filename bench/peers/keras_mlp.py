"""The book's model in Keras (TensorFlow backend), its listing as written,
at Keras's best settings measured here: XLA (jit_compile=True) and a whole
epoch per call (steps_per_execution), which took 3.2-3.6 s/epoch down to
1.5-2.2 s on the build VM; intra-op threads = <threads>, inter-op 1.

usage: keras_mlp.py <data_dir> <epochs> <threads>; prints one JSON object.
"""
import gzip
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t0)


def main():
    d, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)
    x = idx(f"{d}/train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype("float32") / 255
    y = idx(f"{d}/train-labels-idx1-ubyte.gz", 8).astype("int64")
    xt = idx(f"{d}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype("float32") / 255
    yt = idx(f"{d}/t10k-labels-idx1-ubyte.gz", 8).astype("int64")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    steps = -(-x.shape[0] // 128)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=True, steps_per_execution=steps)
    timer = EpochTimer()
    model.fit(x, y, epochs=epochs, batch_size=128, verbose=0, callbacks=[timer])
    model.predict(xt[:1024], batch_size=1024, verbose=0)  # warm-up (tracing)
    t0 = time.perf_counter()
    pred = model.predict(xt, batch_size=1024, verbose=0).argmax(1)
    eval_s = time.perf_counter() - t0
    print(json.dumps({"epoch_seconds": timer.seconds, "test_accuracy": float((pred == yt).mean()),
                      "eval_images_per_s": xt.shape[0] / eval_s}))


if __name__ == "__main__":
    main()
