"""The gRPC transport: one tritonclient channel with TLS, metadata headers, deadlines, retries.

Only gRPC UNAVAILABLE (the server cannot be reached, or is shutting down) is retried, with
exponential backoff; every other status is mapped at once onto the client's exceptions by
:func:`map_error`.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from .errors import (
    ConfigError,
    InvalidVideoError,
    ModelNotFoundError,
    RequestTimeoutError,
    ServerError,
    ServerUnavailableError,
    VideoclsClientError,
)

__all__ = [
    "DEFAULT_URL",
    "InferenceOutput",
    "Transport",
    "TransportConfig",
    "map_error",
    "parse_header",
]

#: Triton's default gRPC endpoint.
DEFAULT_URL = "localhost:8001"
#: gRPC's largest message (INT32_MAX), tritonclient's own default.
MAX_MESSAGE_BYTES = 2**31 - 1

_HEADER_NAME = re.compile(r"^[0-9a-z_.\-]+$")
_RESERVED_HEADERS = frozenset({"content-type", "te", "user-agent", "host", "authority"})
_T = TypeVar("_T")


def parse_header(text: str) -> tuple[str, str]:
    """Splits ``"Name: value"`` into a lower-case gRPC metadata key and its value.

    Raises:
        ConfigError: There is no colon, or the name is empty.
    """
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise ConfigError(f"header {text!r} is not of the form 'Name: value'")
    return name.strip().lower(), value.strip()


def _read_file(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


#: gRPC target prefix that resolves all A/AAAA records of a name (headless Service).
DNS_SCHEME = "dns:///"
LOAD_BALANCING_POLICIES = ("pick_first", "round_robin")


@dataclass(frozen=True)
class TransportConfig:
    """How to reach the server. Validated at construction (:class:`ConfigError`).

    Attributes:
        url: ``host:port`` of Triton's gRPC endpoint, or ``dns:///host:port`` to resolve every
            address of a (headless Kubernetes) Service, for client-side load balancing.
        ssl: Use a TLS channel. Implied when any certificate file is given.
        root_cert: PEM root certificates that verify the server (None: gRPC's defaults).
        client_cert: PEM certificate chain for mutual TLS (needs ``client_key``).
        client_key: PEM private key for mutual TLS (needs ``client_cert``).
        headers: gRPC metadata sent with every call, e.g. ``{"authorization": "Bearer x"}``;
            names are lower-cased.
        timeout_s: Deadline of each call in seconds (None: no deadline).
        retries: How many times a call that failed with UNAVAILABLE is tried again.
        backoff_s: Wait before the first retry; doubled for each further one.
        max_backoff_s: Upper bound of one wait.
        max_message_bytes: gRPC send/receive limit (always set: passing channel arguments
            to tritonclient replaces all of its defaults).
        load_balancing: gRPC's ``pick_first`` (one connection) or ``round_robin`` (spread calls
            over every resolved address; use with a ``dns:///`` URL).
    """

    url: str = DEFAULT_URL
    ssl: bool = False
    root_cert: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = 120.0
    retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    max_message_bytes: int = MAX_MESSAGE_BYTES
    load_balancing: str = "pick_first"

    def __post_init__(self) -> None:
        self._check_url()
        if self.load_balancing not in LOAD_BALANCING_POLICIES:
            raise ConfigError(
                f"load_balancing must be one of {', '.join(LOAD_BALANCING_POLICIES)}, "
                f"got {self.load_balancing!r}"
            )
        for name in ("root_cert", "client_cert", "client_key"):
            value = getattr(self, name)
            if value is not None:
                path = Path(value)
                if not path.is_file():
                    raise ConfigError(f"{name.replace('_', '-')} {path} is not a file")
                object.__setattr__(self, name, path)
        if (self.client_cert is None) != (self.client_key is None):
            raise ConfigError("client-cert and client-key must be given together (mutual TLS)")
        object.__setattr__(self, "headers", MappingProxyType(self._checked_headers()))
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {self.timeout_s}")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ConfigError(f"retries must be an integer >= 0, got {self.retries!r}")
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ConfigError("backoff times must be >= 0")
        if not 1 <= self.max_message_bytes <= MAX_MESSAGE_BYTES:
            raise ConfigError(f"max_message_bytes must be in 1..{MAX_MESSAGE_BYTES}")

    def _check_url(self) -> None:
        if not isinstance(self.url, str) or not self.url or any(c.isspace() for c in self.url):
            raise ConfigError(f"url must be 'host:port', got {self.url!r}")
        target = self.url.removeprefix(DNS_SCHEME)
        if "://" in target:
            raise ConfigError(
                f"url must be 'host:port' or '{DNS_SCHEME}host:port', got {self.url!r}"
            )
        host, sep, port = target.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"url must be 'host:port' with a port in 1..65535, got {self.url!r}")

    def _checked_headers(self) -> dict[str, str]:
        checked = {}
        for raw_name, value in dict(self.headers).items():
            name = str(raw_name).strip().lower()
            if not _HEADER_NAME.match(name) or name.startswith("grpc-"):
                raise ConfigError(f"header name {raw_name!r} is not a valid gRPC metadata key")
            if name in _RESERVED_HEADERS:
                raise ConfigError(f"header {name!r} is set by gRPC itself")
            value = str(value)
            if any(c in value for c in "\r\n\0"):
                raise ConfigError(f"header {name!r} has a line break in its value")
            checked[name] = value
        return checked

    @property
    def use_ssl(self) -> bool:
        """True when the channel is TLS (``ssl`` or any certificate file given)."""
        return bool(self.ssl or self.root_cert or self.client_cert)

    def channel_credentials(self):
        """The ``grpc.ChannelCredentials`` of a TLS channel, or None for plaintext.

        Raises:
            ConfigError: A certificate file cannot be read.
        """
        if not self.use_ssl:
            return None
        import grpc

        return grpc.ssl_channel_credentials(
            root_certificates=_read_file(self.root_cert, "root certificate"),
            private_key=_read_file(self.client_key, "client key"),
            certificate_chain=_read_file(self.client_cert, "client certificate"),
        )

    def channel_args(self) -> list[tuple[str, Any]]:
        """gRPC channel arguments: message limits and tritonclient's keepalive defaults."""
        return [
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.keepalive_time_ms", 2**31 - 1),
            ("grpc.keepalive_timeout_ms", 20000),
            ("grpc.keepalive_permit_without_calls", False),
            ("grpc.http2.max_pings_without_data", 2),
            ("grpc.lb_policy_name", self.load_balancing),
        ]

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number *attempt* (0-based), with jitter."""
        base = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        return base * (0.5 + random.random() / 2)


def _status_name(exc: Exception) -> str | None:
    status = exc.status() if hasattr(exc, "status") else None
    return str(status).rsplit(".", 1)[-1] if status else None


def _message(exc: Exception) -> str:
    message = exc.message() if hasattr(exc, "message") else None
    return str(message or exc).strip()


def map_error(
    exc: Exception,
    *,
    url: str,
    model_name: str | None = None,
    input_path: str | None = None,
    attempts: int = 1,
) -> VideoclsClientError:
    """Maps a tritonclient ``InferenceServerException`` onto the client's exceptions.

    Args:
        exc: The exception tritonclient raised.
        url: The server address, for the message.
        model_name: The model called, if any.
        input_path: The input the call was about, if any.
        attempts: How many times the call was made.

    Returns:
        The exception to raise (not raised here).
    """
    status, message = _status_name(exc), _message(exc)
    if status == "UNAVAILABLE":
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        hint = ""
        if any(word in message.lower() for word in ("socket closed", "handshake", "ssl")):
            hint = " (TLS mismatch? check --ssl, --root-cert and the client certificate)"
        return ServerUnavailableError(f"cannot reach the server at {url}{tries}: {message}{hint}")
    if status == "NOT_FOUND":
        return ModelNotFoundError(f"model {model_name!r} is not on the server at {url}: {message}")
    if status == "INVALID_ARGUMENT":
        where = f"{input_path}: " if input_path else ""
        return InvalidVideoError(f"{where}{message}", input_path=input_path)
    if status == "DEADLINE_EXCEEDED":
        where = f" for {input_path}" if input_path else ""
        return RequestTimeoutError(f"the request{where} to {url} timed out ({message})")
    where = f" for {input_path}" if input_path else ""
    return ServerError(
        f"the server at {url} failed the request{where}: [{status}] {message}", status
    )


@dataclass(frozen=True)
class InferenceOutput:
    """One video's answer from the ensemble.

    Attributes:
        class_ids: Top-k class ids, best first (int64).
        scores: Their softmax scores, rounded to 5 decimals by the server (float32).
        label_names: Their class names.
        model_name: The model that answered.
        model_version: Its version.
        request_ms: Client round-trip time of the request, retries included.
    """

    class_ids: np.ndarray
    scores: np.ndarray
    label_names: list[str]
    model_name: str
    model_version: str
    request_ms: float


class Transport:
    """A tritonclient gRPC client bound to one :class:`TransportConfig`. Thread-safe."""

    def __init__(self, config: TransportConfig) -> None:
        import tritonclient.grpc as grpcclient

        self.config = config
        self._grpc = grpcclient
        try:
            self._client = grpcclient.InferenceServerClient(
                config.url,
                creds=config.channel_credentials(),
                channel_args=config.channel_args(),
            )
        except VideoclsClientError:
            raise
        except Exception as exc:
            raise ConfigError(f"cannot create a gRPC channel to {config.url}: {exc}") from exc

    def call(
        self,
        fn: Callable[..., _T],
        *args: Any,
        model_name: str | None = None,
        input_path: str | None = None,
        **kwargs: Any,
    ) -> _T:
        """Calls a tritonclient method with the headers and deadline, retrying UNAVAILABLE.

        Raises:
            VideoclsClientError: The mapped error of the last attempt.
        """
        from tritonclient.utils import InferenceServerException

        kwargs.setdefault("headers", dict(self.config.headers) or None)
        kwargs.setdefault("client_timeout", self.config.timeout_s)
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except InferenceServerException as exc:
                if _status_name(exc) == "UNAVAILABLE" and attempt < self.config.retries:
                    time.sleep(self.config.backoff(attempt))
                    attempt += 1
                    continue
                raise map_error(
                    exc,
                    url=self.config.url,
                    model_name=model_name,
                    input_path=input_path,
                    attempts=attempt + 1,
                ) from exc

    def is_model_ready(self, model_name: str) -> bool:
        """Whether *model_name* is loaded and ready."""
        return bool(self.call(self._client.is_model_ready, model_name, model_name=model_name))

    def model_config(self, model_name: str) -> dict[str, Any]:
        """The model's configuration as JSON (``ModelConfig`` fields)."""
        answer = self.call(
            self._client.get_model_config, model_name, as_json=True, model_name=model_name
        )
        return answer.get("config", {})

    def repository_index(self) -> list[dict[str, Any]]:
        """Every model the server knows: ``name``, ``version``, ``state``, ``reason``."""
        return self.call(self._client.get_model_repository_index, as_json=True).get("models", [])

    def infer(
        self, model_name: str, video: bytes, topk: int | None, *, input_path: str | None = None
    ) -> InferenceOutput:
        """Classifies one encoded video; TOPK is omitted when *topk* is None.

        Raises:
            VideoclsClientError: Mapped from the gRPC status (see :func:`map_error`).
        """
        data = np.frombuffer(video, dtype=np.uint8)[None]
        inputs = [self._grpc.InferInput("VIDEO", list(data.shape), "UINT8")]
        inputs[0].set_data_from_numpy(data)
        if topk is not None:
            inputs.append(self._grpc.InferInput("TOPK", [1, 1], "INT32"))
            inputs[1].set_data_from_numpy(np.array([[topk]], dtype=np.int32))
        start = time.perf_counter()
        result = self.call(
            self._client.infer, model_name, inputs, model_name=model_name, input_path=input_path
        )
        request_ms = (time.perf_counter() - start) * 1000.0
        response = result.get_response()
        labels = result.as_numpy("LABEL_NAMES").reshape(-1)
        return InferenceOutput(
            class_ids=result.as_numpy("CLASS_IDS").reshape(-1),
            scores=result.as_numpy("SCORES").reshape(-1),
            label_names=[v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in labels],
            model_name=response.model_name,
            model_version=response.model_version,
            request_ms=request_ms,
        )

    def close(self) -> None:
        """Closes the channel."""
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
