"""``check-dataset`` against PaddleX 3.7.2's own VideoClsDataset checker, no server.

The videos here are empty files: neither checker opens them. The whole-dataset comparison on
real generated clips and 400 classes is tests/integration/test_dataset_check_e2e.py.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from datasets import paddlex_check
from videocls_client.cli import main
from videocls_client.dataset import CheckConfig, DatasetError, check_dataset
from videocls_client.dataset.layout import find_dataset_root, read_label_map, read_samples
from videocls_client.dataset.plots import histogram_order
from videocls_client.errors import ConfigError

NAMES = ["abseiling", "air drumming", "archery", "baking cookies", "zumba", "yoga", "x"]


def make_dataset(root: Path, *, classes: int = 7, train: int = 40, val: int = 15) -> Path:
    """A VideoClsDataset with empty video files, classes unevenly represented."""
    rng = random.Random(7)
    (root / "videos" / "sub").mkdir(parents=True)
    (root / "label.txt").write_text("".join(f"{i} {NAMES[i]}\n" for i in range(classes)))
    for split, count in (("train", train), ("val", val)):
        lines = []
        for i in range(count):
            video = f"videos/{'sub/' if i % 3 == 0 else ''}{split}_{i:03d}.mp4"
            (root / video).touch()
            lines.append(f"{video} {min(classes - 1, int(rng.expovariate(0.6)))}\n")
        (root / f"{split}.txt").write_text("".join(lines))
    return root


@pytest.fixture
def pdx_font(monkeypatch):
    """PaddleX's histogram font pointed at a local file (PaddleX downloads it otherwise)."""
    from paddlex.utils import fonts
    from videocls_client.visualize import font_path

    monkeypatch.setattr(fonts.PINGFANG_FONT, "_local_path", str(font_path()))


def test_result_json_is_byte_for_byte_paddlex(tmp_path, pdx_font, monkeypatch):
    """Same file, relative paths and the samples of PaddleX's seeded shuffle included."""
    dataset = make_dataset(tmp_path / "ds")
    monkeypatch.chdir(tmp_path)  # relative dataset and output paths, as users type them
    theirs, bars = paddlex_check("ds", "out_pdx")
    ours = check_dataset("ds", CheckConfig(output_dir="out"))
    assert theirs["check_pass"] is True
    assert ours == theirs
    assert (tmp_path / "out/check_dataset_result.json").read_bytes() == (
        tmp_path / "out_pdx/check_dataset_result.json"
    ).read_bytes().replace(b"out_pdx", b"out")  # no path names the output folder
    assert (tmp_path / "out/check_dataset/histogram.png").stat().st_size > 0

    # The histogram's bars: PaddleX's classes, order and counts (not its layout).
    labels = read_label_map(dataset)
    counts = {
        split: [s.label for s in read_samples(dataset, split, labels)] for split in ("train", "val")
    }
    order = [NAMES.index(name) for name in bars["classes"]]
    assert bars["train"] == [counts["train"].count(i) for i in order]
    assert bars["val"] == [counts["val"].count(i) for i in order]
    assert histogram_order(labels, Counter(counts["train"]), Counter(counts["val"])) == order


def test_dataset_found_below_the_given_folder(tmp_path, pdx_font):
    make_dataset(tmp_path / "outer" / "k400_examples")
    theirs, _ = paddlex_check(tmp_path / "outer", tmp_path / "out_pdx")
    ours = check_dataset(tmp_path / "outer", CheckConfig(output_dir=tmp_path / "out_pdx2"))
    assert ours["dataset_path"] == theirs["dataset_path"] == "k400_examples"
    assert ours["attributes"]["num_classes"] == theirs["attributes"]["num_classes"] == 7


def test_sample_num(tmp_path):
    make_dataset(tmp_path / "ds", train=5, val=3)
    result = check_dataset(tmp_path / "ds", CheckConfig(output_dir=tmp_path / "o", sample_num=4))
    attrs = result["attributes"]
    assert len(attrs["train_sample_paths"]) == 4 and len(attrs["val_sample_paths"]) == 3
    assert all(p.startswith("check_dataset/") for p in attrs["train_sample_paths"])


def _line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[number - 1] = text
    path.write_text("".join(lines))


