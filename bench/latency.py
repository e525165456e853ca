"""Serving latency of the book's model, side by side: nabla, onnxruntime, PyTorch.

    python3 bench/latency.py [--rounds 5] [--calls 2000]

Model: 784 -> Dense(512, relu) -> Dense(10, softmax), made by nabla (seed 1);
onnxruntime runs nabla's own ONNX export of it, PyTorch the same weights.
Every contestant runs on one thread (nabla set_num_threads(1); onnxruntime
intra_op = inter_op = 1, sequential execution; torch.set_num_threads(1)) in a
fresh process per round, rounds interleaved so that machine noise hits all
alike; each process warms up with 200 calls, then times CALLS calls one by
one. Reported: p50 and p99 of the per-call times in µs, over all rounds, for
1 sample and a batch of 32.

nabla: build/release/bench/nabla_latency (predict_into, C++). onnxruntime:
its Python API (the oracle venv's pinned wheel, .venv-oracle), so each call
includes a Python -> C++ crossing; PyTorch: Debian's python3-torch under
torch.inference_mode(), likewise. libtorch C++ (bench/peers) needs Debian's
libtorch-dev, a benchmark-only package; not used here.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NABLA = os.path.join(ROOT, "build/release/bench/nabla_latency")
VENV_PYTHON = os.path.join(ROOT, ".venv-oracle/bin/python")

ORT_CHILD = r"""
import json, sys, time
import numpy as np, onnxruntime as ort
path, rows, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
o = ort.SessionOptions()
o.intra_op_num_threads = 1
o.inter_op_num_threads = 1
o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
x = np.random.default_rng(7).uniform(0, 1, (rows, 784)).astype(np.float32)
feed = {"input": x}
for _ in range(200): s.run(None, feed)
us = []
for _ in range(calls):
    t0 = time.perf_counter_ns(); s.run(None, feed); us.append((time.perf_counter_ns() - t0) / 1e3)
print(json.dumps({"us": us}))
"""

TORCH_CHILD = r"""
import json, sys, time
import numpy as np, torch
path, rows, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
w = np.load(path)
m = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10), torch.nn.Softmax(-1))
with torch.no_grad():
    m[0].weight.copy_(torch.from_numpy(w["w0"].T.copy())); m[0].bias.copy_(torch.from_numpy(w["b0"]))
    m[2].weight.copy_(torch.from_numpy(w["w1"].T.copy())); m[2].bias.copy_(torch.from_numpy(w["b1"]))
x = torch.from_numpy(np.random.default_rng(7).uniform(0, 1, (rows, 784)).astype(np.float32))
us = []
with torch.inference_mode():
    for _ in range(200): m(x)
    for _ in range(calls):
        t0 = time.perf_counter_ns(); m(x); us.append((time.perf_counter_ns() - t0) / 1e3)
print(json.dumps({"us": us}))
"""


def contestants(d):
    one = dict(os.environ, OMP_NUM_THREADS="1", NABLA_NUM_THREADS="1")
    out = [("nabla (C++ predict_into)", lambda r, c: [NABLA, "run", d, str(r), str(c)], one)]
    if os.path.exists(VENV_PYTHON):
        out.append(("onnxruntime (Python)", lambda r, c: [VENV_PYTHON, "-c", ORT_CHILD, f"{d}/model.onnx", str(r), str(c)], one))
    else:
        print(f"note: {VENV_PYTHON} missing (scripts/install_deps.sh): no onnxruntime", file=sys.stderr)
    out.append(("PyTorch (Python)", lambda r, c: ["/usr/bin/python3", "-c", TORCH_CHILD, f"{d}/weights.npz", str(r), str(c)], one))
    return out


def percentile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    if not os.path.exists(NABLA):
        sys.exit(f"{NABLA} not built: cmake --build build/release --target nabla_latency")
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([NABLA, "write", d], check=True)
        who = contestants(d)
        times = {(name, rows): [] for name, _, _ in who for rows in (1, 32)}
        for _ in range(args.rounds):
            for rows in (1, 32):
                for name, cmd, env in who:
                    r = subprocess.run(cmd(rows, args.calls), env=env, capture_output=True, text=True)
                    if r.returncode:
                        sys.exit(f"{name} failed:\n{r.stderr}")
                    times[(name, rows)] += json.loads(r.stdout.strip().splitlines()[-1])["us"]
    print(f"book model 784-512-10, 1 thread, {args.rounds} rounds x {args.calls} calls, µs per call")
    print(f"{'contestant':28} {'1: p50':>9} {'1: p99':>9} {'32: p50':>9} {'32: p99':>9}")
    for name, _, _ in who:
        a, b = times[(name, 1)], times[(name, 32)]
        print(f"{name:28} {percentile(a, 50):9.1f} {percentile(a, 99):9.1f} {percentile(b, 50):9.1f} {percentile(b, 99):9.1f}")


main()
