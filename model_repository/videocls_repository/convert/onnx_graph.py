"""Export with paddle2onnx and post-process the ONNX graph.

Post-processing: repair known paddle2onnx defects, then fold PaddleX's ``NormalizeVideo``
into the graph so that the decode step can hand the network uint8 frames (4x smaller).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from videocls_preprocess.errors import ConversionError
from videocls_preprocess.spec import PreprocessSpec

from .paddle_program import leaky_relu_slopes

#: The network step's tensor names (see docs/architecture).
FRAMES = "FRAMES"
LOGITS = "LOGITS"
OPSET = 17


def export_onnx(model_file: Path, params_file: Path, save_file: Path):
    """Runs paddle2onnx and returns the loaded ``onnx.ModelProto`` (float input, logits out)."""
    import onnx
    import paddle2onnx

    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            paddle2onnx.export(
                str(model_file),
                str(params_file),
                str(save_file),
                opset_version=OPSET,
                enable_onnx_checker=True,
            )
        return onnx.load(str(save_file))
    except Exception as exc:
        raise ConversionError(f"paddle2onnx failed on {model_file}: {exc}") from exc


def repair_leaky_relu(model, model_file: Path) -> int:
    """Restores LeakyRelu ``alpha`` values that paddle2onnx 2.1.0 writes wrong.

    Paddle stores ``negative_slope`` as float64 and paddle2onnx 2.1.0 reads it as float32,
    writing ``alpha = 0`` — a silently wrong model. The slopes are taken from the Paddle
    program in program order and matched to the LeakyRelu nodes in graph order.

    Returns:
        How many nodes were changed.
    """
    nodes = [n for n in model.graph.node if n.op_type == "LeakyRelu"]
    if not nodes:
        return 0
    slopes = leaky_relu_slopes(model_file)
    if len(slopes) != len(nodes):
        unique = set(slopes)
        if len(unique) != 1:
            raise ConversionError(
                f"cannot repair LeakyRelu: {len(nodes)} ONNX nodes but {len(slopes)} Paddle ops"
            )
        slopes = [unique.pop()] * len(nodes)
    changed = 0
    for node, slope in zip(nodes, slopes, strict=True):
        attrs = [a for a in node.attribute if a.name == "alpha"]
        if attrs and np.float32(attrs[0].f) == np.float32(slope):
            continue
        for a in attrs:
            node.attribute.remove(a)
        from onnx import helper

        node.attribute.append(helper.make_attribute("alpha", float(slope)))
        changed += 1
    return changed


def fold_normalization(model, spec: PreprocessSpec):
    """Prepends PaddleX's NormalizeVideo to the graph and names the I/O FRAMES / LOGITS.

    The new input is ``FRAMES`` uint8 ``[B, T, 3, crop, crop]``; the inserted nodes compute
    ``((float32(x) / 255) - mean) / std`` in float32, the same operations in the same order as
    PaddleX (bit-identical results).
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ConversionError(
            f"expected one input and one output, got {len(graph.input)} and {len(graph.output)}"
        )
    old_input = graph.input[0]
    old_name = old_input.name
    dims = old_input.type.tensor_type.shape.dim
    if len(dims) != 5:
        raise ConversionError(f"network input {old_name} has rank {len(dims)}, expected 5")
    static = [d.dim_value for d in dims[1:]]
    expected = [spec.frames_per_video, 3, spec.crop_size, spec.crop_size]
    if any(s and s != e for s, e in zip(static, expected, strict=True)):
        raise ConversionError(
            f"network input shape {static} does not match inference.yml {expected}"
        )

    normalized = "videocls_normalized_frames"
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old_name:
                node.input[i] = normalized
    shape = [1, 1, 3, 1, 1]
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(255.0, dtype=np.float32), "videocls_255"),
            numpy_helper.from_array(
                np.array(spec.mean, np.float32).reshape(shape), "videocls_mean"
            ),
            numpy_helper.from_array(np.array(spec.std, np.float32).reshape(shape), "videocls_std"),
        ]
    )
    prologue = [
        helper.make_node("Cast", [FRAMES], ["videocls_f32"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["videocls_f32", "videocls_255"], ["videocls_scaled"]),
        helper.make_node("Sub", ["videocls_scaled", "videocls_mean"], ["videocls_centered"]),
        helper.make_node("Div", ["videocls_centered", "videocls_std"], [normalized]),
    ]
    nodes = prologue + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    new_input = helper.make_tensor_value_info(FRAMES, TensorProto.UINT8, ["batch", *expected])
    graph.input.remove(old_input)
    graph.input.append(new_input)

    out = graph.output[0]
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == out.name:
                node.output[i] = LOGITS
    out.name = LOGITS
    out.type.tensor_type.shape.dim[0].dim_param = "batch"
    return model
