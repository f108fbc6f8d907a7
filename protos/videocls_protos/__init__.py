"""The project's protobuf messages, generated from ``protos/videocls.proto``.

``videocls_pb2`` is generated code (``python protos/generate.py``); do not edit it by hand.
"""

from . import videocls_pb2

__all__ = ["videocls_pb2"]
