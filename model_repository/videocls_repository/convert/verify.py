"""Check the ONNX network against Paddle on the same input before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from videocls_preprocess.errors import ConversionError
from videocls_preprocess.transforms import normalize

from .onnx_graph import FRAMES
from .source import PaddleModel

#: Largest max-abs logit difference accepted between Paddle and ONNX.
DEFAULT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ParityReport:
    """Outcome of one Paddle-vs-ONNX comparison.

    Attributes:
        max_abs_diff: Largest absolute logit difference.
        logit_range: max - min of Paddle's logits (shows the check was not trivial).
        batch: Batch size compared.
    """

    max_abs_diff: float
    logit_range: float
    batch: int


def random_frames(batch: int, frames: int, size: int, seed: int = 0) -> np.ndarray:
    """Random uint8 frames ``[batch, frames, 3, size, size]`` (what the decode step emits)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(batch, frames, 3, size, size), dtype=np.uint8)


def paddle_logits(model: PaddleModel, batch: np.ndarray) -> np.ndarray:
    """Runs the Paddle inference model on a normalised float batch (MKLDNN off: it crashes R50)."""
    import paddle.inference as paddle_infer

    config = paddle_infer.Config(str(model.model_file), str(model.params_file))
    config.disable_gpu()
    config.disable_mkldnn()
    config.set_cpu_math_library_num_threads(2)
    config.disable_glog_info()
    predictor = paddle_infer.create_predictor(config)
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(batch.shape)
    handle.copy_from_cpu(np.ascontiguousarray(batch))
    predictor.run()
    return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()


def onnx_logits(onnx_bytes: bytes, frames: np.ndarray) -> np.ndarray:
    """Runs the (normalisation-folded) ONNX model with onnxruntime on uint8 frames."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    return session.run(None, {FRAMES: frames})[0]


def verify_onnx(
    model: PaddleModel, onnx_bytes: bytes, *, tolerance: float = DEFAULT_TOLERANCE, seed: int = 0
) -> ParityReport:
    """Compares ONNX against Paddle on the same random video batch.

    Raises:
        ConversionError: The max abs logit difference exceeds *tolerance*.
    """
    spec = model.spec.preprocess
    frames = random_frames(2, spec.frames_per_video, spec.crop_size, seed)
    floats = np.stack([normalize(video, spec) for video in frames])
    expected = paddle_logits(model, floats)
    actual = onnx_logits(onnx_bytes, frames)
    if expected.shape != actual.shape:
        raise ConversionError(f"ONNX output shape {actual.shape} != Paddle {expected.shape}")
    diff = float(np.max(np.abs(expected.astype(np.float64) - actual)))
    report = ParityReport(
        max_abs_diff=diff, logit_range=float(np.ptp(expected)), batch=frames.shape[0]
    )
    if not diff <= tolerance:
        raise ConversionError(
            f"ONNX disagrees with Paddle: max abs logit difference {diff:.3g} > {tolerance:g}"
        )
    return report
