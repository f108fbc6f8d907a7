"""Resolve a model SOURCE (dir, ``*_infer.tar``, http(s) URL, or official model name).

The result is always a local directory holding ``inference.json`` or ``inference.pdmodel``,
``inference.pdiparams`` and ``inference.yml``, plus the parsed :class:`ModelSpec`.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from videocls_preprocess.errors import ModelSourceError

from ..modelspec import OFFICIAL_MODEL_NAMES, ModelSpec

#: Where PaddleX 3.x publishes its official inference models (``{name}_infer.tar``).
OFFICIAL_BASE_URL = (
    "https://paddle-model-ecology.bj.bcebos.com/paddlex/official_inference_model/paddle3.0.0"
)
#: Environment variable that replaces :data:`OFFICIAL_BASE_URL` (a mirror, or a test server).
BASE_URL_ENV = "VIDEOCLS_OFFICIAL_MODEL_BASE_URL"

MAX_DOWNLOAD_BYTES = 2 * 1024**3
DOWNLOAD_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PaddleModel:
    """A PaddleX inference model on local disk.

    Attributes:
        directory: The folder holding the three files.
        model_file: ``inference.json`` (Paddle 3 PIR) or ``inference.pdmodel``.
        params_file: ``inference.pdiparams``.
        spec: The parsed ``inference.yml``.
    """

    directory: Path
    model_file: Path
    params_file: Path
    spec: ModelSpec


def official_url(model_name: str) -> str:
    """The official ``*_infer.tar`` URL of a model (``$VIDEOCLS_OFFICIAL_MODEL_BASE_URL`` wins)."""
    base = os.environ.get(BASE_URL_ENV) or OFFICIAL_BASE_URL
    return f"{base.rstrip('/')}/{model_name}_infer.tar"


def resolve_source(source: str | os.PathLike, workdir: Path) -> PaddleModel:
    """Turns SOURCE into a local :class:`PaddleModel`, downloading/extracting under *workdir*.

    Args:
        source: An inference dir, a ``*_infer.tar``, an http(s) URL of one, or a model name.
        workdir: A scratch directory owned by the caller (removed by the caller).

    Raises:
        ModelSourceError: With a one-line reason for any unusable source.
    """
    text = os.fspath(source)
    if urlparse(text).scheme in ("http", "https"):
        return load_model_dir(_extract_tar(_download(text, workdir), workdir))
    path = Path(text)
    if path.is_dir():
        return load_model_dir(path)
    if path.is_file():
        return load_model_dir(_extract_tar(path, workdir))
    if text in OFFICIAL_MODEL_NAMES:
        return resolve_source(official_url(text), workdir)
    if path.suffix or os.sep in text:
        raise ModelSourceError(f"{text}: no such file or directory")
    raise ModelSourceError(
        f"{text!r} is neither a path, a URL nor a known model name "
        f"({', '.join(OFFICIAL_MODEL_NAMES)})"
    )


def load_model_dir(directory: Path) -> PaddleModel:
    """Validates a PaddleX inference directory and parses its ``inference.yml``."""
    params = directory / "inference.pdiparams"
    model_file = next(
        (
            directory / n
            for n in ("inference.json", "inference.pdmodel")
            if (directory / n).is_file()
        ),
        None,
    )
    if model_file is None:
        raise ModelSourceError(f"{directory}: neither inference.json nor inference.pdmodel found")
    if not params.is_file():
        raise ModelSourceError(f"{directory}: inference.pdiparams not found")
    spec = ModelSpec.from_yaml(directory / "inference.yml")
    return PaddleModel(directory=directory, model_file=model_file, params_file=params, spec=spec)


def _download(url: str, workdir: Path) -> Path:
    target = workdir / "download.tar"
    try:
        with (
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
            open(target, "wb") as out,
        ):
            copied = 0
            while chunk := response.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_DOWNLOAD_BYTES:
                    raise ModelSourceError(f"{url}: larger than {MAX_DOWNLOAD_BYTES} bytes")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise ModelSourceError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelSourceError(f"{url}: unreachable ({reason})") from exc
    return target


def _extract_tar(archive: Path, workdir: Path) -> Path:
    """Safely extracts *archive* and returns the folder that holds ``inference.yml``."""
    dest = workdir / "extracted"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        reason = str(exc).splitlines()[0].rstrip(":") if str(exc) else type(exc).__name__
        raise ModelSourceError(f"{archive}: not a readable tar archive ({reason})") from exc
    found = sorted(p.parent for p in dest.rglob("inference.yml"))
    if not found:
        raise ModelSourceError(f"{archive}: the archive holds no inference.yml")
    if len(found) > 1:
        raise ModelSourceError(f"{archive}: the archive holds several models: {found}")
    return found[0]
