"""Checks a nabla ONNX export with Debian's python3-onnx (1.12).

usage: onnx_check.py MODEL.onnx OP,OP,... SAMPLE_DIMS_JSON OUTPUT_DIMS_JSON INITIALIZERS

The full checker (types and shapes inferred through every node) must accept
the file; the file must say IR version 8 and opset 17, have the given node
operators in order, a float input and output whose first dimension is the
symbolic "batch" and the others the given sizes, and that many initializers.
Exit status 0 and "ok" when everything holds; 1 and the reason otherwise.
"""
import json
import sys

import onnx


def dims(value_info):
    t = value_info.type.tensor_type
    if t.elem_type != onnx.TensorProto.FLOAT:
        sys.exit(f"{value_info.name}: elem_type {t.elem_type}, expected FLOAT")
    d = t.shape.dim
    if not d or d[0].dim_param != "batch":
        sys.exit(f"{value_info.name}: first dimension {d[0] if d else None} is not the symbolic 'batch'")
    return [x.dim_value for x in d[1:]]


def main():
    path, ops, sample, output, initializers = sys.argv[1:6]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    problems = []
    if model.ir_version != 8:
        problems.append(f"ir_version {model.ir_version}")
    opsets = [(o.domain, o.version) for o in model.opset_import]
    if opsets != [("", 17)]:
        problems.append(f"opset_import {opsets}")
    got_ops = [n.op_type for n in model.graph.node]
    if got_ops != ops.split(","):
        problems.append(f"ops {got_ops}, expected {ops.split(',')}")
    if [i.name for i in model.graph.input] != ["input"] or [o.name for o in model.graph.output] != ["output"]:
        problems.append("graph input/output names are not ['input'] / ['output']")
    if dims(model.graph.input[0]) != json.loads(sample):
        problems.append(f"input dims {dims(model.graph.input[0])}, expected {sample}")
    if dims(model.graph.output[0]) != json.loads(output):
        problems.append(f"output dims {dims(model.graph.output[0])}, expected {output}")
    if len(model.graph.initializer) != int(initializers):
        problems.append(f"{len(model.graph.initializer)} initializers, expected {initializers}")
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    if dims(inferred.graph.output[0]) != json.loads(output):
        problems.append("shape inference disagrees with the declared output")
    if problems:
        sys.exit("; ".join(problems))
    print("ok")


main()
