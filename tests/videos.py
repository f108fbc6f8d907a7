"""A small, deterministic video corpus for tests and benchmarks, written with PyAV.

Every frame is content-rich (moving gradients, a moving box, a disc and a per-frame binary
code strip) and its colours depend on ``seed``, so two seeds give clearly different videos and
two frames of one video are never equal: a decoder that returns the wrong frame is caught.

Usage::

    from videos import CORPUS, build_corpus, write_video  # tests/ is on sys.path under pytest

    paths = build_corpus(tmp_path)          # {name: Path}, every entry of CORPUS
    write_video(tmp_path / "x.mp4", width=320, height=240, frames=30, seed=3)
"""

from __future__ import annotations

import fractions
import os
import shutil
import struct
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

__all__ = [
    "CORPUS",
    "VideoSpec",
    "build_corpus",
    "frame_code",
    "frame_pattern",
    "hostile_inputs",
    "set_rotation",
    "write_video",
]

# Encoder name and options per codec name accepted by write_video.
_VIDEO_ENCODERS: dict[str, tuple[str, dict[str, str]]] = {
    # B-frames and a short GOP so random access has to seek across keyframes.
    "h264": ("libx264", {"preset": "veryfast", "crf": "20", "g": "12", "bf": "2"}),
    "mpeg4": ("mpeg4", {"qscale": "3", "g": "12"}),
    # "good" deadline: decord was seen failing on a "realtime" VP9 stream (docs/decoding.md).
    "vp9": ("libvpx-vp9", {"deadline": "good", "cpu-used": "8", "crf": "34", "b": "0", "g": "12"}),
    "mjpeg": ("mjpeg", {"qscale": "3"}),
}

# Audio encoder per container format (one the container accepts).
_AUDIO_ENCODERS: dict[str, str] = {
    "mp4": "aac",
    "mov": "aac",
    "matroska": "aac",
    "webm": "libopus",
    "avi": "ac3",
}

_SUFFIX_FORMATS: dict[str, str] = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".avi": "avi",
    ".h264": "h264",
}

PATTERNS = ("gradient", "checker")


