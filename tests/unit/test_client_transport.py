"""TransportConfig validation, TLS credentials, error mapping and retries (no server)."""

from __future__ import annotations

import grpc
import pytest
from tritonclient.utils import InferenceServerException
from videocls_client import transport as tr
from videocls_client.errors import (
    ConfigError,
    InvalidVideoError,
    ModelNotFoundError,
    RequestTimeoutError,
    ServerError,
    ServerUnavailableError,
)
from videocls_client.transport import Transport, TransportConfig, map_error, parse_header


def make_certs(directory):
    """Placeholder PEM files: gRPC reads them when the credentials are built, and only
    checks them during a handshake (a real handshake: tests/integration/test_client_tls.py)."""
    paths = {}
    for name in ("ca", "client", "client_key"):
        paths[name] = directory / f"{name}.pem"
        paths[name].write_text(f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----\n")
    return paths


@pytest.mark.parametrize(
    "url",
    ["", "localhost", "grpc://localhost:8001", "localhost:0", "localhost:99999", "host :1", ":80"],
)
def test_bad_urls_are_refused_at_construction(url):
    with pytest.raises(ConfigError, match="host:port"):
        TransportConfig(url=url)


@pytest.mark.parametrize("url", ["localhost:8001", "127.0.0.1:1", "[::1]:8001", "triton.svc:443"])
def test_good_urls(url):
    assert TransportConfig(url=url).url == url


def test_plaintext_by_default():
    config = TransportConfig()
    assert config.url == "localhost:8001"
    assert not config.use_ssl and config.channel_credentials() is None


def test_channel_args_always_set_the_message_limits():
    """tritonclient replaces all its defaults once any channel argument is passed."""
    args = dict(TransportConfig(max_message_bytes=1234).channel_args())
    assert args["grpc.max_send_message_length"] == 1234
    assert args["grpc.max_receive_message_length"] == 1234
    assert dict(TransportConfig().channel_args())["grpc.max_send_message_length"] == 2**31 - 1


def test_tls_credentials_from_cert_files(tmp_path):
    """TLS at config level: the channel credentials are built from the PEM files.

    The end-to-end TLS handshake with a real tritonserver is in
    ``tests/integration/test_client_tls.py``.
    """
    certs = make_certs(tmp_path)
    mutual = TransportConfig(
        url="localhost:8001",
        root_cert=certs["ca"],
        client_cert=certs["client"],
        client_key=certs["client_key"],
    )
    assert mutual.use_ssl  # implied by the certificate files
    assert isinstance(mutual.channel_credentials(), grpc.ChannelCredentials)
    system_roots = TransportConfig(ssl=True)
    assert isinstance(system_roots.channel_credentials(), grpc.ChannelCredentials)


def test_tls_files_are_checked(tmp_path):
    certs = make_certs(tmp_path)
    with pytest.raises(ConfigError, match=r"root-cert .* is not a file"):
        TransportConfig(root_cert=tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="together"):
        TransportConfig(client_cert=certs["client"])
    with pytest.raises(ConfigError, match="together"):
        TransportConfig(client_key=certs["client_key"])


def test_headers_are_normalised_and_checked():
    config = TransportConfig(headers={"Authorization": "Bearer x", "x-tenant": "a"})
    assert dict(config.headers) == {"authorization": "Bearer x", "x-tenant": "a"}
    for bad in ({"bad name": "x"}, {"grpc-timeout": "1"}, {"x": "a\nb"}, {"content-type": "x"}):
        with pytest.raises(ConfigError):
            TransportConfig(headers=bad)
    assert parse_header("Authorization:  Bearer x ") == ("authorization", "Bearer x")
    with pytest.raises(ConfigError, match="Name: value"):
        parse_header("no colon")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout_s": 0},
        {"timeout_s": -1},
        {"retries": -1},
        {"retries": 1.5},
        {"retries": True},
        {"backoff_s": -0.1},
        {"max_message_bytes": 0},
        {"max_message_bytes": 2**31},
    ],
)
def test_bad_numbers_are_refused(kwargs):
    with pytest.raises(ConfigError):
        TransportConfig(**kwargs)


