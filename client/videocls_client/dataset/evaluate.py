"""``evaluate``: top-1 / top-5 accuracy of a served model on a dataset's ``val.txt``.

PaddleX 3.7.2 evaluates a VideoClsDataset with PaddleVideo's ``main.py --test`` and parses
``avg_acc1=..., avg_acc5=...`` from its log
(``paddlex/repo_apis/PaddleVideo_api/video_cls/runner.py``) into
``<Global.output>/evaluate_result.json``::

    {"done_flag": true, "metrics": {"val.top1": <float>, "val.top5": <float>}}

PaddleVideo's metric (``CenterCropMetric``) is ``paddle.metric.accuracy`` with ``k=1`` and
``k=5``: a video counts for top-k when its class id is among the model's k best. Here each
val video goes through the server (``topk=5`` requests, ``--concurrency`` in flight) and the
two figures are the fractions of the classified videos, written under the same keys. Also
written, beside PaddleX's keys:

* ``errors``: the videos that could not be classified (missing, undecodable, refused), with
  their list line and the reason; they are counted here and left out of the two fractions;
* ``<output>/evaluate/per_class_accuracy.csv``: per class of val.txt, its videos, errors,
  top-1 and top-5 hits and accuracies;
* ``<output>/evaluate/confusion_matrix.png``: true classes against top-1 predictions, only
  the classes present.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InvalidInputError, VideoclsClientError
from ..inputs import VideoSource
from ..model import create_model
from ..progress import Progress
from ..transport import DEFAULT_URL
from . import plots
from .layout import DatasetError, LabelMap, Sample, find_dataset_root, read_label_map, read_samples
from .results import write_failure, write_result

__all__ = [
    "EVALUATE_DIR",
    "EvaluateConfig",
    "Evaluation",
    "Prediction",
    "compute_metrics",
    "confusion_matrix",
    "evaluate_dataset",
    "per_class_rows",
]

_MODE = "evaluate"
#: Sub-folder of the output for the per-class table and the confusion matrix.
EVALUATE_DIR = "evaluate"
#: PaddleX's top-k figures.
TOPK = (1, 5)
PER_CLASS_FIELDS = (
    "class_id",
    "class_name",
    "videos",
    "errors",
    "top1_correct",
    "top1_accuracy",
    "top5_correct",
    "top5_accuracy",
)


@dataclass(frozen=True)
class EvaluateConfig:
    """Options of :func:`evaluate_dataset`. Validated at construction.

    Attributes:
        model_name: The served model (ensemble) name.
        url: ``host:port`` of Triton's gRPC endpoint.
        concurrency: Requests in flight at once.
        output_dir: PaddleX's ``Global.output``: ``evaluate_result.json`` goes here, the
            table and the confusion matrix into its ``evaluate/`` folder.
        plots: Draw the confusion matrix (needs matplotlib).
        progress: Show a progress bar on stderr (only when it is a terminal).
        transport: Transport options for :func:`~videocls_client.model.create_model`
            (``ssl``, ``root_cert``, ``headers``, ``timeout_s``, ``retries``...).
    """

    model_name: str
    url: str = DEFAULT_URL
    concurrency: int = 4
    output_dir: str | os.PathLike = "output"
    plots: bool = True
    progress: bool = False
    transport: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model_name, str) or not self.model_name:
            raise ConfigError(f"model_name must be a non-empty string, got {self.model_name!r}")
        if not isinstance(self.url, str) or not self.url:
            raise ConfigError(f"url must be a non-empty string, got {self.url!r}")
        if (
            isinstance(self.concurrency, bool)
            or not isinstance(self.concurrency, int)
            or self.concurrency < 1
        ):
            raise ConfigError(f"concurrency must be an integer >= 1, got {self.concurrency!r}")
        if not isinstance(self.output_dir, (str, os.PathLike)) or not os.fspath(self.output_dir):
            raise ConfigError(f"output_dir must be a non-empty path, got {self.output_dir!r}")
        if not isinstance(self.transport, dict):
            raise ConfigError(f"transport must be a dict of options, got {self.transport!r}")

    @property
    def result_path(self) -> Path:
        """``<output_dir>/evaluate_result.json``."""
        return Path(self.output_dir) / f"{_MODE}_result.json"

    @property
    def evaluate_dir(self) -> Path:
        """``<output_dir>/evaluate``: the table and the confusion matrix."""
        return Path(self.output_dir) / EVALUATE_DIR


@dataclass(frozen=True)
class Prediction:
    """The outcome of one val video.

    Attributes:
        sample: The val.txt line.
        class_ids: The model's best class ids, best first (empty when it failed).
        label_names: The model's names of those classes.
        error: Why it could not be classified, or None.
    """

    sample: Sample
    class_ids: tuple[int, ...] = ()
    label_names: tuple[str, ...] = ()
    error: InvalidInputError | None = None

    def hit(self, k: int) -> bool:
        """Whether the true class is among the k best (False for a failed video)."""
        return self.error is None and self.sample.label in self.class_ids[:k]


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_dataset` found and wrote.

    Attributes:
        result: The content of ``evaluate_result.json``.
        predictions: One per val.txt line, in file order.
        result_path: ``evaluate_result.json``.
        per_class_path: The per-class CSV.
        confusion_matrix_path: The confusion-matrix PNG, or None when not drawn.
    """

    result: dict[str, Any]
    predictions: list[Prediction]
    result_path: Path
    per_class_path: Path
    confusion_matrix_path: Path | None

    @property
    def metrics(self) -> dict[str, float]:
        """PaddleX's ``{"val.top1": ..., "val.top5": ...}``."""
        return self.result["metrics"]

    @property
    def errors(self) -> list[InvalidInputError]:
        """The videos that could not be classified, in val.txt order."""
        return [p.error for p in self.predictions if p.error is not None]


