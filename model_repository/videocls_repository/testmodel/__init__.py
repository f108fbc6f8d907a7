"""Generated stand-ins for the official PaddleX PP-TSM video-classification models.

The Kinetics-400 weights cannot be downloaded in every environment, so this subpackage
re-implements the official PaddleVideo architectures (same layers, same state-dict
names), fills them with seeded, calibrated weights and exports them in PaddleX's
inference format. Paddle is imported lazily: importing this package is cheap.

Example:
    >>> from videocls_repository.testmodel import make_test_model
    >>> make_test_model("PP-TSMv2-LCNetV2_8frames_uniform", "/tmp/pptsmv2")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from videocls_preprocess.errors import ModelSourceError

TEST_MODEL_NAMES: tuple[str, ...] = (
    "PP-TSM-R50_8frames_uniform",
    "PP-TSMv2-LCNetV2_8frames_uniform",
    "PP-TSMv2-LCNetV2_16frames_uniform",
)

__all__ = ["TEST_MODEL_NAMES", "make_test_model"]


def make_test_model(model_name: str, out_dir: str | Path, seed: int = 0) -> Path:
    """Write a generated model in PaddleX's inference format.

    Args:
        model_name: One of :data:`TEST_MODEL_NAMES`.
        out_dir: Directory that receives ``inference.json``, ``inference.pdiparams`` and
            ``inference.yml`` (created if missing).
        seed: Random seed; the same seed gives the same weights.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises:
        ModelSourceError: ``model_name`` is not a model this package can generate.
    """
    if model_name not in TEST_MODEL_NAMES:
        known = ", ".join(TEST_MODEL_NAMES)
        raise ModelSourceError(f"no generated test model named {model_name!r} (known: {known})")
    from .factory import export_test_model
    from .recognizer import MODEL_SPECS

    return export_test_model(MODEL_SPECS[model_name], Path(out_dir), seed)
