#!/usr/bin/env python3
"""Makes tests/saving/fixtures/convnet.{keras,weights.h5,expected.npz}: a small
convnet with BatchNormalization written by REAL Keras 3 after real training
on real MNIST digits, and what Keras predicted with it.

  KERAS_BACKEND=jax .venv-oracle/bin/python tests/saving/make_keras_convnet_fixture.py

Model (channels_last, default names):
  Input((784,)) -> Reshape((28, 28, 1)) -> Conv2D(4, 3, relu) -> BatchNormalization()
  -> MaxPooling2D(2) -> Conv2D(6, 3, strides=2, padding="same", relu)
  -> AveragePooling2D(2, padding="same") -> Flatten() -> Dense(10, softmax)
RMSprop(0.01), sparse_categorical_crossentropy, accuracy; trained 5 epochs of
batch 64 on the digits of make_keras_fixtures.py (images 0-255 of the MNIST
test set), so the moving statistics are far from their initial 0 and 1.
convnet.expected.npz: predictions on x_pred of digits.npz (images 256-287),
the evaluate() loss/accuracy there, and the BatchNormalization's four weights.
"""
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_keras_fixtures as base  # noqa: E402  (data loading, paths, seed)


def main():
    import keras
    from keras import layers

    (x_train, y_train), (x_pred, y_pred), _ = base.splits()
    keras.utils.set_random_seed(base.SEED)
    model = keras.Sequential([
        keras.Input((784,)),
        layers.Reshape((28, 28, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=base.EPOCHS, shuffle=False, verbose=0)
    out = base.OUT
    model.save(out / "convnet.keras")
    model.save_weights(out / "convnet.weights.h5")
    loss, acc = model.evaluate(x_pred, y_pred, batch_size=32, verbose=0)
    bn = model.layers[2]
    np.savez(out / "convnet.expected.npz", predictions=model.predict(x_pred, verbose=0).astype(np.float32),
             eval_loss=np.float64(loss), eval_accuracy=np.float64(acc),
             **{f"bn{i}": np.asarray(w) for i, w in enumerate(bn.get_weights())})
    print("keras", keras.__version__, "loss", loss, "accuracy", acc, "moving_mean", np.asarray(bn.moving_mean)[:2])


if __name__ == "__main__":
    main()
