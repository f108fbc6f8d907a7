"""Launch the real ``tritonserver`` binary shipped in the ``nvidia-pytriton`` wheel.

The wheel holds ``pytriton/tritonserver/`` (``bin/tritonserver``, the Python backend) and one
Python-backend stub per Python version. A private backend folder is assembled in a workspace
(the stub matching this interpreter placed beside ``libtriton_python.so``), the venv's ``bin``
goes first on PATH so that every stub imports this venv's packages, and the wheel's libraries
go on LD_LIBRARY_PATH.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from videocls_preprocess.errors import ServerError


@dataclass(frozen=True)
class GrpcTls:
    """TLS on tritonserver's gRPC endpoint (mutual TLS when *root_cert* is given).

    Attributes:
        server_cert: PEM certificate the server presents.
        server_key: Its private key.
        root_cert: CA that client certificates must chain to; enables mutual TLS.
    """

    server_cert: Path
    server_key: Path
    root_cert: Path | None = None

    def __post_init__(self) -> None:
        for name in ("server_cert", "server_key", "root_cert"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ServerError(f"TLS {name.replace('_', ' ')} {path} is not a file")

    def flags(self) -> list[str]:
        """tritonserver's ``--grpc-*`` TLS flags."""
        flags = [
            "--grpc-use-ssl=true",
            f"--grpc-server-cert={Path(self.server_cert).resolve()}",
            f"--grpc-server-key={Path(self.server_key).resolve()}",
        ]
        if self.root_cert is not None:
            flags += [
                "--grpc-use-ssl-mutual=true",
                f"--grpc-root-cert={Path(self.root_cert).resolve()}",
            ]
        return flags


