"""Encoded video bytes -> the RGB frames PaddleX's uniform sampler picks, decoded with PyAV.

Why PyAV and not decord (what PaddleX 3.7.2 uses) is measured in ``docs/decoding.md``: on
ordinary files both give byte-identical frames, but decord's random access silently returns
wrong frames on mpeg4 AVI files with B-frames, segfaults on some truncated input read from
memory and swings its RSS by >100 MB; PyAV never crashed on the hostile corpus.

How one video is read (all from memory, never from a temp file):

1. The input is checked before any parsing: type, emptiness, ``InputLimits.max_bytes``.
2. The container is opened from an ``io.BytesIO``; only real video containers are accepted
   (FFmpeg also opens PNG/JPEG files, text files and playlists, which are refused).
3. The best video stream is chosen (cover art is not a video) and its header size checked
   against ``InputLimits.max_side`` before a single frame is decoded.
4. One demux pass keeps the video packets (no decoding): their count is the frame count,
   exactly decord's ``len(VideoReader)``, capped by ``InputLimits.max_frames``. Truncation is
   detected here (an incomplete last packet, or fewer samples than an MP4 index declares).
5. The packets are decoded in order (frame threads, ``thread_type="AUTO"``) until the last
   sampled index; only the sampled frames are converted to RGB, and rotated like decord does
   when the stream carries a display matrix of a multiple of 90 degrees.

Every loop checks the ``InputLimits.timeout_s`` deadline; every failure is an
:class:`~videocls_preprocess.errors.InvalidVideoError` subclass whose message names the problem.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from dataclasses import dataclass

import av
import numpy as np

from .errors import (
    CorruptVideoError,
    DecodeTimeoutError,
    EmptyVideoError,
    InvalidVideoError,
    UnsupportedVideoError,
    VideoTooLargeError,
)
from .sampling import uniform_indices
from .spec import InputLimits, PreprocessSpec

__all__ = [
    "ACCEPTED_CONTAINERS",
    "DEFAULT_LIMITS",
    "SampledVideo",
    "VideoInput",
    "decode_sampled_frames",
]

VideoInput = bytes | bytearray | memoryview | np.ndarray

#: The limits used when none are given (a frozen dataclass, shared safely).
DEFAULT_LIMITS = InputLimits()

#: FFmpeg demuxer names accepted as video containers. Anything else FFmpeg can open is refused:
#: still images (``png_pipe``, ``jpeg_pipe``, ``image2``, ``gif``...), text renderers (``tty``),
#: playlists that open further URLs (``hls``, ``dash``, ``concat``), audio-only formats.
ACCEPTED_CONTAINERS = frozenset(
    {
        "mov",
        "mp4",
        "matroska",
        "webm",
        "avi",
        "flv",
        "mpegts",
        "mpeg",
        "ogg",
        "asf",
        "h264",
        "hevc",
        "m4v",
        "mpegvideo",
        "ivf",
    }
)

_FORMAT_WHITELIST = ",".join(sorted(ACCEPTED_CONTAINERS))
_ATTACHED_PIC = 0x0400  # AV_DISPOSITION_ATTACHED_PIC

# First bytes of files that are recognisably something, for a clearer refusal message:
# (offset, magic, what it is, hint if it is a video container FFmpeg could not open).
_MAGIC: tuple[tuple[int, bytes, str, str | None], ...] = (
    (4, b"ftyp", "an MP4/MOV file", "e.g. cut short, or its moov index is missing"),
    (4, b"moov", "an MP4/MOV file", "e.g. its media data is missing"),
    (4, b"mdat", "an MP4/MOV file", "e.g. its moov index is missing"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM file", "e.g. cut short inside its header"),
    (0, b"RIFF", "a RIFF (AVI) file", "e.g. cut short inside its header"),
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image", None),
    (0, b"\xff\xd8\xff", "a JPEG image", None),
    (0, b"GIF8", "a GIF image", None),
    (0, b"BM", "a BMP image", None),
    (0, b"ID3", "an MP3 audio file", None),
)


@dataclass
class SampledVideo:
    """The frames of one video that the network sees, plus what was learnt on the way.

    Attributes:
        frames: One HxWx3 RGB uint8 array per sampled index, in index order; a repeated index
            gives an equal (separate) array.
        indices: The sampled frame indices (:func:`~videocls_preprocess.sampling.uniform_indices`).
        num_frames: Frames in the video stream (video packets with data, as decord counts).
        width: Width of the returned frames (after rotation).
        height: Height of the returned frames (after rotation).
        fps: Average frame rate of the stream (decord's ``get_avg_fps``), 0.0 when unknown.
        rotation: Counter-clockwise rotation applied to the decoded pictures (0, 90, 180, 270).
        codec: Name of the video codec.
        container: FFmpeg name of the container format.
    """

    frames: list[np.ndarray]
    indices: list[int]
    num_frames: int
    width: int
    height: int
    fps: float
    rotation: int = 0
    codec: str = ""
    container: str = ""


def decode_sampled_frames(
    data: VideoInput,
    spec: PreprocessSpec,
    limits: InputLimits = DEFAULT_LIMITS,
    *,
    threads: int = 0,
) -> SampledVideo:
    """Decode the frames PaddleX would sample from an encoded video.

    Args:
        data: The encoded file: ``bytes``, ``bytearray``, ``memoryview`` or a 1-D ``uint8``
            numpy array (how Triton hands over a ``VIDEO`` tensor).
        spec: Sampling parameters (``num_seg``, ``seg_len``).
        limits: Bounds on size, resolution, frame count and time.
        threads: Decoder threads: 0 lets FFmpeg pick (frame + slice threads, about one per
            core; best latency on an idle many-core host), 1 decodes on the calling thread
            (best throughput when many videos are decoded concurrently or cores are few).

    Returns:
        The sampled RGB frames and the stream facts.

    Raises:
        EmptyVideoError: No bytes, or no video frame in the stream.
        VideoTooLargeError: More than ``limits.max_bytes`` bytes, a side above
            ``limits.max_side`` or more than ``limits.max_frames`` frames.
        UnsupportedVideoError: Not a video container (image, text, unknown data, refused
            demuxer) or no video stream.
        CorruptVideoError: A video container that is damaged, truncated or undecodable.
        DecodeTimeoutError: Took longer than ``limits.timeout_s``.
        InvalidVideoError: ``data`` has an unusable type.
    """
    buffer = _as_bytes(data, limits)
    deadline = _Deadline(limits.timeout_s)
    container = _open(buffer, limits, deadline)
    try:
        return _decode_container(container, spec, limits, deadline, threads)
    except InvalidVideoError:
        raise
    except av.FFmpegError as exc:
        if deadline.expired():
            raise DecodeTimeoutError(f"decoding took longer than {limits.timeout_s} s") from exc
        raise CorruptVideoError(f"the video data is damaged: {_describe(exc)}") from exc
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise CorruptVideoError(f"the video data is damaged: {exc}") from exc
    finally:
        container.close()


def _decode_container(
    container: av.container.InputContainer,
    spec: PreprocessSpec,
    limits: InputLimits,
    deadline: _Deadline,
    threads: int,
) -> SampledVideo:
    format_name = _check_format(container)
    stream = _select_video_stream(container)
    _check_header(stream, limits)
    packets = _read_video_packets(container, stream, limits, deadline)
    indices = uniform_indices(len(packets), spec.num_seg, spec.seg_len)
    by_index, rotation = _decode_indices(stream, packets, indices, limits, deadline, threads)
    frames: list[np.ndarray] = []
    seen: set[int] = set()
    for i in indices:  # a repeated index gets its own array, so callers may modify frames
        frames.append(by_index[i].copy() if i in seen else by_index[i])
        seen.add(i)
    rate = stream.average_rate
    return SampledVideo(
        frames=frames,
        indices=indices,
        num_frames=len(packets),
        width=int(frames[0].shape[1]),
        height=int(frames[0].shape[0]),
        fps=float(rate) if rate else 0.0,
        rotation=rotation,
        codec=stream.codec_context.name,
        container=format_name,
    )


# --- input -------------------------------------------------------------------------------


def _as_bytes(data: object, limits: InputLimits) -> bytes:
    """The input as ``bytes`` (no copy for ``bytes``), after the type and size checks."""
    if isinstance(data, np.ndarray):
        if data.dtype == object and data.size == 1:  # a Triton BYTES tensor of one element
            return _as_bytes(data.reshape(-1)[0], limits)
        if data.dtype != np.uint8 or data.ndim != 1:
            raise InvalidVideoError(
                f"expected the encoded video as a 1-D uint8 array, got {data.dtype} "
                f"with shape {data.shape}"
            )
        _check_size(data.nbytes, limits)
        return data.tobytes()
    if isinstance(data, bytes):
        _check_size(len(data), limits)
        return data
    if isinstance(data, (bytearray, memoryview)):
        view = memoryview(data)
        _check_size(view.nbytes, limits)
        return view.tobytes()
    raise InvalidVideoError(
        f"expected the encoded video as bytes, memoryview or a 1-D uint8 array, "
        f"got {type(data).__name__}"
    )


def _check_size(nbytes: int, limits: InputLimits) -> None:
    if nbytes == 0:
        raise EmptyVideoError("the video is empty (0 bytes)")
    if nbytes > limits.max_bytes:
        raise VideoTooLargeError(
            f"the video is {nbytes} bytes, more than the limit of {limits.max_bytes} bytes"
        )


# --- container ---------------------------------------------------------------------------


def _open(buffer: bytes, limits: InputLimits, deadline: _Deadline) -> av.container.InputContainer:
    try:
        return av.open(
            io.BytesIO(buffer),
            mode="r",
            # Bounds probing and every read with FFmpeg's interrupt callback.
            timeout=limits.timeout_s,
            # Only accepted demuxers may parse the data, and none may open another URL or
            # file (playlists, MOV references): defence in depth for hostile uploads.
            container_options={
                "format_whitelist": _FORMAT_WHITELIST,
                "protocol_whitelist": "none",
            },
            # Applied to the decoders avformat_find_stream_info opens while probing.
            options={"max_pixels": str(limits.max_side * limits.max_side)},
            metadata_errors="replace",
        )
    except av.FFmpegError as exc:
        if deadline.expired():
            raise DecodeTimeoutError(
                f"opening the video took longer than {limits.timeout_s} s"
            ) from exc
        raise _unopenable(buffer, exc) from exc
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise _unopenable(buffer, exc) from exc


def _unopenable(buffer: bytes, exc: Exception) -> InvalidVideoError:
    """The error for data FFmpeg does not open, named after what the data looks like."""
    for offset, magic, what, hint in _MAGIC:
        if buffer[offset : offset + len(magic)] == magic:
            if hint is None:
                return UnsupportedVideoError(f"the data is {what}, not a video")
            return CorruptVideoError(
                f"the data looks like {what} but cannot be opened: it is damaged or "
                f"truncated ({hint}; FFmpeg: {_describe(exc)})"
            )
    if _looks_like_text(buffer):
        return UnsupportedVideoError("the data is text, not a video")
    if isinstance(exc, av.error.ArgumentError):  # probed, then refused by format_whitelist
        return UnsupportedVideoError(
            "the data is not in an accepted video container format (accepted: "
            f"{', '.join(sorted(ACCEPTED_CONTAINERS))})"
        )
    return UnsupportedVideoError(
        f"the data is not a video container FFmpeg recognises ({_describe(exc)})"
    )


def _looks_like_text(buffer: bytes) -> bool:
    head = buffer[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)


def _check_format(container: av.container.InputContainer) -> str:
    name = container.format.name
    names = set(name.split(","))
    if names & ACCEPTED_CONTAINERS:
        return name
    if any(n.endswith("_pipe") or n.startswith("image2") for n in names) or name in {
        "gif",
        "apng",
        "webp",
    }:
        raise UnsupportedVideoError(f"the data is a still image ({name}), not a video")
    if names & {"tty", "bin", "adf", "idf", "xbin", "ansi"}:
        raise UnsupportedVideoError(f"the data is text ({name}), not a video")
    raise UnsupportedVideoError(f"container format {name!r} is not an accepted video container")


def _select_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    candidates = [s for s in container.streams.video if not _is_cover_art(s)]
    if not candidates:
        kinds = sorted({"cover picture" if _is_cover_art(s) else s.type for s in container.streams})
        raise UnsupportedVideoError(
            f"the file has no video stream (it has: {', '.join(kinds) or 'no streams'})"
        )
    try:
        best = container.streams.best("video")
    except (av.FFmpegError, ValueError):
        best = None
    stream = best if best in candidates else candidates[0]
    if stream.codec_context is None or not stream.codec_context.name:
        raise UnsupportedVideoError("the video stream's codec has no decoder")
    return stream


def _is_cover_art(stream: av.stream.Stream) -> bool:
    """A still picture attached to an audio file (AV_DISPOSITION_ATTACHED_PIC), not a video."""
    return bool(int(stream.disposition) & _ATTACHED_PIC)


def _check_header(stream: av.video.stream.VideoStream, limits: InputLimits) -> None:
    ctx = stream.codec_context
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if width > limits.max_side or height > limits.max_side:
        raise VideoTooLargeError(
            f"the video is {width}x{height}, larger than the limit of {limits.max_side} pixels "
            f"per side"
        )


# --- demux -------------------------------------------------------------------------------


def _read_video_packets(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    limits: InputLimits,
    deadline: _Deadline,
) -> list[av.Packet]:
    """All video packets with data, in decode order: their count is the frame count."""
    packets: list[av.Packet] = []
    try:
        for packet in container.demux(stream):
            deadline.check("demuxing", limits)
            if packet.size <= 0:
                continue
            if len(packets) >= limits.max_frames:
                raise VideoTooLargeError(
                    f"the video has more than {limits.max_frames} frames (the limit)"
                )
            packets.append(packet)
    except av.FFmpegError as exc:
        deadline.check("demuxing", limits)
        raise CorruptVideoError(
            f"the video is damaged or truncated: demuxing failed after {len(packets)} frames "
            f"({_describe(exc)})"
        ) from exc
    declared = int(stream.frames or 0)
    if "mov" in container.format.name.split(",") and declared > len(packets):
        # An MP4/MOV index lists every sample, so missing samples mean a cut file.
        raise CorruptVideoError(
            f"the video is truncated: its index declares {declared} frames but only "
            f"{len(packets)} are present"
        )
    if not packets:
        raise EmptyVideoError("the video stream has no frames")
    if packets[-1].is_corrupt:
        raise CorruptVideoError(
            f"the video is truncated: its last frame (#{len(packets) - 1}) is incomplete"
        )
    return packets


# --- decode ------------------------------------------------------------------------------


def _decode_indices(
    stream: av.video.stream.VideoStream,
    packets: list[av.Packet],
    indices: Iterable[int],
    limits: InputLimits,
    deadline: _Deadline,
    threads: int,
) -> tuple[dict[int, np.ndarray], int]:
    """Decode in order up to the last wanted index; convert only the wanted frames."""
    wanted = set(indices)
    last_wanted = max(wanted)
    ctx = stream.codec_context
    if threads != 1:
        ctx.thread_type = "AUTO"
    ctx.thread_count = max(0, int(threads))
    ctx.options = {"max_pixels": str(limits.max_side * limits.max_side)}

    out: dict[int, np.ndarray] = {}
    rotation = 0
    position = -1  # display index of the last frame the decoder returned
    last_frame: av.VideoFrame | None = None
    errors = 0

    def frames() -> Iterable[av.VideoFrame]:
        nonlocal errors
        for packet in packets:
            deadline.check("decoding", limits)
            try:
                yield from ctx.decode(packet)
            except av.error.InvalidDataError:
                errors += 1  # FFmpeg conceals a damaged packet and goes on; so do we
        deadline.check("decoding", limits)
        yield from ctx.decode(None)

    for frame in frames():
        position += 1
        _check_frame_size(frame, limits)
        last_frame = frame
        if position in wanted:
            out[position], rotation = _to_rgb(frame)
        if position >= last_wanted:
            break

    if last_frame is None:
        raise CorruptVideoError(
            f"no frame of the video could be decoded ({errors} of {len(packets)} "
            f"packets were rejected by the {ctx.name} decoder)"
        )
    # The decoder gave fewer frames than packets (damaged or skipped frames): the sampled
    # indices past the end take the last decoded frame.
    missing = wanted - out.keys()
    if missing:
        filler, rotation = _to_rgb(last_frame)
        for index in missing:
            out[index] = filler.copy()
    return out, rotation


def _check_frame_size(frame: av.VideoFrame, limits: InputLimits) -> None:
    if frame.width > limits.max_side or frame.height > limits.max_side:
        raise VideoTooLargeError(
            f"a frame is {frame.width}x{frame.height}, larger than the limit of "
            f"{limits.max_side} pixels per side"
        )


def _to_rgb(frame: av.VideoFrame) -> tuple[np.ndarray, int]:
    """RGB24 pixels, turned by the frame's display matrix as decord does (multiples of 90°)."""
    rgb = frame.to_ndarray(format="rgb24")
    quarter_turns = 0
    angle = float(getattr(frame, "rotation", 0) or 0)
    if angle:
        turns = round(angle / 90.0)
        if abs(angle - 90.0 * turns) < 0.5:
            quarter_turns = turns % 4
    if quarter_turns:
        rgb = np.rot90(rgb, quarter_turns)
    return np.ascontiguousarray(rgb), 90 * quarter_turns


# --- helpers -----------------------------------------------------------------------------


class _Deadline:
    """Wall-clock bound on one decode."""

    def __init__(self, timeout_s: float) -> None:
        self._end = time.monotonic() + timeout_s

    def expired(self) -> bool:
        return time.monotonic() > self._end

    def check(self, stage: str, limits: InputLimits) -> None:
        if self.expired():
            raise DecodeTimeoutError(f"{stage} the video took longer than {limits.timeout_s} s")


def _describe(exc: BaseException) -> str:
    """A short reason from a PyAV error (its strerror, without the file name)."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return str(reason).strip() or type(exc).__name__
