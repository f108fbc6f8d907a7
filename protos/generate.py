"""Compile ``videocls.proto`` into the committed ``videocls_protos/videocls_pb2.py``.

Run ``python protos/generate.py`` after editing the .proto (grpcio-tools from the ``test``
extra); never edit the generated module by hand. ``tests/unit/test_client_protos.py`` calls
:func:`generate` into a temporary folder and fails when the committed module is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTOS = Path(__file__).resolve().parent
PROTO_FILES = ("videocls.proto",)
PACKAGE = "videocls_protos"


def generate(out_dir: Path) -> list[Path]:
    """Runs grpcio-tools' protoc on every proto file; returns the modules written."""
    import grpc_tools
    from grpc_tools import protoc

    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTOS}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        *(str(PROTOS / name) for name in PROTO_FILES),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {', '.join(PROTO_FILES)}")
    return [out_dir / f"{Path(name).stem}_pb2.py" for name in PROTO_FILES]


if __name__ == "__main__":
    for module in generate(PROTOS / PACKAGE):
        print(f"wrote {module.relative_to(PROTOS.parent)}")
    sys.exit(0)