def test_backoff_doubles_up_to_the_cap():
    config = TransportConfig(backoff_s=1.0, max_backoff_s=3.0)
    for attempt, base in ((0, 1.0), (1, 2.0), (2, 3.0), (5, 3.0)):
        assert base / 2 <= config.backoff(attempt) <= base


def _exc(status: str, message: str = "msg") -> InferenceServerException:
    return InferenceServerException(message, status=f"StatusCode.{status}")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("UNAVAILABLE", ServerUnavailableError),
        ("NOT_FOUND", ModelNotFoundError),
        ("INVALID_ARGUMENT", InvalidVideoError),
        ("DEADLINE_EXCEEDED", RequestTimeoutError),
        ("INTERNAL", ServerError),
        ("UNAUTHENTICATED", ServerError),
    ],
)
def test_statuses_map_to_the_hierarchy(status, error):
    mapped = map_error(_exc(status, "the reason"), url="h:1", model_name="m", input_path="v.mp4")
    assert type(mapped) is error
    assert "the reason" in str(mapped)
    if error is InvalidVideoError:
        assert mapped.input_path == "v.mp4" and str(mapped).startswith("v.mp4: ")
    if error is ServerError:
        assert mapped.status == status


def test_exit_codes_are_distinct():
    kinds = (
        ConfigError,
        ServerUnavailableError,
        ModelNotFoundError,
        InvalidVideoError,
        ServerError,
        RequestTimeoutError,
    )
    codes = [kind.exit_code for kind in kinds]
    assert len(set(codes)) == len(codes) and 0 not in codes and 1 not in codes


@pytest.fixture
def transport(monkeypatch):
    sleeps = []
    monkeypatch.setattr(tr.time, "sleep", sleeps.append)
    with Transport(TransportConfig(url="127.0.0.1:1", retries=2, backoff_s=0.25)) as t:
        t.sleeps = sleeps
        yield t


def test_unavailable_is_retried_with_backoff(transport):
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise _exc("UNAVAILABLE")
        return "ok"

    assert transport.call(flaky) == "ok"
    assert len(calls) == 3 and len(transport.sleeps) == 2
    assert transport.sleeps[1] > transport.sleeps[0] / 2 >= 0.06
    assert calls[0]["client_timeout"] == 120.0


def test_retries_run_out(transport):
    def down(**kwargs):
        raise _exc("UNAVAILABLE", "connection refused")

    with pytest.raises(ServerUnavailableError, match=r"tried 3 times.*connection refused"):
        transport.call(down)
    assert len(transport.sleeps) == 2


def test_other_statuses_are_not_retried(transport):
    calls = []

    def refused(**kwargs):
        calls.append(1)
        raise _exc("INVALID_ARGUMENT", "not a video")

    with pytest.raises(InvalidVideoError, match="not a video"):
        transport.call(refused, input_path="x.mp4")
    assert calls == [1] and transport.sleeps == []


def test_headers_go_with_every_call(monkeypatch):
    with Transport(TransportConfig(url="127.0.0.1:1", headers={"authorization": "t"})) as t:
        seen = {}
        t.call(lambda **kwargs: seen.update(kwargs))
    assert seen["headers"] == {"authorization": "t"}


def test_unreachable_server_is_one_clear_error():
    with (
        Transport(TransportConfig(url="127.0.0.1:1", retries=0, timeout_s=5)) as t,
        pytest.raises(ServerUnavailableError, match=r"cannot reach the server at 127\.0\.0\.1:1"),
    ):
        t.repository_index()


def test_dns_target_and_round_robin_for_headless_services():
    from videocls_client.transport import TransportConfig

    config = TransportConfig(
        url="dns:///videocls-headless.ns.svc:8001", load_balancing="round_robin"
    )
    assert ("grpc.lb_policy_name", "round_robin") in config.channel_args()
    assert ("grpc.lb_policy_name", "pick_first") in TransportConfig().channel_args()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "dns:///no-port"}, "host:port"),
        ({"url": "http://host:8001"}, "host:port"),
        ({"load_balancing": "random"}, "load_balancing"),
    ],
)
def test_bad_targets_and_policies(kwargs, message):
    from videocls_client.errors import ConfigError
    from videocls_client.transport import TransportConfig

    with pytest.raises(ConfigError, match=message):
        TransportConfig(**kwargs)
