"""``check-dataset --split``: per-class, seeded re-splits with PaddleX's ``.bak`` rule."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from test_dataset_check import make_dataset
from videocls_client.cli import main
from videocls_client.dataset import DatasetError, SplitConfig, split_dataset
from videocls_client.errors import ConfigError


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def labels_of(path: Path) -> Counter:
    return Counter(int(line.split()[1]) for line in lines(path))


@pytest.fixture
def dataset(tmp_path) -> Path:
    return make_dataset(tmp_path / "ds", train=60, val=20)


def test_split_is_per_class_and_keeps_every_line(dataset):
    before = lines(dataset / "train.txt") + lines(dataset / "val.txt")
    per_class = labels_of(dataset / "train.txt") + labels_of(dataset / "val.txt")
    summary = split_dataset(dataset, SplitConfig(70, 30, seed=3))
    train, val = lines(dataset / "train.txt"), lines(dataset / "val.txt")
    assert (summary.train, summary.val) == (len(train), len(val))
    assert sorted(train + val) == sorted(before)  # the same lines, text unchanged
    # each line keeps its place in train.txt + val.txt order
    assert train == [line for line in before if line in set(train)]
    train_counts = labels_of(dataset / "train.txt")
    for label, n in per_class.items():
        expected = min(max(round(n * 0.7), 1), n - 1) if n >= 2 else round(n * 0.7)
        assert train_counts[label] == expected, (label, n)
    assert {p.name for p in summary.backups} == {"train.txt.bak", "val.txt.bak"}
    assert lines(dataset / "train.txt.bak") + lines(dataset / "val.txt.bak") == before


def test_seed_reproduces_and_bak_keeps_the_first_originals(dataset, tmp_path):
    originals = lines(dataset / "train.txt"), lines(dataset / "val.txt")
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    split_dataset(dataset, SplitConfig(80, 20, seed=11))
    split_dataset(copy, SplitConfig(80, 20, seed=11))
    assert lines(dataset / "train.txt") == lines(copy / "train.txt")
    first = lines(dataset / "train.txt")

    summary = split_dataset(dataset, SplitConfig(80, 20, seed=12))
    assert summary.backups == ()  # the .bak files exist: kept as they were
    assert (lines(dataset / "train.txt.bak"), lines(dataset / "val.txt.bak")) == originals
    assert lines(dataset / "train.txt") != first  # another seed, another split


def test_like_paddlex_split(dataset, tmp_path):
    """PaddleX's own split_dataset on a copy: same files, same .bak, same pool of lines."""
    from paddlex.modules.video_classification.dataset_checker.dataset_src import (
        split_dataset as paddlex_split,
    )

    copy = tmp_path / "paddlex"
    shutil.copytree(dataset, copy)
    paddlex_split(str(copy), 80, 20)
    split_dataset(dataset, SplitConfig(80, 20, seed=0))
    for name in ("train.txt.bak", "val.txt.bak"):
        assert (dataset / name).read_bytes() == (copy / name).read_bytes()
    ours = lines(dataset / "train.txt") + lines(dataset / "val.txt")
    theirs = lines(copy / "train.txt") + lines(copy / "val.txt")
    assert sorted(ours) == sorted(theirs)
    # PaddleX takes round(80 % of 80) = 64 lines, whatever their classes; the per-class
    # rounding here gives a train split within one video per class of that.
    assert len(lines(copy / "train.txt")) == 64
    assert abs(len(lines(dataset / "train.txt")) - 64) <= len(labels_of(dataset / "val.txt.bak"))


def test_split_with_one_list_and_a_last_line_without_newline(dataset):
    (dataset / "val.txt").unlink()
    (dataset / "train.txt").write_text((dataset / "train.txt").read_text().rstrip("\n"))
    summary = split_dataset(dataset, SplitConfig(50, 50, seed=1))
    assert summary.train + summary.val == 60
    assert [p.name for p in summary.backups] == ["train.txt.bak"]
    assert all(line.endswith("\n") for line in lines(dataset / "val.txt"))


def test_bad_line_changes_nothing(dataset):
    (dataset / "val.txt").write_text("videos/x.mp4 not-a-number\n")
    with pytest.raises(DatasetError, match=r"val.txt:1: the class id 'not-a-number'"):
        split_dataset(dataset, SplitConfig(80, 20))
    assert not (dataset / "train.txt.bak").exists()


def test_cli_split_then_check(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["check-dataset", str(dataset), "--output", str(out), "--split"]
    code = main([*argv, "--train-percent", "75", "--val-percent", "25", "--seed", "5"])
    assert code == 0, capsys.readouterr().err
    result = json.loads((out / "check_dataset_result.json").read_text())
    assert result["attributes"]["train_samples"] == len(lines(dataset / "train.txt"))
    assert result["attributes"]["train_samples"] + result["attributes"]["val_samples"] == 80
    assert (dataset / "train.txt.bak").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--split", "--train-percent", "70", "--val-percent", "20"], "= 90, must sum to 100"),
        (["--split", "--train-percent", "100", "--val-percent", "0"], "between 1 and 99"),
        (["--split", "--train-percent", "80"], "--split needs --train-percent and --val-percent"),
        (["--train-percent", "80", "--val-percent", "20"], "need --split"),
    ],
)
def test_cli_refuses_bad_percentages_in_one_line(options, message, dataset, tmp_path, capsys):
    code = main(["check-dataset", str(dataset), "--output", str(tmp_path / "o"), *options])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (dataset / "train.txt.bak").exists()


def test_split_config_validation():
    with pytest.raises(ConfigError, match="must sum to 100"):
        SplitConfig(60, 30)
    with pytest.raises(ConfigError, match="integer"):
        SplitConfig(80.0, 20)
    with pytest.raises(ConfigError, match="seed"):
        SplitConfig(80, 20, seed="x")
