"""Which frames of a video the network sees: PaddleX's uniform (``valid_mode``) sampling."""

from __future__ import annotations

import numbers

__all__ = ["uniform_indices"]


def uniform_indices(num_frames: int, num_seg: int, seg_len: int = 1) -> list[int]:
    """Frame indices PaddleX 3.7.2 reads for uniform sampling at inference time.

    Mirrors ``DecordVideoReaderBackend.sample`` with ``valid_mode=True``: the video is cut
    into ``num_seg`` segments of ``average_dur = int(num_frames / num_seg)`` frames, the
    middle-ish frame ``(average_dur - 1) // 2`` of each segment starts a run of ``seg_len``
    consecutive frames, and every index wraps around with ``% num_frames`` (so a video with
    fewer frames than ``num_seg`` repeats frames, e.g. 3 frames and 8 segments gives
    ``[0, 1, 2, 0, 1, 2, 0, 1]``).

    Args:
        num_frames: Frames in the video (> 0).
        num_seg: Segments (> 0).
        seg_len: Consecutive frames per segment (> 0).

    Returns:
        ``num_seg * seg_len`` indices in ``[0, num_frames)``, in the order they are fed to
        the network (may repeat).

    Raises:
        ValueError: If an argument is not a positive int.
    """
    num_frames, num_seg, seg_len = (
        _positive_int(name, value)
        for name, value in (("num_frames", num_frames), ("num_seg", num_seg), ("seg_len", seg_len))
    )
    average_dur = int(num_frames / num_seg)
    indices: list[int] = []
    for i in range(num_seg):
        if average_dur >= seg_len:
            start = (average_dur - 1) // 2 + i * average_dur
        elif average_dur >= 1:
            start = i * average_dur
        else:
            start = i
        indices.extend(jj % num_frames for jj in range(start, start + seg_len))
    return indices


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)
