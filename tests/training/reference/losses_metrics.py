# Regenerates the reference numbers of tests/training/test_losses.cpp:
#   /usr/bin/python3 tests/training/reference/losses_metrics.py
# Keras 3's formulas in NumPy (float64), cross-checked with torch where the
# two libraries agree (the from_logits forms and MSE).
import numpy as np
import torch
import torch.nn.functional as F

eps = 1e-7
onehot = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], np.float64)
labels = np.array([1, 0, 3])
probs = np.array([[0.2, 0.5, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.3, 0.3, 0.3, 0.1]])
unnorm = probs * np.array([[2.0], [0.5], [3.0]])  # Keras renormalises
logits = np.array([[1.0, 2.0, -1.0, 0.5], [3.0, -2.0, 0.0, 1.0], [0.1, 0.2, 0.3, -4.0]])


def cce(t, p):
    p = p / p.sum(-1, keepdims=True)
    return -(t * np.log(np.clip(p, eps, 1 - eps))).sum(-1)


def lsm(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


print("cce probs per sample", list(cce(onehot, unnorm)), "mean", cce(onehot, unnorm).mean())
print("cce logits mean", -(onehot * lsm(logits)).sum(-1).mean(),
      "torch", F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item())
w = np.array([1.0, 0.0, 2.0])
print("scce probs weighted [1,0,2]", (cce(onehot, probs) * w).sum() / 3)

bt = np.array([[1, 0], [0, 0], [1, 1]], np.float64)
bp = np.array([[0.9, 0.2], [0.4, 0.0], [0.6, 1.0]])
q = np.clip(bp, eps, 1 - eps)
bce = -(bt * np.log(q) + (1 - bt) * np.log(1 - q)).mean(-1)
print("bce probs mean", bce.mean())
bl = np.array([[2.0, -1.0], [0.5, -3.0], [0.0, 4.0]])
print("bce logits mean", F.binary_cross_entropy_with_logits(torch.tensor(bl), torch.tensor(bt)).item())
mt = np.array([[1.0, 2.0], [3.0, 4.0]])
mp = np.array([[1.5, 1.0], [2.0, 6.0]])
print("mse", ((mt - mp) ** 2).mean(-1).mean(), "torch", F.mse_loss(torch.tensor(mp), torch.tensor(mt)).item())
