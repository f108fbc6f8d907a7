"""VideoClassificationModel.predict with a fake transport: order, windows, topk, errors."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from videocls_client.errors import (
    ConfigError,
    InputNotFoundError,
    InvalidVideoError,
    ServerUnavailableError,
)
from videocls_client.model import ModelInfo, VideoClassificationModel, create_model
from videocls_client.transport import InferenceOutput, TransportConfig

INFO = ModelInfo("m", "1", 8, 400, 1, 1000, 4096)


class FakeTransport:
    """Answers class id = the video's first byte; b"bad" is refused; b"down" is unreachable."""

    def __init__(self) -> None:
        self.config = TransportConfig()
        self.calls: list[tuple[bytes, int | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def infer(self, model_name, video, topk, *, input_path=None):
        with self._lock:
            self.calls.append((video, topk))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(random.uniform(0, 0.02))
            if video == b"bad":
                raise InvalidVideoError(f"{input_path}: not a video", input_path=input_path)
            if video == b"down":
                raise ServerUnavailableError("cannot reach the server")
            k = topk or INFO.default_topk
            return InferenceOutput(
                class_ids=np.arange(video[0], video[0] + k, dtype=np.int64),
                scores=np.full(k, 0.5, dtype=np.float32),
                label_names=[f"label{video[0] + i}" for i in range(k)],
                model_name=model_name,
                model_version="1",
                request_ms=1.0,
            )
        finally:
            with self._lock:
                self.in_flight -= 1

    def close(self) -> None:
        pass


@pytest.fixture
def videos(tmp_path):
    paths = []
    for i in range(20):
        path = tmp_path / f"v{i:02d}.mp4"
        path.write_bytes(bytes([i]) + b"data")
        paths.append(path)
    return paths


def _model(**kwargs) -> tuple[VideoClassificationModel, FakeTransport]:
    transport = FakeTransport()
    return VideoClassificationModel(transport, INFO, **kwargs), transport


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_results_come_in_input_order_with_that_many_in_flight(videos, batch_size):
    model, transport = _model()
    results = list(model.predict([str(p) for p in videos], batch_size=batch_size))
    assert [r["input_path"] for r in results] == [str(p) for p in videos]
    assert [int(r["class_ids"][0, 0]) for r in results] == list(range(20))
    assert 1 <= transport.max_in_flight <= batch_size
    first = results[0]
    assert first["class_ids"].dtype == np.int32 and first["class_ids"].shape == (1, 1)
    assert [type(s) for s in first["scores"]] == [np.float32]
    assert first.model_name == "m" and first.timings.request_ms == 1.0


def test_concurrency_overrides_batch_size(videos):
    model, transport = _model(concurrency=4)
    list(model.predict([str(p) for p in videos], batch_size=1))
    assert 2 <= transport.max_in_flight <= 4  # more than batch_size 1 allows


def test_topk_precedence(videos):
    video = str(videos[0])
    plain, transport = _model()
    list(plain.predict(video))
    list(plain.predict(video, topk=5))
    preset, preset_transport = _model(topk=3)
    list(preset.predict(video))
    list(preset.predict(video, topk=5))
    assert [k for _, k in transport.calls] == [None, 5]  # None: the server's default
    assert [k for _, k in preset_transport.calls] == [3, 5]


@pytest.mark.parametrize("topk", [0.5, -1, 401, "5", True])
def test_bad_topk(videos, topk):
    model, _ = _model()
    with pytest.raises(ConfigError):
        model.predict(str(videos[0]), topk=topk)
    with pytest.raises(ConfigError):
        _model(topk=topk)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, None])
def test_bad_batch_size(videos, batch_size):
    with pytest.raises(ConfigError, match="batch_size"):
        _model()[0].predict(str(videos[0]), batch_size=batch_size)


def test_errors_in_place_with_return_exceptions(videos, tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"bad")
    (tmp_path / "big.mp4").write_bytes(b"x" * 1001)  # over the model's max_video_bytes
    inputs = [videos[0], tmp_path / "bad.mp4", tmp_path / "missing.mp4", tmp_path / "big.mp4"]
    model, transport = _model()
    outcomes = list(model.predict([*map(str, inputs), str(videos[1])], 3, return_exceptions=True))
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == [
        "VideoClassificationResult",
        "InvalidVideoError",
        "InputNotFoundError",
        "InvalidVideoError",
        "VideoClassificationResult",
    ]
    assert "more than the 1000 bytes model m accepts" in str(outcomes[3])
    assert b"x" * 1001 not in [video for video, _ in transport.calls]  # refused before sending


def test_first_error_raises_after_the_results_before_it(videos, tmp_path):
    model, _ = _model()
    results = model.predict([str(videos[0]), str(tmp_path / "missing.mp4"), str(videos[1])])
    assert next(results)["input_path"] == str(videos[0])
    with pytest.raises(InputNotFoundError):
        next(results)


def test_server_errors_are_never_returned(videos, tmp_path):
    (tmp_path / "down.mp4").write_bytes(b"down")
    model, _ = _model()
    with pytest.raises(ServerUnavailableError):
        list(model.predict([str(videos[0]), str(tmp_path / "down.mp4")], return_exceptions=True))


def test_unknown_options_are_refused():
    with pytest.raises(ConfigError, match="unknown option 'sssl'"):
        create_model("m", sssl=True)


def test_the_client_never_imports_the_server_or_paddle():
    code = (
        "import sys, videocls_client, videocls_client.cli, videocls_client.records\n"
        "banned = ('paddle', 'paddlex', 'videocls_repository', 'videocls_preprocess')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
