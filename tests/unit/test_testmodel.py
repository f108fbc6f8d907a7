"""Tests of the generated PP-TSM / PP-TSMv2 stand-in models (``videocls_repository.testmodel``).

Each model is built once per module (``built_model_dirs``). The official figures checked
here come from PaddleX's model list (R50: 93.4 MB inference params, about 24.4 M
parameters; PP-TSMv2: 22.5 MB, about 5.87 M) and the official state-dict layout is derived
independently in :mod:`videocls_repository.testmodel.official_names`.

On CPU the PaddleX predictor is created with ``run_mode="paddle"``: with PaddleX's default
``mkldnn`` run mode, Paddle 3.3.1 segfaults while building the R50 predictor (SIGSEGV in
``FloatAttribute::data()`` while a oneDNN PIR pass builds a ``FusedConv2dOp`` for
conv + BN + ``leaky_relu``, whose slope Paddle 3.3 stores as a double). PP-TSMv2 (ReLU only)
runs fine under ``mkldnn``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from videocls_preprocess.errors import ModelSourceError
from videocls_repository.testmodel import TEST_MODEL_NAMES, make_test_model
from videos import write_video

paddle = pytest.importorskip("paddle")

from videocls_repository.testmodel import export, official_names, pptsm_v2  # noqa: E402
from videocls_repository.testmodel.factory import LABELS_FILE, load_labels  # noqa: E402
from videocls_repository.testmodel.recognizer import MODEL_SPECS, build_recognizer  # noqa: E402

R50 = "PP-TSM-R50_8frames_uniform"
V2_8 = "PP-TSMv2-LCNetV2_8frames_uniform"
V2_16 = "PP-TSMv2-LCNetV2_16frames_uniform"

# PaddleX model list: inference .pdiparams size (MiB) and parameter count.
OFFICIAL_PARAMS_MIB = {R50: 93.4, V2_8: 22.5, V2_16: 22.5}
OFFICIAL_PARAM_COUNT = {R50: 24.4e6, V2_8: 5.87e6, V2_16: 5.87e6}
# Exact counts of our networks (float values in the inference graph).
EXPECTED_INFERENCE_COUNT = {R50: 24_400_112, V2_8: 5_871_960, V2_16: 5_872_160}


@pytest.fixture(scope="module")
def built_model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """All three generated models, written once: ``{model_name: model_dir}``."""
    root = tmp_path_factory.mktemp("testmodels")
    return {name: make_test_model(name, root / name, seed=0) for name in TEST_MODEL_NAMES}


@pytest.fixture(scope="module")
def two_videos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A smooth-gradient and a checkerboard 64-frame 320x240 h264 video."""
    root = tmp_path_factory.mktemp("testmodel_videos")
    first = write_video(root / "a.mp4", width=320, height=240, frames=64, seed=1)
    second = write_video(
        root / "b.mp4", width=320, height=240, frames=64, seed=2, pattern="checker"
    )
    return first, second


def _inference_count(state_shapes: dict[str, tuple[int, ...]]) -> int:
    """Float values the exported graph keeps (fused re-param branches are dropped)."""
    return sum(
        int(np.prod(shape)) for key, shape in state_shapes.items() if ".dw_conv_list." not in key
    )


def _program_inputs(program_file: Path) -> list[tuple[str, list[int]]]:
    """``(name, shape)`` of every ``data`` op of a PIR ``inference.json``."""
    found: list[tuple[str, list[int]]] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("#") == "1.data":
                attrs = {attr["N"]: attr["AT"]["D"] for attr in node["A"]}
                found.append((attrs["name"], attrs["shape"]))
            for value in node.values():
                walk(value)

    walk(json.loads(program_file.read_text()))
    return found


def _state_shapes(model_name: str) -> dict[str, tuple[int, ...]]:
    """State-dict layout of our (untrained) network for ``model_name``."""
    model = build_recognizer(MODEL_SPECS[model_name])
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def test_names_and_unknown_model() -> None:
    assert TEST_MODEL_NAMES == (R50, V2_8, V2_16)
    with pytest.raises(ModelSourceError, match="no generated test model"):
        make_test_model("PP-TSM-R101_8frames_uniform", "/nonexistent")


