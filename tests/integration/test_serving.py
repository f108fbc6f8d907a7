"""The Triton ensemble on the real tritonserver, compared with PaddleX's own predictor."""

from __future__ import annotations

import concurrent.futures
import urllib.request

import numpy as np
import parity_report
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videos import hostile_inputs, write_video

pytestmark = pytest.mark.slow

SERVING_CORPUS = (
    "land_320x240",
    "hd_1280x720",
    "portrait_240x320",
    "odd_333x197",
    "vp9_320x240",
    "mpeg4_320x240",
    "three_frames_320x240",
)
MAX_MESSAGE = 512 * 1024 * 1024


@pytest.fixture(scope="module")
def client(triton):
    channel_args = [
        ("grpc.max_send_message_length", MAX_MESSAGE),
        ("grpc.max_receive_message_length", MAX_MESSAGE),
    ]
    with grpcclient.InferenceServerClient(triton.grpc_url, channel_args=channel_args) as c:
        yield c


def _inputs(data: bytes | np.ndarray, topk: int | None):
    video = np.frombuffer(data, np.uint8)[None] if isinstance(data, bytes) else data
    inputs = [grpcclient.InferInput("VIDEO", list(video.shape), "UINT8")]
    inputs[0].set_data_from_numpy(video)
    if topk is not None:
        k = grpcclient.InferInput("TOPK", [1, 1], "INT32")
        k.set_data_from_numpy(np.array([[topk]], dtype=np.int32))
        inputs.append(k)
    return inputs


def classify(client, name: str, data: bytes, topk: int | None = None) -> dict:
    result = client.infer(name, _inputs(data, topk))
    return {
        "class_ids": result.as_numpy("CLASS_IDS")[0].tolist(),
        "scores": result.as_numpy("SCORES")[0].tolist(),
        "label_names": [b.decode() for b in result.as_numpy("LABEL_NAMES")[0]],
    }


#: Scores are rounded to 5 decimals on both sides: they agree within one rounding step (the
#: float32 spelling of a 5-decimal value adds ~1e-8).
SCORE_TOLERANCE = 1e-5 + 1e-7
#: Up to this rank class ids must be identical; beyond it, in the tail of a topk-400 answer,
#: classes whose probabilities differ by less than float32 noise may swap places.
EXACT_RANKS = 5


def assert_same(served: dict, reference: dict, model: str | None = None) -> None:
    """Same ids and names (exact in the top ranks), scores within one rounding step.

    In the tail, a served class may stand where PaddleX put another only if PaddleX itself
    scored the two equally to within the tolerance. With ``model``, the comparison is added
    to the session's parity report.
    """
    ids, ref_ids = served["class_ids"], reference["class_ids"]
    assert len(ids) == len(ref_ids)
    assert ids[:EXACT_RANKS] == ref_ids[:EXACT_RANKS]
    assert served["label_names"][:EXACT_RANKS] == reference["label_names"][:EXACT_RANKS]
    assert sorted(ids) == sorted(ref_ids)
    ref_score = dict(zip(ref_ids, reference["scores"], strict=True))
    swaps = 0
    for rank, (cid, ref_cid) in enumerate(zip(ids, ref_ids, strict=True)):
        if cid != ref_cid:
            swaps += 1
            assert abs(ref_score[cid] - ref_score[ref_cid]) <= SCORE_TOLERANCE, (rank, cid, ref_cid)
    np.testing.assert_allclose(served["scores"], reference["scores"], atol=SCORE_TOLERANCE, rtol=0)
    if model:
        parity_report.record(model, served["scores"], reference["scores"], swaps)


@pytest.mark.parametrize("name", OFFICIAL_MODEL_NAMES)
def test_served_equals_paddlex(client, name, video_corpus, paddlex_predict):
    """Every model, a corpus of sizes/codecs, TOPK omitted (yml's topk), 1, 5 and 400."""
    for video in SERVING_CORPUS:
        path = video_corpus[video]
        data = path.read_bytes()
        for topk in (None, 1, 5, 400):
            served = classify(client, name, data, topk)
            expected = paddlex_predict(name, path, topk)
            assert_same(served, expected, model=name)
            assert len(served["class_ids"]) == (topk or 1), (video, topk)