def frame_pattern(
    index: int, width: int, height: int, *, seed: int = 0, pattern: str = "gradient"
) -> np.ndarray:
    """Return frame ``index`` of a synthetic video as an HxWx3 RGB uint8 array.

    Args:
        index: Frame number; the picture moves with it and carries it as a binary code strip.
        width: Frame width in pixels.
        height: Frame height in pixels.
        seed: Selects the colours and the motion speeds.
        pattern: ``"gradient"`` (smooth moving gradients) or ``"checker"`` (adds a moving
            high-frequency checkerboard, hard on resizing and compression).

    Returns:
        The RGB frame.
    """
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}, expected one of {PATTERNS}")
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.15, 0.85, size=(3,))
    amp = rng.uniform(0.1, 0.35, size=(3,))
    freq = rng.uniform(1.0, 3.0, size=(3, 2))
    speed = rng.uniform(0.03, 0.12, size=(3,))
    box_colour = rng.integers(0, 256, size=3, dtype=np.uint8)
    disc_colour = rng.integers(0, 256, size=3, dtype=np.uint8)

    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    img = np.empty((height, width, 3), dtype=np.float32)
    for c in range(3):
        phase = 2 * np.pi * (freq[c, 0] * xs + freq[c, 1] * ys + speed[c] * index)
        img[..., c] = base[c] + amp[c] * np.sin(phase)
    if pattern == "checker":
        cell = max(2, min(width, height) // 24)
        shift = index * max(1, cell // 3)
        yy = (np.arange(height)[:, None] + shift) // cell
        xx = (np.arange(width)[None, :] + 2 * shift) // cell
        img += (((yy + xx) % 2) * 0.25 - 0.125)[..., None]
    out = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)

    # A box bouncing horizontally and a disc moving diagonally.
    bw, bh = max(2, width // 6), max(2, height // 5)
    span_x = max(1, width - bw)
    x0 = (index * max(1, width // 17) + seed * 7) % (2 * span_x)
    x0 = x0 if x0 < span_x else 2 * span_x - x0
    y0 = height // 3
    out[y0 : y0 + bh, x0 : x0 + bw] = box_colour
    r = max(2, min(width, height) // 8)
    cx = (width // 4 + index * max(1, width // 29)) % width
    cy = (height // 4 + index * max(1, height // 23)) % height
    disc = (np.arange(height)[:, None] - cy) ** 2 + (np.arange(width)[None, :] - cx) ** 2 <= r * r
    out[disc] = disc_colour

    # The frame number as 12 black/white blocks along the bottom edge.
    block = max(2, width // 16)
    strip_h = max(2, height // 16)
    for bit in range(min(12, width // block)):
        value = 255 if (index >> bit) & 1 else 0
        out[height - strip_h :, bit * block : (bit + 1) * block] = value
    return out


def frame_code(frame: np.ndarray) -> int:
    """Read back the frame number :func:`frame_pattern` drew along the bottom edge.

    Works on decoded (lossy) frames at the encoded size; used as ground truth for "is this
    the right frame".

    Args:
        frame: HxWx3 RGB frame as decoded.

    Returns:
        The frame index encoded in the picture (modulo 4096).
    """
    height, width = frame.shape[:2]
    block = max(2, width // 16)
    strip_h = max(2, height // 16)
    value = 0
    for bit in range(min(12, width // block)):
        cell = frame[height - strip_h + 1 : height - 1, bit * block + 1 : (bit + 1) * block - 1]
        if float(cell.mean()) > 127.5:
            value |= 1 << bit
    return value


def write_video(
    path: str | Path,
    *,
    width: int,
    height: int,
    frames: int,
    fps: int = 25,
    codec: str = "h264",
    container: str | None = None,
    pix_fmt: str = "yuv420p",
    audio: bool = False,
    vfr: bool = False,
    seed: int = 0,
    pattern: str = "gradient",
    faststart: bool = False,
    codec_options: Mapping[str, str] | None = None,
) -> Path:
    """Encode a synthetic video with PyAV.

    Args:
        path: Output file; its suffix picks the container unless ``container`` is given.
        width: Frame width (odd sizes need ``pix_fmt="yuv444p"`` with h264).
        height: Frame height.
        frames: Number of video frames.
        fps: Nominal frame rate.
        codec: ``"h264"``, ``"mpeg4"``, ``"vp9"`` or ``"mjpeg"`` (or any PyAV encoder name).
        container: FFmpeg muxer name (``"mp4"``, ``"avi"``, ``"matroska"``...); from the suffix
            when None.
        pix_fmt: Encoder pixel format.
        audio: Add a mono sine audio track as long as the video.
        vfr: Variable frame rate: frame durations cycle through 1, 2 and 3 ticks of ``1/fps``
            (on a millisecond time base).
        seed: Picks colours and motion (see :func:`frame_pattern`).
        pattern: See :func:`frame_pattern`.
        faststart: mp4/mov only: put the moov atom before the media data.
        codec_options: Extra encoder options, merged over the defaults.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    fmt = container or _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the container of {path.name}; pass container=")
    encoder, defaults = _VIDEO_ENCODERS.get(codec, (codec, {}))
    options = {**defaults, **(codec_options or {})}
    container_options = {"movflags": "+faststart"} if faststart else {}

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format=fmt, options=container_options) as out:
        vstream = out.add_stream(encoder, rate=fps, options=options)
        vstream.width, vstream.height, vstream.pix_fmt = width, height, pix_fmt
        if fmt == "avi" and encoder == "mpeg4":
            vstream.codec_context.codec_tag = "XVID"
        time_base = fractions.Fraction(1, 1000) if vfr else fractions.Fraction(1, fps)
        vstream.codec_context.time_base = time_base
        if vfr:
            vstream.time_base = time_base
        astream = _add_audio(out, fmt) if audio else None

        pts = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(
                frame_pattern(i, width, height, seed=seed, pattern=pattern), format="rgb24"
            )
            frame.pts, frame.time_base = pts, time_base
            out.mux(vstream.encode(frame))
            pts += (1000 * (1 + i % 3)) // fps if vfr else 1
        out.mux(vstream.encode(None))
        if astream is not None:
            seconds = float(pts * time_base)
            _write_audio(out, astream, seconds, seed)
    return path


def _add_audio(out: av.container.OutputContainer, fmt: str) -> av.audio.stream.AudioStream:
    codec = _AUDIO_ENCODERS.get(fmt, "aac")
    rate = 48000 if codec == "libopus" else 44100
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    return stream


def _write_audio(
    out: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    seconds: float,
    seed: int,
) -> None:
    rate = stream.codec_context.sample_rate
    total = max(1, int(seconds * rate))
    t = np.arange(total, dtype=np.float32) / rate
    tone = (0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t) * 32767).astype(np.int16)
    resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=rate)
    chunk = stream.codec_context.frame_size or 1024
    pts = 0
    for start in range(0, total, chunk):
        piece = tone[start : start + chunk][None, :]
        frame = av.AudioFrame.from_ndarray(piece, format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, pts
        pts += piece.shape[1]
        for converted in resampler.resample(frame):
            out.mux(stream.encode(converted))
    for converted in resampler.resample(None):
        out.mux(stream.encode(converted))
    out.mux(stream.encode(None))


@dataclass(frozen=True)
class VideoSpec:
    """One corpus entry: the file name and the :func:`write_video` keyword arguments."""

    filename: str
    width: int
    height: int
    frames: int
    fps: int = 25
    codec: str = "h264"
    pix_fmt: str = "yuv420p"
    audio: bool = False
    vfr: bool = False
    seed: int = 0
    pattern: str = "gradient"
    faststart: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        """The :func:`write_video` keyword arguments of this entry."""
        kwargs = asdict(self)
        for key in ("filename", "notes", "extra"):
            kwargs.pop(key)
        return {**kwargs, **self.extra}

    def write(self, directory: str | Path) -> Path:
        """Write this video into ``directory`` (returns its path)."""
        return write_video(Path(directory) / self.filename, **self.kwargs())


CORPUS: dict[str, VideoSpec] = {
    spec.filename.split(".")[0]: spec
    for spec in (
        VideoSpec("land_320x240.mp4", 320, 240, 75, seed=1, notes="h264 mp4, 25 fps, 3 s"),
        VideoSpec("hd_1280x720.mp4", 1280, 720, 20, fps=30, seed=2, notes="720p, 30 fps"),
        VideoSpec("portrait_240x320.mp4", 240, 320, 40, seed=3, notes="portrait"),
        VideoSpec(
            "odd_333x197.mp4", 333, 197, 30, pix_fmt="yuv444p", seed=4, notes="odd sizes, 4:4:4"
        ),
        VideoSpec(
            "short256_341x256.mp4", 341, 256, 30, pix_fmt="yuv444p", seed=5, notes="short = 256"
        ),
        VideoSpec("short256_256x320.mp4", 256, 320, 30, seed=6, notes="portrait, short = 256"),
        VideoSpec("fps30_320x240.mp4", 320, 240, 45, fps=30, seed=7, pattern="checker"),
        VideoSpec("vfr_320x240.mp4", 320, 240, 48, vfr=True, seed=8, notes="variable frame rate"),
        VideoSpec("mpeg4_320x240.avi", 320, 240, 50, codec="mpeg4", seed=9, notes="mpeg4 avi"),
        VideoSpec("vp9_320x240.webm", 320, 240, 40, codec="vp9", seed=10, notes="vp9 webm"),
        VideoSpec("audio_320x240.mkv", 320, 240, 50, audio=True, seed=11, notes="mkv + aac"),
        VideoSpec("mov_320x240.mov", 320, 240, 30, seed=12, pattern="checker", notes="mov"),
        VideoSpec("one_frame_320x240.mp4", 320, 240, 1, seed=13, notes="1 frame"),
        VideoSpec("three_frames_320x240.mp4", 320, 240, 3, seed=14, notes="3 frames"),
    )
}


def build_corpus(directory: str | Path, names: Iterable[str] | None = None) -> dict[str, Path]:
    """Write the corpus (or the named subset of it) into ``directory``.

    Files that already exist are kept, so a session-scoped cache directory is cheap to reuse.

    Args:
        directory: Target directory (created if missing).
        names: Keys of :data:`CORPUS` to write; all when None.

    Returns:
        ``{name: path}`` in :data:`CORPUS` order.
    """
    directory = Path(directory)
    wanted = list(CORPUS) if names is None else list(names)
    paths: dict[str, Path] = {}
    for name in wanted:
        spec = CORPUS[name]
        target = directory / spec.filename
        if not target.exists():
            # Write under a temporary name first so an interrupted run leaves no half file.
            tmp = directory / f".partial-{os.getpid()}-{spec.filename}"
            try:
                write_video(tmp, **spec.kwargs())
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        paths[name] = target
    return paths


def set_rotation(src: str | Path, dst: str | Path, degrees: int) -> Path:
    """Copy ``src`` to ``dst`` (same container) with a display-matrix rotation, like phones write.

    Uses the ``ffmpeg`` command line (stream copy, no re-encode).

    Args:
        src: An mp4/mov file.
        dst: Output path.
        degrees: 90, 180 or 270: the rotation PyAV then reports as ``frame.rotation``
            (modulo 360); FFmpeg 5's ``rotate`` tag of the same value writes it.

    Returns:
        ``dst`` as a :class:`~pathlib.Path`.

    Raises:
        RuntimeError: If ``ffmpeg`` is missing or cannot write that rotation.
    """
    dst = Path(dst)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not on PATH")
    base = [ffmpeg, "-v", "error", "-y"]
    attempts = (
        # FFmpeg <= 5: the rotate tag writes the display matrix.
        [*base, "-i", str(src), "-metadata:s:v:0", f"rotate={degrees}"],
        # FFmpeg >= 6: -display_rotation (an input option); try both sign conventions.
        [*base, "-display_rotation:v:0", str(degrees), "-i", str(src)],
        [*base, "-display_rotation:v:0", str(-degrees), "-i", str(src)],
    )
    for head in attempts:
        cmd = [*head, "-c", "copy", "-map", "0", str(dst)]
        done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
        if done.returncode == 0 and _rotation_of(dst) % 360 == degrees % 360:
            return dst
    dst.unlink(missing_ok=True)
    raise RuntimeError(f"could not write a {degrees} degree display matrix with {ffmpeg}")


def _rotation_of(path: Path) -> int:
    with av.open(str(path)) as src:
        frame = next(src.decode(video=0))
        return round(frame.rotation or 0)


# --- hostile inputs ----------------------------------------------------------------------


def strip_mp4_box(data: bytes, box: bytes = b"moov") -> bytes:
    """Remove every top-level ``box`` (e.g. the moov index) from an MP4/MOV file."""
    out, i = bytearray(), 0
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        if size == 1:
            size = struct.unpack(">Q", data[i + 8 : i + 16])[0]
        elif size == 0:
            size = len(data) - i
        if size < 8:
            break
        if kind != box:
            out += data[i : i + size]
        i += size
    return bytes(out)


def zero_frame_mkv(directory: str | Path) -> bytes:
    """A Matroska file with a video track but no frame (an empty cluster)."""
    source = write_video(Path(directory) / "zero_source.mkv", width=64, height=48, frames=2)
    data = source.read_bytes()
    cluster = data.find(b"\x1f\x43\xb6\x75")
    # Cluster, size 3: Timecode 0.
    return data[:cluster] + b"\x1f\x43\xb6\x75\x83\xe7\x81\x00"


def audio_only_m4a(path: str | Path, seconds: float = 0.5) -> Path:
    """An AAC-only MP4 (no video stream)."""
    path = Path(path)
    with av.open(str(path), mode="w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        _write_audio(out, stream, seconds, seed=0)
    return path


def hostile_inputs(directory: str | Path) -> dict[str, bytes]:
    """Inputs a video decoder must refuse cleanly, as ``{name: encoded bytes}``.

    Covers empty and random data, truncated MP4 (faststart and moov-at-end, cut at 30 %), an
    MP4 without its moov index, a PNG and a JPEG, a text file and an HLS playlist, an
    audio-only file (and one with cover art, when ``ffmpeg`` is available), a frame wider than
    4096 pixels (in the header, and after a mid-stream resolution switch in a raw H.264
    stream), a video track without frames, and an mpeg4 stream cut inside its header.

    Args:
        directory: Scratch directory for intermediate files.

    Returns:
        The inputs, by name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    plain = write_video(directory / "h_plain.mp4", width=320, height=240, frames=50).read_bytes()
    faststart = write_video(
        directory / "h_faststart.mp4", width=320, height=240, frames=50, faststart=True
    ).read_bytes()
    small = write_video(directory / "h_small.h264", width=320, height=240, frames=4)
    wide = write_video(directory / "h_wide.h264", width=4104, height=16, frames=2)
    png = _image_bytes("png", "rgb24", 64, 48)
    inputs = {
        "empty": b"",
        "random_1k": rng.integers(0, 256, 1024, dtype=np.uint8).tobytes(),
        "random_1m": rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes(),
        "truncated_faststart_mp4": faststart[: int(len(faststart) * 0.3)],
        "truncated_mp4": plain[: int(len(plain) * 0.3)],
        "mp4_without_moov": strip_mp4_box(plain, b"moov"),
        "mp4_tail_cut": plain[:-100],
        "png": png,
        "jpeg": _jpeg_bytes(64, 48),
        "text": b"This is not a video.\nJust some words, line after line.\n" * 40,
        "hls_playlist": (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile:///etc/hostname\n"
            b"#EXT-X-ENDLIST\n"
        ),
        "audio_only": audio_only_m4a(directory / "h_audio.m4a").read_bytes(),
        "too_wide": write_video(
            directory / "h_wide.mp4", width=4104, height=16, frames=2
        ).read_bytes(),
        "resolution_switch": small.read_bytes() + wide.read_bytes(),
        "zero_frames": zero_frame_mkv(directory),
    }
    cover = _with_cover_art(directory / "h_audio.m4a", directory / "h_cover.m4a", png)
    if cover is not None:
        inputs["audio_with_cover_art"] = cover
    return inputs


def _jpeg_bytes(width: int, height: int) -> bytes:
    return _image_bytes("mjpeg", "yuvj420p", width, height)


def _image_bytes(codec: str, pix_fmt: str, width: int, height: int) -> bytes:
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, pix_fmt
    ctx.time_base = fractions.Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(frame_pattern(0, width, height), format="rgb24")
    frame = frame.reformat(format=pix_fmt)
    packets = ctx.encode(frame) + ctx.encode(None)
    return b"".join(bytes(p) for p in packets)


def _with_cover_art(audio: Path, dst: Path, png: bytes) -> bytes | None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    picture = dst.with_suffix(".png")
    picture.write_bytes(png)
    cmd = [
        ffmpeg, "-v", "error", "-y", "-i", str(audio), "-i", str(picture),
        "-map", "0", "-map", "1", "-c", "copy", "-disposition:v:0", "attached_pic", str(dst),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    return dst.read_bytes() if done.returncode == 0 else None
