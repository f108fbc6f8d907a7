"""Our preprocessing against PaddleX 3.7.2's own, on every corpus video.

The reference is PaddleX's real ``VideoClasRunnerPredictor``, built from an ``inference.yml``
style config (so its ``ReadVideo``/``Scale``/``CenterCrop``/``Image2Array``/``NormalizeVideo``
ops are composed exactly as PaddleX composes them) with a stand-in runner that captures the
network input. The indices are recorded by wrapping the decord module PaddleX's reader uses,
so they are what PaddleX's sampler really asked decord for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from videocls_preprocess.decode import decode_sampled_frames
from videocls_preprocess.pipeline import preprocess_video, preprocess_video_float
from videocls_preprocess.spec import PreprocessSpec
from videocls_preprocess.transforms import normalization_constants, normalize
from videos import CORPUS, set_rotation

predictor_module = pytest.importorskip("paddlex.inference.models.video_classification.predictor")
pytest.importorskip("decord")

TOLERANCE = 1e-6
DEFAULT_SPEC = {"short_size": 256, "crop_size": 224}


def paddlex_config(spec: PreprocessSpec) -> dict[str, Any]:
    """A PP-TSM ``inference.yml`` (as PaddleX parses it) with the spec's values."""
    return {
        "Global": {"model_name": "PP-TSM-R50_8frames_uniform"},
        "PreProcess": {
            "transform_ops": [
                {
                    "ReadVideo": {
                        "num_seg": spec.num_seg,
                        "seg_len": spec.seg_len,
                        "sample_type": spec.sample_type,
                    }
                },
                {"Scale": {"short_size": spec.short_size}},
                {"CenterCrop": {"target_size": spec.crop_size}},
                {"Image2Array": {"data_format": "tchw"}},
                {"NormalizeVideo": {"mean": list(spec.mean), "std": list(spec.std)}},
            ]
        },
        "PostProcess": {"Topk": {"topk": 1, "label_list": ["a", "b"]}},
    }


class _RecordingDecord:
    """Wraps the decord module: every ``VideoReader`` records its length and ``get_batch`` calls."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: list[tuple[int, list[int]]] = []

    def VideoReader(self, *args: Any, **kwargs: Any) -> _RecordingReader:
        return _RecordingReader(self._real.VideoReader(*args, **kwargs), self.calls)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _RecordingReader:
    def __init__(self, reader: Any, calls: list[tuple[int, list[int]]]) -> None:
        self._reader, self._calls = reader, calls

    def __len__(self) -> int:
        return len(self._reader)

    def get_batch(self, indices: list[int]) -> Any:
        self._calls.append((len(self._reader), [int(i) for i in indices]))
        return self._reader.get_batch(indices)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


@dataclass
class Reference:
    indices: list[int]
    num_frames: int
    tensor: np.ndarray  # [T, 3, crop, crop] float32, PaddleX's network input minus the batch axis


class PaddleXReference:
    """PaddleX's predictor with a capturing runner: ``ref(path) -> Reference``."""

    def __init__(self, spec: PreprocessSpec) -> None:
        self._captured: list[np.ndarray] = []

        def runner(x: Any) -> list[np.ndarray]:
            self._captured.append(x[0] if isinstance(x, list) else x)
            return [np.zeros((1, 2), dtype=np.float32)]

        self.predictor = predictor_module.VideoClasRunnerPredictor(
            runner=runner,
            model_config=paddlex_config(spec),
            model_name="PP-TSM-R50_8frames_uniform",
        )
        backend = self.predictor.pre_tfs["ReadVideo"]._video_reader._backend
        assert hasattr(backend, "decord_module"), "PaddleX's video reader layout changed"
        self._decord = _RecordingDecord(backend.decord_module)
        backend.decord_module = self._decord

    def __call__(self, path: Path) -> Reference:
        self._captured.clear()
        self._decord.calls.clear()
        self.predictor.process([str(path)])
        (batch,) = self._captured
        ((num_frames, indices),) = self._decord.calls
        assert batch.shape[0] == 1 and batch.dtype == np.float32
        return Reference(indices=indices, num_frames=num_frames, tensor=batch[0])


_REFERENCES: dict[PreprocessSpec, PaddleXReference] = {}


def reference_for(spec: PreprocessSpec) -> PaddleXReference:
    if spec not in _REFERENCES:
        _REFERENCES[spec] = PaddleXReference(spec)
    return _REFERENCES[spec]


@pytest.fixture(scope="module")
def rotated_videos(video_corpus: dict[str, Path], tmp_path_factory) -> dict[str, Path]:
    """Phone-style rotated copies (display matrix) of a landscape video, where ffmpeg can."""
    out = {}
    directory = tmp_path_factory.mktemp("rotated")
    for degrees in (90, 180, 270):
        try:
            out[f"rotated_{degrees}"] = set_rotation(
                video_corpus["land_320x240"], directory / f"rot{degrees}.mp4", degrees
            )
        except RuntimeError as exc:  # pragma: no cover - depends on the ffmpeg build
            pytest.skip(str(exc))
    return out


