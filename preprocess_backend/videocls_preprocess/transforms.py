"""PaddleX 3.7.2's video-classification transforms, reproduced bit for bit.

Each function mirrors one op of ``paddlex/inference/models/video_classification/processors.py``
as the predictor builds it (``Scale(short_size, fixed_ratio=True, keep_ratio=None,
do_round=False)``, ``CenterCrop(target_size, do_round=True)``, ``Image2Array(transpose=True,
data_format="tchw")``, ``NormalizeVideo(mean, std)`` on its non-inplace path). The parity tests
compare the results against the installed PaddleX ops.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .spec import PreprocessSpec

__all__ = ["center_crop", "normalization_constants", "normalize", "scale", "to_tchw_uint8"]


def scale(frames: Sequence[np.ndarray], short_size: int) -> list[np.ndarray]:
    """PaddleX ``Scale`` with its fixed 4:3 output ratio.

    A frame whose short side already equals ``short_size`` is returned unchanged (whatever
    its aspect ratio). Otherwise it is resized with ``cv2.INTER_LINEAR`` to
    ``short_size x int(short_size * 4 / 3)`` (landscape, and square frames go portrait:
    ``w <= h`` gives width ``short_size``), ignoring the input's aspect ratio, as PaddleX does.

    Args:
        frames: HxWx3 uint8 frames.
        short_size: Target short side.

    Returns:
        The scaled frames (the input arrays themselves when no resize is needed).
    """
    long_size = int(short_size * 4.0 / 3.0)
    out: list[np.ndarray] = []
    for img in frames:
        h, w = img.shape[:2]
        if (w <= h and w == short_size) or (h <= w and h == short_size):
            out.append(img)
            continue
        ow, oh = (short_size, long_size) if w <= h else (long_size, short_size)
        out.append(cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR))
    return out


def center_crop(frames: Sequence[np.ndarray], crop_size: int) -> list[np.ndarray]:
    """PaddleX ``CenterCrop(do_round=True)``: a square window, offsets ``round((side - crop) / 2)``.

    Python's ``round`` (half to even) is used on purpose, as PaddleX does.

    Args:
        frames: HxWx3 frames, each at least ``crop_size`` on both sides.
        crop_size: Side of the square crop.

    Returns:
        Views into the input frames.

    Raises:
        ValueError: If a frame is smaller than the crop.
    """
    out: list[np.ndarray] = []
    for img in frames:
        h, w = img.shape[:2]
        if w < crop_size or h < crop_size:
            raise ValueError(f"frame {w}x{h} is smaller than the crop size {crop_size}")
        x1 = round((w - crop_size) / 2.0)
        y1 = round((h - crop_size) / 2.0)
        out.append(img[y1 : y1 + crop_size, x1 : x1 + crop_size])
    return out


def to_tchw_uint8(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Stack HxWx3 frames into a contiguous uint8 ``[T, 3, H, W]`` array (``Image2Array`` layout).

    Args:
        frames: Equal-sized HxWx3 uint8 frames.

    Returns:
        The stacked frames, channels first.
    """
    stacked = np.stack(frames)
    if stacked.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames, got {stacked.dtype}")
    return np.ascontiguousarray(stacked.transpose(0, 3, 1, 2))


def normalization_constants(spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """``NormalizeVideo``'s float32 mean and std, shaped ``[1, 3, 1, 1]`` for a TCHW batch.

    To reproduce :func:`normalize` exactly in a network graph, apply in float32 and in this
    order: ``Div(x, 255.0)``, ``Sub(mean)``, ``Div(std)`` (not multiplications by reciprocals).

    Args:
        spec: Gives ``mean`` and ``std``.

    Returns:
        ``(mean, std)``.
    """
    mean = np.array(spec.mean).reshape(1, 3, 1, 1).astype(np.float32)
    std = np.array(spec.std).reshape(1, 3, 1, 1).astype(np.float32)
    return mean, std


def normalize(frames: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """PaddleX ``Image2Array`` float cast + ``NormalizeVideo`` (non-inplace path).

    Computes, in float32, ``x.astype(float32) / 255.0``, then ``-= mean``, then ``/= std``
    (per channel), exactly PaddleX's operations in its order, so results are bit-identical.

    Args:
        frames: ``[T, 3, H, W]`` uint8 (as from :func:`to_tchw_uint8`) or float32 values on
            the 0..255 scale.
        spec: Gives ``mean`` and ``std``.

    Returns:
        A new float32 ``[T, 3, H, W]`` array (no batch axis).
    """
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise ValueError(f"expected a [T, 3, H, W] array, got shape {frames.shape}")
    mean, std = normalization_constants(spec)
    out = frames.astype(np.float32) / 255.0
    out -= mean[0]
    out /= std[0]
    return out