def test_answers_depend_on_the_video(client, video_corpus):
    name = OFFICIAL_MODEL_NAMES[1]
    top1 = {
        classify(client, name, video_corpus[v].read_bytes())["class_ids"][0] for v in SERVING_CORPUS
    }
    assert len(top1) >= 3


def test_concurrent_requests_get_their_own_answers(client, triton, tmp_path, paddlex_predict):
    """32 different videos with different topk in flight at once; no cross-talk."""
    name = OFFICIAL_MODEL_NAMES[1]
    network = f"{name}.network"
    videos = []
    for i in range(32):
        path = write_video(
            tmp_path / f"c{i}.mp4", width=160 + 8 * (i % 5), height=120, frames=12 + i, seed=100 + i
        )
        videos.append((path, 1 + i % 7))
    expected = [paddlex_predict(name, path, k) for path, k in videos]
    before = _batch_histogram(client, network)

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        served = list(pool.map(lambda v: classify(client, name, v[0].read_bytes(), v[1]), videos))

    for got, want in zip(served, expected, strict=True):
        assert_same(got, want, model=name)
    after = _batch_histogram(client, network)
    formed = {size: after.get(size, 0) - before.get(size, 0) for size in after}
    assert any(size > 1 and count > 0 for size, count in formed.items()), formed


def _batch_histogram(client, model: str) -> dict[int, int]:
    stats = client.get_inference_statistics(model, as_json=True)["model_stats"][0]
    return {
        int(b["batch_size"]): int(b["compute_infer"].get("count", 0))
        for b in stats.get("batch_stats", [])
    }


def test_hostile_input_is_invalid_argument_and_server_stays_ready(client, video_corpus, tmp_path):
    name = OFFICIAL_MODEL_NAMES[1]
    good = video_corpus["land_320x240"].read_bytes()
    reference = classify(client, name, good, 5)
    for case, payload in hostile_inputs(tmp_path).items():
        with pytest.raises(InferenceServerException) as info:
            classify(client, name, payload)
        assert info.value.status() == "StatusCode.INVALID_ARGUMENT", (case, info.value.message())
        assert len(info.value.message()) > 20, case
        assert client.is_server_ready()
        assert classify(client, name, good, 5) == reference, case


@pytest.mark.parametrize("topk", [0, -3, 401])
def test_bad_topk(client, video_corpus, topk):
    with pytest.raises(InferenceServerException) as info:
        classify(client, OFFICIAL_MODEL_NAMES[1], video_corpus["land_320x240"].read_bytes(), topk)
    assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert "TOPK must be between 1 and 400" in info.value.message()


def test_wrong_dtype_shape_and_missing_input(client, video_corpus):
    name = OFFICIAL_MODEL_NAMES[1]
    data = np.frombuffer(video_corpus["land_320x240"].read_bytes(), np.uint8)

    wrong_dtype = grpcclient.InferInput("VIDEO", [1, data.size], "INT32")
    wrong_dtype.set_data_from_numpy(data.astype(np.int32)[None])
    wrong_shape = grpcclient.InferInput("VIDEO", [1, 2, data.size], "UINT8")
    wrong_shape.set_data_from_numpy(np.stack([data, data])[None])
    only_topk = grpcclient.InferInput("TOPK", [1, 1], "INT32")
    only_topk.set_data_from_numpy(np.array([[1]], np.int32))
    cases = {"data-type": [wrong_dtype], "shape": [wrong_shape], "VIDEO": [only_topk]}
    for word, inputs in cases.items():
        with pytest.raises(InferenceServerException) as info:
            client.infer(name, inputs)
        assert info.value.status() == "StatusCode.INVALID_ARGUMENT", info.value.message()
        assert word.lower() in info.value.message().lower(), info.value.message()
    assert client.is_server_ready()


