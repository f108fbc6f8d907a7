"""Hostile and damaged input: every case is refused with the right error, nothing crashes.

All decodes of hostile data run in one child process, which afterwards decodes a good video:
its exit status proves there was no crash, and its output for the good video (equal to this
process's) proves it was still healthy. The last tests show where decord (and so PaddleX) is
wrong and we are right.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import numpy as np
import pytest
from videocls_preprocess import errors
from videocls_preprocess.decode import decode_sampled_frames
from videocls_preprocess.pipeline import preprocess_video
from videocls_preprocess.spec import InputLimits, PreprocessSpec
from videos import frame_code, hostile_inputs, write_video

SPEC = PreprocessSpec(num_seg=8, short_size=256, crop_size=224)

# name -> (error class, words the message must contain)
EXPECTED: dict[str, tuple[type[errors.InvalidVideoError], str]] = {
    "empty": (errors.EmptyVideoError, "empty"),
    "random_1k": (errors.UnsupportedVideoError, "not a video container"),
    "random_1m": (errors.UnsupportedVideoError, "not a video container"),
    "truncated_faststart_mp4": (errors.CorruptVideoError, "truncated"),
    "truncated_mp4": (errors.CorruptVideoError, "truncated"),
    "mp4_without_moov": (errors.CorruptVideoError, "moov"),
    "mp4_tail_cut": (errors.CorruptVideoError, "truncated"),
    "png": (errors.UnsupportedVideoError, "PNG image"),
    "jpeg": (errors.UnsupportedVideoError, "JPEG image"),
    "text": (errors.UnsupportedVideoError, "text"),
    "hls_playlist": (errors.UnsupportedVideoError, "text"),
    "audio_only": (errors.UnsupportedVideoError, "no video stream"),
    "audio_with_cover_art": (errors.UnsupportedVideoError, "no video stream"),
    "too_wide": (errors.VideoTooLargeError, "4104x16"),
    "resolution_switch": (errors.VideoTooLargeError, "4104x16"),
    "zero_frames": (errors.EmptyVideoError, "no frames"),
    # A good video against tight limits.
    "limit_bytes": (errors.VideoTooLargeError, "bytes"),
    "limit_side": (errors.VideoTooLargeError, "320x240"),
    "limit_frames": (errors.VideoTooLargeError, "frames"),
    "limit_timeout": (errors.DecodeTimeoutError, "longer than"),
}
LIMIT_CASES = {
    "limit_bytes": {"max_bytes": 1000},
    "limit_side": {"max_side": 200},
    "limit_frames": {"max_frames": 10},
    "limit_timeout": {"timeout_s": 1e-6},
}

_CHILD = textwrap.dedent(
    """
    import hashlib, json, sys
    from pathlib import Path
    from videocls_preprocess.decode import decode_sampled_frames
    from videocls_preprocess.errors import InvalidVideoError
    from videocls_preprocess.pipeline import preprocess_video
    from videocls_preprocess.spec import InputLimits, PreprocessSpec

    job = json.loads(Path(sys.argv[1]).read_text())
    spec = PreprocessSpec(**job["spec"])
    results = {}
    for name, case in job["cases"].items():
        data = Path(case["path"]).read_bytes()
        try:
            decode_sampled_frames(data, spec, InputLimits(**case["limits"]))
            results[name] = {"accepted": True}
        except InvalidVideoError as exc:
            results[name] = {"error": type(exc).__name__, "message": str(exc)}
        except Exception as exc:  # reported, so the test names the escaped exception
            results[name] = {"unexpected": repr(exc)}
    good = preprocess_video(Path(job["good"]).read_bytes(), spec)
    print(json.dumps({"results": results, "good": hashlib.sha256(good.tobytes()).hexdigest()}))
    """
)


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("hostile")
    files = {}
    for name, data in hostile_inputs(directory / "work").items():
        files[name] = directory / f"{name}.bin"
        files[name].write_bytes(data)
    return files


@pytest.fixture(scope="module")
def child_run(hostile_files, video_corpus, tmp_path_factory) -> dict:
    """Decode every hostile case (and then a good video) in one child process."""
    good = video_corpus["land_320x240"]
    cases = {name: {"path": str(path), "limits": {}} for name, path in hostile_files.items()}
    cases.update(
        {name: {"path": str(good), "limits": limits} for name, limits in LIMIT_CASES.items()}
    )
    job = tmp_path_factory.mktemp("child") / "job.json"
    spec = {"num_seg": SPEC.num_seg, "short_size": SPEC.short_size, "crop_size": SPEC.crop_size}
    job.write_text(json.dumps({"spec": spec, "cases": cases, "good": str(good)}))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(job)], capture_output=True, text=True, timeout=180
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"child died (exit {done.returncode}): {done.stderr[-2000:]}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["elapsed"] = elapsed
    report["good_path"] = good
    return report


def test_hostile_corpus_is_complete(hostile_files) -> None:
    optional = {"audio_with_cover_art"}  # needs the ffmpeg command line
    assert set(EXPECTED) - set(LIMIT_CASES) - optional <= set(hostile_files)
    assert set(hostile_files) <= set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_hostile_case_is_refused(child_run, name: str) -> None:
    if name not in child_run["results"]:
        pytest.skip(f"{name} could not be built here")
    result = child_run["results"][name]
    error_class, words = EXPECTED[name]
    assert "unexpected" not in result, f"{name}: escaped as {result['unexpected']}"
    assert "accepted" not in result, f"{name} was accepted as a video"
    assert result["error"] == error_class.__name__, f"{name}: {result}"
    assert issubclass(getattr(errors, result["error"]), errors.InvalidVideoError)
    assert words.lower() in result["message"].lower(), f"{name}: {result['message']}"


def test_child_stayed_healthy(child_run) -> None:
    """After all hostile inputs, the same process still decodes a good video identically."""
    expected = preprocess_video(Path(child_run["good_path"]).read_bytes(), SPEC)
    assert child_run["good"] == hashlib.sha256(expected.tobytes()).hexdigest()
    assert child_run["elapsed"] < 60, "hostile decodes are too slow (a hang?)"


def test_hostile_errors_in_process(hostile_files, video_corpus) -> None:
    """The same refusals in this process (the child run proved they cannot crash it)."""
    for name, path in hostile_files.items():
        error_class, _ = EXPECTED[name]
        with pytest.raises(error_class):
            decode_sampled_frames(path.read_bytes(), SPEC)
    good = video_corpus["land_320x240"].read_bytes()
    assert preprocess_video(good, SPEC).shape == (8, 3, 224, 224)


@pytest.mark.parametrize(
    "data",
    [
        "a string",
        [1, 2, 3],
        None,
        np.zeros((2, 8), dtype=np.uint8),
        np.zeros(8, dtype=np.float32),
    ],
    ids=["str", "list", "none", "2d_array", "float_array"],
)
def test_unusable_input_types(data) -> None:
    with pytest.raises(errors.InvalidVideoError, match="expected the encoded video"):
        decode_sampled_frames(data, SPEC)


@pytest.mark.parametrize(
    "wrap",
    [bytes, bytearray, memoryview, lambda b: np.frombuffer(b, dtype=np.uint8),
     lambda b: np.array([b], dtype=object)],
    ids=["bytes", "bytearray", "memoryview", "uint8_array", "object_array"],
)  # fmt: skip
def test_accepted_input_types(video_corpus, wrap) -> None:
    data = video_corpus["three_frames_320x240"].read_bytes()
    video = decode_sampled_frames(wrap(data), SPEC)
    assert video.num_frames == 3 and video.indices == [0, 1, 2, 0, 1, 2, 0, 1]
    assert len(video.frames) == 8
    assert video.frames[0] is not video.frames[3]  # repeated index: a separate array
    np.testing.assert_array_equal(video.frames[0], video.frames[3])


def test_size_limit_is_checked_before_parsing() -> None:
    huge = np.zeros(2_000_001, dtype=np.uint8)  # would be "random data" if parsed
    with pytest.raises(errors.VideoTooLargeError, match="2000001 bytes"):
        decode_sampled_frames(huge, SPEC, InputLimits(max_bytes=2_000_000))


def test_timeout_bounds_a_slow_decode(video_corpus) -> None:
    data = video_corpus["hd_1280x720"].read_bytes()
    started = time.monotonic()
    with pytest.raises(errors.DecodeTimeoutError):
        decode_sampled_frames(data, SPEC, InputLimits(timeout_s=0.005))
    assert time.monotonic() - started < 2.0


def _patch_avi_frame_counts(data: bytes, frames: int) -> bytes:
    """Make an AVI's main header and video stream header claim ``frames`` frames."""
    out = bytearray(data)
    avih = out.find(b"avih")
    out[avih + 24 : avih + 28] = frames.to_bytes(4, "little")  # dwTotalFrames
    strh = out.find(b"strh")
    out[strh + 40 : strh + 44] = frames.to_bytes(4, "little")  # dwLength
    return bytes(out)


