"""Sweep the serving options of one model on this machine, side by side in one run.

Each configuration is a set of :class:`~videocls_repository.tritonconfig.ServingOptions`
fields; the script converts the model once per configuration, serves it with the real
tritonserver and measures throughput and p50/p95 latency at each concurrency with raw gRPC
(the same measurement as ``benchmarks/serving.py``). Ratios are relative to the first
configuration, measured in the same run. The tuned defaults in ``ServingOptions`` and the
tuning table in docs/performance.md come from this script.

Usage::

    python benchmarks/tuning.py --models PP-TSMv2-LCNetV2_8frames_uniform
    python benchmarks/tuning.py --config "decode_instances=2,intra_op_threads=1" \\
        --config "decode_instances=1,decode_threads=2"
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
from pathlib import Path

from serving import make_videos, serve_and_measure
from videocls_repository.convert.converter import convert
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videocls_repository.testmodel import make_test_model
from videocls_repository.tritonconfig import ServingOptions

#: The sweep run when no --config is given ("" = the defaults, the baseline of the ratios).
DEFAULT_CONFIGS = (
    "",
    "network_instances=1,intra_op_threads=0",
    "dynamic_batching=1",
    "dynamic_batching=1,max_queue_delay_us=0",
    "decode_threads=1",
    "decode_instances=3",
)
#: ServingOptions fields a sweep can set: ``{name: type annotation}``.
_TUNABLE = {
    f.name: str(f.type)
    for f in dataclasses.fields(ServingOptions)
    if str(f.type).startswith(("int", "bool"))
}


def parse_config(text: str) -> dict[str, int | bool]:
    """``"a=1,dynamic_batching=0"`` -> ``{"a": 1, "dynamic_batching": False}``."""
    values: dict[str, int | bool] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key not in _TUNABLE:
            raise SystemExit(f"unknown option {key!r}; choose from {', '.join(sorted(_TUNABLE))}")
        values[key] = bool(int(value)) if _TUNABLE[key] == "bool" else int(value)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(OFFICIAL_MODEL_NAMES))
    parser.add_argument(
        "--config", action="append", help="e.g. decode_instances=2,decode_threads=1"
    )
    parser.add_argument("--requests", type=int, default=16, help="requests per measurement")
    parser.add_argument("--concurrency", default="1,4,8")
    args = parser.parse_args()
    configs = [parse_config(c) for c in (args.config or DEFAULT_CONFIGS)]
    levels = [int(c) for c in args.concurrency.split(",")]

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {args.requests} requests per cell\n"
    )
    print("| model | options | concurrency | videos/s | p50 ms | p95 ms | × first |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="videocls-tuning-") as tmp:
        tmp = Path(tmp)
        videos, _ = make_videos(tmp / "videos")
        for name in args.models:
            model_dir = make_test_model(name, tmp / "paddle" / name)
            baseline: dict[int, float] = {}
            for index, values in enumerate(configs):
                repo = tmp / f"repo-{index}" / name
                convert(model_dir, repo, ServingOptions(**values))
                label = ", ".join(f"{k}={v}" for k, v in values.items()) or "defaults"
                for c, r in serve_and_measure(repo, name, videos, args.requests, levels).items():
                    baseline.setdefault(c, r["videos_per_s"])
                    print(
                        f"| {name} | {label} | {c} | {r['videos_per_s']:.2f} | {r['p50_ms']:.0f} | "
                        f"{r['p95_ms']:.0f} | {r['videos_per_s'] / baseline[c]:.2f} |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
