"""Serving latency of the book's model, side by side: nabla, onnxruntime, libtorch, PyTorch.

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
torch.inference_mode(), likewise. libtorch C++: bench/peers/torch_latency.cpp
(Debian's libtorch-dev, a benchmark-only package; built here into
build/peers when it is installed), the same weights (weights.npz written as
one raw float32 file) and the same input rows, under c10::InferenceMode, one
thread; its first output row must match NumPy's within 1e-5. Both torch
contestants run on OpenBLAS with one thread (OPENBLAS_NUM_THREADS=1; its
AVX-512 kernels where the CPU has them, as bench/side_by_side.py).
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
TORCH_LATENCY = os.path.join(ROOT, "build/peers/torch_latency")

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


def has_avx512():
    with open("/proc/cpuinfo") as f:
        return "avx512f" in f.read()


def build_torch_peer():
    """build/peers/torch_latency, when Debian's libtorch-dev is installed; else None."""
    have = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "libtorch-dev"], capture_output=True, text=True)
    if "install ok installed" not in have.stdout:
        print("note: libtorch-dev is not installed (a benchmark-only package): no libtorch C++", file=sys.stderr)
        return None
    build = os.path.join(ROOT, "build/peers")
    for cmd in (["cmake", "-S", os.path.join(ROOT, "bench/peers"), "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"],
                ["cmake", "--build", build, "--target", "torch_latency"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"building the libtorch peer failed ({' '.join(cmd)}):\n{r.stdout}{r.stderr}")
    return TORCH_LATENCY


# For the C++ peer (Debian's NumPy): nabla's weights.npz (w0, b0, w1, b1) as
# one raw float32 file, 32 input rows as another, and the model's output for
# the first row, computed by NumPy, to check the peer against (JSON).
RAW_FILES = r"""
import json, sys, numpy as np
w = np.load(sys.argv[1])
with open(sys.argv[2], "wb") as f:
    for name in ("w0", "b0", "w1", "b1"):
        f.write(np.ascontiguousarray(w[name], dtype="<f4").tobytes())
x = np.random.default_rng(7).uniform(0, 1, (32, 784)).astype("<f4")
x.tofile(sys.argv[3])
z = np.maximum(x[:1].astype(np.float64) @ w["w0"] + w["b0"], 0) @ w["w1"] + w["b1"]
p = np.exp(z - z.max()); p /= p.sum()
print(json.dumps(p[0].tolist()))
"""


def write_raw_files(d):
    """The peer's weights and inputs; returns their paths and NumPy's output for input row 0."""
    r = subprocess.run(["/usr/bin/python3", "-c", RAW_FILES, f"{d}/weights.npz", f"{d}/weights.f32", f"{d}/input.f32"],
                       check=True, capture_output=True, text=True)
    return f"{d}/weights.f32", f"{d}/input.f32", json.loads(r.stdout)


def check_peer_output(name, got, want):
    """The peer computes the model nabla wrote: its first output row against NumPy's (float64)."""
    worst = max(abs(a - b) for a, b in zip(got, want))
    if len(got) != len(want) or worst > 1e-5:
        sys.exit(f"{name}: output row 0 {got} differs from NumPy's {want} (max |diff| {worst:.3g})")


def contestants(d, torch_bin, peer_files):
    one = dict(os.environ, OMP_NUM_THREADS="1", NABLA_NUM_THREADS="1")
    torch_one = dict(one, OPENBLAS_NUM_THREADS="1")
    if has_avx512():
        torch_one["OPENBLAS_CORETYPE"] = "SkylakeX"
    out = [("nabla (C++ predict_into)", lambda r, c: [NABLA, "run", d, str(r), str(c)], one)]
    if os.path.exists(VENV_PYTHON):
        out.append(("onnxruntime (Python)", lambda r, c: [VENV_PYTHON, "-c", ORT_CHILD, f"{d}/model.onnx", str(r), str(c)], one))
    else:
        print(f"note: {VENV_PYTHON} missing (scripts/install_deps.sh): no onnxruntime", file=sys.stderr)
    if torch_bin:
        weights, inputs, _ = peer_files
        out.append(("libtorch (C++)", lambda r, c: [torch_bin, weights, inputs, str(r), str(c)], torch_one))
    out.append(("PyTorch (Python)", lambda r, c: ["/usr/bin/python3", "-c", TORCH_CHILD, f"{d}/weights.npz", str(r), str(c)],
                torch_one))
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
    torch_bin = build_torch_peer()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([NABLA, "write", d], check=True)
        peer_files = write_raw_files(d) if torch_bin else None
        want_y0 = peer_files[2] if peer_files else None
        who = contestants(d, torch_bin, peer_files)
        times = {(name, rows): [] for name, _, _ in who for rows in (1, 32)}
        for _ in range(args.rounds):
            for rows in (1, 32):
                for name, cmd, env in who:
                    r = subprocess.run(cmd(rows, args.calls), env=env, capture_output=True, text=True)
                    if r.returncode:
                        sys.exit(f"{name} failed:\n{r.stderr}")
                    result = json.loads(r.stdout.strip().splitlines()[-1])
                    if "y0" in result:
                        check_peer_output(name, result["y0"], want_y0)
                    times[(name, rows)] += result["us"]
    print(f"book model 784-512-10, 1 thread, {args.rounds} rounds x {args.calls} calls, µs per call")
    print(f"{'contestant':28} {'1: p50':>9} {'1: p99':>9} {'32: p50':>9} {'32: p99':>9}")
    for name, _, _ in who:
        a, b = times[(name, 1)], times[(name, 32)]
        print(f"{name:28} {percentile(a, 50):9.1f} {percentile(a, 99):9.1f} {percentile(b, 50):9.1f} {percentile(b, 99):9.1f}")


main()