def test_lying_frame_count_is_not_trusted(video_corpus) -> None:
    """An AVI header claiming 2**31 - 1 frames: the real frames are counted, nothing is
    allocated from the claim, and the result equals the honest file's."""
    honest = video_corpus["mpeg4_320x240"].read_bytes()
    lying = _patch_avi_frame_counts(honest, 2**31 - 1)
    with av.open(io.BytesIO(lying)) as container:
        assert container.streams.video[0].frames == 2**31 - 1  # the lie is visible
    video = decode_sampled_frames(lying, SPEC)
    assert video.num_frames == 50
    np.testing.assert_array_equal(preprocess_video(lying, SPEC), preprocess_video(honest, SPEC))


# --- where decord (and so PaddleX 3.7.2) is wrong --------------------------------------------


@pytest.fixture(scope="module")
def mpeg4_bframes_avi(tmp_path_factory) -> Path:
    """mpeg4 (XviD tag) with B-frames and an AC-3 track in AVI: decord's seeks go wrong."""
    return write_video(
        tmp_path_factory.mktemp("bframes") / "mpeg4_bframes_ac3.avi",
        width=320,
        height=240,
        frames=150,
        codec="mpeg4",
        audio=True,
        seed=3,
        codec_options={"bf": "2", "g": "50"},
    )


