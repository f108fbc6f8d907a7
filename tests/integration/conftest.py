"""Session fixtures: generated PaddleX models, one converted repository, one real tritonserver."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from videocls_repository.convert.converter import convert
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videocls_repository.server import ServerConfig, TritonServer
from videocls_repository.testmodel import make_test_model
from videocls_repository.tritonconfig import ServingOptions


@pytest.fixture(scope="session")
def paddle_models(tmp_path_factory) -> dict[str, Path]:
    """The three official architectures with generated weights, in PaddleX inference format."""
    root = tmp_path_factory.mktemp("paddle_models")
    return {name: make_test_model(name, root / name, seed=0) for name in OFFICIAL_MODEL_NAMES}


@pytest.fixture(scope="session")
def conversions(paddle_models, tmp_path_factory):
    """All three models converted side by side into one repository (python-onnxruntime).

    The network steps batch (off by default on CPU) and wait up to 2 ms to form batches, so
    that the concurrency tests exercise dynamic batching with batches larger than one.
    """
    repository = tmp_path_factory.mktemp("model_repository")
    options = ServingOptions(dynamic_batching=True, max_queue_delay_us=2000)
    results = {name: convert(path, repository, options) for name, path in paddle_models.items()}
    return repository, results


@pytest.fixture(scope="session")
def model_repository(conversions) -> Path:
    return conversions[0]


@pytest.fixture(scope="session")
def triton(model_repository, tmp_path_factory):
    """A real tritonserver on free ports, stopped at the end of the session."""
    log = tmp_path_factory.mktemp("triton") / "tritonserver.log"
    config = ServerConfig.local(
        model_repository,
        exit_timeout_s=5,
    )
    server = TritonServer(config, log_file=log)
    server.start(timeout_s=180)
    yield server
    server.stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_root(tmp_path):
    """A local HTTP server on 127.0.0.1 serving *tmp_path*; yields (root dir, base URL)."""
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args, **kwargs):
        return _QuietHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- videocls_client tests ---------------------------------------------------------------


@pytest.fixture(scope="session")
def paddlex_font():
    """PaddleX's overlay font pointed at the client's DejaVu Sans, for the whole session.

    PaddleX downloads its PingFang font at run time, which cannot happen offline; with the
    same font file both sides draw identical labelled frames.
    """
    from paddlex.utils import fonts
    from videocls_client.visualize import font_path

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts.PINGFANG_FONT, "_local_path", str(font_path()))
        yield font_path()


@pytest.fixture(scope="session")
def paddlex_reference(paddle_models, paddlex_font):
    """``predict(name, input, topk=None, model_topk=None)``: PaddleX 3.7.2's own result list.

    ``model_topk`` is ``paddlex.create_model(..., topk=)``; models are cached per setting.
    R50 runs with ``run_mode: paddle``: PaddleX's default MKLDNN path segfaults on it on CPU.
    """
    from paddlex import create_model

    models = {}
    cache = {}

    def predict(name: str, inputs, topk: int | None = None, model_topk: int | None = None):
        key = (name, model_topk)
        if key not in models:
            engine_config = {"run_mode": "paddle"} if "R50" in name else None
            models[key] = create_model(
                name,
                model_dir=str(paddle_models[name]),
                device="cpu",
                topk=model_topk,
                engine_config=engine_config,
            )
        inputs_key = tuple(map(str, inputs)) if isinstance(inputs, list) else str(inputs)
        if (key, inputs_key, topk) not in cache:
            cache[key, inputs_key, topk] = list(models[key].predict(inputs, topk=topk))
        return cache[key, inputs_key, topk]

    return predict


@pytest.fixture(scope="session")
def paddlex_predict(paddlex_reference):
    """``predict(name, video_path, topk)``: PaddleX's answer for one video as flat lists."""

    def predict(name: str, video: Path, topk: int | None = None) -> dict:
        (result,) = paddlex_reference(name, str(video), topk=topk)
        return {
            "class_ids": np.asarray(result["class_ids"]).reshape(-1).tolist(),
            "scores": np.asarray(result["scores"], dtype=np.float32).reshape(-1).tolist(),
            "label_names": np.asarray(result["label_names"]).reshape(-1).tolist(),
        }

    return predict


