"""The book's model in PyTorch (Python), trained as nabla trains it.

usage: torch_mlp.py <data_dir> <epochs> <threads>; prints one JSON object.
"""
import gzip
import json
import sys
import time

import numpy as np
import torch


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    d, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.from_numpy(idx(f"{d}/train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    if len(sys.argv) > 4:  # train on the first N images only (the under-load row)
        x, y = x[:int(sys.argv[4])].clone(), y[:int(sys.argv[4])].clone()
    xt = torch.from_numpy(idx(f"{d}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
    yt = torch.from_numpy(idx(f"{d}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 128):
            idx_ = perm[i:i + 128]
            loss = loss_fn(model(x[idx_]), y[idx_])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    with torch.no_grad():
        t0 = time.perf_counter()
        pred = model(xt).argmax(1)
        eval_s = time.perf_counter() - t0
    print(json.dumps({"epoch_seconds": seconds, "test_accuracy": float((pred == yt).double().mean()),
                      "eval_images_per_s": xt.shape[0] / eval_s}))


if __name__ == "__main__":
    main()
