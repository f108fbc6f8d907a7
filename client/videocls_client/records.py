"""Results as ``videocls.v1.Classification`` protobuf records: NDJSON and length-delimited.

The message is defined in ``protos/videocls.proto`` (package ``videocls_protos``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from google.protobuf import json_format
from videocls_protos import videocls_pb2

from .results import VideoClassificationResult

__all__ = ["read_delimited", "to_record", "write_delimited", "write_ndjson"]


def to_record(result: VideoClassificationResult) -> videocls_pb2.Classification:
    """The protobuf record of one result."""
    ids = result["class_ids"]
    return videocls_pb2.Classification(
        input_path=str(result["input_path"]),
        class_ids=[int(i) for i in ids.reshape(-1)] if hasattr(ids, "reshape") else list(ids),
        scores=[float(s) for s in result["scores"]],
        label_names=[str(n) for n in result["label_names"]],
        model_name=result.model_name,
        model_version=result.model_version,
        timings=videocls_pb2.Timings(
            read_ms=result.timings.read_ms, request_ms=result.timings.request_ms
        ),
    )


def write_ndjson(record: videocls_pb2.Classification, stream: TextIO) -> None:
    """Writes *record* as one line of JSON (protobuf's JSON mapping, proto field names)."""
    data = json_format.MessageToDict(
        record,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    stream.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def write_delimited(record: videocls_pb2.Classification, stream: BinaryIO) -> None:
    """Writes *record* preceded by its size as a base-128 varint (``writeDelimitedTo``)."""
    body = record.SerializeToString()
    stream.write(_varint(len(body)) + body)


def read_delimited(stream: BinaryIO) -> Iterator[videocls_pb2.Classification]:
    """Reads the records :func:`write_delimited` wrote, until the end of *stream*.

    Raises:
        ValueError: The stream ends inside a record.
    """
    while True:
        size, shift = 0, 0
        while True:
            byte = stream.read(1)
            if not byte:
                if shift:
                    raise ValueError("the stream ends inside a record's size")
                return
            size |= (byte[0] & 0x7F) << shift
            shift += 7
            if not byte[0] & 0x80:
                break
        body = stream.read(size)
        if len(body) != size:
            raise ValueError(f"the stream ends inside a record ({len(body)} of {size} bytes)")
        record = videocls_pb2.Classification()
        record.ParseFromString(body)
        yield record
