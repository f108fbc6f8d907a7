"""Helpers shared by the Python-backend models."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils
from videocls_preprocess.errors import InvalidRequestError


def model_parameters(args: dict[str, Any]) -> dict[str, str]:
    """The ``parameters { key, string_value }`` of the model's config as a plain dict."""
    config = json.loads(args["model_config"])
    return {key: value["string_value"] for key, value in config.get("parameters", {}).items()}


def required_input(request, name: str):
    """The named input as a numpy array; InvalidRequestError when it is absent."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        raise InvalidRequestError(f"missing required input {name}")
    return tensor.as_numpy()


def requested_topk(request, num_classes: int, default: int) -> int:
    """The request's TOPK (one value per request, 1..num_classes), else *default*."""
    tensor = pb_utils.get_input_tensor_by_name(request, "TOPK")
    if tensor is None:
        return default
    values = np.unique(tensor.as_numpy().reshape(-1))
    if values.size != 1:
        raise InvalidRequestError(f"TOPK must be one value per request, got {values.tolist()}")
    k = int(values[0])
    if not 1 <= k <= num_classes:
        raise InvalidRequestError(f"TOPK must be between 1 and {num_classes}, got {k}")
    return k


def error_response(message: str, code=None):
    """An InferenceResponse carrying a Triton error (INVALID_ARG unless *code* is given)."""
    code = pb_utils.TritonError.INVALID_ARG if code is None else code
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))


def respond_each(requests, handle: Callable[[Any], list]) -> list:
    """Answers each request with ``handle(request)``'s tensors, mapping errors per request.

    Invalid input becomes INVALID_ARGUMENT with the error's message; anything else becomes
    INTERNAL with the exception's type and message, and never takes the model down.
    """
    responses = []
    for request in requests:
        try:
            responses.append(pb_utils.InferenceResponse(output_tensors=handle(request)))
        except InvalidRequestError as exc:
            responses.append(error_response(str(exc)))
        except Exception as exc:  # the server must stay up and answer the next request
            responses.append(
                error_response(f"{type(exc).__name__}: {exc}", pb_utils.TritonError.INTERNAL)
            )
    return responses