def compute_metrics(predictions: Iterable[Prediction]) -> dict[str, float]:
    """``{"val.top1", "val.top5"}``: the fractions of the classified videos hit at k = 1, 5.

    Raises:
        ValueError: No video was classified.
    """
    classified = [p for p in predictions if p.error is None]
    if not classified:
        raise ValueError("no video was classified")
    return {f"val.top{k}": sum(p.hit(k) for p in classified) / len(classified) for k in TOPK}


def per_class_rows(predictions: Sequence[Prediction], labels: LabelMap) -> list[dict[str, Any]]:
    """The per-class table: one row per class present in val.txt, by id.

    Accuracies are over the class's classified videos ("" when none was).
    """
    rows = []
    for class_id in sorted({p.sample.label for p in predictions}):
        mine = [p for p in predictions if p.sample.label == class_id]
        classified = [p for p in mine if p.error is None]
        row: dict[str, Any] = {
            "class_id": class_id,
            "class_name": labels.name(class_id),
            "videos": len(mine),
            "errors": len(mine) - len(classified),
        }
        for k in TOPK:
            correct = sum(p.hit(k) for p in classified)
            row[f"top{k}_correct"] = correct
            row[f"top{k}_accuracy"] = round(correct / len(classified), 6) if classified else ""
        rows.append(row)
    return rows


def confusion_matrix(
    predictions: Iterable[Prediction],
) -> tuple[list[int], list[int], np.ndarray]:
    """Counts of (true class, top-1 class) over the classified videos.

    Returns:
        The rows (the true classes present, ascending), the columns (the same classes, so
        that the diagonal is the hits, then the other predicted classes, ascending) and the
        ``[rows, columns]`` counts.
    """
    pairs = [(p.sample.label, p.class_ids[0]) for p in predictions if p.error is None]
    rows = sorted({true for true, _ in pairs})
    columns = rows + sorted({predicted for _, predicted in pairs} - set(rows))
    row_index = {c: i for i, c in enumerate(rows)}
    column_index = {c: i for i, c in enumerate(columns)}
    matrix = np.zeros((len(rows), len(columns)), dtype=np.int64)
    for true, predicted in pairs:
        matrix[row_index[true], column_index[predicted]] += 1
    return rows, columns, matrix


def evaluate_dataset(dataset_dir: str | os.PathLike, config: EvaluateConfig) -> Evaluation:
    """Classifies every video of ``val.txt`` through the server and writes the evaluation.

    Args:
        dataset_dir: The dataset folder (as for :func:`~.check.check_dataset`).
        config: Model, server, concurrency and output.

    Returns:
        The result and the files written.

    Raises:
        DatasetError: label.txt or val.txt is wrong, or a class id of val.txt is not one
            of the model's classes.
        InvalidInputError: No val video could be classified (the first one's error).
        ConfigError, ServerUnavailableError, ModelNotFoundError, RequestTimeoutError,
        ServerError: As :func:`~videocls_client.model.create_model` and ``predict``.

    PaddleX's failure record is written to ``evaluate_result.json`` before any of these
    is raised.
    """
    try:
        return _evaluate(dataset_dir, config)
    except VideoclsClientError as exc:
        write_failure(config.output_dir, _MODE, exc)
        raise