def test_100_mb_video_passes(client, tmp_path):
    """A 100 MB upload (uncompressed video in AVI) is accepted and classified."""
    path = write_video(
        tmp_path / "big.avi", width=320, height=240, frames=460, codec="rawvideo", pix_fmt="bgr24"
    )
    data = path.read_bytes()
    assert len(data) > 100_000_000
    served = classify(client, OFFICIAL_MODEL_NAMES[1], data, 5)
    assert len(served["class_ids"]) == 5


def test_health_and_metrics(client, triton):
    for path in ("/v2/health/live", "/v2/health/ready"):
        with urllib.request.urlopen(triton.http_url + path, timeout=5) as r:
            assert r.status == 200
    assert client.is_server_live() and client.is_server_ready()
    for name in OFFICIAL_MODEL_NAMES:
        assert client.is_model_ready(name)
    with urllib.request.urlopen(f"http://127.0.0.1:{triton.metrics_port}/metrics", timeout=5) as r:
        metrics = r.read().decode()
    for name in OFFICIAL_MODEL_NAMES:
        for step in ("decode", "network", "topk"):
            assert f'nv_inference_request_success{{model="{name}.{step}"' in metrics


def test_unknown_model_is_not_found(client):
    with pytest.raises(InferenceServerException) as info:
        classify(client, "no-such-model", b"x")
    assert info.value.status() in ("StatusCode.NOT_FOUND", "StatusCode.UNAVAILABLE")


def test_serve_cli_waits_for_ready_and_stops_on_sigterm(model_repository):
    """``videocls-server serve``: prints where it listens once ready; SIGTERM exits cleanly."""
    import signal
    import subprocess
    import sys

    from videocls_repository.server import free_port

    ports = [free_port() for _ in range(3)]
    process = subprocess.Popen(
        [
            sys.executable, "-m", "videocls_repository.cli", "serve",
            "--model-repository", str(model_repository),
            "--grpc-port", str(ports[0]), "--http-port", str(ports[1]),
            "--metrics-port", str(ports[2]), "--address", "127.0.0.1",
            "--model", OFFICIAL_MODEL_NAMES[1],
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert "tritonserver ready" in line and f"grpc 127.0.0.1:{ports[0]}" in line, line
        with grpcclient.InferenceServerClient(f"127.0.0.1:{ports[0]}") as c:
            assert c.is_model_ready(OFFICIAL_MODEL_NAMES[1])
            assert not c.is_model_ready(OFFICIAL_MODEL_NAMES[0])  # explicit model control
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert "tritonserver stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_configured_byte_cap_is_enforced(conversions, video_corpus, tmp_path):
    """``--max-video-bytes``: an upload above the cap is refused, one below it is answered."""
    from videocls_preprocess.spec import InputLimits
    from videocls_repository.repository import write_model_repository
    from videocls_repository.server import ServerConfig, TritonServer
    from videocls_repository.tritonconfig import ServingOptions, StepNames

    repository, results = conversions
    name = OFFICIAL_MODEL_NAMES[1]
    small, big = video_corpus["three_frames_320x240"], video_corpus["land_320x240"]
    cap = (small.stat().st_size + big.stat().st_size) // 2
    spec = results[name].spec
    onnx = (repository / StepNames(name).network / "1" / "model.onnx").read_bytes()
    options = ServingOptions(limits=InputLimits(max_bytes=cap))
    write_model_repository(tmp_path / "capped", spec, onnx, options)
    config = ServerConfig.local(tmp_path / "capped")
    with TritonServer(config) as server, grpcclient.InferenceServerClient(server.grpc_url) as c:
        assert len(classify(c, name, small.read_bytes(), 1)["class_ids"]) == 1
        with pytest.raises(InferenceServerException) as info:
            classify(c, name, big.read_bytes())
        assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
        assert str(cap) in info.value.message(), info.value.message()
