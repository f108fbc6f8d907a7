"""PaddleX-compatible result objects (``TopkVideoResult`` of PaddleX 3.7.2, without PaddleX).

A :class:`VideoClassificationResult` is a ``dict`` with PaddleX's keys and value types::

    {"input_path": str,                  # the path or URL as given
     "class_ids": np.ndarray int32 [1, k],
     "scores": [np.float32] * k,
     "label_names": [str] * k}

``class_ids`` is two-dimensional because PaddleX 3.7.2 stores its predictor's whole
``[batch, k]`` index array in every result; with ``batch_size=1`` that is one row, which is what
every result here holds (PaddleX's ``batch_size > 1`` gives each result the ids of the whole
batch, a PaddleX bug that is not reproduced). ``.json``, ``.str``, ``print()``,
``save_to_json()``, ``save_to_video()``, ``.video`` and ``str()`` behave as PaddleX's: same JSON
layout, same file names, same top-1 overlay. Extra facts (model, timings) are attributes, not
dict keys, so that the dict and its JSON stay PaddleX's.
"""

from __future__ import annotations

import builtins
import copy
import json
import mimetypes
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import visualize

__all__ = ["Timings", "VideoClassificationResult"]


@dataclass(frozen=True)
class Timings:
    """Client-side timings of one video, in milliseconds.

    Attributes:
        read_ms: Reading the file or downloading the URL.
        request_ms: The gRPC request, sent to answered, retries included.
    """

    read_ms: float = 0.0
    request_ms: float = 0.0


def _format_data(obj: Any) -> Any:
    """PaddleX's ``_format_data``: numpy and paths to plain JSON types."""
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return [_format_data(item) for item in obj.tolist()]
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, dict):
        return {k: _format_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_format_data(i) for i in obj]
    return obj


#: Containers OpenCV cannot write ``mp4v`` into (PaddleX fails silently for these inputs).
_NO_MP4V_SUFFIXES = frozenset({".webm"})


def _mime(path: str | Path) -> str | None:
    return mimetypes.guess_type(str(path))[0]


