"""``uniform_indices`` against the installed PaddleX 3.7.2 sampler (its code, not a copy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from videocls_preprocess.sampling import uniform_indices

readers = pytest.importorskip("paddlex.inference.utils.io.readers")


class _IndexRecorder:
    """Stands in for a decord ``VideoReader``: records the indices PaddleX asks for."""

    def __init__(self) -> None:
        self.indices: list[int] | None = None

    def get_batch(self, indices):
        self.indices = list(indices)
        return self

    def asnumpy(self) -> np.ndarray:
        return np.zeros((len(self.indices or ()), 1, 1, 3), dtype=np.uint8)


def paddlex_indices(num_frames: int, num_seg: int, seg_len: int = 1) -> list[int]:
    """The indices PaddleX's ``DecordVideoReaderBackend.sample`` passes to ``get_batch``."""
    backend = readers.DecordVideoReaderBackend(
        num_seg=num_seg, seg_len=seg_len, sample_type="uniform"
    )
    assert backend.valid_mode is True  # inference sampling, no randomness
    recorder = _IndexRecorder()
    backend.sample(num_frames, recorder)
    assert recorder.indices is not None
    return recorder.indices


FRAME_COUNTS = [*range(1, 40), 47, 63, 64, 65, 99, 100, 101, 127, 128, 129, 250, 301, 1000, 7919]
SEGMENTS = [1, 2, 3, 4, 7, 8, 16, 32]


@pytest.mark.parametrize("num_seg", SEGMENTS)
def test_matches_paddlex_for_many_lengths(num_seg: int) -> None:
    for num_frames in FRAME_COUNTS:
        assert uniform_indices(num_frames, num_seg) == paddlex_indices(num_frames, num_seg), (
            num_frames,
            num_seg,
        )


@pytest.mark.parametrize(("num_seg", "seg_len"), [(8, 2), (4, 3), (16, 4), (3, 5)])
def test_matches_paddlex_with_segment_length(num_seg: int, seg_len: int) -> None:
    for num_frames in FRAME_COUNTS:
        assert uniform_indices(num_frames, num_seg, seg_len) == paddlex_indices(
            num_frames, num_seg, seg_len
        ), (num_frames, num_seg, seg_len)


@pytest.mark.parametrize(("num_frames", "num_seg"), [(1, 8), (3, 8), (5, 16), (7, 8), (15, 16)])
def test_fewer_frames_than_segments_wraps_around(num_frames: int, num_seg: int) -> None:
    indices = uniform_indices(num_frames, num_seg)
    assert indices == paddlex_indices(num_frames, num_seg)
    assert indices == [i % num_frames for i in range(num_seg)]


def test_examples() -> None:
    assert uniform_indices(3, 8) == [0, 1, 2, 0, 1, 2, 0, 1]
    assert uniform_indices(75, 8) == [4, 13, 22, 31, 40, 49, 58, 67]
    assert uniform_indices(16, 8) == [0, 2, 4, 6, 8, 10, 12, 14]


def test_every_index_in_range_and_count() -> None:
    for num_frames, num_seg, seg_len in itertools.product([1, 2, 9, 33], [1, 8, 16], [1, 2]):
        indices = uniform_indices(num_frames, num_seg, seg_len)
        assert len(indices) == num_seg * seg_len
        assert all(0 <= i < num_frames for i in indices)


def test_accepts_numpy_integers() -> None:
    assert uniform_indices(np.int64(30), np.int32(8)) == uniform_indices(30, 8)


@pytest.mark.parametrize(
    "args", [(0, 8), (-1, 8), (10, 0), (10, 8, 0), (10.0, 8), (True, 8), (10, None)]
)
def test_rejects_non_positive_or_non_int(args) -> None:
    with pytest.raises(ValueError, match="must be a positive int"):
        uniform_indices(*args)
