"""NumPy's answers for the cases test_numpy_conformance.cpp wrote.

Reads <dir>/spec.txt (one case per line: id op args...), loads the case's
inputs <id>_a.npy / <id>_b.npy and writes NumPy's result to <id>_r.npy.
"""
import os
import sys
import warnings

import numpy as np

# Integer wraparound and inf - inf are the behaviours under test, not faults.
warnings.simplefilter("ignore", RuntimeWarning)


def parse_index(text):
    items = []
    for part in text.split(","):
        if part.startswith("i"):
            items.append(int(part[1:]))
        else:
            start, stop, step = (None if v == "n" else int(v) for v in part.split(":"))
            items.append(slice(start, stop, step))
    return tuple(items)


def run_case(d, cid, op, args):
    a = np.load(os.path.join(d, f"{cid}_a.npy"))
    b_path = os.path.join(d, f"{cid}_b.npy")
    b = np.load(b_path) if os.path.exists(b_path) else None
    if op in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "less", "equal",
              "dot", "matmul", "power"):
        return getattr(np, op)(a, b)
    if op.endswith("_scalar"):  # a C++ number: a Python int, exact (args: value, l|r side)
        fn, v = getattr(np, op[: -len("_scalar")]), int(args[0])
        return fn(v, a) if args[1] == "l" else fn(a, v)
    if op == "abs":
        return np.abs(a)
    if op == "tensordot":
        return np.tensordot(a, b, int(args[0]))
    if op in ("sum", "mean", "max", "min"):
        axes = None if args[0] == "all" else tuple(int(v) for v in args[0].split(","))
        return getattr(np, op)(a, axis=axes, keepdims=args[1] == "1")
    if op in ("argmax", "argmin"):
        axis = None if args[0] == "none" else int(args[0])
        return getattr(np, op)(a, axis=axis)
    if op == "index":
        return a[parse_index(args[0])]
    if op == "transpose":
        return np.transpose(a, None if args[0] == "rev" else [int(v) for v in args[0].split(",")])
    raise ValueError(f"unknown op {op}")


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "spec.txt")) as spec:
        for line in spec:
            cid, op, *args = line.split()
            r = np.array(run_case(d, cid, op, args), order="C")  # 0-d stays 0-d
            if r.dtype == np.uint64:  # sums of uint8: nabla has no uint64 and gives int64
                r = r.astype(np.int64)
            np.save(os.path.join(d, f"{cid}_r.npy"), r)


if __name__ == "__main__":
    main()
