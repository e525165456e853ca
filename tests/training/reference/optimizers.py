# Regenerates the reference numbers hard-coded in tests/training/test_optimizers.cpp:
#   /usr/bin/python3 tests/training/reference/optimizers.py
# "keras": Keras 3's update rules in float32 NumPy (Keras itself is not
# installed here); "torch": torch.optim with epsilon 0, where the two
# libraries' rules coincide.
import numpy as np
import torch

W0 = np.array([0.5, -1.5, 2.0, 0.0, -0.25], np.float32)
GRADS = np.array([[0.1, -0.2, 0.3, -0.4, 0.5],
                  [0.3, 0.1, -0.2, 0.05, -0.6],
                  [-0.5, 0.4, 0.2, -0.1, 0.7],
                  [0.2, -0.3, -0.4, 0.25, 0.1]], np.float32)
f = np.float32


def keras(kind, steps=4, **o):
    w = W0.copy()
    s = {}
    for t in range(steps):
        g = GRADS[t].copy()
        lr = f(o.get("learning_rate", {"sgd": 0.01}.get(kind, 0.001)))
        if o.get("clipnorm"):
            n = np.sqrt(np.sum(g * g))
            g = g * f(o["clipnorm"]) / np.maximum(n, f(o["clipnorm"]))
        if o.get("clipvalue"):
            g = np.clip(g, -f(o["clipvalue"]), f(o["clipvalue"]))
        if o.get("weight_decay") is not None:
            w = w - w * f(o["weight_decay"]) * lr
        if kind == "sgd":
            mu = o.get("momentum", 0.0)
            if mu:
                m = s.setdefault("m", np.zeros_like(w))
                m[:] = m * f(mu) - g * lr
                w = w + (m * f(mu) - g * lr if o.get("nesterov") else m)
            else:
                w = w - g * lr
        elif kind == "rmsprop":
            rho, mu, eps = o.get("rho", 0.9), o.get("momentum", 0.0), o.get("epsilon", 1e-7)
            v = s.setdefault("v", np.zeros_like(w))
            v[:] = f(rho) * v + f(1 - rho) * (g * g)
            if o.get("centered"):
                a = s.setdefault("a", np.zeros_like(w))
                a[:] = f(rho) * a + f(1 - rho) * g
                den = v - a * a + f(eps)
            else:
                den = v + f(eps)
            inc = (lr * g) / np.sqrt(den)
            if mu > 0:
                m = s.setdefault("m", np.zeros_like(w))
                m[:] = f(mu) * m + inc
                w = w - m
            else:
                w = w - inc
        elif kind == "adagrad":
            a = s.setdefault("a", np.full_like(w, f(o.get("initial_accumulator_value", 0.1))))
            a[:] = a + g * g
            w = w - (lr * g) / np.sqrt(a + f(o.get("epsilon", 1e-7)))
        elif kind == "adam":
            b1, b2, eps = o.get("beta_1", 0.9), o.get("beta_2", 0.999), o.get("epsilon", 1e-7)
            tt = f(t + 1)
            alpha = lr * np.sqrt(f(1) - f(b2) ** tt) / (f(1) - f(b1) ** tt)
            m = s.setdefault("m", np.zeros_like(w))
            v = s.setdefault("v", np.zeros_like(w))
            m[:] = m + (g - m) * f(1 - b1)
            v[:] = v + (g * g - v) * f(1 - b2)
            vv = v
            if o.get("amsgrad"):
                h = s.setdefault("h", np.zeros_like(w))
                h[:] = np.maximum(h, v)
                vv = h
            w = w - (m * alpha) / (np.sqrt(vv) + f(eps))
    return w


def torch_run(make, steps=4):
    p = torch.nn.Parameter(torch.tensor(W0))
    opt = make([p])
    for t in range(steps):
        p.grad = torch.tensor(GRADS[t])
        opt.step()
    return p.detach().numpy()


def show(name, arr):
    print(f"    // {name}\n    {{{', '.join(repr(float(x)) + 'f' for x in arr)}}},")


cases = {
    "keras sgd": keras("sgd"),
    "keras sgd momentum 0.9": keras("sgd", momentum=0.9),
    "keras sgd nesterov 0.9": keras("sgd", momentum=0.9, nesterov=True),
    "keras rmsprop": keras("rmsprop"),
    "keras rmsprop momentum 0.5 centered": keras("rmsprop", momentum=0.5, centered=True),
    "keras adagrad": keras("adagrad"),
    "keras adam": keras("adam"),
    "keras adam beta_2 0.5 amsgrad": keras("adam", beta_2=0.5, amsgrad=True),
    "keras adam beta_2 0.5": keras("adam", beta_2=0.5),
    "keras adam lr 0.1 weight_decay 0.05": keras("adam", learning_rate=0.1, weight_decay=0.05),
    "keras sgd lr 0.1 clipnorm 0.5": keras("sgd", learning_rate=0.1, clipnorm=0.5),
    "keras sgd lr 0.1 clipvalue 0.25": keras("sgd", learning_rate=0.1, clipvalue=0.25),
    "keras rmsprop eps 0": keras("rmsprop", epsilon=0.0),
    "keras rmsprop eps 0 momentum 0.5 centered": keras("rmsprop", epsilon=0.0, momentum=0.5, centered=True),
    "keras adagrad eps 0": keras("adagrad", epsilon=0.0),
    "keras adam eps 0": keras("adam", epsilon=0.0),
    "keras adam eps 0 beta_2 0.5 amsgrad": keras("adam", epsilon=0.0, beta_2=0.5, amsgrad=True),
    "torch sgd": torch_run(lambda p: torch.optim.SGD(p, lr=0.01)),
    "torch sgd momentum 0.9": torch_run(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    "torch sgd nesterov 0.9": torch_run(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    "torch rmsprop eps 0": torch_run(lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.9, eps=0.0)),
    "torch rmsprop eps 0 momentum 0.5 centered": torch_run(
        lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.9, eps=0.0, momentum=0.5, centered=True)),
    "torch adagrad eps 0": torch_run(
        lambda p: torch.optim.Adagrad(p, lr=0.001, initial_accumulator_value=0.1, eps=0.0)),
    "torch adam eps 0": torch_run(lambda p: torch.optim.Adam(p, lr=0.001, eps=0.0)),
    "torch adam eps 0 beta_2 0.5 amsgrad": torch_run(
        lambda p: torch.optim.Adam(p, lr=0.001, betas=(0.9, 0.5), eps=0.0, amsgrad=True)),
}
for k, v in cases.items():
    show(k, v)
# Keras's own docstring example: RMSprop(0.1) on var1 = 10, loss var1^2 / 2.
print(10 - 0.1 * 10 / np.sqrt(np.float32(0.1) * 100 + np.float32(1e-7)))
