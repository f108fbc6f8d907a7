"""Read facts out of a saved Paddle inference program without running it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from videocls_preprocess.errors import ConversionError


def leaky_relu_slopes(model_file: Path) -> list[float]:
    """The ``negative_slope`` of every leaky_relu op, in program order.

    Works for Paddle 3 PIR programs (``inference.json``) and legacy ``inference.pdmodel``.
    """
    if model_file.suffix == ".json":
        try:
            program = json.loads(model_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConversionError(f"{model_file}: unreadable program ({exc})") from exc
        return [float(v) for v in _json_op_attrs(program, "leaky_relu", "negative_slope")]
    return _pdmodel_leaky_relu_slopes(model_file)


def _json_op_attrs(node: Any, op_suffix: str, attr: str) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    ordered: list[Any] = []
    # Depth-first in document order so that the slopes come out in program order.
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            op = item.get("#")
            if isinstance(op, str) and op.split(".", 1)[-1].rstrip("_") == op_suffix:
                ordered.append(item)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    for op in ordered:
        for a in op.get("A", []):
            if a.get("N") == attr:
                found.append(a["AT"]["D"])
    return found


def _pdmodel_leaky_relu_slopes(model_file: Path) -> list[float]:
    try:
        from paddle.base.proto import framework_pb2
    except ImportError as exc:  # pragma: no cover - paddle is part of the convert extra
        raise ConversionError(
            "reading a .pdmodel needs paddlepaddle (pip install videocls[convert])"
        ) from exc
    program = framework_pb2.ProgramDesc()
    try:
        program.ParseFromString(model_file.read_bytes())
    except Exception as exc:  # protobuf raises DecodeError, a bare Exception subclass
        raise ConversionError(f"{model_file}: unreadable program ({exc})") from exc
    slopes = []
    for block in program.blocks:
        for op in block.ops:
            if op.type == "leaky_relu":
                for a in op.attrs:
                    if a.name == "alpha":
                        slopes.append(float(a.f))
    return slopes
