"""The top-1 overlay of ``save_to_video``, drawn exactly as PaddleX 3.7.2's ``TopkVideoResult``.

PaddleX reads every frame with decord, draws ``"<label> <score:.2f>"`` in a red box at the top
left with the largest font size between 5 % and 2 % of the width that fits, converts to BGR
and writes an ``mp4v`` file with OpenCV at decord's average frame rate. Here the frames are
decoded with PyAV (byte-identical to decord on ordinary files, see the preprocessing docs),
the font is a local file instead of PaddleX's run-time download of PingFang, and the same
OpenCV writer is used. PyAV, OpenCV and Pillow are imported only when a video is drawn.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InvalidVideoError, VisualizationError

__all__ = ["DEFAULT_FONT", "FONT_ENV", "VideoFrames", "draw_top1", "font_path", "read_frames"]

#: Debian's ``fonts-dejavu-core`` (installed by ``make`` with the other system packages).
DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
#: Environment variable naming another TrueType font file.
FONT_ENV = "VIDEOCLS_FONT"

# PaddleX: get_colormap(rgb=True)[0] for the box, _get_font_colormap(3) (white) for the text.
BOX_COLOUR = (255, 0, 0)
TEXT_COLOUR = (255, 255, 255)


def font_path() -> Path:
    """The overlay's font: ``$VIDEOCLS_FONT`` or DejaVu Sans.

    Raises:
        VisualizationError: The font file does not exist.
    """
    configured = os.environ.get(FONT_ENV)
    path = Path(configured) if configured else DEFAULT_FONT
    if not path.is_file():
        how = (
            f"{FONT_ENV}={configured} is not a file"
            if configured
            else f"{path} is missing: install it with 'apt-get install -y fonts-dejavu-core' "
            f"or set {FONT_ENV} to a TrueType font file"
        )
        raise VisualizationError(f"no font to draw the label: {how}")
    return path


def _import(module: str):
    try:
        return __import__(module)
    except ImportError as exc:
        raise VisualizationError(
            f"drawing videos needs the '{module}' module: pip install 'videocls[client]'"
        ) from exc


@dataclass
class VideoFrames:
    """A decoded video: an iterator of RGB frames and the stream's average frame rate."""

    frames: Iterator[np.ndarray]
    fps: float


def _to_rgb(frame) -> np.ndarray:
    """RGB24 pixels, turned by the frame's display matrix as decord does (multiples of 90°)."""
    rgb = frame.to_ndarray(format="rgb24")
    angle = float(getattr(frame, "rotation", 0) or 0)
    turns = round(angle / 90.0)
    if angle and abs(angle - 90.0 * turns) < 0.5 and turns % 4:
        rgb = np.rot90(rgb, turns % 4)
    return np.ascontiguousarray(rgb)


def read_frames(source: str | Path | bytes, name: str) -> VideoFrames:
    """Opens a video (a path, or the bytes of a downloaded one) and decodes it lazily.

    Raises:
        InvalidVideoError: It cannot be opened or has no video stream.
        VisualizationError: PyAV is not installed.
    """
    av = _import("av")
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (av.FFmpegError, OSError) as exc:
        raise InvalidVideoError(f"{name}: cannot open the video: {exc}", input_path=name) from exc
    attached = av.stream.Disposition.attached_pic
    streams = [s for s in container.streams.video if not s.disposition & attached]
    if not streams:
        container.close()
        raise InvalidVideoError(f"{name}: the file has no video stream", input_path=name)
    try:
        best = container.streams.best("video")
    except (av.FFmpegError, ValueError):
        best = None
    stream = best if best in streams else streams[0]
    rate = stream.average_rate

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                yield _to_rgb(frame)
        except av.FFmpegError as exc:
            raise InvalidVideoError(f"{name}: cannot decode: {exc}", input_path=name) from exc
        finally:
            container.close()

    return VideoFrames(frames(), float(rate) if rate else 0.0)


class _Overlay:
    """The label box, laid out once per frame size as PaddleX lays it out for every frame."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.font_file = str(font_path())
        self._layouts: dict[tuple[int, int], tuple] = {}

    def _layout(self, draw, size: tuple[int, int]):
        from PIL import ImageFont

        if size in self._layouts:
            return self._layouts[size]
        width = size[0]
        min_size, max_size = int(width * 0.02), int(width * 0.05)
        font = None
        for font_size in range(max_size, min_size - 1, -1):
            font = ImageFont.truetype(self.font_file, font_size, encoding="utf-8")
            left, top, right, bottom = draw.textbbox((0, 0), self.text, font)
            if right - left <= width:
                break
            font = ImageFont.truetype(self.font_file, min_size)
        if font is None:
            raise VisualizationError(f"the video is too narrow ({width} px) to draw a label")
        left, top, right, bottom = draw.textbbox((0, 0), self.text, font)
        text_width, text_height = right - left, bottom - top
        box = [(3, 3), (3 + text_width + 3, 3 + text_height + 6)]
        self._layouts[size] = (font, box)
        return font, box

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """One RGB frame in, the labelled BGR frame out."""
        from PIL import Image, ImageDraw

        image = Image.fromarray(rgb)
        draw = ImageDraw.Draw(image)
        font, box = self._layout(draw, image.size)
        draw.rectangle(box, fill=BOX_COLOUR)
        draw.text((6, 3), self.text, fill=TEXT_COLOUR, font=font)
        return np.ascontiguousarray(np.asarray(image)[..., ::-1])


def draw_top1(video: VideoFrames, label: str, score: float) -> Iterator[np.ndarray]:
    """Labels every frame with ``f"{label} {score:.2f}"``; yields BGR frames.

    Raises:
        VisualizationError: Pillow is missing, or the font is.
    """
    _import("PIL")
    overlay = _Overlay(f"{label} {score:.2f}")
    for rgb in video.frames:
        yield overlay(rgb)


def write_video(path: str | Path, frames: Iterator[np.ndarray], fps: float) -> int:
    """Writes BGR frames as PaddleX does (OpenCV, ``mp4v``, the source's fps).

    Returns:
        The number of frames written.

    Raises:
        VisualizationError: OpenCV is missing or cannot open *path* for writing.
    """
    cv2 = _import("cv2")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    writer = None
    count = 0
    try:
        for frame in frames:
            if writer is None:
                height, width = frame.shape[:2]
                fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
                if not writer.isOpened():
                    raise VisualizationError(f"OpenCV cannot write a video to {path}")
            writer.write(frame)
            count += 1
    finally:
        if writer is not None:
            writer.release()
    return count