def _evaluate(dataset_dir: str | os.PathLike, config: EvaluateConfig) -> Evaluation:
    root = find_dataset_root(dataset_dir)
    labels = read_label_map(root)
    samples = read_samples(root, "val", labels, check_videos=False)
    with create_model(
        config.model_name, url=config.url, concurrency=config.concurrency, **config.transport
    ) as model:
        num_classes = model.info.num_classes
        for sample in samples:
            if sample.label >= num_classes:
                raise DatasetError(
                    f"the class id {sample.label} is not a class of model "
                    f"{config.model_name} (ids 0..{num_classes - 1})",
                    Path(root) / "val.txt",
                    sample.line,
                )
        sources = [VideoSource(os.path.join(root, s.video)) for s in samples]
        outcomes = model.predict_sources(
            sources, topk=min(max(TOPK), num_classes), return_exceptions=True
        )
        predictions = []
        progress = (
            Progress.for_stream(len(samples))
            if config.progress
            else Progress(len(samples), enabled=False)
        )
        try:
            for sample, outcome in zip(samples, outcomes, strict=True):
                if isinstance(outcome, InvalidInputError):
                    prediction = Prediction(sample, error=outcome)
                else:
                    ids = np.asarray(outcome["class_ids"]).reshape(-1)
                    prediction = Prediction(
                        sample,
                        class_ids=tuple(int(i) for i in ids),
                        label_names=tuple(str(n) for n in outcome["label_names"]),
                    )
                predictions.append(prediction)
                progress.update(ok=prediction.error is None)
        finally:
            progress.close()
        model_version = model.info.version

    classified = [p for p in predictions if p.error is None]
    if not classified:
        first = predictions[0].error
        raise type(first)(
            f"none of the {len(predictions)} val videos could be classified; the first: {first}",
            input_path=first.input_path,
        )
    metrics = compute_metrics(predictions)
    config.evaluate_dir.mkdir(parents=True, exist_ok=True)
    per_class_path = config.evaluate_dir / "per_class_accuracy.csv"
    _write_csv(per_class_path, per_class_rows(predictions, labels))
    matrix_path = None
    if config.plots:
        rows, columns, matrix = confusion_matrix(predictions)
        # The dataset's names; the model's for a predicted class label.txt does not list.
        names = {c: n for p in classified for c, n in zip(p.class_ids, p.label_names, strict=True)}
        names.update(labels.names)
        matrix_path = plots.draw_confusion_matrix(
            rows,
            columns,
            names,
            matrix,
            config.evaluate_dir / "confusion_matrix.png",
            title=f"{config.model_name} on {os.path.basename(root)} val: "
            f"{len(classified)} videos, top-1 {metrics['val.top1']:.3f}",
        )
    result: dict[str, Any] = {
        "metrics": metrics,
        "model_name": config.model_name,
        "model_version": model_version,
        "dataset_path": os.path.basename(root),
        "val_samples": len(predictions),
        "evaluated": len(classified),
        "errors": [_error_record(p) for p in predictions if p.error is not None],
        "per_class_accuracy": os.path.join(EVALUATE_DIR, per_class_path.name),
    }
    if matrix_path is not None:
        result["confusion_matrix"] = os.path.join(EVALUATE_DIR, matrix_path.name)
    result_path = write_result(config.output_dir, _MODE, result)
    return Evaluation(
        result={"done_flag": True, **result},
        predictions=predictions,
        result_path=result_path,
        per_class_path=per_class_path,
        confusion_matrix_path=matrix_path,
    )


def _error_record(prediction: Prediction) -> dict[str, Any]:
    error = prediction.error
    return {
        "video": prediction.sample.video,
        "line": prediction.sample.line,
        "label": prediction.sample.label,
        "error": type(error).__name__,
        "message": str(error),
    }


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=PER_CLASS_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
