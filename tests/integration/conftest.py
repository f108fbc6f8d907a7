"""Session fixtures: generated PaddleX models, one converted repository, one real tritonserver."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from videocls_repository.convert.converter import convert
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videocls_repository.server import ServerConfig, TritonServer
from videocls_repository.testmodel import make_test_model


@pytest.fixture(scope="session")
def paddle_models(tmp_path_factory) -> dict[str, Path]:
    """The three official architectures with generated weights, in PaddleX inference format."""
    root = tmp_path_factory.mktemp("paddle_models")
    return {name: make_test_model(name, root / name, seed=0) for name in OFFICIAL_MODEL_NAMES}


@pytest.fixture(scope="session")
def conversions(paddle_models, tmp_path_factory):
    """All three models converted side by side into one repository (python-onnxruntime)."""
    repository = tmp_path_factory.mktemp("model_repository")
    results = {name: convert(path, repository) for name, path in paddle_models.items()}
    return repository, results


@pytest.fixture(scope="session")
def model_repository(conversions) -> Path:
    return conversions[0]


@pytest.fixture(scope="session")
def triton(model_repository, tmp_path_factory):
    """A real tritonserver on free ports, stopped at the end of the session."""
    log = tmp_path_factory.mktemp("triton") / "tritonserver.log"
    config = ServerConfig(
        model_repository=model_repository,
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        address="127.0.0.1",
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