@pytest.fixture(scope="session")
def client_videos(tmp_path_factory) -> dict[str, Path]:
    """Small videos of every container PaddleX reads, in a folder with a subfolder.

    ``{"dir": folder, "<name>": path, ...}``; the folder also holds a .txt file and a .mov
    file that a folder expansion skips (PaddleX's extensions: mp4, avi, mkv, webm).
    """
    from videos import write_video

    root = tmp_path_factory.mktemp("client_videos") / "videos"
    specs = {
        "a_land.mp4": {"width": 320, "height": 240, "frames": 30, "seed": 1},
        "b_portrait.mp4": {"width": 240, "height": 320, "frames": 20, "seed": 2},
        "c_mpeg4.avi": {"width": 320, "height": 240, "frames": 24, "codec": "mpeg4", "seed": 3},
        "d_audio.mkv": {"width": 288, "height": 224, "frames": 20, "audio": True, "seed": 4},
        "sub/e_vp9.webm": {"width": 256, "height": 256, "frames": 16, "codec": "vp9", "seed": 5},
        "sub/f_three.mp4": {"width": 320, "height": 240, "frames": 3, "seed": 6},
        "g_odd.mp4": {"width": 333, "height": 197, "frames": 17, "pix_fmt": "yuv444p", "seed": 7},
        "h_small.mp4": {"width": 256, "height": 240, "frames": 12, "seed": 8},
        "i_wide.mp4": {"width": 400, "height": 226, "frames": 14, "seed": 9},
        "skipped.mov": {"width": 320, "height": 240, "frames": 8, "seed": 10},
    }
    videos = {"dir": root}
    for name, kwargs in specs.items():
        videos[Path(name).stem] = write_video(root / name, **kwargs)
    (root / "notes.txt").write_text("not a video\n")
    return videos


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory) -> dict[str, Path]:
    """A throw-away CA, and a server and a client certificate it signed for ``localhost``.

    ``{"ca", "server", "server_key", "client", "client_key"}`` PEM files, made with the
    ``openssl`` command (the test is skipped where it is not installed).
    """
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    directory = tmp_path_factory.mktemp("certs")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    for name in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")  # fmt: skip
        (directory / f"{name}.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
            "-out", f"{name}.pem")  # fmt: skip
    certs = {p.stem: p for p in directory.glob("*.pem")}
    certs.update({f"{p.stem}_key": p for p in directory.glob("*.key")})
    return certs


# --- dataset tools (videocls_client.dataset, tests/datasets.py) -----------------------------

DATASET_MODEL = "PP-TSMv2-LCNetV2_8frames_uniform"


@pytest.fixture(scope="session")
def synthetic_dataset(paddle_models, paddlex_reference, tmp_path_factory):
    """``tests/datasets.py``'s dataset, labelled from PaddleX's own predictions; read-only.

    5 kinds x 6 clips (the last 3 of each kind in val.txt). Each kind is labelled with the
    class that PaddleX 3.7.2, in process, on the generated ``DATASET_MODEL``, predicts most
    often for its clips (``datasets.label_kinds``); label.txt is that model's 400 class
    names. Tests that change the dataset work on a copy.
    """
    import yaml
    from datasets import write_dataset

    model_dir = paddle_models[DATASET_MODEL]
    config = yaml.safe_load((model_dir / "inference.yml").read_text(encoding="utf-8"))

    def predict(path) -> list[int]:
        (result,) = paddlex_reference(DATASET_MODEL, str(path), topk=5)
        return np.asarray(result["class_ids"]).reshape(-1).tolist()

    root = tmp_path_factory.mktemp("synthetic_dataset") / "synthetic_k400"
    return write_dataset(
        root, label_names=config["PostProcess"]["Topk"]["label_list"], predict=predict
    )
