"""The client's results against PaddleX 3.7.2's own ``TopkVideoResult`` on the same data.

No server: both result classes are built from the same dict, so the text, JSON, file names,
files and labelled frames must be identical. PaddleX's font (PingFang) is downloaded at run
time, which cannot happen offline: it is pointed at the client's DejaVu Sans for the test.
"""

from __future__ import annotations

import filecmp
import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from videocls_client import visualize
from videocls_client.errors import VisualizationError
from videocls_client.results import Timings, VideoClassificationResult
from videos import write_video


@pytest.fixture(scope="module")
def paddlex_result_class():
    from paddlex.inference.models.video_classification.result import TopkVideoResult
    from paddlex.utils import fonts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts.PINGFANG_FONT, "_local_path", str(visualize.font_path()))
        yield TopkVideoResult


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    return {
        "mp4": write_video(root / "clip one.mp4", width=200, height=120, frames=12, seed=1),
        "avi": write_video(root / "clip.avi", width=160, height=96, frames=9, codec="mpeg4"),
        "mkv": write_video(root / "clip.mkv", width=128, height=96, frames=6, seed=3),
        "webm": write_video(root / "clip.webm", width=128, height=96, frames=6, codec="vp9"),
    }


def _data(path, k=3) -> dict:
    ids = np.array([[7, 399, 0, 12, 55][:k]], dtype=np.int32)
    scores = list(np.array([0.61234, 0.2, 0.1, 0.05, 0.03766][:k], dtype=np.float32))
    labels = ["übung 中文", "zumba", "abseiling", "archery", "x"][:k]
    return {"input_path": str(path), "class_ids": ids, "scores": scores, "label_names": labels}


def _pair(paddlex_result_class, path, k=3):
    return paddlex_result_class(_data(path, k)), VideoClassificationResult(_data(path, k))


@pytest.mark.parametrize("k", [1, 5])
def test_text_and_json_are_paddlex(paddlex_result_class, videos, k):
    theirs, ours = _pair(paddlex_result_class, videos["mp4"], k)
    assert dict(ours).keys() == dict(theirs).keys()
    assert ours.json == theirs.json
    assert str(ours) == str(theirs)
    assert str(ours.str) == str(theirs.str)
    for kwargs in ({}, {"json_format": True}, {"json_format": True, "ensure_ascii": True}):
        # PaddleX's print() logs str() of what _to_str returns (a dict, or the JSON text).
        assert ours._to_str(**kwargs) == str(theirs._to_str(**kwargs))
    out = io.StringIO()
    with redirect_stdout(out):
        ours.print()
        ours.print(format_json=True, indent=2)
    assert out.getvalue() == f"{theirs._to_str()}\n{theirs._to_str(True, 2)}\n"


def test_extra_facts_stay_out_of_the_dict(videos):
    result = VideoClassificationResult(
        _data(videos["mp4"]), model_name="m", model_version="1", timings=Timings(1.0, 2.0)
    )
    assert set(result) == {"input_path", "class_ids", "scores", "label_names"}
    assert (result.model_name, result.model_version, result.timings.request_ms) == ("m", "1", 2.0)


@pytest.mark.parametrize(
    ("target", "written"), [("out", "out/clip one_res.json"), ("r.json", "r.json")]
)
def test_save_to_json_writes_paddlex_files(paddlex_result_class, videos, tmp_path, target, written):
    theirs, ours = _pair(paddlex_result_class, videos["mp4"])
    theirs.save_to_json(str(tmp_path / "paddlex" / target))
    ours.save_to_json(tmp_path / "client" / target)
    for side in ("paddlex", "client"):
        files = [p.relative_to(tmp_path / side).as_posix() for p in (tmp_path / side).rglob("*")]
        assert [f for f in files if f.endswith(".json")] == [written], side
    assert filecmp.cmp(tmp_path / "paddlex" / written, tmp_path / "client" / written, shallow=False)


def _decode(path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="bgr24") for f in container.decode(video=0)])


@pytest.mark.parametrize("kind", ["mp4", "avi", "mkv"])
def test_labelled_video_is_paddlex(paddlex_result_class, videos, tmp_path, kind):
    theirs, ours = _pair(paddlex_result_class, videos[kind])
    (their_frames, their_fps), (our_frames, our_fps) = theirs.video["res"], ours.video["res"]
    assert our_frames.dtype == np.uint8 and our_frames.shape == their_frames.shape
    assert np.array_equal(our_frames, their_frames) and our_fps == their_fps
    theirs.save_to_video(str(tmp_path / "paddlex"))
    ours.save_to_video(tmp_path / "client")
    (their_file,) = (tmp_path / "paddlex").iterdir()
    (our_file,) = (tmp_path / "client").iterdir()
    assert our_file.name == their_file.name == f"{videos[kind].stem}_res.{kind}"
    assert np.array_equal(_decode(our_file), _decode(their_file))
    if kind != "mkv":  # Matroska files carry a random segment UID
        assert filecmp.cmp(our_file, their_file, shallow=False)


def test_webm_is_saved_as_mp4(paddlex_result_class, videos, tmp_path):
    """PaddleX writes nothing for a .webm input (OpenCV cannot put mp4v in WebM)."""
    theirs, ours = _pair(paddlex_result_class, videos["webm"])
    theirs.save_to_video(str(tmp_path / "paddlex"))
    ours.save_to_video(tmp_path / "client")
    assert not any((tmp_path / "paddlex").glob("*"))
    (our_file,) = (tmp_path / "client").iterdir()
    assert our_file.name == "clip_res.mp4"
    assert np.array_equal(_decode(our_file).shape, theirs.video["res"][0].shape)


def test_save_to_video_with_a_file_name(videos, tmp_path):
    ours = VideoClassificationResult(_data(videos["mp4"]))
    ours.save_to_video(tmp_path / "out" / "labelled.avi")
    assert len(_decode(tmp_path / "out" / "labelled.avi")) == 12


def test_downloaded_video_is_drawn_from_memory(videos, tmp_path):
    data = videos["mp4"].read_bytes()
    url = "http://example.invalid/videos/remote.mp4"
    ours = VideoClassificationResult({**_data(url)}, video_bytes=data)
    local = VideoClassificationResult(_data(videos["mp4"]))
    assert np.array_equal(ours.video["res"][0], local.video["res"][0])
    ours.save_to_json(tmp_path)
    ours.save_to_video(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["remote_res.json", "remote_res.mp4"]


def test_missing_font_is_a_clear_error(videos, monkeypatch, tmp_path):
    monkeypatch.setenv(visualize.FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(VisualizationError, match="no font to draw the label"):
        VideoClassificationResult(_data(videos["mp4"])).save_to_video(tmp_path)
    monkeypatch.delenv(visualize.FONT_ENV)
    monkeypatch.setattr(visualize, "DEFAULT_FONT", tmp_path / "DejaVuSans.ttf")
    with pytest.raises(VisualizationError, match="apt-get install -y fonts-dejavu-core"):
        visualize.font_path()