@dataclass(frozen=True)
class ServerConfig:
    """Where tritonserver listens and what it serves.

    Attributes:
        model_repository: The Triton model repository folder.
        grpc_port: gRPC port (8001 by default, 0 = pick a free one).
        http_port: HTTP port (health, metadata).
        metrics_port: Prometheus metrics port.
        address: Bind address of all three endpoints.
        log_verbose: tritonserver's ``--log-verbose`` level.
        exit_timeout_s: Grace period for in-flight requests on shutdown.
        tls: TLS on the gRPC endpoint; plaintext when None.
        models: Load only these ensembles (explicit model control); all when empty.
    """

    model_repository: Path
    grpc_port: int = 8001
    http_port: int = 8000
    metrics_port: int = 8002
    address: str = "0.0.0.0"
    log_verbose: int = 0
    exit_timeout_s: int = 10
    tls: GrpcTls | None = None
    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not Path(self.model_repository).is_dir():
            raise ServerError(f"model repository {self.model_repository} is not a directory")
        for name in ("grpc_port", "http_port", "metrics_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ServerError(f"{name} {port} is not a TCP port")

    @classmethod
    def local(cls, model_repository: Path, **options) -> ServerConfig:
        """A server on 127.0.0.1 with free ports (tests, benchmarks, load tests, the demo).

        Args:
            model_repository: The Triton model repository folder.
            **options: Any other :class:`ServerConfig` field.
        """
        ports = {"grpc_port": 0, "http_port": 0, "metrics_port": 0}
        return cls(model_repository, **ports, address="127.0.0.1", **options)


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port that is free right now."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the launching process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def triton_home() -> Path:
    """``pytriton/tritonserver`` inside site-packages."""
    try:
        import pytriton
    except ImportError as exc:
        raise ServerError("nvidia-pytriton is not installed (pip install videocls[serve])") from exc
    home = Path(pytriton.__file__).parent / "tritonserver"
    if not (home / "bin" / "tritonserver").is_file():
        raise ServerError(f"no tritonserver binary under {home}")
    return home


def _backend_directory(workspace: Path) -> Path:
    home = triton_home()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub = home / "python_backend_stubs" / version / "triton_python_backend_stub"
    if not stub.is_file():
        raise ServerError(f"the wheel has no Python-backend stub for Python {version}")
    python = workspace / "backends" / "python"
    python.mkdir(parents=True)
    for item in (home / "backends" / "python").iterdir():
        if item.is_file():
            (python / item.name).symlink_to(item)
    shutil.copy2(stub, python / "triton_python_backend_stub")
    return workspace / "backends"


class TritonServer:
    """A running tritonserver process; use as a context manager or call start()/stop()."""

    def __init__(self, config: ServerConfig, *, log_file: Path | None = None) -> None:
        self.config = config
        self.log_file = log_file
        self._workspace: Path | None = None
        self._process: subprocess.Popen | None = None
        self._log = None
        ports = {}
        for name in ("grpc_port", "http_port", "metrics_port"):
            ports[name] = getattr(config, name) or free_port()
        self.grpc_port, self.http_port, self.metrics_port = (
            ports["grpc_port"],
            ports["http_port"],
            ports["metrics_port"],
        )

    @property
    def pid(self) -> int | None:
        """tritonserver's process id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def command(self, backend_directory: Path, cache_directory: Path) -> list[str]:
        """The tritonserver command line."""
        c = self.config
        return [
            str(triton_home() / "bin" / "tritonserver"),
            f"--model-repository={Path(c.model_repository).resolve()}",
            f"--backend-directory={backend_directory}",
            f"--cache-directory={cache_directory}",
            f"--grpc-address={c.address}",
            f"--grpc-port={self.grpc_port}",
            f"--http-address={c.address}",
            f"--http-port={self.http_port}",
            "--allow-metrics=true",
            "--allow-gpu-metrics=false",
            f"--metrics-address={c.address}",
            f"--metrics-port={self.metrics_port}",
            f"--exit-timeout-secs={c.exit_timeout_s}",
            f"--log-verbose={c.log_verbose}",
            "--strict-readiness=true",
            *(c.tls.flags() if c.tls else []),
            *self._model_flags(),
        ]

    def _model_flags(self) -> list[str]:
        # Under explicit control, loading an ensemble loads its steps too.
        if not self.config.models:
            return []
        return ["--model-control-mode=explicit", *(f"--load-model={m}" for m in self.config.models)]

    def environment(self) -> dict[str, str]:
        """Process environment: venv bin first on PATH, the wheel's libraries loadable."""
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        libs = triton_home().parent.parent / "nvidia_pytriton.libs"
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(libs), env.get("LD_LIBRARY_PATH", "")) if p
        )
        return env

    def start(self, timeout_s: float = 120.0) -> TritonServer:
        """Starts tritonserver and waits until every model is ready.

        Raises:
            ServerError: The process exited or did not become ready within *timeout_s*.
        """
        self._workspace = Path(tempfile.mkdtemp(prefix="videocls-triton-"))
        backends = _backend_directory(self._workspace)
        cache = self._workspace / "cache"
        cache.mkdir()
        self._log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            self.command(backends, cache),
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout_s: float) -> None:
        """Polls ``/v2/health/ready`` until it answers 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise ServerError(
                    f"tritonserver exited with code {code} before it was ready{self._log_hint()}"
                )
            if self.is_ready():
                return
            time.sleep(0.2)
        raise ServerError(f"tritonserver was not ready after {timeout_s:.0f} s{self._log_hint()}")

    def is_ready(self) -> bool:
        """True when the HTTP readiness endpoint answers 200."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/v2/health/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def _log_hint(self) -> str:
        return f" (see {self.log_file})" if self.log_file else ""

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGINT, wait, then SIGKILL the process group; removes the workspace."""
        code = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGINT)
                try:
                    self._process.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    os.killpg(self._process.pid, signal.SIGKILL)
                    self._process.wait()
            code = self._process.returncode
            # Python-backend stubs live in the same process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process = None
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None
        if self._workspace is not None:
            shutil.rmtree(self._workspace, ignore_errors=True)
            self._workspace = None
        return code

    def wait(self) -> int:
        """Blocks until the process exits; returns its exit code."""
        if self._process is None:
            raise ServerError("tritonserver is not running")
        return self._process.wait()

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
