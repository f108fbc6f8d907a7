"""The project's one exception hierarchy.

Every error videocls raises on purpose derives from :class:`VideoclsError`. The Triton
models turn :class:`InvalidVideoError` (and any other :class:`InvalidRequestError`) into a
gRPC ``INVALID_ARGUMENT`` response carrying the message; the CLIs turn
:class:`ModelSourceError` and :class:`ConversionError` into a one-line error and exit code 2.
"""

from __future__ import annotations


class VideoclsError(Exception):
    """Base class of every error raised by videocls."""


class InvalidRequestError(VideoclsError):
    """A request the server must reject with INVALID_ARGUMENT (the caller's fault)."""


class InvalidVideoError(InvalidRequestError):
    """The encoded video bytes cannot be turned into the network's input."""


class EmptyVideoError(InvalidVideoError):
    """No bytes, or a container without a single video frame."""


class VideoTooLargeError(InvalidVideoError):
    """The upload exceeds an :class:`~videocls_preprocess.spec.InputLimits` bound
    (bytes, frame size or frame count)."""


class UnsupportedVideoError(InvalidVideoError):
    """Not a video: an unknown or refused container (still image, text, playlist) or no
    video stream (audio-only file)."""


class CorruptVideoError(InvalidVideoError):
    """A recognised video container whose data is damaged or truncated."""


class DecodeTimeoutError(InvalidVideoError):
    """Demuxing and decoding took longer than ``InputLimits.timeout_s``."""


class ModelSourceError(VideoclsError):
    """A model source (dir, tar, URL or model name) is missing, unreadable or incomplete."""


class ConversionError(VideoclsError):
    """Paddle -> ONNX conversion failed or the ONNX model disagrees with Paddle."""


class ServerError(VideoclsError):
    """tritonserver could not be located, started or stopped cleanly."""
