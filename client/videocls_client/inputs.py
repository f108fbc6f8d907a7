"""Input expansion: a path, an http(s) URL, a folder, or a list mixing them -> video sources.

Folders are walked recursively and their video files taken by extension, sorted by path, as
PaddleX 3.7.2's ``VideoBatchSampler`` does (its extensions, compared case-insensitively). A
file named explicitly is sent whatever its extension: the server decides whether it is a video.
URLs are downloaded by the client, with a size cap and a timeout; the server never fetches one.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InputNotFoundError, InvalidInputError, InvalidVideoError

__all__ = [
    "VIDEO_SUFFIXES",
    "DownloadConfig",
    "VideoSource",
    "expand_inputs",
    "is_url",
]

#: Extensions PaddleX 3.7.2 takes from a folder.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm")
_CHUNK = 1 << 20


def is_url(text: str) -> bool:
    """True for ``http://`` and ``https://`` addresses."""
    return text[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class DownloadConfig:
    """Limits of URL downloads and of what is sent. Validated at construction.

    Attributes:
        max_bytes: Largest video read or downloaded; bigger inputs fail with
            :class:`~videocls_client.errors.InvalidVideoError` before anything is sent.
        timeout_s: Wall-clock limit of one download (also the socket timeout).
    """

    max_bytes: int = 256 * 1024 * 1024
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int):
            raise ConfigError(f"max_bytes must be an integer, got {self.max_bytes!r}")
        if self.max_bytes < 1:
            raise ConfigError(f"max_bytes must be >= 1, got {self.max_bytes}")
        if not self.timeout_s > 0:
            raise ConfigError(f"download timeout must be > 0 seconds, got {self.timeout_s}")


@dataclass(frozen=True)
class VideoSource:
    """One video to classify.

    Attributes:
        input_path: The path or URL as given (a folder's files: the folder joined with the
            file's relative path); it becomes the result's ``input_path``.
        is_url: Whether ``input_path`` is an http(s) URL.
    """

    input_path: str
    is_url: bool = False

    def read(self, config: DownloadConfig) -> bytes:
        """The encoded video: the file's bytes, or the URL's body.

        Raises:
            InputNotFoundError: Missing or unreadable file, download failure or timeout.
            InvalidVideoError: Larger than ``config.max_bytes``.
        """
        if self.is_url:
            return download(self.input_path, config)
        path = Path(self.input_path)
        try:
            size = path.stat().st_size
            if size > config.max_bytes:
                raise _too_large(self.input_path, size, config.max_bytes)
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise InputNotFoundError(
                f"{self.input_path}: no such file", input_path=self.input_path
            ) from exc
        except IsADirectoryError as exc:  # raced: a file became a folder
            raise InputNotFoundError(
                f"{self.input_path}: is a folder", input_path=self.input_path
            ) from exc
        except OSError as exc:
            raise InputNotFoundError(
                f"{self.input_path}: cannot read: {exc.strerror or exc}",
                input_path=self.input_path,
            ) from exc


def _too_large(input_path: str, size: int | str, limit: int) -> InvalidVideoError:
    return InvalidVideoError(
        f"{input_path}: the video is {size} bytes, more than the limit of {limit} bytes",
        input_path=input_path,
    )


def download(url: str, config: DownloadConfig) -> bytes:
    """GETs *url* into memory, refusing bodies above ``config.max_bytes``.

    Raises:
        InputNotFoundError: HTTP error status, connection failure or timeout.
        InvalidVideoError: The body is larger than ``config.max_bytes``.
    """
    deadline = time.monotonic() + config.timeout_s
    request = urllib.request.Request(url, headers={"User-Agent": "videocls-client"})
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_s) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > config.max_bytes:
                raise _too_large(url, int(length), config.max_bytes)
            body = bytearray()
            while chunk := response.read(_CHUNK):
                body += chunk
                if len(body) > config.max_bytes:
                    raise _too_large(url, f"more than {config.max_bytes}", config.max_bytes)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"download took longer than {config.timeout_s:g} s")
            return bytes(body)
    except urllib.error.HTTPError as exc:
        raise InputNotFoundError(
            f"{url}: download failed: HTTP {exc.code} {exc.reason}", input_path=url
        ) from exc
    except urllib.error.URLError as exc:
        raise InputNotFoundError(f"{url}: download failed: {exc.reason}", input_path=url) from exc
    except (TimeoutError, OSError) as exc:
        raise InputNotFoundError(f"{url}: download failed: {exc}", input_path=url) from exc


def _folder_videos(folder: str) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(folder):
        found.extend(
            os.path.join(root, name) for name in files if name.lower().endswith(VIDEO_SUFFIXES)
        )
    return sorted(found)


def _expand_one(item: str | os.PathLike) -> list[VideoSource]:
    text = os.fspath(item)
    if not isinstance(text, str):
        raise InvalidInputError(f"input {item!r} is not a path or URL")
    if is_url(text):
        return [VideoSource(text, is_url=True)]
    if os.path.isdir(text):
        videos = _folder_videos(text)
        if not videos:
            raise InputNotFoundError(
                f"{text}: no video file ({', '.join(VIDEO_SUFFIXES)}) in this folder",
                input_path=text,
            )
        return [VideoSource(path) for path in videos]
    if not os.path.exists(text):
        raise InputNotFoundError(f"{text}: no such file or folder", input_path=text)
    return [VideoSource(text)]


def expand_inputs(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
) -> Iterator[VideoSource | InvalidInputError]:
    """Expands *inputs* lazily, in order, into sources.

    A missing path or an empty folder is yielded as an :class:`InputNotFoundError` in its
    place (not raised), so that the caller decides whether the other inputs go on.

    Raises:
        InvalidInputError: *inputs* is not a path, URL or list of them.
    """
    if isinstance(inputs, (str, os.PathLike)):
        items: Sequence[str | os.PathLike] = [inputs]
    elif isinstance(inputs, (list, tuple)):
        items = inputs
    else:
        raise InvalidInputError(
            f"input must be a path, URL, folder or a list of them, got {type(inputs).__name__}"
        )
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise InvalidInputError(f"input {item!r} is not a path or URL ({type(item).__name__})")
        try:
            yield from _expand_one(item)
        except InvalidInputError as exc:
            yield exc
