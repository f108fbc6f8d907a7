"""Dataset tools for PaddleX's VideoClsDataset layout: check, re-split, evaluate.

The counterparts of PaddleX 3.7.2's ``check_dataset`` and ``evaluate`` modes for video
classification, run against a served model instead of PaddleVideo's training code:

* :func:`check_dataset` checks ``label.txt``, ``train.txt``, ``val.txt`` and the videos, and
  writes PaddleX's ``check_dataset_result.json`` and a per-class histogram;
* :func:`split_dataset` re-splits train + val per class, reproducibly with a seed, keeping the
  originals as ``.bak`` files as PaddleX does;
* :func:`evaluate_dataset` classifies ``val.txt`` through the server and writes PaddleX's
  ``evaluate_result.json`` (``val.top1``, ``val.top5``), a per-class table and a confusion
  matrix.

matplotlib draws the PNGs (imported only then).

Example:
    >>> from videocls_client.dataset import CheckConfig, EvaluateConfig, check_dataset
    >>> result = check_dataset("data/k400_examples", CheckConfig(output_dir="output"))
    ... # doctest: +SKIP
    >>> evaluation = evaluate_dataset(  # doctest: +SKIP
    ...     "data/k400_examples",
    ...     EvaluateConfig("PP-TSMv2-LCNetV2_8frames_uniform", url="localhost:8001"),
    ... )
    >>> evaluation.metrics  # doctest: +SKIP
    {'val.top1': 0.4, 'val.top5': 0.6}
"""

from __future__ import annotations

from .check import CheckConfig, check_dataset
from .evaluate import EvaluateConfig, Evaluation, Prediction, compute_metrics, evaluate_dataset
from .layout import DatasetError, LabelMap, Sample, find_dataset_root, read_label_map, read_samples
from .split import SplitConfig, SplitSummary, split_dataset

__all__ = [
    "CheckConfig",
    "DatasetError",
    "EvaluateConfig",
    "Evaluation",
    "LabelMap",
    "Prediction",
    "Sample",
    "SplitConfig",
    "SplitSummary",
    "check_dataset",
    "compute_metrics",
    "evaluate_dataset",
    "find_dataset_root",
    "read_label_map",
    "read_samples",
    "split_dataset",
]
