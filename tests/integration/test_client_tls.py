"""TLS end to end: a real tritonserver with mutual TLS on its gRPC endpoint.

tritonserver's own flags (``--grpc-use-ssl``, ``--grpc-server-cert``, ``--grpc-server-key``,
``--grpc-root-cert``, ``--grpc-use-ssl-mutual``) serve TLS; the certificates are made with
the ``openssl`` command (the ``tls_certs`` fixture; skipped without it). Only the 8-frame
model is loaded (explicit model control) to keep the second server quick to start.
"""

from __future__ import annotations

import pytest
from videocls_client import ServerUnavailableError, create_model, list_models
from videocls_client.cli import main
from videocls_repository.server import GrpcTls, ServerConfig, TritonServer

pytestmark = pytest.mark.slow

SMALL = "PP-TSMv2-LCNetV2_8frames_uniform"


@pytest.fixture(scope="module")
def tls_server(model_repository, tls_certs, tmp_path_factory):
    certs = tls_certs
    config = ServerConfig.local(
        model_repository,
        exit_timeout_s=3,
        tls=GrpcTls(certs["server"], certs["server_key"], root_cert=certs["ca"]),
        models=(SMALL,),
    )
    log = tmp_path_factory.mktemp("triton-tls") / "tritonserver.log"
    server = TritonServer(config, log_file=log)
    server.start(timeout_s=120)
    # The certificates name "localhost": connect by that name.
    server.url = f"localhost:{server.grpc_port}"
    server.certs = certs
    yield server
    server.stop()


def _tls(server) -> dict:
    return {
        "root_cert": server.certs["ca"],
        "client_cert": server.certs["client"],
        "client_key": server.certs["client_key"],
    }


def test_mutual_tls_predict(tls_server, client_videos):
    with create_model(SMALL, url=tls_server.url, **_tls(tls_server)) as model:
        (result,) = model.predict(str(client_videos["a_land"]), topk=3)
    assert result["class_ids"].shape == (1, 3)
    assert [info.name for info in list_models(tls_server.url, **_tls(tls_server))] == [SMALL]


def test_cli_over_mutual_tls(tls_server, client_videos, capsys):
    certs = tls_server.certs
    code = main(
        ["predict", str(client_videos["h_small"]), "--url", tls_server.url, "--model", SMALL,
         "--ssl", "--root-cert", str(certs["ca"]), "--client-cert", str(certs["client"]),
         "--client-key", str(certs["client_key"]), "--header", "authorization: Bearer x",
         "--format", "ndjson"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    "options",
    [{}, {"ssl": True}, {"root_cert": "ca"}],
    ids=["plaintext", "unknown-ca", "no-client-cert"],
)
def test_handshake_failures_are_unavailable(tls_server, options):
    options = {k: tls_server.certs[v] if k == "root_cert" else v for k, v in options.items()}
    with pytest.raises(ServerUnavailableError, match="cannot reach the server"):
        create_model(SMALL, url=tls_server.url, retries=0, timeout_s=10, **options)