def assert_parity(path: Path, spec: PreprocessSpec) -> None:
    ref = reference_for(spec)(path)
    data = path.read_bytes()

    video = decode_sampled_frames(data, spec)
    assert video.num_frames == ref.num_frames, "frame count differs from decord's len()"
    assert video.indices == ref.indices, "sampled indices differ from PaddleX's"

    ours = preprocess_video_float(data, spec)
    assert ours.dtype == np.float32 and ours.shape == ref.tensor.shape
    assert float(np.abs(ours - ref.tensor).max()) <= TOLERANCE
    # Same operations in the same order: in fact bit-identical.
    np.testing.assert_array_equal(ours, ref.tensor)

    # The served path: uint8 from the decode step, normalisation afterwards.
    frames_u8 = preprocess_video(np.frombuffer(data, dtype=np.uint8), spec)
    assert frames_u8.dtype == np.uint8
    assert frames_u8.shape == (spec.frames_per_video, 3, spec.crop_size, spec.crop_size)
    assert float(np.abs(normalize(frames_u8, spec) - ref.tensor).max()) <= TOLERANCE
    # Single-threaded decoding gives the same frames.
    np.testing.assert_array_equal(preprocess_video(data, spec, threads=1), frames_u8)


@pytest.mark.parametrize("num_seg", [8, 16])
@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_matches_paddlex(video_corpus, name: str, num_seg: int) -> None:
    assert_parity(video_corpus[name], PreprocessSpec(num_seg=num_seg, **DEFAULT_SPEC))


@pytest.mark.parametrize("num_seg", [8, 16])
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_matches_paddlex(rotated_videos, degrees: int, num_seg: int) -> None:
    path = rotated_videos[f"rotated_{degrees}"]
    spec = PreprocessSpec(num_seg=num_seg, **DEFAULT_SPEC)
    assert_parity(path, spec)
    video = decode_sampled_frames(path.read_bytes(), spec)
    assert video.rotation == degrees
    assert (video.width, video.height) == ((320, 240) if degrees == 180 else (240, 320))


# Non-default settings, to show nothing is hard-coded: segment length > 1, other sizes
# (short side 240 = the corpus' 320x240 short side, i.e. PaddleX's no-resize branch), other
# mean/std.
SPEC_VARIANTS = {
    "seg_len2": PreprocessSpec(num_seg=4, seg_len=2, short_size=256, crop_size=224),
    "short240_noresize": PreprocessSpec(num_seg=8, short_size=240, crop_size=200),
    "short_eq_crop": PreprocessSpec(num_seg=5, short_size=224, crop_size=224),
    "other_norm": PreprocessSpec(
        num_seg=6, short_size=300, crop_size=257, mean=(0.5, 0.4, 0.3), std=(0.2, 0.3, 0.25)
    ),
}
VARIANT_VIDEOS = ["land_320x240", "portrait_240x320", "odd_333x197", "three_frames_320x240"]


@pytest.mark.parametrize("name", VARIANT_VIDEOS)
@pytest.mark.parametrize("variant", list(SPEC_VARIANTS))
def test_spec_variants_match_paddlex(video_corpus, variant: str, name: str) -> None:
    assert_parity(video_corpus[name], SPEC_VARIANTS[variant])


def test_normalization_constants_match_paddlex() -> None:
    processors = pytest.importorskip("paddlex.inference.models.video_classification.processors")
    spec = SPEC_VARIANTS["other_norm"]
    op = processors.NormalizeVideo(mean=list(spec.mean), std=list(spec.std))
    mean, std = normalization_constants(spec)
    assert mean.dtype == std.dtype == np.float32
    assert mean.shape == std.shape == (1, 3, 1, 1)
    np.testing.assert_array_equal(mean[0], op.mean)
    np.testing.assert_array_equal(std[0], op.std)


def test_decoded_frames_equal_decords(video_corpus) -> None:
    """The sampled RGB frames themselves equal decord's ``get_batch`` (what PaddleX reads)."""
    import decord

    spec = PreprocessSpec(num_seg=8, **DEFAULT_SPEC)
    for name in ("hd_1280x720", "vp9_320x240", "vfr_320x240", "mpeg4_320x240"):
        path = video_corpus[name]
        video = decode_sampled_frames(path.read_bytes(), spec)
        expected = decord.VideoReader(str(path)).get_batch(video.indices).asnumpy()
        assert len(video.frames) == len(expected)
        for ours, theirs in zip(video.frames, expected, strict=True):
            assert ours.dtype == np.uint8 and ours.flags.c_contiguous
            np.testing.assert_array_equal(ours, theirs, err_msg=name)
        assert video.fps == pytest.approx(decord.VideoReader(str(path)).get_avg_fps())
