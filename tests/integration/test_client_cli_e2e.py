"""``videocls-client`` against the real tritonserver: outputs, files and exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_client_predict import assert_same, assert_scores_close
from videocls_client import create_model
from videocls_client.cli import main
from videocls_client.records import read_delimited
from videocls_repository.server import free_port

pytestmark = pytest.mark.slow

SMALL = "PP-TSMv2-LCNetV2_8frames_uniform"
LARGE = "PP-TSMv2-LCNetV2_16frames_uniform"
CLIENT = Path(sys.executable).parent / "videocls-client"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_prints_what_paddlex_prints(triton, paddlex_reference, client_videos, capsys):
    """The `make demo` command line."""
    video = client_videos["a_land"]
    code, out, err = run(
        capsys, "predict", video, "--url", triton.grpc_url, "--model", SMALL, "--topk", 5
    )
    (theirs,) = paddlex_reference(SMALL, str(video), topk=5)
    with create_model(SMALL, url=triton.grpc_url) as model:
        (ours,) = model.predict(str(video), topk=5)
    assert_same(ours, theirs)  # PaddleX's values (scores to a rounding step)
    assert (code, err) == (0, "")
    assert out == f"{ours._to_str()}\n"  # printed as PaddleX prints (tests/unit)


def test_json_format_and_save_dir(triton, paddlex_reference, client_videos, capsys, tmp_path):
    videos = [client_videos["a_land"], client_videos["c_mpeg4"]]
    code, out, err = run(
        capsys, "predict", *videos, "--url", triton.grpc_url, "--model", SMALL,
        "--format", "json", "--save-dir", tmp_path, "--batch-size", 2,
    )  # fmt: skip
    assert (code, err) == (0, "")
    for video, printed in zip(videos, json.loads(out), strict=True):
        expected = paddlex_reference(SMALL, str(video))[0].json  # a fresh copy
        scores, expected_scores = printed["res"].pop("scores"), expected["res"].pop("scores")
        assert_scores_close(scores, expected_scores)
        assert printed == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a_land_res.json",
        "a_land_res.mp4",
        "c_mpeg4_res.avi",
        "c_mpeg4_res.json",
    ]


def test_ndjson_records(triton, client_videos, capsys):
    code, out, _ = run(
        capsys, "predict", client_videos["dir"] / "sub", "--url", triton.grpc_url,
        "--model", LARGE, "--format", "ndjson", "--topk", 2, "--concurrency", 2,
    )  # fmt: skip
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [Path(r["input_path"]).name for r in records] == [
        "e_vp9.webm",
        "f_three.mp4",
    ]
    for record in records:
        assert len(record["class_ids"]) == len(record["scores"]) == len(record["label_names"]) == 2
        assert record["model_name"] == LARGE and record["model_version"] == "1"
        assert record["timings"]["request_ms"] > 0


def test_protobuf_records_through_the_console_script(triton, client_videos):
    video = client_videos["h_small"]
    done = subprocess.run(
        [CLIENT, "predict", video, video, "--url", triton.grpc_url, "--model", SMALL,
         "--format", "protobuf"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = list(read_delimited(io.BytesIO(done.stdout)))
    assert [r.input_path for r in records] == [str(video)] * 2
    assert records[0].class_ids == records[1].class_ids and len(records[0].class_ids) == 1


def test_models_command(triton, capsys):
    code, out, _ = run(capsys, "models", "--url", triton.grpc_url)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "MODEL", "VERSION", "NUM_SEG", "CLASSES", "TOPK", "MAX_VIDEO", "MAX_SIDE",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[SMALL][1:5] == ["1", "8", "400", "1"]
    assert rows[LARGE][2] == "16"
    code, out, _ = run(capsys, "models", "--url", triton.grpc_url, "--format", "json")
    assert {m["name"]: m["num_seg"] for m in json.loads(out)}[LARGE] == 16


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("videocls-client: error: ")
    return lines[0]


def test_unreachable_server_exits_3(client_videos, capsys):
    url = f"127.0.0.1:{free_port()}"
    code, out, err = run(
        capsys, "predict", client_videos["a_land"], "--url", url, "--model", SMALL,
        "--retries", 1,
    )  # fmt: skip
    assert code == 3 and out == ""
    assert f"cannot reach the server at {url} (tried 2 times)" in _one_error_line(err)
    assert run(capsys, "models", "--url", url, "--retries", 0)[0] == 3


def test_unknown_model_exits_4(triton, client_videos, capsys):
    code, _, err = run(
        capsys, "predict", client_videos["a_land"], "--url", triton.grpc_url, "--model", "nope"
    )
    assert code == 4 and "no model 'nope'" in _one_error_line(err)


def test_missing_file_exits_5(triton, tmp_path, capsys):
    code, out, err = run(
        capsys, "predict", tmp_path / "missing.mp4", "--url", triton.grpc_url, "--model", SMALL
    )
    assert code == 5 and out == ""
    lines = err.strip().splitlines()
    assert lines == [
        f"videocls-client: error: {tmp_path / 'missing.mp4'}: no such file or folder",
        "videocls-client: error: 1 of 1 input failed",
    ]


def test_bad_file_in_a_folder_exits_6_after_the_others(triton, client_videos, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(client_videos["a_land"], folder / "a.mp4")
    (folder / "b.mp4").write_bytes(b"not a video at all" * 10)
    shutil.copy(client_videos["h_small"], folder / "c.mp4")
    code, out, err = run(
        capsys, "predict", folder, "--url", triton.grpc_url, "--model", SMALL, "--format", "ndjson"
    )
    assert code == 6
    assert [Path(json.loads(line)["input_path"]).name for line in out.splitlines()] == [
        "a.mp4",
        "c.mp4",
    ]
    first, summary = err.strip().splitlines()
    assert first.startswith(f"videocls-client: error: {folder / 'b.mp4'}: in ensemble '{SMALL}'")
    assert summary == "videocls-client: error: 1 of 3 inputs failed"


def test_model_must_be_chosen_when_several_are_served(triton, client_videos, capsys):
    code, _, err = run(capsys, "predict", client_videos["a_land"], "--url", triton.grpc_url)
    assert code == 2 and "choose one with --model" in _one_error_line(err)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "x.mp4", "--topk", "0"])
    assert exit_info.value.code == 2
    assert "--topk: 0 is not >= 1" in capsys.readouterr().err
