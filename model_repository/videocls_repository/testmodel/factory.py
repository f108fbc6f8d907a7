"""Build, weight and export one generated test model."""

from __future__ import annotations

from pathlib import Path

import paddle

from .export import MODEL_FILE_PREFIX, inference_config, save_program, write_inference_config
from .recognizer import ModelSpec, Recognizer2D, build_recognizer
from .synthetic import calibration_batch
from .weights import calibrate, initialise

LABELS_FILE = Path(__file__).resolve().parent.parent / "data" / "kinetics400_labels.txt"
CALIBRATION_FRAMES = 32


def load_labels() -> list[str]:
    """Return the 400 Kinetics-400 class names in class-id order."""
    return LABELS_FILE.read_text(encoding="utf-8").splitlines()


def weighted_model(spec: ModelSpec, seed: int) -> Recognizer2D:
    """Build ``spec``'s network with seeded, calibrated weights (not yet fused).

    Args:
        spec: The model.
        seed: Random seed for weights and calibration clips.

    Returns:
        The recognizer in eval mode.
    """
    model = build_recognizer(spec)
    initialise(model, seed)
    clips = calibration_batch(CALIBRATION_FRAMES, spec.num_seg, seed)
    calibrate(model, clips, seed)
    return model


def export_test_model(spec: ModelSpec, out_dir: Path, seed: int) -> Path:
    """Write ``inference.json``, ``inference.pdiparams`` and ``inference.yml``.

    Args:
        spec: The model.
        out_dir: Destination directory.
        seed: Random seed.

    Returns:
        ``out_dir``.
    """
    # A fresh name scope, so that the exported program's generated names do not depend
    # on what the process built before.
    with paddle.utils.unique_name.guard():
        model = weighted_model(spec, seed)
        save_program(model, spec.num_seg, out_dir)
    config = inference_config(spec.name, spec.num_seg, load_labels())
    write_inference_config(out_dir / f"{MODEL_FILE_PREFIX}.yml", config)
    return out_dir