# (how to break the dataset, where the message points, what it says); PaddleX fails on all
# of them but those marked stricter.
BROKEN = {
    "no label.txt": (lambda r: (r / "label.txt").unlink(), "label.txt", "does not exist"),
    "label id not int": (
        lambda r: _line(r / "label.txt", 3, "two archery\n"),
        "label.txt:3",
        "the id 'two' is not an integer",
    ),
    "label without name": (
        lambda r: _line(r / "label.txt", 2, "1\n"),
        "label.txt:2",
        "class 1 has no name",
    ),
    "ids not from 0": (
        lambda r: (r / "label.txt").write_text("1 a\n2 b\n"),
        "label.txt",
        "must start from 0, the smallest is 1",
    ),
    "empty label.txt": (
        lambda r: (r / "label.txt").write_text(""),
        "label.txt",
        "lists no class",
    ),
    "id twice (stricter)": (
        lambda r: _line(r / "label.txt", 4, "1 again\n"),
        "label.txt:4",
        "the class id 1 is listed twice",
    ),
    "no val.txt": (lambda r: (r / "val.txt").unlink(), "val.txt", "does not exist"),
    "three fields": (
        lambda r: _line(r / "train.txt", 5, "videos/a b.mp4 1\n"),
        "train.txt:5",
        "got 3 space-separated fields",
    ),
    "blank line": (lambda r: _line(r / "val.txt", 2, "\n"), "val.txt:2", "got 1 space-separated"),
    "class id not int": (
        lambda r: _line(r / "train.txt", 7, "videos/train_006.mp4 one\n"),
        "train.txt:7",
        "the class id 'one' is not an integer",
    ),
    # PaddleX's check lets it through, then its histogram crashes (a numpy shape mismatch)
    "class id not in label.txt": (
        lambda r: _line(r / "val.txt", 5, "videos/val_004.mp4 7\n"),
        "val.txt:5",
        "the class id 7 is not in label.txt (ids 0..6)",
    ),
    "missing video": (
        lambda r: (r / "videos" / "train_010.mp4").unlink(),
        "train.txt:11",
        "videos/train_010.mp4 does not exist",
    ),
    "video is a folder (stricter)": (
        lambda r: _line(r / "val.txt", 1, "videos/sub 1\n"),
        "val.txt:1",
        "videos/sub is not a file",
    ),
    "empty val.txt (stricter)": (
        lambda r: (r / "val.txt").write_text(""),
        "val.txt",
        "lists no video",
    ),
    "no videos folder": (
        lambda r: (r / "videos").rename(r / "clips"),
        "",
        "holds no folder named 'videos'",
    ),
    "two videos folders": (
        lambda r: (r / "videos" / "sub" / "videos").mkdir(),
        "",
        "holds 2 entries named 'videos'",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_datasets_name_file_and_line(case, tmp_path, capsys, pdx_font):
    root = make_dataset(tmp_path / "ds")
    breaker, where, message = BROKEN[case]
    breaker(root)
    code = main(["check-dataset", str(root), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 10 and len(err) == 1, err
    where = f"{root}/{where}" if where else f"{root}:"
    assert err[0].startswith(f"videocls-client: error: {where}"), err[0]
    assert message in err[0]
    # PaddleX's failure record, written as PaddleX writes it
    record = json.loads((tmp_path / "out" / "check_dataset_result.json").read_text())
    assert record == {
        "done_flag": False,
        "err_type": "<class 'videocls_client.dataset.layout.DatasetError'>",
        "err_msg": err[0].removeprefix("videocls-client: error: "),
    }
    theirs, _ = paddlex_check(root, tmp_path / "out_pdx")
    if "stricter" in case:
        assert theirs["done_flag"] is True  # PaddleX lets it through
    else:
        assert set(theirs) == set(record) and theirs["done_flag"] is False, theirs


def test_cli_prints_summary(tmp_path, capsys):
    make_dataset(tmp_path / "ds")
    code = main(["check-dataset", str(tmp_path / "ds"), "--output", str(tmp_path / "o")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "check passed: ds: 7 classes, 40 train and 15 val videos",
        f"wrote {tmp_path}/o/check_dataset_result.json",
        f"wrote {tmp_path}/o/check_dataset/histogram.png",
    ]


def test_config_validation():
    with pytest.raises(ConfigError, match="sample_num"):
        CheckConfig(sample_num=-1)
    with pytest.raises(ConfigError, match="output_dir"):
        CheckConfig(output_dir="")
    with pytest.raises(ConfigError, match="SplitConfig"):
        CheckConfig(split=(80, 20))


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(DatasetError, match="the dataset folder does not exist"):
        find_dataset_root(tmp_path / "nope")
