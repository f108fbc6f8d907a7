"""Write a network in PaddleX's official inference format.

The directory gets the three files PaddleX 3.x ``create_model(name, model_dir=...)``
loads, laid out as PaddleVideo's ``tools/export_model.py`` writes them:

* ``inference.json`` + ``inference.pdiparams``: the PIR program and its parameters from
  ``paddle.jit.save`` after re-parameterisable blocks are fused, with the input spec
  ``[[InputSpec([None, T, 3, 224, 224], "float32")]]`` (input name ``data_batch_0``).
  Paddle >= 3.3 stores ``leaky_relu``'s slope as float64 (the official Paddle 3.0 exports
  store float32); paddle2onnx 2.1.0 misreads the float64 form, which is exactly the defect
  the converter must repair, so the program is kept as ``jit.save`` writes it;
* ``inference.yml``: ``Global.model_name``, the pre-processing PaddleX's video
  classification predictor builds (ReadVideo, Scale, CenterCrop, Image2Array,
  NormalizeVideo) and ``PostProcess.Topk`` with the Kinetics-400 label names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paddle
import yaml
from paddle import nn

MODEL_FILE_PREFIX = "inference"
TARGET_SIZE = 224
SHORT_SIZE = 256
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def fuse_reparameterised(model: nn.Layer) -> int:
    """Fold every layer that has ``rep()`` and is not yet fused; return how many."""
    fused = 0
    for layer in model.sublayers(include_self=True):
        if hasattr(layer, "rep") and not getattr(layer, "is_repped", True):
            layer.rep()
            fused += 1
    return fused


def save_program(model: nn.Layer, num_seg: int, out_dir: Path) -> None:
    """Fuse, convert to a static graph and save ``inference.json``/``.pdiparams``.

    Args:
        model: The recognizer (its ``forward`` takes ``[clips]``).
        num_seg: Frames per clip (fixed in the input shape).
        out_dir: Destination directory (created if needed).
    """
    model.eval()
    fuse_reparameterised(model)
    spec = paddle.static.InputSpec([None, num_seg, 3, TARGET_SIZE, TARGET_SIZE], "float32")
    static_model = paddle.jit.to_static(model, input_spec=[[spec]], full_graph=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    paddle.jit.save(static_model, str(out_dir / MODEL_FILE_PREFIX))


def inference_config(model_name: str, num_seg: int, labels: list[str]) -> dict[str, Any]:
    """Build the ``inference.yml`` content of a video-classification model.

    Args:
        model_name: PaddleX model name (``Global.model_name``).
        num_seg: Frames sampled per clip.
        labels: Class names in class-id order.

    Returns:
        The configuration mapping, in the official key order.
    """
    transforms = [
        {"ReadVideo": {"num_seg": num_seg, "seg_len": 1, "sample_type": "uniform"}},
        {"Scale": {"short_size": SHORT_SIZE}},
        {"CenterCrop": {"target_size": TARGET_SIZE}},
        {"Image2Array": {"data_format": "tchw"}},
        {"NormalizeVideo": {"mean": list(MEAN), "std": list(STD)}},
    ]
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {"transform_ops": transforms},
        "PostProcess": {"Topk": {"topk": 1, "label_list": list(labels)}},
    }


def write_inference_config(path: Path, config: dict[str, Any]) -> None:
    """Dump ``config`` as block-style YAML, keeping the key order."""
    with path.open("w", encoding="utf-8") as stream:
        yaml.safe_dump(config, stream, sort_keys=False, allow_unicode=True)
