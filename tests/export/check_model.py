"""Checks an exported model with Debian's python3-onnx: the full checker and
strict shape inference (type checks on), then prints one JSON line with what
the inference found: ir_version, opset, the input and output shapes (a
symbolic dimension as its name) and the metadata_props.

    /usr/bin/python3 check_model.py MODEL.onnx
"""
import json
import sys

import onnx


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    graph = inferred.graph
    print(json.dumps({
        "onnx": onnx.__version__,
        "ir_version": model.ir_version,
        "opset": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "inputs": {v.name: dims(v) for v in graph.input},
        "outputs": {v.name: dims(v) for v in graph.output},
        "ops": [n.op_type for n in graph.node],
        "metadata": {p.key: p.value for p in model.metadata_props},
    }))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # one line, as everything else handgrad prints
        print(f"check_model.py: {sys.argv[1]}: {type(e).__name__}: {e}".replace("\n", " "),
              file=sys.stderr)
        sys.exit(1)
