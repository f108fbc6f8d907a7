"""The ``videocls-server convert`` pipeline: source -> ONNX -> repair -> verify -> repository."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..modelspec import ModelSpec
from ..repository import write_model_repository
from ..tritonconfig import ServingOptions
from .onnx_graph import export_onnx, fold_normalization, repair_leaky_relu
from .source import resolve_source
from .verify import DEFAULT_TOLERANCE, ParityReport, verify_onnx


@dataclass(frozen=True)
class ConversionResult:
    """What one conversion produced and measured.

    Attributes:
        model_name: The ensemble name written.
        spec: The model's settings, as parsed from its inference.yml.
        folders: The model folders written into the repository.
        parity: Paddle-vs-ONNX comparison.
        leaky_relu_repaired: LeakyRelu nodes whose alpha was corrected.
        seconds: Wall time of the whole conversion.
    """

    model_name: str
    spec: ModelSpec
    folders: list[Path]
    parity: ParityReport
    leaky_relu_repaired: int
    seconds: float


def convert_to_onnx(
    source: str | os.PathLike, workdir: Path, *, tolerance: float = DEFAULT_TOLERANCE
):
    """Resolves SOURCE and returns ``(PaddleModel, verified ONNX bytes, parity, repaired)``."""
    model = resolve_source(source, workdir)
    onnx_model = export_onnx(model.model_file, model.params_file, workdir / "paddle2onnx.onnx")
    repaired = repair_leaky_relu(onnx_model, model.model_file)
    fold_normalization(onnx_model, model.spec.preprocess)
    onnx_bytes = onnx_model.SerializeToString()
    parity = verify_onnx(model, onnx_bytes, tolerance=tolerance)
    return model, onnx_bytes, parity, repaired


def convert(
    source: str | os.PathLike,
    repository: Path,
    options: ServingOptions | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ConversionResult:
    """Converts one PaddleX inference model into a ready Triton model repository.

    Nothing is written to *repository* unless the ONNX model matched Paddle.

    Raises:
        ModelSourceError: SOURCE is unusable.
        ConversionError: paddle2onnx failed or the ONNX disagrees with Paddle.
    """
    options = options or ServingOptions()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="videocls-convert-") as tmp:
        model, onnx_bytes, parity, repaired = convert_to_onnx(
            source, Path(tmp), tolerance=tolerance
        )
        folders = write_model_repository(Path(repository), model.spec, onnx_bytes, options)
    return ConversionResult(
        model_name=model.spec.model_name,
        spec=model.spec,
        folders=folders,
        parity=parity,
        leaky_relu_repaired=repaired,
        seconds=time.perf_counter() - start,
    )
