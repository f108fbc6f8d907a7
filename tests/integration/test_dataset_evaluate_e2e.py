"""``evaluate`` through the real tritonserver, against PaddleX's own in-process predictions.

PaddleX evaluates with PaddleVideo's training code (not installed): its ``val.top1`` /
``val.top5`` are the fractions of val videos whose class is the model's best / among its
five best. The reference figures here are computed that way from
``paddlex.create_model(name, model_dir=...).predict(video, topk=5)`` on the same generated
model and dataset (``synthetic_dataset``: labels taken from the model's behaviour, so the
figures are neither 0 nor 1).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict

import numpy as np
import pytest
from videocls_client.cli import main

pytestmark = pytest.mark.slow

DATASET_MODEL = "PP-TSMv2-LCNetV2_8frames_uniform"  # as tests/integration/conftest.py


def reference(paddlex_reference, root, val_lines):
    """PaddleX's figures over *val_lines* ("path label"), overall and per class."""
    hits = defaultdict(lambda: [0, 0, 0])  # class -> [videos, top-1 hits, top-5 hits]
    for line in val_lines:
        video, label = line.split(" ")
        (result,) = paddlex_reference(DATASET_MODEL, str(root / video), topk=5)
        ids = np.asarray(result["class_ids"]).reshape(-1).tolist()
        row = hits[int(label)]
        row[0] += 1
        row[1] += int(label) == ids[0]
        row[2] += int(label) in ids[:5]
    n = sum(r[0] for r in hits.values())
    metrics = {
        "val.top1": sum(r[1] for r in hits.values()) / n,
        "val.top5": sum(r[2] for r in hits.values()) / n,
    }
    return metrics, dict(hits)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_equals_paddlex(triton, synthetic_dataset, paddlex_reference, tmp_path, capsys):
    root = synthetic_dataset.root
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys, "evaluate", root, "--model", DATASET_MODEL, "--url", triton.grpc_url,
        "--concurrency", 4, "--output", out_dir,
    )  # fmt: skip
    assert (code, err) == (0, "")
    result = json.loads((out_dir / "evaluate_result.json").read_text())
    expected, per_class = reference(
        paddlex_reference, root, (root / "val.txt").read_text().splitlines()
    )
    assert result["metrics"] == expected
    top1, top5 = expected["val.top1"], expected["val.top5"]
    assert 0 < top1 < 1 and top5 >= top1, expected  # a dataset the model half separates
    assert result["done_flag"] is True and result["errors"] == []
    assert (result["val_samples"], result["evaluated"]) == (15, 15)
    assert out.splitlines()[0] == (
        f"val.top1 {top1:.4f}  val.top5 {top5:.4f}  (15 of 15 val videos classified)"
    )

    with open(out_dir / "evaluate" / "per_class_accuracy.csv", newline="") as f:
        table = {int(r["class_id"]): r for r in csv.DictReader(f)}
    assert set(table) == set(synthetic_dataset.kind_labels.values()) == set(per_class)
    for class_id, (videos, hits1, hits5) in per_class.items():
        row = table[class_id]
        assert (int(row["videos"]), int(row["top1_correct"]), int(row["top5_correct"])) == (
            videos, hits1, hits5,
        )  # fmt: skip
    assert (out_dir / "evaluate" / "confusion_matrix.png").stat().st_size > 0


def test_undecodable_and_missing_videos_are_errors(
    triton, synthetic_dataset, paddlex_reference, tmp_path, capsys
):
    root = tmp_path / "synthetic_k400"
    shutil.copytree(synthetic_dataset.root, root)
    good = (root / "val.txt").read_text().splitlines()
    label = good[0].split(" ")[1]
    (root / "videos" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"junk" * 200)
    with open(root / "val.txt", "a") as f:
        f.write(f"videos/broken.mp4 {label}\nvideos/gone.mp4 {label}\n")

    code, _, err = run(
        capsys, "evaluate", root, "--model", DATASET_MODEL, "--url", triton.grpc_url,
        "--output", tmp_path / "out",
    )  # fmt: skip
    assert code == 6  # the first failure: the server refused broken.mp4 (InvalidVideoError)
    result = json.loads((tmp_path / "out" / "evaluate_result.json").read_text())
    assert [(e["video"], e["line"], e["error"]) for e in result["errors"]] == [
        ("videos/broken.mp4", 16, "InvalidVideoError"),
        ("videos/gone.mp4", 17, "InputNotFoundError"),
    ]
    assert (result["val_samples"], result["evaluated"]) == (17, 15)
    expected, _ = reference(paddlex_reference, synthetic_dataset.root, good)
    assert result["metrics"] == expected  # over the videos that could be classified
    lines = err.splitlines()
    assert len(lines) == 3 and "broken.mp4" in lines[0] and "gone.mp4" in lines[1]
    assert lines[2] == "videocls-client: error: 2 of 17 val videos could not be classified"
    assert "\r" not in err  # no progress bar: stderr is not a terminal