def test_kinetics_labels() -> None:
    labels = load_labels()
    assert LABELS_FILE.name == "kinetics400_labels.txt"
    assert len(labels) == 400
    assert len(set(labels)) == 400
    assert labels == sorted(labels, key=str.lower)
    assert (labels[0], labels[5], labels[-1]) == ("abseiling", "archery", "zumba")
    assert "passing_American_football_(in_game)" in labels
    assert all(label and label.strip() == label and " " not in label for label in labels)


@pytest.mark.parametrize("model_name", TEST_MODEL_NAMES)
def test_state_dict_matches_official_layout(model_name: str) -> None:
    spec = MODEL_SPECS[model_name]
    expected = official_names.official_shapes(spec.arch, spec.num_seg)
    assert official_names.compare_with_official(_state_shapes(model_name), expected) == []

    # An official checkpoint (same keys and shapes) loads with nothing missing or unexpected.
    model = build_recognizer(spec)
    checkpoint = {key: np.zeros(shape, dtype=np.float32) for key, shape in expected.items()}
    missing, unexpected = model.set_state_dict(checkpoint)
    assert (list(missing), list(unexpected)) == ([], [])


def test_official_layout_spot_checks() -> None:
    r50 = official_names.r50_shapes()
    assert r50["backbone.conv1_1._conv.weight"] == (32, 3, 3, 3)
    assert r50["backbone.bb_0_0.conv0._batch_norm._mean"] == (64,)
    assert r50["backbone.bb_1_0.short._conv.weight"] == (512, 256, 1, 1)
    assert "backbone.bb_1_1.short._conv.weight" not in r50
    assert r50["head.fc.weight"] == (2048, 400)
    v2 = official_names.pptsm_v2_shapes(16)
    assert v2["backbone.stages.2.0.dw_conv_list.1.conv.weight"] == (256, 1, 3, 3)
    assert "backbone.stages.2.0.dw_conv_list.2.conv.weight" not in v2  # no 1x1 at stride 2
    assert v2["backbone.stages.2.1.dw_conv_list.2.conv.weight"] == (512, 1, 1, 1)
    assert v2["backbone.stages.2.3.se.conv1.weight"] == (128, 512, 1, 1)
    assert v2["backbone.stages.3.1.dw_conv.bias"] == (1024,)
    assert v2["backbone.global_attention.fc.weight"] == (16, 16)
    assert v2["backbone.fc.weight"] == (1280, 400)


@pytest.mark.parametrize("model_name", TEST_MODEL_NAMES)
def test_parameter_count_matches_official(model_name: str) -> None:
    count = _inference_count(_state_shapes(model_name))
    assert count == EXPECTED_INFERENCE_COUNT[model_name]
    official = OFFICIAL_PARAM_COUNT[model_name]
    assert abs(count - official) / official < 0.005


@pytest.mark.parametrize("model_name", TEST_MODEL_NAMES)
def test_pdiparams_size_within_5_percent(
    built_model_dirs: dict[str, Path], model_name: str
) -> None:
    model_dir = built_model_dirs[model_name]
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "inference.json",
        "inference.pdiparams",
        "inference.yml",
    ]
    size = (model_dir / "inference.pdiparams").stat().st_size
    assert size >= 4 * EXPECTED_INFERENCE_COUNT[model_name]
    official = OFFICIAL_PARAMS_MIB[model_name] * 2**20
    assert abs(size - official) / official < 0.05


