"""One typed spec per model, parsed once from PaddleX's ``inference.yml``.

Everything downstream — the generated ``config.pbtxt`` files, the label file, the decode and
top-k steps, the tests and the benchmarks — is driven by :class:`ModelSpec`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from videocls_preprocess.errors import ModelSourceError, VideoclsError
from videocls_preprocess.spec import PreprocessSpec

#: The three official PaddleX video-classification models.
OFFICIAL_MODEL_NAMES = (
    "PP-TSM-R50_8frames_uniform",
    "PP-TSMv2-LCNetV2_8frames_uniform",
    "PP-TSMv2-LCNetV2_16frames_uniform",
)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


@dataclass(frozen=True)
class ModelSpec:
    """A PaddleX video-classification model's settings.

    Attributes:
        model_name: ``Global.model_name``; also the Triton ensemble's name.
        preprocess: The decode/transform settings.
        topk: Default number of classes returned (``PostProcess.Topk.topk``).
        labels: Class names, indexed by class id (``PostProcess.Topk.label_list``).
    """

    model_name: str
    preprocess: PreprocessSpec
    topk: int
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.model_name):
            raise VideoclsError(f"model_name {self.model_name!r} is not a valid Triton model name")
        if not self.labels:
            raise VideoclsError("label list is empty")
        if not 1 <= self.topk <= len(self.labels):
            raise VideoclsError(f"topk {self.topk} is outside 1..{len(self.labels)}")

    @property
    def num_classes(self) -> int:
        """Number of classes the network scores."""
        return len(self.labels)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ModelSpec:
        """Reads and validates an ``inference.yml``.

        Raises:
            ModelSourceError: The file is missing, not YAML, or lacks a required field.
        """
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelSourceError(f"{path}: inference.yml not found") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ModelSourceError(f"{path}: not a readable YAML file ({exc})") from exc
        try:
            return cls.from_dict(data)
        except VideoclsError as exc:
            raise ModelSourceError(f"{path}: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Any) -> ModelSpec:
        """Builds the spec from an already-parsed ``inference.yml`` mapping."""
        if not isinstance(data, Mapping):
            raise ModelSourceError("inference.yml is not a mapping")
        name = _get(data, "Global", "model_name")
        ops = _transform_ops(data)
        read = _op(ops, "ReadVideo")
        topk_cfg = _get(data, "PostProcess", "Topk")
        labels = _field(topk_cfg, "label_list", "PostProcess.Topk")
        if not isinstance(labels, list) or not labels:
            raise ModelSourceError("PostProcess.Topk.label_list must be a non-empty list")
        normalize = _op(ops, "NormalizeVideo")
        try:
            preprocess = PreprocessSpec(
                num_seg=int(_field(read, "num_seg", "ReadVideo")),
                seg_len=int(read.get("seg_len", 1)),
                sample_type=str(read.get("sample_type") or "uniform"),
                short_size=int(_field(_op(ops, "Scale"), "short_size", "Scale")),
                crop_size=int(_field(_op(ops, "CenterCrop"), "target_size", "CenterCrop")),
                mean=tuple(normalize.get("mean", PreprocessSpec.mean)),
                std=tuple(normalize.get("std", PreprocessSpec.std)),
            )
            return cls(
                model_name=str(name),
                preprocess=preprocess,
                topk=int(_field(topk_cfg, "topk", "PostProcess.Topk")),
                labels=tuple(str(label) for label in labels),
            )
        except (TypeError, ValueError) as exc:
            raise ModelSourceError(f"inference.yml has a malformed field: {exc}") from exc


def _get(data: Mapping, section: str, key: str) -> Any:
    block = data.get(section)
    if not isinstance(block, Mapping):
        raise ModelSourceError(f"inference.yml has no {section} section")
    return _field(block, key, section)


def _field(block: Any, key: str, where: str) -> Any:
    if not isinstance(block, Mapping) or block.get(key) is None:
        raise ModelSourceError(f"inference.yml lacks {where}.{key}")
    return block[key]


def _transform_ops(data: Mapping) -> dict[str, Mapping]:
    pre = data.get("PreProcess")
    ops = pre.get("transform_ops") if isinstance(pre, Mapping) else None
    if not isinstance(ops, list):
        raise ModelSourceError("inference.yml lacks PreProcess.transform_ops")
    out: dict[str, Mapping] = {}
    for op in ops:
        if isinstance(op, Mapping) and len(op) == 1:
            ((key, args),) = op.items()
            out[str(key)] = args if isinstance(args, Mapping) else {}
    return out


def _op(ops: Mapping[str, Mapping], name: str) -> Mapping:
    if name not in ops:
        raise ModelSourceError(f"inference.yml lacks the {name} transform")
    return ops[name]
