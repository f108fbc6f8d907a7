"""Write one model's four Triton model folders into a repository, all or nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import tritonconfig as tc
from .modelspec import ModelSpec

_MODEL_PY = '''"""Triton Python-backend entry point; the logic lives in the installed videocls."""

from videocls_repository.triton_models.{module} import TritonPythonModel  # noqa: F401
'''


def write_model_repository(
    repository: Path, spec: ModelSpec, onnx_bytes: bytes, options: tc.ServingOptions
) -> list[Path]:
    """Writes the ensemble and its decode, network and top-k steps for *spec*.

    Everything is first written into a staging folder inside *repository*, then each model
    folder is moved into place, replacing an older folder of the same name. Other models
    already in the repository are left alone.

    Returns:
        The model folders written.
    """
    repository.mkdir(parents=True, exist_ok=True)
    names = tc.StepNames(spec.model_name)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=repository))
    try:
        folders = {
            names.ensemble: _write(staging / names.ensemble, tc.ensemble_config(spec, options)),
            names.decode: _write(staging / names.decode, tc.decode_config(spec, options), "decode"),
            names.topk: _write(staging / names.topk, tc.topk_config(spec, options), "topk"),
        }
        network = _write(
            staging / names.network,
            tc.network_config(spec, options),
            "network" if options.target == "python-onnxruntime" else None,
        )
        _write_network_files(network, spec, onnx_bytes, options)
        folders[names.network] = network
        (folders[names.topk] / "labels.txt").write_text(
            "".join(f"{label}\n" for label in spec.labels), encoding="utf-8"
        )
        written = []
        for name, folder in folders.items():
            final = repository / name
            if final.exists():
                shutil.rmtree(final)
            folder.rename(final)
            written.append(final)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(folder: Path, config, python_module: str | None = None) -> Path:
    version = folder / "1"
    version.mkdir(parents=True)
    (folder / "config.pbtxt").write_text(tc.render(config), encoding="utf-8")
    if python_module:
        (version / "model.py").write_text(_MODEL_PY.format(module=python_module), encoding="utf-8")
    return folder


def _write_network_files(
    folder: Path, spec: ModelSpec, onnx_bytes: bytes, options: tc.ServingOptions
) -> None:
    if options.target == "tensorrt":
        # The plan is GPU-specific: ship the ONNX and build 1/model.plan on the node.
        (folder / "model.onnx").write_bytes(onnx_bytes)
        (folder / "build_engine.sh").write_text(
            "#!/bin/sh\n# Builds 1/model.plan for this node's GPU (run inside the NGC tritonserver "
            'image).\nset -e\ncd "$(dirname "$0")"\n'
            f"{tc.tensorrt_build_command(spec, options)}\n",
            encoding="utf-8",
        )
        (folder / "build_engine.sh").chmod(0o755)
    else:
        (folder / "1" / "model.onnx").write_bytes(onnx_bytes)
