"""``evaluate`` without a server: the metrics, the files and the error handling.

A fake model stands in for :func:`videocls_client.create_model`; the real server and
PaddleX's own figures are tests/integration/test_dataset_evaluate_e2e.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from test_dataset_check import make_dataset
from videocls_client.cli import main
from videocls_client.dataset import DatasetError, EvaluateConfig, evaluate_dataset
from videocls_client.dataset import evaluate as evaluate_module
from videocls_client.dataset.evaluate import (
    Prediction,
    compute_metrics,
    confusion_matrix,
    per_class_rows,
)
from videocls_client.dataset.layout import LabelMap, Sample
from videocls_client.errors import (
    ConfigError,
    InputNotFoundError,
    InvalidVideoError,
    ServerUnavailableError,
)
from videocls_client.model import ModelInfo


def sample(label: int, line: int = 1) -> Sample:
    return Sample(video=f"videos/{line}.mp4", label=label, line=line, text="")


def test_metrics_per_class_and_confusion():
    predictions = [
        Prediction(sample(0, 1), (0, 3, 4, 5, 6)),  # top-1 hit
        Prediction(sample(0, 2), (3, 0, 4, 5, 6)),  # top-5 hit
        Prediction(sample(1, 3), (3, 4, 5, 6, 7)),  # miss
        Prediction(sample(1, 4), (2, 4, 5, 6, 1)),  # top-5 hit at rank 5
        Prediction(sample(1, 5), error=InvalidVideoError("broken")),  # not counted
    ]
    assert compute_metrics(predictions) == {"val.top1": 0.25, "val.top5": 0.75}
    labels = LabelMap(Path("label.txt"), {0: "a", 1: "b", 2: "c"})
    assert per_class_rows(predictions, labels) == [
        {"class_id": 0, "class_name": "a", "videos": 2, "errors": 0, "top1_correct": 1,
         "top1_accuracy": 0.5, "top5_correct": 2, "top5_accuracy": 1.0},
        {"class_id": 1, "class_name": "b", "videos": 3, "errors": 1, "top1_correct": 0,
         "top1_accuracy": 0.0, "top5_correct": 1, "top5_accuracy": 0.5},
    ]  # fmt: skip
    rows, columns, matrix = confusion_matrix(predictions)
    assert rows == [0, 1] and columns == [0, 1, 2, 3]
    assert matrix.tolist() == [[1, 0, 0, 1], [0, 0, 1, 1]]
    with pytest.raises(ValueError, match="no video was classified"):
        compute_metrics(predictions[-1:])


class FakeModel:
    """``create_model``'s model: answers from a table {video file name: class ids}."""

    def __init__(self, answers: dict[str, list[int] | Exception], num_classes: int = 7):
        self.answers = answers
        self.info = ModelInfo("fake", "3", 8, num_classes, 1, 1 << 20, 4096)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, name, url, concurrency, **options):
        self.created = {"name": name, "url": url, "concurrency": concurrency, **options}
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def predict_sources(self, sources, topk=None, return_exceptions=False):
        for source in sources:
            name = Path(source.input_path).name
            self.calls.append((source.input_path, topk))
            answer = self.answers.get(name, [0, 1, 2, 3, 4])
            if isinstance(answer, Exception):
                yield answer
            else:
                yield {
                    "class_ids": np.asarray([answer], dtype=np.int32),
                    "label_names": [f"m{i}" for i in answer],
                }


@pytest.fixture
def dataset(tmp_path) -> Path:
    root = make_dataset(tmp_path / "ds", train=4, val=6)
    (root / "val.txt").write_text(
        "videos/val_001.mp4 0\n"
        "videos/val_002.mp4 1\n"
        "videos/broken.mp4 1\n"
        "videos/val_004.mp4 2\n"
        "videos/missing.mp4 2\n"
        "videos/val_005.mp4 2\n"
    )
    return root


