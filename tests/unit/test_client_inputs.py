"""Input expansion (paths, folders, URLs, lists) and the client's downloads (no Triton)."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest
from videocls_client.errors import (
    ConfigError,
    InputNotFoundError,
    InvalidInputError,
    InvalidVideoError,
)
from videocls_client.inputs import DownloadConfig, VideoSource, download, expand_inputs, is_url


def _touch(path: Path, data: bytes = b"video") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _paths(items) -> list[str]:
    return [item.input_path for item in items]


def test_folder_is_walked_recursively_sorted_by_extension(tmp_path):
    root = tmp_path / "videos"
    for name in ("b.mp4", "a.AVI", "notes.txt", "c.mkv", "sub/d.webm", "sub/e.mov", "z.MP4"):
        _touch(root / name)
    items = list(expand_inputs(str(root)))
    assert all(isinstance(i, VideoSource) and not i.is_url for i in items)
    # PaddleX's extensions (compared case-insensitively), sorted by full path like PaddleX.
    assert _paths(items) == [
        str(root / n) for n in ("a.AVI", "b.mp4", "c.mkv", "sub/d.webm", "z.MP4")
    ]


def test_named_file_is_sent_whatever_its_extension(tmp_path):
    path = _touch(tmp_path / "clip.mov")
    assert _paths(expand_inputs(path)) == [str(path)]


def test_list_mixing_kinds_keeps_order(tmp_path):
    one = _touch(tmp_path / "one.mp4")
    folder = tmp_path / "dir"
    _touch(folder / "x.mp4")
    _touch(folder / "y.mp4")
    url = "https://example.invalid/v/clip.mp4?sig=1"
    items = list(expand_inputs([str(one), url, folder, str(one)]))
    assert _paths(items) == [str(one), url, str(folder / "x.mp4"), str(folder / "y.mp4"), str(one)]
    assert [i.is_url for i in items] == [False, True, False, False, False]


def test_missing_and_empty_inputs_are_yielded_in_place(tmp_path):
    good = _touch(tmp_path / "good.mp4")
    empty = tmp_path / "empty"
    empty.mkdir()
    items = list(expand_inputs([str(tmp_path / "missing.mp4"), str(good), str(empty)]))
    assert isinstance(items[0], InputNotFoundError) and "no such file" in str(items[0])
    assert items[0].input_path == str(tmp_path / "missing.mp4")
    assert isinstance(items[1], VideoSource)
    assert isinstance(items[2], InputNotFoundError) and "no video file" in str(items[2])


@pytest.mark.parametrize("bad", [123, None, {"a": 1}, [b"bytes"]])
def test_bad_input_types_raise(bad):
    with pytest.raises(InvalidInputError, match="path"):
        list(expand_inputs(bad))


def test_is_url():
    assert is_url("http://h/x.mp4") and is_url("HTTPS://h/x.mp4")
    assert not is_url("/videos/http/x.mp4") and not is_url("ftp://h/x.mp4")


def test_reading_a_file(tmp_path):
    path = _touch(tmp_path / "v.mp4", b"x" * 100)
    assert VideoSource(str(path)).read(DownloadConfig()) == b"x" * 100
    with pytest.raises(InvalidVideoError, match="100 bytes, more than the limit of 99"):
        VideoSource(str(path)).read(DownloadConfig(max_bytes=99))
    with pytest.raises(InputNotFoundError, match="no such file"):
        VideoSource(str(tmp_path / "gone.mp4")).read(DownloadConfig())


@pytest.mark.parametrize("kwargs", [{"max_bytes": 0}, {"max_bytes": 1.5}, {"timeout_s": 0}])
def test_download_config_is_validated(kwargs):
    with pytest.raises(ConfigError):
        DownloadConfig(**kwargs)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow.mp4":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            time.sleep(2)
            return
        if self.path == "/chunked.mp4":  # no Content-Length: the cap applies while reading
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"y" * 5000)
            return
        if self.path != "/video.mp4":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", "3000")
        self.end_headers()
        self.wfile.write(b"v" * 3000)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.protocol_version = "HTTP/1.0"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download(web):
    assert download(f"{web}/video.mp4", DownloadConfig()) == b"v" * 3000
    source = next(expand_inputs(f"{web}/video.mp4"))
    assert source.is_url and source.read(DownloadConfig()) == b"v" * 3000


def test_download_errors(web):
    with pytest.raises(InputNotFoundError, match="HTTP 404"):
        download(f"{web}/missing.mp4", DownloadConfig())
    with pytest.raises(InvalidVideoError, match="3000 bytes, more than the limit of 2999"):
        download(f"{web}/video.mp4", DownloadConfig(max_bytes=2999))
    with pytest.raises(InvalidVideoError, match="more than the limit of 4096"):
        download(f"{web}/chunked.mp4", DownloadConfig(max_bytes=4096))
    start = time.monotonic()
    with pytest.raises(InputNotFoundError, match="download failed"):
        download(f"{web}/slow.mp4", DownloadConfig(timeout_s=0.5))
    assert time.monotonic() - start < 1.9


def test_unreachable_url():
    with pytest.raises(InputNotFoundError, match="download failed"):
        download("http://127.0.0.1:1/x.mp4", DownloadConfig(timeout_s=5))
