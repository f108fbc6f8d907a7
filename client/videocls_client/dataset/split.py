"""Re-splitting train + val, per class and reproducibly (PaddleX's ``CheckDataset.split``).

PaddleX 3.7.2 (``video_classification/dataset_checker/dataset_src/split_dataset.py``) pools the
lines of ``train.txt`` and ``val.txt``, renames the two files to ``train.txt.bak`` and
``val.txt.bak`` unless a ``.bak`` already exists (so the first originals are kept through
later splits), shuffles the pool with the unseeded global ``random`` and writes the first
``round(n * train_percent / 100)`` lines to ``train.txt``, the rest to ``val.txt``.

Here the same files are read and written, with the same ``.bak`` rule, but:

* the split is per class (stratified): each class's videos are shuffled on their own and
  ``round(n_c * train_percent / 100)`` of them go to train, so each split keeps the class
  proportions; a class with at least two videos keeps at least one in each split;
* the shuffle is seeded (:attr:`SplitConfig.seed`), so a split can be made again;
* lines keep the order they had in train.txt then val.txt, and their text;
* one of the two lists may be missing (PaddleX too), and
* every line is checked first (file and line named), and nothing is renamed or written
  when one is wrong.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .layout import SPLITS, DatasetError, Sample, read_label_map, read_samples

__all__ = ["SplitConfig", "SplitSummary", "split_dataset"]


@dataclass(frozen=True)
class SplitConfig:
    """How to re-split. Validated at construction.

    Attributes:
        train_percent: Percentage of each class's videos for ``train.txt`` (1..99).
        val_percent: Percentage for ``val.txt`` (1..99); the two must sum to 100.
        seed: Seed of the shuffle (None: a different split each time, as PaddleX).
    """

    train_percent: int
    val_percent: int
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("train_percent", "val_percent"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
            if not 0 < value < 100:
                raise ConfigError(f"{name} must be between 1 and 99, got {value}")
        total = self.train_percent + self.val_percent
        if total != 100:
            raise ConfigError(
                f"train percent {self.train_percent} + val percent {self.val_percent} = "
                f"{total}, must sum to 100"
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ConfigError(f"seed must be an integer or None, got {self.seed!r}")


@dataclass(frozen=True)
class SplitSummary:
    """What :func:`split_dataset` wrote.

    Attributes:
        train: Videos now in ``train.txt``.
        val: Videos now in ``val.txt``.
        backups: The ``.bak`` files made by this call (empty when they existed already).
    """

    train: int
    val: int
    backups: tuple[Path, ...]


def _train_count(n: int, percent: int) -> int:
    count = round(n * percent / 100)
    if n >= 2:
        count = min(max(count, 1), n - 1)
    return count


def split_dataset(root: str | os.PathLike, config: SplitConfig) -> SplitSummary:
    """Re-splits ``train.txt`` + ``val.txt`` of the dataset at *root*.

    Args:
        root: The dataset root (holding label.txt, train.txt, val.txt).
        config: Percentages and seed.

    Returns:
        The new sizes and the backups made.

    Raises:
        DatasetError: A list line is wrong, or there is nothing to split.
    """
    root = Path(root)
    labels = read_label_map(root)
    present = [split for split in SPLITS if (root / f"{split}.txt").exists()]
    if not present:
        raise DatasetError("has neither train.txt nor val.txt: nothing to split", root)
    pool: list[Sample] = []
    for split in present:
        pool += read_samples(root, split, labels, check_videos=False, allow_empty=True)
    if not pool:
        raise DatasetError("train.txt and val.txt list no video: nothing to split", root)

    rng = random.Random(config.seed)
    by_class: dict[int, list[int]] = {}
    for index, sample in enumerate(pool):
        by_class.setdefault(sample.label, []).append(index)
    in_train: set[int] = set()
    for label in sorted(by_class):
        indices = by_class[label]
        rng.shuffle(indices)
        in_train.update(indices[: _train_count(len(indices), config.train_percent)])

    lines = {
        "train": [s.text for i, s in enumerate(pool) if i in in_train],
        "val": [s.text for i, s in enumerate(pool) if i not in in_train],
    }
    backups = []
    for split in SPLITS:
        path = root / f"{split}.txt"
        backup = root / f"{split}.txt.bak"
        if path.exists() and not backup.exists():
            os.rename(path, backup)
            backups.append(backup)
    for split in SPLITS:
        path = root / f"{split}.txt"
        tmp = root / f".{split}.txt.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(text if text.endswith("\n") else text + "\n" for text in lines[split])
        os.replace(tmp, path)
    return SplitSummary(train=len(lines["train"]), val=len(lines["val"]), backups=tuple(backups))
