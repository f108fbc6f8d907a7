"""``check-dataset``: PaddleX 3.7.2's VideoClsDataset check, without PaddleX.

What PaddleX's ``check_dataset`` mode does (``paddlex/modules/base/dataset_checker`` and
``paddlex/modules/video_classification/dataset_checker``), in its order:

1. find the dataset root (the parent of the one ``videos`` folder);
2. re-split train + val when asked (:mod:`.split`);
3. check ``label.txt``, ``train.txt`` and ``val.txt`` and gather the attributes: the label
   file and ten sample videos per split, as paths relative to ``<output>/check_dataset``
   (the samples picked by PaddleX's own seeded shuffle, ``random.seed(123)``), the number of
   classes (largest id + 1) and of videos per split;
4. draw ``<output>/check_dataset/histogram.png`` (videos per class, train and val);
5. write ``<output>/check_dataset_result.json`` with PaddleX's keys, key order and
   formatting; on failure PaddleX's failure record (``done_flag: false``, ``err_type``,
   ``err_msg``) before the error is raised.

Stricter than PaddleX (which lets these through): a class id of a list that ``label.txt``
does not define, an empty list, a listed path that is a folder, a class id listed twice or
negative. The offending file and line are named in the message.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, VideoclsClientError
from . import plots
from .layout import (
    SPLITS,
    LabelMap,
    Sample,
    class_counts,
    find_dataset_root,
    read_label_map,
    read_samples,
)
from .results import write_failure, write_result
from .split import SplitConfig, split_dataset

__all__ = ["CHECK_DIR", "CheckConfig", "check_dataset"]

#: PaddleX's sub-folder of the output for the checker's files.
CHECK_DIR = "check_dataset"
_MODE = "check_dataset"
#: PaddleX's seed of the shuffle that picks the sample paths.
_SAMPLE_SEED = 123


@dataclass(frozen=True)
class CheckConfig:
    """Options of :func:`check_dataset`. Validated at construction.

    Attributes:
        output_dir: PaddleX's ``Global.output``: ``check_dataset_result.json`` goes here,
            the histogram into its ``check_dataset/`` folder.
        sample_num: Sample videos listed per split (PaddleX: 10).
        split: Re-split train + val first (PaddleX's ``CheckDataset.split``), or None.
        histogram: Draw ``histogram.png`` (needs matplotlib). Without it the result has no
            ``analysis.histogram`` (``analysis`` is ``{}``, as PaddleX writes for datasets it
            does not analyse).
    """

    output_dir: str | os.PathLike = "output"
    sample_num: int = 10
    split: SplitConfig | None = None
    histogram: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.output_dir, (str, os.PathLike)) or not os.fspath(self.output_dir):
            raise ConfigError(f"output_dir must be a non-empty path, got {self.output_dir!r}")
        if (
            isinstance(self.sample_num, bool)
            or not isinstance(self.sample_num, int)
            or self.sample_num < 0
        ):
            raise ConfigError(f"sample_num must be an integer >= 0, got {self.sample_num!r}")
        if self.split is not None and not isinstance(self.split, SplitConfig):
            raise ConfigError(f"split must be a SplitConfig or None, got {self.split!r}")

    @property
    def check_dir(self) -> Path:
        """``<output_dir>/check_dataset``: where the histogram goes."""
        return Path(self.output_dir) / CHECK_DIR

    @property
    def result_path(self) -> Path:
        """``<output_dir>/check_dataset_result.json``."""
        return Path(self.output_dir) / f"{_MODE}_result.json"


def check_dataset(
    dataset_dir: str | os.PathLike, config: CheckConfig | None = None
) -> dict[str, Any]:
    """Checks a PaddleX VideoClsDataset and writes PaddleX's result files.

    Args:
        dataset_dir: The dataset folder (its root, or a folder above the root holding one
            ``videos`` folder, as PaddleX accepts).
        config: Options; the defaults are PaddleX's.

    Returns:
        What was written to ``check_dataset_result.json``::

            {"done_flag": True, "check_pass": True,
             "attributes": {"label_file", "num_classes", "train_samples",
                            "train_sample_paths", "val_samples", "val_sample_paths"},
             "analysis": {"histogram": "check_dataset/histogram.png"},
             "dataset_path": <root folder name>, "show_type": "video",
             "dataset_type": "VideoClsDataset"}

    Raises:
        DatasetError: The dataset breaks the layout (file and line named); the failure
            record is written first.
        ConfigError: A split that cannot be made.
        VisualizationError: matplotlib is missing (install ``videocls[client]``).
    """
    config = config or CheckConfig()
    try:
        return _check(dataset_dir, config)
    except VideoclsClientError as exc:
        write_failure(config.output_dir, _MODE, exc)
        raise


def _check(dataset_dir: str | os.PathLike, config: CheckConfig) -> dict[str, Any]:
    root = find_dataset_root(dataset_dir)
    config.check_dir.mkdir(parents=True, exist_ok=True)
    if config.split is not None:
        split_dataset(root, config.split)
    labels = read_label_map(root)
    samples = {split: read_samples(root, split, labels) for split in SPLITS}
    attributes = _attributes(root, labels, samples, config)
    analysis: dict[str, str] = {}
    if config.histogram:
        plots.draw_histogram(
            labels,
            class_counts(samples["train"]),
            class_counts(samples["val"]),
            config.check_dir / "histogram.png",
            title=os.path.basename(root),
        )
        analysis["histogram"] = os.path.join(CHECK_DIR, "histogram.png")
    result = {
        "check_pass": True,
        "attributes": attributes,
        "analysis": analysis,
        "dataset_path": os.path.basename(root),
        "show_type": "video",
        "dataset_type": "VideoClsDataset",
    }
    write_result(config.output_dir, _MODE, result)
    return {"done_flag": True, **result}


def _attributes(
    root: str, labels: LabelMap, samples: dict[str, list[Sample]], config: CheckConfig
) -> dict[str, Any]:
    """PaddleX's ``check()`` attributes, paths relative to ``<output>/check_dataset``."""
    absolute_root = os.path.abspath(root)
    check_dir = os.fspath(config.check_dir)
    attributes: dict[str, Any] = {
        "label_file": os.path.relpath(os.path.join(absolute_root, "label.txt"), check_dir),
        "num_classes": labels.num_classes,
    }
    for split in SPLITS:
        shuffled = list(samples[split])
        random.Random(_SAMPLE_SEED).shuffle(shuffled)  # PaddleX: random.seed(123); shuffle
        attributes[f"{split}_samples"] = len(shuffled)
        attributes[f"{split}_sample_paths"] = [
            os.path.join(
                CHECK_DIR, os.path.relpath(os.path.join(absolute_root, s.video), check_dir)
            )
            for s in shuffled[: config.sample_num]
        ]
    return attributes
