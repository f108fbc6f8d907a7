"""videocls client: PaddleX-style video classification against a Triton server over gRPC.

Thin on purpose: tritonclient[grpc] and numpy underneath (PyAV, OpenCV and Pillow only to
draw videos); it never imports the server packages or Paddle.

Example:
    >>> from videocls_client import create_model
    >>> model = create_model("PP-TSMv2-LCNetV2_8frames_uniform", url="localhost:8001")
    >>> for res in model.predict("video.mp4", topk=5):  # doctest: +SKIP
    ...     res.print(json_format=True)
    ...     res.save_to_json("./output/")
    ...     res.save_to_video("./output/")
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    InputNotFoundError,
    InvalidInputError,
    InvalidVideoError,
    ModelNotFoundError,
    RequestTimeoutError,
    ServerError,
    ServerUnavailableError,
    VideoclsClientError,
    VisualizationError,
)
from .inputs import DownloadConfig, VideoSource, expand_inputs
from .model import ModelInfo, VideoClassificationModel, create_model, list_models
from .results import Timings, VideoClassificationResult
from .transport import TransportConfig

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DownloadConfig",
    "InputNotFoundError",
    "InvalidInputError",
    "InvalidVideoError",
    "ModelInfo",
    "ModelNotFoundError",
    "RequestTimeoutError",
    "ServerError",
    "ServerUnavailableError",
    "Timings",
    "TransportConfig",
    "VideoClassificationModel",
    "VideoClassificationResult",
    "VideoSource",
    "VideoclsClientError",
    "VisualizationError",
    "__version__",
    "create_model",
    "expand_inputs",
    "list_models",
]
