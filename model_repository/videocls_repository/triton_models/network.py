"""Network step on onnxruntime inside the Python backend (for servers without the ORT backend).

Requests arriving together (dynamic batching) are concatenated into one onnxruntime call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils

from .common import error_response, model_parameters, required_input


class TritonPythonModel:
    """Loads ``model.onnx`` from the version folder and runs whole dynamic batches at once."""

    def initialize(self, args):
        import onnxruntime as ort

        params = model_parameters(args)
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(params.get("intra_op_threads", "0"))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        path = Path(args["model_repository"]) / args["model_version"] / "model.onnx"
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def execute(self, requests):
        batches = []
        for request in requests:
            try:
                batches.append(required_input(request, "FRAMES"))
            except Exception as exc:
                batches.append(exc)
        good = [b for b in batches if not isinstance(b, Exception)]
        if good:
            try:
                logits = self.session.run(["LOGITS"], {"FRAMES": np.concatenate(good)})[0]
            except Exception as exc:
                return [error_response(f"onnxruntime: {exc}", pb_utils.TritonError.INTERNAL)] * len(
                    requests
                )
        responses, offset = [], 0
        for batch in batches:
            if isinstance(batch, Exception):
                responses.append(error_response(str(batch)))
                continue
            part = logits[offset : offset + len(batch)]
            offset += len(batch)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("LOGITS", part)]))
        return responses