class VideoClassificationResult(dict):
    """One video's top-k classes, with PaddleX's result interface.

    Attributes:
        model_name: The model that answered.
        model_version: Its version on the server.
        timings: Client-side timings.
    """

    def __init__(
        self,
        data: dict[str, Any],
        *,
        model_name: str = "",
        model_version: str = "",
        timings: Timings | None = None,
        video_bytes: bytes | None = None,
    ) -> None:
        """Wraps PaddleX's result dict.

        Args:
            data: ``input_path``, ``class_ids``, ``scores`` and ``label_names``.
            model_name: The model that answered.
            model_version: Its version.
            timings: Client-side timings.
            video_bytes: The encoded video when it is not a local file (a downloaded URL), so
                that :meth:`save_to_video` can draw it without downloading it again.
        """
        super().__init__(data)
        self.model_name = model_name
        self.model_version = model_version
        self.timings = timings or Timings()
        self._video_bytes = video_bytes

    # --- text ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        # PaddleX sets numpy's print options to threshold=1, edgeitems=1 for good; here they
        # apply to the rendering of results only.
        with np.printoptions(threshold=1, edgeitems=1):
            return dict.__repr__(self)

    __str__ = __repr__

    @property
    def str(self) -> dict[str, VideoClassificationResult]:
        """``{"res": self}``, as PaddleX's ``.str``."""
        return {"res": self}

    def _to_str(
        self, json_format: bool = False, indent: int = 4, ensure_ascii: bool = False
    ) -> str:
        if json_format:
            return json.dumps(_format_data({"res": self}), indent=indent, ensure_ascii=ensure_ascii)
        with np.printoptions(threshold=1, edgeitems=1):
            return builtins.str({"res": self})

    def print(
        self,
        json_format: bool = False,
        indent: int = 4,
        ensure_ascii: bool = False,
        *,
        format_json: bool | None = None,
        file: TextIO | None = None,
    ) -> None:
        """Prints the result as PaddleX's ``print()`` does (to stdout, without colour).

        Args:
            json_format: Print JSON instead of the dict's repr.
            indent: JSON indent.
            ensure_ascii: Escape non-ASCII characters in JSON.
            format_json: Alias of ``json_format``.
            file: Stream to print to (stdout by default).
        """
        if format_json is not None:
            json_format = format_json
        text = self._to_str(json_format=json_format, indent=indent, ensure_ascii=ensure_ascii)
        builtins.print(text, file=file or sys.stdout)

    # --- JSON ----------------------------------------------------------------------------

    @property
    def json(self) -> dict[str, dict[str, Any]]:
        """``{"res": {...}}`` with plain JSON types, as PaddleX's ``.json``."""
        return {"res": _format_data(copy.deepcopy(dict(self)))}

    def _input_name(self) -> Path:
        return Path(Path(str(self["input_path"])).name)

    def save_to_json(
        self, save_path: str | Path, indent: int = 4, ensure_ascii: bool = False
    ) -> None:
        """Writes the result's JSON, as PaddleX does.

        Args:
            save_path: A ``.json`` file, or a folder that receives ``<input stem>_res.json``.
            indent: JSON indent.
            ensure_ascii: Escape non-ASCII characters.
        """
        data = self.json
        if _mime(save_path) == "application/json":
            targets = {Path(save_path): data["res"]}
        else:
            stem = self._input_name().stem
            targets = {Path(save_path) / f"{stem}_{key}.json": value for key, value in data.items()}
        for target, value in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                json.dump(value, f, indent=indent, ensure_ascii=ensure_ascii)

    # --- video ---------------------------------------------------------------------------

    def _labelled_frames(self):
        source = self._video_bytes if self._video_bytes is not None else self["input_path"]
        video = visualize.read_frames(source, str(self["input_path"]))
        labels = self.get("label_names", self["class_ids"])
        return visualize.draw_top1(video, labels[0], self["scores"][0]), video.fps

    @property
    def video(self) -> dict[str, tuple[np.ndarray, float]]:
        """``{"res": (frames, fps)}``: every frame labelled, BGR uint8 ``[n, h, w, 3]``.

        Raises:
            VisualizationError: The font or a video library is missing.
            InvalidVideoError: The video cannot be decoded locally.
        """
        frames, fps = self._labelled_frames()
        return {"res": (np.array(list(frames)), fps)}

    def save_to_video(self, save_path: str | Path) -> None:
        """Writes the labelled video, as PaddleX does (frames streamed, not held in memory).

        Args:
            save_path: A video file (by its MIME type), or a folder that receives
                ``<input stem>_res<input suffix if a video type, else .mp4>``; ``.webm``
                inputs give ``.mp4`` (OpenCV cannot write ``mp4v`` into WebM, so PaddleX
                writes no file at all for them).

        Raises:
            VisualizationError: The font or a video library is missing.
            InvalidVideoError: The video cannot be decoded locally.
        """
        if _mime(save_path) and _mime(save_path).startswith("video/"):
            target = Path(save_path)
        else:
            name = self._input_name()
            mime = _mime(name)
            suffix = name.suffix if mime and mime.startswith("video/") else ".mp4"
            if suffix.lower() in _NO_MP4V_SUFFIXES:
                suffix = ".mp4"  # PaddleX silently writes nothing: WebM cannot hold mp4v
            target = Path(save_path) / f"{name.stem}_res{suffix}"
        frames, fps = self._labelled_frames()
        visualize.write_video(target, frames, fps)

    def save_all(self, save_path: str | Path) -> None:
        """``save_to_json`` and ``save_to_video`` into *save_path*, as PaddleX's ``save_all``."""
        self.save_to_json(save_path)
        self.save_to_video(save_path)
