"""Encoded video -> network input: decode, sample, scale, crop and (optionally) normalise."""

from __future__ import annotations

import numpy as np

from .decode import DEFAULT_LIMITS, VideoInput, decode_sampled_frames
from .spec import InputLimits, PreprocessSpec
from .transforms import center_crop, normalization_constants, normalize, scale, to_tchw_uint8

__all__ = ["normalization_constants", "preprocess_video", "preprocess_video_float"]


def preprocess_video(
    data: VideoInput,
    spec: PreprocessSpec,
    limits: InputLimits = DEFAULT_LIMITS,
    *,
    threads: int = 0,
) -> np.ndarray:
    """The decode step's output: sampled, scaled, cropped frames as uint8.

    ``normalize(preprocess_video(data, spec), spec)`` equals PaddleX 3.7.2's input tensor for
    the video (without the batch axis); the server folds that normalisation into the network.

    Args:
        data: Encoded video (bytes, memoryview or 1-D uint8 array).
        spec: The model's preprocessing settings.
        limits: Input bounds.
        threads: Decoder threads (0: FFmpeg's choice, 1: single-threaded); see
            :func:`~videocls_preprocess.decode.decode_sampled_frames`.

    Returns:
        uint8 ``[num_seg * seg_len, 3, crop_size, crop_size]``.

    Raises:
        InvalidVideoError: (a subclass of it) when the video cannot be used; see
            :func:`~videocls_preprocess.decode.decode_sampled_frames`.
    """
    video = decode_sampled_frames(data, spec, limits, threads=threads)
    frames = center_crop(scale(video.frames, spec.short_size), spec.crop_size)
    return to_tchw_uint8(frames)


def preprocess_video_float(
    data: VideoInput,
    spec: PreprocessSpec,
    limits: InputLimits = DEFAULT_LIMITS,
    *,
    threads: int = 0,
) -> np.ndarray:
    """PaddleX 3.7.2's normalised input tensor for one video (without the batch axis).

    Args:
        data: Encoded video (bytes, memoryview or 1-D uint8 array).
        spec: The model's preprocessing settings.
        limits: Input bounds.
        threads: Decoder threads (0: FFmpeg's choice, 1: single-threaded); see
            :func:`~videocls_preprocess.decode.decode_sampled_frames`.

    Returns:
        float32 ``[num_seg * seg_len, 3, crop_size, crop_size]``.

    Raises:
        InvalidVideoError: (a subclass of it) when the video cannot be used.
    """
    return normalize(preprocess_video(data, spec, limits, threads=threads), spec)
