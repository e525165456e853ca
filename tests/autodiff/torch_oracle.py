"""PyTorch oracle for nabla's values and gradients (tests/autodiff/test_torch_oracle.cpp).

Usage: torch_oracle.py DIR

DIR/cases.txt lists one case per line: "<name> <number of inputs>". For each
case DIR/<name>/in<k>.npy holds the inputs and DIR/<name>/w.npy the cotangent.
This script evaluates the case's expression below with torch autograd,
computes d sum(out * w) / d input for every floating input, and writes
DIR/<name>/out.npy and DIR/<name>/grad<k>.npy (float32; zeros for an input
the output does not depend on). The expressions are written independently of
nabla: the Keras loss formulas spelled out in torch, torch's own
softmax/log_softmax/binary_cross_entropy_with_logits, etc.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-7  # Keras's backend.epsilon()


def cce_probs(t, y):
    p = y / y.sum(-1, keepdim=True)
    return -(t * p.clamp(EPS, 1 - EPS).log()).sum(-1)


def cce_logits(t, x):
    return -(t * F.log_softmax(x, -1)).sum(-1)


def one_hot(ids, like):
    return F.one_hot(ids.long(), like.shape[-1]).to(like.dtype)


def bce_probs(t, y):
    q = y.clamp(EPS, 1 - EPS)
    return -(t * q.log() + (1 - t) * (1 - q).log()).mean(-1)


def bce_logits(t, x):
    return (x.clamp(min=0) - x * t + torch.log1p(torch.exp(-x.abs()))).mean(-1)


def dense(x, w, b, act):
    z = x @ w + (b if b is not None else 0)
    return {"linear": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "softmax": lambda v: torch.softmax(v, -1)}[act](z)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def tf_pad(x, window, strides, dilation, same, value=0.0):
    # TensorFlow's "same": out = ceil(in / s), the odd padding at the end.
    if not same:
        return x
    pads = []
    for axis in (3, 2):  # F.pad lists the last axis first
        i = 1 if axis == 3 else 0
        extent = (window[i] - 1) * dilation[i] + 1
        out = -(-x.shape[axis] // strides[i])
        total = max((out - 1) * strides[i] + extent - x.shape[axis], 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def conv(x, k, b=None, strides=(1, 1), same=False, dilation=(1, 1)):
    xp = tf_pad(nchw(x), k.shape[:2], strides, dilation, same)
    return nhwc(F.conv2d(xp, k.permute(3, 2, 0, 1), b, stride=strides, dilation=dilation))


def maxpool(x, size=(2, 2), strides=None, same=False):
    strides = strides or size
    xp = tf_pad(nchw(x), size, strides, (1, 1), same, value=float("-inf"))
    return nhwc(F.max_pool2d(xp, size, strides))


def avgpool(x, size=(2, 2), strides=None, same=False):
    # Keras averages over the real pixels only: window sum / real count.
    strides = strides or size
    xp = tf_pad(nchw(x), size, strides, (1, 1), same)
    ones = tf_pad(torch.ones_like(nchw(x)), size, strides, (1, 1), same)
    return nhwc(F.avg_pool2d(xp, size, strides) / F.avg_pool2d(ones, size, strides))


def bn_train(x, g, b):
    return nhwc(F.batch_norm(nchw(x), None, None, g, b, training=True, eps=1e-3))


CASES = {
    # element-wise binary, with broadcasting
    "add_same": lambda a, b: a + b,
    "add_row": lambda a, b: a + b,
    "add_outer": lambda a, b: a + b,
    "add_scalar": lambda a, b: a + b,
    "subtract_bcast": lambda a, b: a - b,
    "multiply_bcast": lambda a, b: a * b,
    "multiply_self": lambda a: a * a,
    "divide_bcast": lambda a, b: a / b,
    "maximum_bcast": lambda a, b: torch.maximum(a, b),
    "minimum_bcast": lambda a, b: torch.minimum(a, b),
    "power_bcast": lambda a, b: torch.pow(a, b),
    "where_bcast": lambda c, a, b: torch.where(c, a, b),
    # element-wise unary
    "negative": lambda a: -a,
    "abs": lambda a: a.abs(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sqrt": lambda a: a.sqrt(),
    "square": lambda a: a * a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "clip": lambda a: a.clamp(-0.5, 0.5),
    "chain": lambda a, b: ((a * b).tanh() + (a - b).sigmoid()).exp() / (1 + b * b),
    # reductions
    "sum_all": lambda a: a.sum(),
    "sum_axis0": lambda a: a.sum(0),
    "sum_axes02_keep": lambda a: a.sum((0, 2), keepdim=True),
    "mean_last_keep": lambda a: a.mean(-1, keepdim=True),
    "mean_all": lambda a: a.mean(),
    "max_axis1": lambda a: a.amax(1),
    "min_all": lambda a: a.amin(),
    "max_axes01_keep": lambda a: a.amax((0, 1), keepdim=True),
    # shape and views
    "reshape": lambda a: a.reshape(4, 6) * torch.arange(24.0).reshape(4, 6),
    "transpose": lambda a: a.permute(2, 0, 1) * torch.arange(24.0).reshape(4, 2, 3),
    "slice_step": lambda a: a[1:, ::2] * 3,
    "slice_negative": lambda a: a.flip(0)[:, 1:-1] * 2,  # nabla: a[::-1, 1:-1] * 2
    "index_int": lambda a: a[1] * a[2],
    "expand_squeeze": lambda a: a.unsqueeze(1).squeeze(1) * a,
    # linalg
    "dot_1d_1d": lambda a, b: a @ b,
    "dot_2d_2d": lambda a, b: a @ b,
    "dot_2d_1d": lambda a, b: a @ b,
    "dot_1d_2d": lambda a, b: a @ b,
    "dot_3d_2d": lambda a, b: a @ b,
    "matmul_batch_bcast": lambda a, b: torch.matmul(a, b),
    "matmul_1d_3d": lambda a, b: torch.matmul(a, b),
    # nn
    "softmax_last": lambda a: torch.softmax(a, -1),
    "softmax_axis0": lambda a: torch.softmax(a, 0),
    "log_softmax_axis1": lambda a: torch.log_softmax(a, 1),
    "cce_probs": cce_probs,
    "cce_logits": cce_logits,
    "sparse_probs": lambda ids, y: cce_probs(one_hot(ids, y), y),
    "sparse_logits": lambda ids, x: F.cross_entropy(x, ids.long(), reduction="none"),
    "bce_probs": bce_probs,
    "bce_logits": lambda t, x: F.binary_cross_entropy_with_logits(x, t, reduction="none").mean(-1),
    "bce_logits_formula": bce_logits,  # y_true's gradient too (torch's own op has none)
    "mse": lambda t, y: ((y - t) ** 2).mean(-1),
    "dense_linear": lambda x, w, b: dense(x, w, b, "linear"),
    "dense_relu": lambda x, w, b: dense(x, w, b, "relu"),
    "dense_sigmoid": lambda x, w, b: dense(x, w, b, "sigmoid"),
    "dense_tanh": lambda x, w, b: dense(x, w, b, "tanh"),
    "dense_softmax": lambda x, w, b: dense(x, w, b, "softmax"),
    "dense_nobias_3d": lambda x, w: dense(x, w, None, "relu"),
    "mlp_loss": lambda x, w1, b1, w2, b2, ids: F.cross_entropy(
        dense(dense(x, w1, b1, "relu"), w2, b2, "linear"), ids.long()),
    # convolution, pooling, batch normalisation (NHWC in nabla)
    "conv_valid_bias": lambda x, k, b: conv(x, k, b),
    "conv_same_strided": lambda x, k, b: conv(x, k, b, strides=(2, 3), same=True),
    "conv_dilated": lambda x, k: conv(x, k, dilation=(2, 3)),
    "conv_same_dilated": lambda x, k, b: conv(x, k, b, same=True, dilation=(2, 2)),
    "conv_big": lambda x, k, b: torch.relu(conv(x, k, b)),
    "maxpool_2": lambda x: maxpool(x),
    "maxpool_same_overlap": lambda x: maxpool(x, (3, 3), (2, 1), same=True),
    "avgpool_2": lambda x: avgpool(x),
    "avgpool_same_overlap": lambda x: avgpool(x, (3, 2), (2, 1), same=True),
    "bn_train": bn_train,
    "bn_infer": lambda x, m, v, g, b: (x - m) / torch.sqrt(v + 1e-3) * g + b,
    # optional cases for ops that land later (see the C++ list)
    "concatenate_axis1": lambda a, b: torch.cat([a, b], 1),
    "stack_axis0": lambda a, b: torch.stack([a, b], 0) * torch.arange(2.0).reshape(2, 1, 1),
}


def c_order(t):
    # torch hands back expanded/transposed gradients; nabla reads C order only.
    return np.array(t.detach().numpy(), dtype=np.float32, order="C")  # keeps 0-d shapes


def run_case(directory, name, n_inputs):
    if name not in CASES:
        raise SystemExit(f"torch_oracle.py: unknown case '{name}'")
    arrays = [np.load(os.path.join(directory, name, f"in{k}.npy")) for k in range(n_inputs)]
    inputs = []
    for a in arrays:
        t = torch.from_numpy(a)
        if t.is_floating_point():
            t = t.clone().requires_grad_(True)
        inputs.append(t)
    out = CASES[name](*inputs)
    w = torch.from_numpy(np.load(os.path.join(directory, name, "w.npy")))
    grads = [None] * n_inputs
    differentiable = [t for t in inputs if t.requires_grad]
    if differentiable and out.requires_grad:
        computed = torch.autograd.grad((out * w).sum(), differentiable, allow_unused=True)
        it = iter(computed)
        for k, t in enumerate(inputs):
            if t.requires_grad:
                grads[k] = next(it)
    np.save(os.path.join(directory, name, "out.npy"), c_order(out))
    for k, t in enumerate(inputs):
        if not t.requires_grad:
            continue
        g = grads[k] if grads[k] is not None else torch.zeros_like(t)
        np.save(os.path.join(directory, name, f"grad{k}.npy"), c_order(g))


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: torch_oracle.py DIR")
    directory = sys.argv[1]
    torch.set_num_threads(1)
    with open(os.path.join(directory, "cases.txt")) as f:
        for line in f:
            if line.strip():
                name, n = line.split()
                run_case(directory, name, int(n))


if __name__ == "__main__":
    main()
