"""Runs a nabla ONNX export in onnxruntime (the pinned PyPI wheel of
.venv-oracle) and compares with nabla's predictions.

usage: onnx_runtime_check.py MODEL.onnx DATA.npz TOLERANCE

DATA.npz holds x (the inputs) and predictions (nabla's model.predict(x)).
One intra-op and one inter-op thread, as the latency benchmark. Exit status
0 when every output is within TOLERANCE of nabla's; 1 with the largest
difference otherwise.
"""
import sys

import numpy as np
import onnxruntime as ort


def main():
    path, data, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
    d = np.load(data)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": d["x"]})
    want = d["predictions"]
    if got.shape != want.shape or got.dtype != np.float32:
        sys.exit(f"onnxruntime gave {got.dtype} {got.shape}, nabla {want.dtype} {want.shape}")
    diff = float(np.max(np.abs(got.astype(np.float64) - want)))
    print(f"onnxruntime {ort.__version__}: max |difference| {diff:.3g} over {got.size} outputs")
    if not diff <= tolerance:
        sys.exit(f"max |onnxruntime - nabla| = {diff} > {tolerance}")


main()
