"""The committed ``videocls_protos`` module is what grpcio-tools makes of the .proto; records."""

from __future__ import annotations

import importlib.util
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import descriptor_pb2
from videocls_client.records import read_delimited, to_record, write_delimited, write_ndjson
from videocls_client.results import Timings, VideoClassificationResult
from videocls_protos import videocls_pb2

PROTOS = Path(__file__).resolve().parents[2] / "protos"


def _generator():
    spec = importlib.util.spec_from_file_location("protos_generate", PROTOS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gencode_version(text: str) -> str | None:
    match = re.search(r"^# Protobuf Python Version: (\S+)$", text, re.MULTILINE)
    return match.group(1) if match else None


def _descriptor_from_protoc(tmp_path: Path) -> descriptor_pb2.FileDescriptorProto:
    from grpc_tools import protoc

    out = tmp_path / "videocls.desc"
    args = ["protoc", f"--proto_path={PROTOS}", f"--descriptor_set_out={out}", "videocls.proto"]
    assert protoc.main(args) == 0
    (descriptor,) = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    messages = list(descriptor.message_type)
    while messages:  # the Python generator leaves out the derived json_name
        message = messages.pop()
        messages.extend(message.nested_type)
        for item in message.field:
            item.ClearField("json_name")
    return descriptor


def test_committed_module_is_not_stale(tmp_path):
    """Regenerates with grpcio-tools and compares: run `python protos/generate.py` if this fails.

    The schema (the FileDescriptorProto) must always match the .proto; the whole generated
    text must match too when the installed grpcio-tools writes the same protobuf gencode
    version as the one that wrote the committed module.
    """
    pytest.importorskip("grpc_tools")
    committed = descriptor_pb2.FileDescriptorProto.FromString(videocls_pb2.DESCRIPTOR.serialized_pb)
    assert committed == _descriptor_from_protoc(tmp_path), (
        "protos/videocls_protos is stale: run `python protos/generate.py`"
    )
    (fresh,) = _generator().generate(tmp_path / "generated")
    fresh_text = fresh.read_text()
    committed_text = (PROTOS / "videocls_protos" / fresh.name).read_text()
    if _gencode_version(fresh_text) == _gencode_version(committed_text):
        assert fresh_text == committed_text, "run `python protos/generate.py`"


def _result() -> VideoClassificationResult:
    return VideoClassificationResult(
        {
            "input_path": "https://h/v/clip.mp4",
            "class_ids": np.array([[7, 399]], dtype=np.int32),
            "scores": list(np.array([0.95839, 0.01317], dtype=np.float32)),
            "label_names": ["übung", "zumba"],
        },
        model_name="PP-TSMv2-LCNetV2_8frames_uniform",
        model_version="1",
        timings=Timings(read_ms=1.5, request_ms=20.25),
    )


def test_record_fields():
    record = to_record(_result())
    assert record.input_path == "https://h/v/clip.mp4"
    assert list(record.class_ids) == [7, 399]
    assert [round(s, 5) for s in record.scores] == [0.95839, 0.01317]
    assert list(record.label_names) == ["übung", "zumba"]
    assert (record.model_name, record.model_version) == ("PP-TSMv2-LCNetV2_8frames_uniform", "1")
    assert (record.timings.read_ms, record.timings.request_ms) == (1.5, 20.25)


def test_ndjson_line():
    out = io.StringIO()
    write_ndjson(to_record(_result()), out)
    write_ndjson(videocls_pb2.Classification(), out)
    first, empty = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["class_ids"] == [7, 399]  # int32: JSON numbers, not strings
    assert first["scores"] == [0.95839, 0.01317]  # float32 printed shortest
    assert first["label_names"] == ["übung", "zumba"]
    assert first["timings"] == {"read_ms": 1.5, "request_ms": 20.25}
    assert empty["class_ids"] == [] and empty["input_path"] == ""


def test_length_delimited_round_trip():
    records = [to_record(_result()), videocls_pb2.Classification(input_path="x" * 300)]
    stream = io.BytesIO()
    for record in records:
        write_delimited(record, stream)
    stream.seek(0)
    assert list(read_delimited(stream)) == records
    with pytest.raises(ValueError, match="ends inside a record"):
        list(read_delimited(io.BytesIO(stream.getvalue()[:-3])))
