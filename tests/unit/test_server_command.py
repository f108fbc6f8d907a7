"""The tritonserver command line and environment built by the launcher (no server started)."""

import sys
from pathlib import Path

import pytest
from videocls_preprocess.errors import ServerError
from videocls_repository.cli import build_parser, serving_options
from videocls_repository.server import GrpcTls, ServerConfig, TritonServer, triton_home
from videocls_repository.tritonconfig import ServingOptions


def _command(tmp_path, **kwargs):
    server = TritonServer(ServerConfig(model_repository=tmp_path, **kwargs))
    return server.command(tmp_path / "backends", tmp_path / "cache"), server


def test_default_command_serves_every_model_in_plaintext(tmp_path):
    cmd, server = _command(tmp_path, grpc_port=9001, http_port=9000, metrics_port=9002)
    assert Path(cmd[0]) == triton_home() / "bin" / "tritonserver"
    assert f"--model-repository={tmp_path.resolve()}" in cmd
    assert {"--grpc-port=9001", "--http-port=9000", "--metrics-port=9002"} <= set(cmd)
    assert not any(a.startswith(("--grpc-use-ssl", "--model-control-mode")) for a in cmd)
    assert server.grpc_url == "127.0.0.1:9001"


def test_local_config_listens_on_loopback_on_free_ports(tmp_path):
    config = ServerConfig.local(tmp_path, exit_timeout_s=3)
    assert (config.address, config.exit_timeout_s) == ("127.0.0.1", 3)
    server = TritonServer(config)
    assert server.grpc_url.startswith("127.0.0.1:") and server.grpc_port != 0


def test_zero_ports_are_replaced_by_free_ones(tmp_path):
    _, server = _command(tmp_path, grpc_port=0, http_port=0, metrics_port=0)
    ports = {server.grpc_port, server.http_port, server.metrics_port}
    assert 0 not in ports and len(ports) == 3


def test_mutual_tls_and_explicit_models(tmp_path):
    for name in ("s.pem", "s.key", "ca.pem"):
        (tmp_path / name).write_text("x")
    tls = GrpcTls(tmp_path / "s.pem", tmp_path / "s.key", root_cert=tmp_path / "ca.pem")
    cmd, _ = _command(tmp_path, tls=tls, models=("A", "B"))
    assert "--grpc-use-ssl=true" in cmd and "--grpc-use-ssl-mutual=true" in cmd
    assert f"--grpc-root-cert={(tmp_path / 'ca.pem').resolve()}" in cmd
    assert cmd[-3:] == ["--model-control-mode=explicit", "--load-model=A", "--load-model=B"]


def test_environment_puts_this_venv_first(tmp_path):
    _, server = _command(tmp_path)
    env = server.environment()
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    assert "nvidia_pytriton.libs" in env["LD_LIBRARY_PATH"]


def test_bad_config_is_rejected(tmp_path):
    with pytest.raises(ServerError, match="not a directory"):
        ServerConfig(model_repository=tmp_path / "missing")
    with pytest.raises(ServerError, match="not a TCP port"):
        ServerConfig(model_repository=tmp_path, grpc_port=70000)
    with pytest.raises(ServerError, match="not a file"):
        GrpcTls(tmp_path / "nope.pem", tmp_path / "nope.key")


def _convert_options(*flags: str):
    args = build_parser().parse_args(["convert", "model", "--model-repository", "repo", *flags])
    return serving_options(args)


def test_convert_flags_default_to_the_serving_defaults():
    assert _convert_options() == ServingOptions()
    assert _convert_options("--target", "tensorrt") == ServingOptions(target="tensorrt")
    assert not _convert_options("--no-dynamic-batching", "--target", "tensorrt").dynamic_batching


def test_convert_flags_reach_the_serving_options():
    options = _convert_options(
        "--instances", "2", "--decode-instances", "3", "--decode-threads", "1",
        "--intra-op-threads", "1", "--dynamic-batching", "--max-video-bytes", "1000",
    )  # fmt: skip
    assert (options.network_instances, options.decode_instances) == (2, 3)
    assert (options.decode_threads, options.intra_op_threads) == (1, 1)
    assert options.dynamic_batching
    assert options.limits.max_bytes == 1000
