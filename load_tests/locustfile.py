"""Locust users that call the Triton ensembles over gRPC (tritonclient.grpc, gevent-patched).

Configured by the manifest that ``load_tests/run.py`` writes (``$VIDEOCLS_LOAD_MANIFEST``):
the server URL is Locust's ``--host`` (``127.0.0.1:PORT``), the weighted video corpus and the
expected top-1 class of every video for every model. A response whose top-1 differs from the
expected one is reported as a failure. Each request is reported with the bytes sent.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import grpc.experimental.gevent as grpc_gevent

grpc_gevent.init_gevent()  # before any gRPC object exists

import numpy as np  # noqa: E402
import tritonclient.grpc as grpcclient  # noqa: E402
from locust import User, events, task  # noqa: E402
from tritonclient.utils import InferenceServerException  # noqa: E402

MAX_MESSAGE = 512 * 1024 * 1024
BYTES_SENT: dict[str, int] = {}


class WrongAnswerError(Exception):
    """The server answered, but not with the expected top-1 class."""


def _manifest() -> dict:
    return json.loads(Path(os.environ["VIDEOCLS_LOAD_MANIFEST"]).read_text())


MANIFEST = _manifest()
VIDEOS = [
    {**v, "data": np.frombuffer(Path(v["path"]).read_bytes(), np.uint8)[None]}
    for v in MANIFEST["videos"]
]
WEIGHTS = [v["weight"] for v in VIDEOS]


class TritonUser(User):
    """Base user: one gRPC connection, classify weighted-random videos with one model."""

    abstract = True
    model = ""

    def on_start(self) -> None:
        args = [
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
        ]
        self.client = grpcclient.InferenceServerClient(self.host, channel_args=args)

    def on_stop(self) -> None:
        self.client.close()

    def classify(self) -> None:
        video = random.choices(VIDEOS, WEIGHTS)[0]
        data = video["data"]
        inputs = [grpcclient.InferInput("VIDEO", list(data.shape), "UINT8")]
        inputs[0].set_data_from_numpy(data)
        name = f"{self.model} [{video['label']}]"
        start = time.perf_counter()
        exception = None
        length = 0
        try:
            result = self.client.infer(self.model, inputs)
            ids = result.as_numpy("CLASS_IDS")
            length = ids.nbytes + result.as_numpy("SCORES").nbytes
            expected = video["expected_top1"][self.model]
            if int(ids[0][0]) != expected:
                raise WrongAnswerError(f"top-1 {int(ids[0][0])} != expected {expected}")
        except (InferenceServerException, WrongAnswerError) as exc:
            exception = exc
        BYTES_SENT[self.model] = BYTES_SENT.get(self.model, 0) + data.nbytes
        events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=length,
            exception=exception,
            context={"bytes_sent": int(data.nbytes)},
        )


def _user_class(model: str) -> type[TritonUser]:
    def classify_video(self) -> None:
        self.classify()

    safe = "".join(c if c.isalnum() else "_" for c in model)
    return type(safe, (TritonUser,), {"model": model, "classify_video": task(classify_video)})


for _model in MANIFEST["models"]:
    globals()[_model] = _user_class(_model)


@events.quitting.add_listener
def _write_bytes_sent(environment, **_kwargs) -> None:
    out = os.environ.get("VIDEOCLS_LOAD_BYTES_SENT")
    if out:
        Path(out).write_text(json.dumps(BYTES_SENT, indent=2))
