"""``videocls-client`` without a server: help, usage errors, exit codes, the progress bar."""

from __future__ import annotations

import io
import socket

import pytest
from videocls_client.cli import main
from videocls_client.errors import EXIT_CODES
from videocls_client.progress import Progress


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_shows_examples_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "videocls-client predict video.mp4 --url localhost:8001 --model" in out
    for code, text in EXIT_CODES.items():
        assert f"{code:>3}  {text}" in out
    for option in ("--format", "--save-dir", "--concurrency", "--ssl", "--header", "--retries"):
        assert option in out


@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "x.mp4", "--batch-size", "0"],
        ["predict", "x.mp4", "--format", "xml"],
        ["predict", "x.mp4", "--timeout", "-1"],
        ["predict"],
        ["models", "--retries", "-1"],
        [],
    ],
)
def test_argument_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--header", "no colon"], "is not of the form 'Name: value'"),
        (["--client-cert", "cert.pem"], "is not a file"),
        (["--url", "grpc://h:1"], "'host:port' or 'dns:///host:port'"),
    ],
)
def test_option_errors_are_one_line_and_exit_2(extra, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["predict", "x.mp4", "--model", "m", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_client_cert_needs_its_key(capsys, tmp_path):
    (tmp_path / "c.pem").write_text("x")
    code = main(["models", "--client-cert", str(tmp_path / "c.pem")])
    assert code == 2 and "together" in capsys.readouterr().err


def test_unreachable_server_exits_3(capsys):
    url = f"127.0.0.1:{_closed_port()}"
    code = main(["predict", "x.mp4", "--url", url, "--model", "m", "--retries", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err == [err[0]] and err[0].startswith(
        f"videocls-client: error: cannot reach the server at {url}: "
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    assert not Progress.for_stream(10, io.StringIO()).enabled
    assert not Progress.for_stream(1, _Terminal()).enabled
    stream = _Terminal()
    bar = Progress.for_stream(4, stream)
    bar.update()
    bar.update(ok=False)
    bar.clear()
    bar.close()
    text = stream.getvalue()
    assert "\r[###############---------------] 2/4 videos, 1 failed" in text
    assert text.endswith("\n")