@pytest.mark.parametrize("model_name", TEST_MODEL_NAMES)
def test_inference_yml(built_model_dirs: dict[str, Path], model_name: str) -> None:
    config = yaml.safe_load((built_model_dirs[model_name] / "inference.yml").read_text())
    assert list(config) == ["Global", "PreProcess", "PostProcess"]
    assert config["Global"] == {"model_name": model_name}
    ops = config["PreProcess"]["transform_ops"]
    assert [next(iter(op)) for op in ops] == [
        "ReadVideo",
        "Scale",
        "CenterCrop",
        "Image2Array",
        "NormalizeVideo",
    ]
    read, scale, crop, to_array, normalize = (next(iter(op.values())) for op in ops)
    num_seg = MODEL_SPECS[model_name].num_seg
    assert read == {"num_seg": num_seg, "seg_len": 1, "sample_type": "uniform"}
    assert scale == {"short_size": 256}
    assert crop == {"target_size": 224}
    assert to_array == {"data_format": "tchw"}
    assert normalize == {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    topk = config["PostProcess"]["Topk"]
    assert topk["topk"] == 1
    assert topk["label_list"] == load_labels()


def test_r50_leaky_relu_slopes_are_stored_as_float64(built_model_dirs: dict[str, Path]) -> None:
    """As Paddle >= 3.3 exports them: the form paddle2onnx 2.1.0 misreads (see test_convert)."""
    program = (built_model_dirs[R50] / "inference.json").read_text().replace(" ", "")
    assert '"1.leaky_relu"' in program
    assert '"0.a_f64","D":0.01},"N":"negative_slope"' in program


def test_generation_is_deterministic(built_model_dirs: dict[str, Path], tmp_path: Path) -> None:
    again = make_test_model(V2_8, str(tmp_path / "again"), seed=0)
    for name in ("inference.pdiparams", "inference.yml"):
        assert (again / name).read_bytes() == (built_model_dirs[V2_8] / name).read_bytes()
    params = (again / "inference.pdiparams").read_bytes()
    other = make_test_model(V2_8, tmp_path / "seed1", seed=1)
    assert (other / "inference.pdiparams").read_bytes() != params


def test_rep_fusion_is_exact() -> None:
    rng = np.random.default_rng(0)
    block = pptsm_v2.RepDepthwiseSeparable(16, 32, 1, dw_size=5, use_rep=True, use_shortcut=False)
    for layer in block.sublayers():
        if isinstance(layer, paddle.nn.BatchNorm2D):
            for tensor, low in ((layer.weight, 0.5), (layer._variance, 0.5)):
                tensor.set_value(rng.uniform(low, 2.0, tensor.shape).astype(np.float32))
            for tensor in (layer.bias, layer._mean):
                tensor.set_value(rng.standard_normal(tensor.shape).astype(np.float32))
    block.eval()
    x = paddle.to_tensor(rng.standard_normal((2, 16, 12, 12)).astype(np.float32))
    before = block(x).numpy()
    assert export.fuse_reparameterised(block) == 1
    np.testing.assert_allclose(block(x).numpy(), before, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("model_name", TEST_MODEL_NAMES)
def test_paddlex_predictions_depend_on_the_video(
    built_model_dirs: dict[str, Path], two_videos: tuple[Path, Path], model_name: str
) -> None:
    create_model = pytest.importorskip("paddlex").create_model
    model_dir = built_model_dirs[model_name]
    num_seg = MODEL_SPECS[model_name].num_seg

    assert _program_inputs(model_dir / "inference.json") == [
        ("data_batch_0", [-1, num_seg, 3, 224, 224])
    ]

    # run_mode="paddle": the default "mkldnn" CPU mode segfaults on R50 (module docstring).
    model = create_model(
        model_name,
        model_dir=str(model_dir),
        device="cpu",
        engine="paddle_static",
        engine_config={"run_mode": "paddle"},
    )
    results = [next(iter(model.predict(str(video)))) for video in two_videos]
    top_ids = [int(np.ravel(result["class_ids"])[0]) for result in results]
    top_scores = [float(np.ravel(result["scores"])[0]) for result in results]
    assert top_ids[0] != top_ids[1]
    assert all(4 / 400 < score < 0.999 for score in top_scores)
    labels = load_labels()
    for result, class_id in zip(results, top_ids, strict=True):
        assert str(np.ravel(result["label_names"])[0]) == labels[class_id]
