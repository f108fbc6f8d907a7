"""Top-k step: logits -> class ids, softmax scores (5 decimals) and label names, as PaddleX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils

from ..postprocess import topk
from .common import model_parameters, requested_topk, required_input, respond_each

LABEL_FILE = "labels.txt"


class TritonPythonModel:
    """Applies :func:`videocls_repository.postprocess.topk`; TOPK defaults to the yml's topk."""

    def initialize(self, args):
        params = model_parameters(args)
        self.default_topk = int(params["default_topk"])
        path = Path(args["model_repository"]) / LABEL_FILE
        self.labels = np.array(
            [line.encode("utf-8") for line in path.read_text(encoding="utf-8").splitlines()],
            dtype=np.object_,
        )

    def _classify(self, request):
        logits = required_input(request, "LOGITS")
        k = requested_topk(request, len(self.labels), self.default_topk)
        ids, scores = topk(logits, k)
        return [
            pb_utils.Tensor("CLASS_IDS", ids),
            pb_utils.Tensor("SCORES", scores),
            pb_utils.Tensor("LABEL_NAMES", self.labels[ids]),
        ]

    def execute(self, requests):
        return respond_each(requests, self._classify)
