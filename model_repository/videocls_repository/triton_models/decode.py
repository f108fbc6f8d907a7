"""Decode step: encoded video bytes -> uint8 frames ``[T, 3, crop, crop]`` (PaddleX-identical)."""

from __future__ import annotations

import numpy as np
import triton_python_backend_utils as pb_utils
from videocls_preprocess.errors import InvalidRequestError
from videocls_preprocess.pipeline import preprocess_video
from videocls_preprocess.spec import InputLimits, PreprocessSpec

from .common import model_parameters, requested_topk, required_input, respond_each


class TritonPythonModel:
    """Runs :func:`videocls_preprocess.pipeline.preprocess_video` on every row of ``VIDEO``."""

    def initialize(self, args):
        params = model_parameters(args)
        self.spec = PreprocessSpec.from_parameters(params)
        self.limits = InputLimits.from_parameters(params)
        self.num_classes = int(params["num_classes"])
        self.threads = int(params.get("decode_threads", "0"))

    def _frames(self, request):
        requested_topk(request, self.num_classes, default=1)  # refuse a bad TOPK before decoding
        videos = required_input(request, "VIDEO")
        if videos.dtype != np.uint8 or videos.ndim != 2:
            raise InvalidRequestError(
                f"VIDEO must be uint8 [batch, bytes], got {videos.dtype} {list(videos.shape)}"
            )
        frames = np.stack(
            [preprocess_video(row, self.spec, self.limits, threads=self.threads) for row in videos]
        )
        return [pb_utils.Tensor("FRAMES", frames)]

    def execute(self, requests):
        return respond_each(requests, self._frames)