def test_mpeg4_bframes_avi_we_are_right(mpeg4_bframes_avi) -> None:
    """Ground truth: a sequential full decode, and the frame number drawn in each picture."""
    video = decode_sampled_frames(mpeg4_bframes_avi.read_bytes(), SPEC)
    with av.open(str(mpeg4_bframes_avi)) as container:
        sequential = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert video.num_frames == len(sequential) == 150
    assert [frame_code(f) for f in sequential] == list(range(150))
    for index, frame in zip(video.indices, video.frames, strict=True):
        np.testing.assert_array_equal(frame, sequential[index])
        assert frame_code(frame) == index


def test_mpeg4_bframes_avi_decord_is_wrong(mpeg4_bframes_avi) -> None:
    """Documents decord 0.6.0's bug: its random access returns other frames, silently."""
    decord = pytest.importorskip("decord")
    if decord.__version__ != "0.6.0":
        pytest.skip(f"the bug is documented for decord 0.6.0, not {decord.__version__}")
    reader = decord.VideoReader(str(mpeg4_bframes_avi))
    indices = decode_sampled_frames(mpeg4_bframes_avi.read_bytes(), SPEC).indices
    got = [frame_code(f) for f in reader.get_batch(indices).asnumpy()]
    assert got != indices, "decord now returns the right frames: update docs/decoding.md"


def _with_pictureless_packet(src: Path, dst: Path) -> Path:
    """Remux ``src`` (mkv) and append an H.264 packet holding only an access-unit delimiter."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_stream = inp.streams.video[0]
        out_stream = out.add_stream_from_template(in_stream)
        last = None
        for packet in inp.demux(in_stream):
            if packet.size:
                packet.stream = out_stream
                out.mux(packet)
                last = packet
        assert last is not None
        junk = av.Packet(b"\x00\x00\x00\x01\x09\xf0")
        junk.stream, junk.time_base = out_stream, last.time_base
        junk.pts, junk.dts = last.pts + 1, last.dts + 1
        out.mux(junk)
    return dst


def test_packet_without_picture_takes_the_last_frame(tmp_path) -> None:
    """9 packets, 8 pictures: the count is decord's (9), the index past the last picture gets
    the last decoded frame. (decord 0.6.0 raises on this file.)"""
    src = write_video(tmp_path / "eight.mkv", width=320, height=240, frames=8,
                      codec_options={"bf": "0"})  # fmt: skip
    path = _with_pictureless_packet(src, tmp_path / "nine_packets.mkv")
    spec = PreprocessSpec(num_seg=9, short_size=256, crop_size=224)
    video = decode_sampled_frames(path.read_bytes(), spec)
    assert video.num_frames == 9
    assert video.indices == list(range(9))
    assert [frame_code(f) for f in video.frames] == [0, 1, 2, 3, 4, 5, 6, 7, 7]
    assert video.frames[8] is not video.frames[7]
