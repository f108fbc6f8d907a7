"""PaddleX's ``<mode>_result.json`` files (``paddlex/utils/result_saver.py``).

PaddleX's engine wraps each mode (``check_dataset``, ``evaluate``...) and writes
``<Global.output>/<mode>_result.json`` with ``json.dump(..., indent=2, ensure_ascii=False)``:
``{"done_flag": true, **result}`` when the mode returned, ``{"done_flag": false, "err_type":
str(type(exc)), "err_msg": str(exc)}`` when it raised. PaddleX dumps with ``ujson`` (one of
its requirements), which escapes every ``/`` as ``\\/``; so does :func:`write_result`, so that
the files are byte for byte PaddleX's. Any JSON reader reads ``\\/`` as ``/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["write_failure", "write_result"]


def _write(data: dict[str, Any], output_dir: str | os.PathLike, mode: str) -> Path:
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{mode}_result.json"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # "/" occurs in JSON text only inside strings, where "\/" is its escape (as ujson writes).
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("/", "\\/")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def write_result(output_dir: str | os.PathLike, mode: str, result: dict[str, Any]) -> Path:
    """Writes ``{"done_flag": true, **result}`` to ``<output_dir>/<mode>_result.json``.

    Returns:
        The file written.
    """
    return _write({"done_flag": True, **result}, output_dir, mode)


def write_failure(output_dir: str | os.PathLike, mode: str, exc: BaseException) -> Path:
    """Writes PaddleX's failure record for *exc* to ``<output_dir>/<mode>_result.json``.

    Returns:
        The file written.
    """
    record = {"done_flag": False, "err_type": str(type(exc)), "err_msg": str(exc)}
    return _write(record, output_dir, mode)