def test_evaluate_writes_paddlex_keys_table_and_matrix(dataset, tmp_path, monkeypatch):
    fake = FakeModel(
        {
            "val_001.mp4": [0, 1, 2, 3, 4],
            "val_002.mp4": [6, 5, 4, 3, 1],
            "broken.mp4": InvalidVideoError("videos/broken.mp4: cannot decode"),
            "val_004.mp4": [5, 2, 0, 1, 3],
            "missing.mp4": InputNotFoundError("videos/missing.mp4: no such file"),
            "val_005.mp4": [2, 0, 1, 3, 4],
        }
    )
    monkeypatch.setattr(evaluate_module, "create_model", fake)
    config = EvaluateConfig("fake", url="h:1", concurrency=3, output_dir=tmp_path / "out",
                            transport={"retries": 0})  # fmt: skip
    evaluation = evaluate_dataset(dataset, config)

    assert fake.created == {"name": "fake", "url": "h:1", "concurrency": 3, "retries": 0}
    assert {topk for _, topk in fake.calls} == {5}
    assert [Path(p).name for p, _ in fake.calls][:2] == ["val_001.mp4", "val_002.mp4"]
    written = json.loads(evaluation.result_path.read_text())
    assert written == evaluation.result
    assert list(written)[:2] == ["done_flag", "metrics"]
    assert written["done_flag"] is True
    assert written["metrics"] == {"val.top1": 0.5, "val.top5": 1.0}  # 4 classified
    assert written["val_samples"] == 6 and written["evaluated"] == 4
    assert [(e["video"], e["line"], e["label"], e["error"]) for e in written["errors"]] == [
        ("videos/broken.mp4", 3, 1, "InvalidVideoError"),
        ("videos/missing.mp4", 5, 2, "InputNotFoundError"),
    ]
    assert written["per_class_accuracy"] == "evaluate/per_class_accuracy.csv"
    assert written["confusion_matrix"] == "evaluate/confusion_matrix.png"
    with open(tmp_path / "out" / written["per_class_accuracy"], newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["class_id"], r["videos"], r["errors"], r["top1_correct"]) for r in table] == [
        ("0", "1", "0", "1"),
        ("1", "2", "1", "0"),
        ("2", "3", "1", "1"),
    ]
    assert (tmp_path / "out" / written["confusion_matrix"]).read_bytes()[:4] == b"\x89PNG"
    # ``\/`` as PaddleX's ujson writes it
    assert '"evaluate\\/per_class_accuracy.csv"' in evaluation.result_path.read_text()


def test_cli_reports_errors_and_exits_with_the_first(dataset, tmp_path, monkeypatch, capsys):
    fake = FakeModel({"broken.mp4": InvalidVideoError("videos/broken.mp4: cannot decode")})
    monkeypatch.setattr(evaluate_module, "create_model", fake)
    code = main(["evaluate", str(dataset), "--model", "fake", "--output", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 6
    assert out.splitlines()[0] == (
        "val.top1 0.2000  val.top5 1.0000  (5 of 6 val videos classified)"
    )
    assert err.splitlines() == [
        "videocls-client: error: videos/broken.mp4: cannot decode",
        "videocls-client: error: 1 of 6 val videos could not be classified",
    ]


def test_all_failed_writes_paddlex_failure(dataset, tmp_path, monkeypatch):
    fake = FakeModel({})
    fake.answers = {n: InvalidVideoError(f"{n}: bad") for n in (
        "val_001.mp4", "val_002.mp4", "broken.mp4", "val_004.mp4", "missing.mp4", "val_005.mp4"
    )}  # fmt: skip
    monkeypatch.setattr(evaluate_module, "create_model", fake)
    config = EvaluateConfig("fake", output_dir=tmp_path / "out")
    with pytest.raises(InvalidVideoError, match="none of the 6 val videos could be classified"):
        evaluate_dataset(dataset, config)
    record = json.loads(config.result_path.read_text())
    assert record["done_flag"] is False
    assert record["err_type"] == "<class 'videocls_client.errors.InvalidVideoError'>"


def test_class_id_beyond_the_model(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate_module, "create_model", FakeModel({}, num_classes=2))
    config = EvaluateConfig("fake", output_dir=tmp_path / "out")
    with pytest.raises(DatasetError, match=r"val.txt:4: the class id 2 is not a class of model"):
        evaluate_dataset(dataset, config)


def test_bad_val_line_is_named(dataset, tmp_path):
    (dataset / "val.txt").write_text("videos/a.mp4 0\nvideos/b.mp4\n")
    code = main(["evaluate", str(dataset), "--model", "m", "--output", str(tmp_path / "o")])
    assert code == 10


def test_unreachable_server_exits_3(dataset, tmp_path, capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["evaluate", str(dataset), "--model", "m", "--url", f"127.0.0.1:{port}",
                 "--retries", "0", "--output", str(tmp_path / "o")])  # fmt: skip
    assert code == ServerUnavailableError.exit_code
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_config_validation():
    with pytest.raises(ConfigError, match="model_name"):
        EvaluateConfig("")
    with pytest.raises(ConfigError, match="concurrency"):
        EvaluateConfig("m", concurrency=0)
    with pytest.raises(ConfigError, match="transport"):
        EvaluateConfig("m", transport=["ssl"])
