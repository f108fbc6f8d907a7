"""The converter with the real paddle2onnx, onnxruntime and Paddle: parity, repair, sources."""

from __future__ import annotations

import subprocess
import sys
import tarfile

import pytest
from videocls_preprocess.errors import ConversionError
from videocls_repository.convert import converter, onnx_graph
from videocls_repository.convert.source import BASE_URL_ENV
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videocls_repository.server import free_port

SMALL = "PP-TSMv2-LCNetV2_8frames_uniform"


@pytest.mark.parametrize("name", OFFICIAL_MODEL_NAMES)
def test_onnx_matches_paddle(conversions, name):
    repository, results = conversions
    result = results[name]
    assert result.model_name == name
    assert result.parity.max_abs_diff <= 1e-4
    # The comparison is not trivial: the logits really vary.
    assert result.parity.logit_range > 1.0
    for suffix in ("", ".decode", ".network", ".topk"):
        assert (repository / f"{name}{suffix}" / "config.pbtxt").is_file()
    assert (repository / f"{name}.network" / "1" / "model.onnx").stat().st_size > 1_000_000
    labels = (repository / f"{name}.topk" / "labels.txt").read_text().splitlines()
    assert len(labels) == 400


def test_r50_needs_the_leaky_relu_repair(conversions):
    _, results = conversions
    assert results["PP-TSM-R50_8frames_uniform"].leaky_relu_repaired > 0
    assert results[SMALL].leaky_relu_repaired == 0


def test_without_the_repair_verification_fails(paddle_models, tmp_path, monkeypatch):
    """paddle2onnx 2.1.0 alone gives a silently wrong R50: verification must catch it."""
    monkeypatch.setattr(converter, "repair_leaky_relu", lambda model, model_file: 0)
    repository = tmp_path / "repo"
    with pytest.raises(ConversionError, match="disagrees with Paddle"):
        converter.convert(paddle_models["PP-TSM-R50_8frames_uniform"], repository)
    assert not repository.exists() or not any(repository.iterdir())


def test_repair_restores_paddle_slope(paddle_models, tmp_path):
    model_dir = paddle_models["PP-TSM-R50_8frames_uniform"]
    model = onnx_graph.export_onnx(
        model_dir / "inference.json", model_dir / "inference.pdiparams", tmp_path / "m.onnx"
    )
    alphas = [n.attribute[0].f for n in model.graph.node if n.op_type == "LeakyRelu"]
    wrong = [a for a in alphas if abs(a - 0.01) > 1e-6]
    assert alphas and wrong, "paddle2onnx got fixed? then drop the repair"
    onnx_graph.repair_leaky_relu(model, model_dir / "inference.json")
    alphas = {round(n.attribute[0].f, 6) for n in model.graph.node if n.op_type == "LeakyRelu"}
    assert alphas == {0.01}


def _tar(model_dir, path):
    with tarfile.open(path, "w") as tar:
        tar.add(model_dir, arcname=f"{SMALL}_infer")
    return path


def test_convert_from_url_and_model_name(paddle_models, http_root, tmp_path, monkeypatch):
    root, base = http_root
    _tar(paddle_models[SMALL], root / f"{SMALL}_infer.tar")

    by_url = converter.convert(f"{base}/{SMALL}_infer.tar", tmp_path / "a")
    assert by_url.model_name == SMALL and by_url.parity.max_abs_diff <= 1e-4

    monkeypatch.setenv(BASE_URL_ENV, base)
    by_name = converter.convert(SMALL, tmp_path / "b")
    assert (tmp_path / "b" / SMALL / "config.pbtxt").is_file()
    assert by_name.parity.max_abs_diff == by_url.parity.max_abs_diff


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "videocls_repository.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _bad_sources(paddle_models, tmp_path):
    corrupt = tmp_path / "corrupt_infer.tar"
    corrupt.write_bytes(b"\x00not a tar archive" * 100)
    no_fields = tmp_path / "no_fields"
    no_fields.mkdir()
    for f in ("inference.json", "inference.pdiparams"):
        (no_fields / f).write_bytes((paddle_models[SMALL] / f).read_bytes())
    (no_fields / "inference.yml").write_text("Global:\n  model_name: x\n")
    return {
        "missing path": (tmp_path / "nope" / "model_dir", "no such file"),
        "corrupt tar": (corrupt, "not a readable tar"),
        "yml without fields": (no_fields, "lacks PreProcess.transform_ops"),
        "unknown model name": ("PP-TSM-R999_8frames", "known model name"),
        "unreachable URL": (f"http://127.0.0.1:{free_port()}/m_infer.tar", "unreachable"),
    }


def test_bad_sources_exit_2_with_one_line(paddle_models, tmp_path):
    for case, (source, message) in _bad_sources(paddle_models, tmp_path).items():
        repository = tmp_path / f"repo-{case.replace(' ', '-')}"
        done = _cli("convert", source, "--model-repository", repository)
        assert done.returncode == 2, (case, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (case, done.stderr)
        assert not repository.exists() or not any(repository.iterdir()), case
