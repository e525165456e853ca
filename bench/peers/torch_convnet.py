"""The book's convnet (listing 8.1) in PyTorch, trained as nabla trains it:
RMSprop (Keras's defaults: lr 1e-3, rho 0.9, eps 1e-7), cross-entropy on
softmax outputs, batch 64, Glorot-uniform kernels and zero biases (Keras's
initialisers). Channels-last data is transposed to torch's NCHW once.

usage: torch_convnet.py <data_dir> <epochs> <threads> [mnist8000] [seed]
  default: train on train-*, test on t10k-* (full MNIST / Fashion-MNIST)
  mnist8000: the first 8,000 images of t10k-* for training, the last 2,000
             for testing (the acceptance test's split)
Prints one JSON object: epoch seconds, training images/s, test accuracy,
inference images/s (batch 64).
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(path):
    return torch.from_numpy(idx(path, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)


def labels(path):
    return torch.from_numpy(idx(path, 8).astype(np.int64))


def model():
    m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1152, 10))
    for layer in m:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return m


def main():
    d, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    split = sys.argv[4] if len(sys.argv) > 4 else "full"
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if split == "mnist8000":
        xa, ya = images(f"{d}/t10k-images-idx3-ubyte.gz"), labels(f"{d}/t10k-labels-idx1-ubyte.gz")
        x, y, xt, yt = xa[:8000], ya[:8000], xa[8000:], ya[8000:]
    else:
        x, y = images(f"{d}/train-images-idx3-ubyte.gz"), labels(f"{d}/train-labels-idx1-ubyte.gz")
        xt, yt = images(f"{d}/t10k-images-idx3-ubyte.gz"), labels(f"{d}/t10k-labels-idx1-ubyte.gz")
    net = model()
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 64):
            b = perm[i:i + 64]
            loss = loss_fn(net(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    with torch.no_grad():
        t0 = time.perf_counter()
        pred = torch.cat([net(xt[i:i + 64]).argmax(1) for i in range(0, xt.shape[0], 64)])
        eval_s = time.perf_counter() - t0
    print(json.dumps({"threads": threads, "split": split, "epoch_seconds": seconds,
                      "train_images_per_s": x.shape[0] * epochs / sum(seconds),
                      "test_accuracy": float((pred == yt).double().mean()),
                      "inference_images_per_s": xt.shape[0] / eval_s, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
