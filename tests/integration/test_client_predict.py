"""videocls_client against the real tritonserver, field by field with PaddleX 3.7.2 itself.

Every input kind (path, URL, folder, mixed list), batch sizes 1/3/8, topk 1/5 and its
precedence, the files save_to_json/save_to_video write, and the error paths.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from videocls_client import (
    InputNotFoundError,
    InvalidVideoError,
    ModelNotFoundError,
    ServerUnavailableError,
    VideoClassificationResult,
    create_model,
    list_models,
)
from videocls_repository.server import free_port

pytestmark = pytest.mark.slow

SMALL = "PP-TSMv2-LCNetV2_8frames_uniform"
LARGE = "PP-TSMv2-LCNetV2_16frames_uniform"


def assert_scores_close(ours, theirs) -> None:
    """Scores agree within one step of PaddleX's 5-decimal rounding.

    The served logits (onnxruntime) and PaddleX's (Paddle) differ by float32 noise (~1e-5);
    after the softmax and the rounding to 5 decimals a score can land one step away; the
    float32 spelling of a 5-decimal value adds ~1e-8. Class ids and names are compared exactly.
    """
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    assert np.all(np.abs(ours - theirs) <= 1e-5 + 1e-7), (ours.tolist(), theirs.tolist())


@pytest.fixture(scope="module")
def models(triton):
    opened = {name: create_model(name, url=triton.grpc_url) for name in (SMALL, LARGE)}
    yield opened
    for model in opened.values():
        model.close()


def assert_same(ours: VideoClassificationResult, theirs, input_path: str | None = None) -> None:
    """Field by field, types included, then the JSON and the text.

    Scores to within :func:`assert_scores_close`; everything else exactly.
    """
    assert set(ours) == set(theirs) == {"input_path", "class_ids", "scores", "label_names"}
    assert ours["input_path"] == (theirs["input_path"] if input_path is None else input_path)
    assert isinstance(ours["class_ids"], np.ndarray)
    assert ours["class_ids"].dtype == theirs["class_ids"].dtype == np.int32
    assert ours["class_ids"].shape == theirs["class_ids"].shape
    assert np.array_equal(ours["class_ids"], theirs["class_ids"])
    assert [type(s) for s in ours["scores"]] == [type(s) for s in theirs["scores"]]
    assert_scores_close(ours["scores"], theirs["scores"])
    assert ours["label_names"] == theirs["label_names"]
    if input_path is None:
        same_scores = {**theirs, "scores": ours["scores"]}
        assert ours.json == VideoClassificationResult(same_scores).json
        assert str(ours) == str(VideoClassificationResult(same_scores))


def assert_same_json_file(ours: Path, theirs: Path) -> None:
    """Identical files, or identical but for scores within :func:`assert_scores_close`."""
    mine, reference = json.loads(ours.read_text()), json.loads(theirs.read_text())
    assert_scores_close(mine.pop("scores"), reference.pop("scores"))
    assert mine == reference
    if json.loads(ours.read_text())["scores"] == json.loads(theirs.read_text())["scores"]:
        assert filecmp.cmp(ours, theirs, shallow=False)


@pytest.mark.parametrize("name", [SMALL, LARGE])
@pytest.mark.parametrize("topk", [1, 5])
def test_path(models, paddlex_reference, client_videos, name, topk):
    video = str(client_videos["a_land"])
    (ours,) = models[name].predict(video, topk=topk)
    (theirs,) = paddlex_reference(name, video, topk=topk)
    assert ours["class_ids"].shape == (1, topk)
    assert_same(ours, theirs)
    assert ours.model_name == name and ours.model_version == "1"
    assert ours.timings.request_ms > 0 and ours.timings.read_ms >= 0


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_folder_in_every_batch_size(models, paddlex_reference, client_videos, batch_size):
    folder = str(client_videos["dir"])
    ours = list(models[SMALL].predict(folder, batch_size=batch_size, topk=5))
    theirs = paddlex_reference(SMALL, folder, topk=5)  # PaddleX at batch_size 1
    assert [r["input_path"] for r in ours] == [r["input_path"] for r in theirs]
    assert len(ours) == 9  # the .mov and .txt files are not taken, the subfolder is
    for mine, reference in zip(ours, theirs, strict=True):
        assert_same(mine, reference)


def test_url(models, paddlex_reference, client_videos, http_root, tmp_path):
    root, base = http_root
    shutil.copy(client_videos["b_portrait"], root / "remote clip.mp4")
    url = f"{base}/remote%20clip.mp4"
    (ours,) = models[SMALL].predict(url, topk=5)
    (theirs,) = paddlex_reference(SMALL, str(root / "remote clip.mp4"), topk=5)
    assert_same(ours, theirs, input_path=url)
    # File names come from the URL's last part, like PaddleX's download of it.
    ours.save_to_json(tmp_path / "out")
    ours.save_to_video(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "remote%20clip_res.json",
        "remote%20clip_res.mp4",
    ]
    np.testing.assert_array_equal(ours.video["res"][0], theirs.video["res"][0])


def test_mixed_list_keeps_input_order(models, paddlex_reference, client_videos, http_root):
    root, base = http_root
    shutil.copy(client_videos["h_small"], root / "h.mp4")
    sub = client_videos["dir"] / "sub"
    inputs = [
        str(client_videos["c_mpeg4"]),
        f"{base}/h.mp4",
        str(sub),
        str(client_videos["a_land"]),
    ]
    ours = list(models[SMALL].predict(inputs, batch_size=3, topk=1))
    expected_paths = [
        inputs[0],
        inputs[1],
        str(sub / "e_vp9.webm"),
        str(sub / "f_three.mp4"),
        inputs[3],
    ]
    assert [r["input_path"] for r in ours] == expected_paths
    references = [str(root / "h.mp4") if p == inputs[1] else p for p in expected_paths]
    for mine, path in zip(ours, references, strict=True):
        (theirs,) = paddlex_reference(SMALL, path, topk=1)
        assert_same(mine, theirs, input_path=mine["input_path"])


def test_a_named_mov_file_is_sent(models, client_videos):
    """PaddleX refuses a .mov path outright; the client lets the server decide."""
    (result,) = models[SMALL].predict(str(client_videos["skipped"]))
    assert result["input_path"].endswith("skipped.mov")


def test_topk_precedence(triton, paddlex_reference, client_videos):
    video = str(client_videos["g_odd"])
    with create_model(SMALL, url=triton.grpc_url, topk=3) as model:
        (model_level,) = model.predict(video)
        (call_level,) = model.predict(video, topk=5)
    with create_model(SMALL, url=triton.grpc_url) as model:
        (server_default,) = model.predict(video)
    assert_same(model_level, paddlex_reference(SMALL, video, model_topk=3)[0])
    assert_same(call_level, paddlex_reference(SMALL, video, topk=5, model_topk=3)[0])
    assert_same(server_default, paddlex_reference(SMALL, video)[0])
    assert model_level["class_ids"].shape == (1, 3) and call_level["class_ids"].shape == (1, 5)
    assert server_default["class_ids"].shape == (1, model.info.default_topk)


def _decode(path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="bgr24") for f in container.decode(video=0)])


@pytest.mark.parametrize("video", ["a_land", "c_mpeg4", "d_audio"])
def test_saved_files_match_paddlex(models, paddlex_reference, client_videos, tmp_path, video):
    path = str(client_videos[video])
    (ours,) = models[SMALL].predict(path, topk=5)
    (theirs,) = paddlex_reference(SMALL, path, topk=5)
    for result, side in ((ours, "client"), (theirs, "paddlex")):
        result.save_to_json(str(tmp_path / side))
        result.save_to_video(str(tmp_path / side))
    json_name, video_name = f"{video}_res.json", f"{video}_res{client_videos[video].suffix}"
    for side in ("client", "paddlex"):
        assert sorted(p.name for p in (tmp_path / side).iterdir()) == sorted(
            [json_name, video_name]
        )
    assert_same_json_file(tmp_path / "client" / json_name, tmp_path / "paddlex" / json_name)
    np.testing.assert_array_equal(
        _decode(tmp_path / "client" / video_name), _decode(tmp_path / "paddlex" / video_name)
    )
    if video != "d_audio":  # Matroska writes a random segment UID: frames equal, bytes not
        assert filecmp.cmp(
            tmp_path / "client" / video_name, tmp_path / "paddlex" / video_name, False
        )


def test_list_models(triton):
    infos = {info.name: info for info in list_models(triton.grpc_url)}
    assert {SMALL, LARGE} <= set(infos)
    assert (infos[SMALL].num_seg, infos[LARGE].num_seg) == (8, 16)
    assert infos[SMALL].num_classes == 400 and infos[SMALL].version == "1"
    assert infos[SMALL].max_video_bytes > 0 and infos[SMALL].max_video_side > 0
    assert not any("." in name for name in infos)  # the steps are not listed


def test_unknown_model(triton):
    with pytest.raises(ModelNotFoundError, match=rf"no model 'nope'; ready models: .*{SMALL}"):
        create_model("nope", url=triton.grpc_url)


def test_unreachable_server():
    url = f"127.0.0.1:{free_port()}"  # free, so closed
    with pytest.raises(ServerUnavailableError, match=f"cannot reach the server at {url}"):
        create_model(SMALL, url=url, retries=1, backoff_s=0.05)


def test_missing_file_raises_after_the_results_before_it(models, client_videos, tmp_path):
    good = str(client_videos["h_small"])
    results = models[SMALL].predict([good, str(tmp_path / "missing.mp4"), good])
    assert next(results)["input_path"] == good
    with pytest.raises(InputNotFoundError, match=r"missing\.mp4: no such file"):
        next(results)


def test_bad_file_in_a_folder_does_not_stop_the_others(
    models, paddlex_reference, client_videos, tmp_path
):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("a_land", "h_small"):
        shutil.copy(client_videos[name], folder / client_videos[name].name)
    (folder / "b_broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    (folder / "c_text.mkv").write_text("this is not a video\n" * 20)
    outcomes = list(models[SMALL].predict(folder, batch_size=3, return_exceptions=True))
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == [
        "VideoClassificationResult",
        "InvalidVideoError",
        "InvalidVideoError",
        "VideoClassificationResult",
    ]
    assert outcomes[1].input_path == str(folder / "b_broken.mp4")
    assert f"in ensemble '{SMALL}'" in str(outcomes[1])
    for good in (outcomes[0], outcomes[3]):
        original = client_videos[good["input_path"].rsplit("/", 1)[1].split(".")[0]]
        (theirs,) = paddlex_reference(SMALL, str(original))
        assert_same(good, theirs, input_path=good["input_path"])
    # Without return_exceptions the first bad file raises, after the good one before it.
    results = models[SMALL].predict(folder)
    assert isinstance(next(results), VideoClassificationResult)
    with pytest.raises(InvalidVideoError, match=r"b_broken\.mp4"):
        next(results)


def test_input_over_the_servers_limit_is_refused_before_sending(triton, client_videos):
    with (
        create_model(SMALL, url=triton.grpc_url, max_input_bytes=100) as model,
        pytest.raises(InvalidVideoError, match="more than the limit of 100 bytes"),
    ):
        list(model.predict(str(client_videos["a_land"])))


def test_dns_target_with_round_robin(triton, paddlex_reference, client_videos):
    """``dns:///`` + round_robin, as against a headless Service (here: localhost only)."""
    port = triton.grpc_url.rsplit(":", 1)[1]
    video = str(client_videos["a_land"])
    with create_model(SMALL, url=f"dns:///127.0.0.1:{port}", load_balancing="round_robin") as m:
        (ours,) = m.predict(video, topk=5)
    (theirs,) = paddlex_reference(SMALL, video, topk=5)
    assert_same(ours, theirs)
