"""The load-test manifest: a weighted video corpus and each video's expected top-1 per model.

Expected answers come from the in-process path (our PaddleX-identical preprocessing plus
onnxruntime on the repository's own ONNX model), never from the server under test.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from videocls_preprocess.pipeline import preprocess_video
from videocls_repository.modelspec import ModelSpec
from videocls_repository.postprocess import topk
from videocls_repository.tritonconfig import StepNames
from videos import write_video


@dataclass(frozen=True)
class CorpusEntry:
    """One video of the load corpus and how often users pick it."""

    label: str
    width: int
    height: int
    frames: int
    weight: float
    seed: int


#: Mostly small clips, some SD, a few HD: what a video upload service sees.
LOAD_CORPUS = (
    CorpusEntry("320x240", 320, 240, 75, 5.0, 21),
    CorpusEntry("240x320", 240, 320, 50, 2.0, 22),
    CorpusEntry("640x360", 640, 360, 60, 2.0, 23),
    CorpusEntry("1280x720", 1280, 720, 40, 1.0, 24),
)


def _spec_from_repository(repository: Path, model: str) -> ModelSpec:
    """The model's spec, rebuilt from the files the converter wrote."""
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2 as mc
    from videocls_preprocess.spec import PreprocessSpec

    names = StepNames(model)
    config = text_format.Parse(
        (repository / names.decode / "config.pbtxt").read_text(), mc.ModelConfig()
    )
    params = {k: v.string_value for k, v in config.parameters.items()}
    labels = (repository / names.topk / "labels.txt").read_text(encoding="utf-8").splitlines()
    return ModelSpec(model, PreprocessSpec.from_parameters(params), 1, tuple(labels))


def expected_top1(repository: Path, model: str, videos: list[Path]) -> list[int]:
    """Top-1 class of each video, computed in-process with the repository's ONNX model."""
    import onnxruntime as ort

    spec = _spec_from_repository(repository, model)
    onnx = repository / StepNames(model).network / "1" / "model.onnx"
    session = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    out = []
    for path in videos:
        frames = preprocess_video(path.read_bytes(), spec.preprocess)[None]
        ids, _ = topk(session.run(["LOGITS"], {"FRAMES": frames})[0], 1)
        out.append(int(ids[0, 0]))
    return out


def write_manifest(directory: Path, repository: Path, models: list[str]) -> Path:
    """Writes the corpus and ``manifest.json`` into *directory*; returns the manifest path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [
        write_video(
            directory / f"{e.label}.mp4",
            width=e.width,
            height=e.height,
            frames=e.frames,
            seed=e.seed,
        )
        for e in LOAD_CORPUS
    ]
    answers = {m: expected_top1(repository, m, paths) for m in models}
    manifest = {
        "models": models,
        "videos": [
            {
                "label": e.label,
                "path": str(p),
                "weight": e.weight,
                "expected_top1": {m: answers[m][i] for m in models},
            }
            for i, (e, p) in enumerate(zip(LOAD_CORPUS, paths, strict=True))
        ],
    }
    path = directory / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path
