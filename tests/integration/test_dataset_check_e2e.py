"""``check-dataset`` against PaddleX 3.7.2's own checker on the generated 400-class dataset."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from datasets import paddlex_check
from PIL import Image
from videocls_client.cli import main

pytestmark = pytest.mark.slow


def test_check_is_paddlex_byte_for_byte(synthetic_dataset, paddlex_font, tmp_path, capsys):
    """Same check_dataset_result.json (the output folders are siblings, so that even the
    relative paths agree); the same bars in the histogram, drawn differently."""
    root = synthetic_dataset.root
    theirs, bars = paddlex_check(root, tmp_path / "paddlex")
    code = main(["check-dataset", str(root), "--output", str(tmp_path / "ours")])
    assert code == 0, capsys.readouterr().err
    ours_json = (tmp_path / "ours" / "check_dataset_result.json").read_bytes()
    assert ours_json == (tmp_path / "paddlex" / "check_dataset_result.json").read_bytes()
    ours = json.loads(ours_json)
    assert ours == theirs
    assert ours["attributes"]["num_classes"] == 400
    assert (ours["attributes"]["train_samples"], ours["attributes"]["val_samples"]) == (15, 15)

    # PaddleX's bars: all 400 classes, the 5 labelled kinds first, each with 3 + 3 videos
    train = Counter(synthetic_dataset.kind_labels[c.kind] for c in synthetic_dataset.train)
    val = Counter(synthetic_dataset.kind_labels[c.kind] for c in synthetic_dataset.val)
    names = (root / "label.txt").read_text().splitlines()
    by_name = {line.split(" ", 1)[1]: int(line.split(" ", 1)[0]) for line in names}
    order = [by_name[name] for name in bars["classes"]]
    assert len(order) == 400
    assert bars["train"] == [train[i] for i in order]
    assert bars["val"] == [val[i] for i in order]
    assert set(order[:5]) == set(synthetic_dataset.kind_labels.values())

    # Ours: one readable row per class (PaddleX's is 24000 x 1500 pixels, names rotated)
    with Image.open(tmp_path / "ours" / "check_dataset" / "histogram.png") as image:
        width, height = image.size
    assert width <= 1000 and height >= 400 * 20
