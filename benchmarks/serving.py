"""Served throughput/latency vs PaddleX in-process vs the in-process bound, side by side.

For each model, on the same videos and in one run:

* **paddlex**: PaddleX 3.7.2's own ``create_model(...).predict`` in this process, one video at a
  time (what users run today);
* **bound**: our decode + preprocessing (``videocls_preprocess``) plus onnxruntime on the same
  ONNX model in this process, no server, from N threads sharing one session (concurrency 1,
  2, 4, 8, like the served rows): what serving can at best approach on this machine;
* **decode + preprocess only**: our decode step's work alone, one thread per CPU: the CPU
  ceiling of a pod whose network step runs on a GPU (docs/deploy.md, "Sizing");
* **served**: the real tritonserver with the generated repository (default
  :class:`~videocls_repository.tritonconfig.ServingOptions`), raw gRPC from N client threads,
  with dynamic batching on the network step (``max_queue_delay_us`` default) and without.

Prints a Markdown table (videos/s, p50/p95 latency) and the ratios served/paddlex and
served/bound at the same concurrency. The figures in docs/performance.md come from this
script.

Usage::

    python benchmarks/serving.py                                   # all three models
    python benchmarks/serving.py --models PP-TSMv2-LCNetV2_8frames_uniform --requests 24
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from videocls_preprocess.pipeline import preprocess_video
from videocls_repository.convert.converter import convert
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES, ModelSpec
from videocls_repository.postprocess import topk
from videocls_repository.server import ServerConfig, TritonServer
from videocls_repository.testmodel import make_test_model
from videocls_repository.tritonconfig import ServingOptions, StepNames
from videos import write_video

#: (width, height, frames, seed): a mix of small and HD clips, 2-4 s long.
VIDEO_MIX = [(320, 240, 75, 1), (640, 360, 60, 2), (1280, 720, 50, 3), (480, 360, 100, 4)]


def make_videos(directory: Path) -> tuple[list[bytes], list[Path]]:
    paths = [
        write_video(directory / f"v{i}.mp4", width=w, height=h, frames=n, seed=s)
        for i, (w, h, n, s) in enumerate(VIDEO_MIX)
    ]
    return [p.read_bytes() for p in paths], paths


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def summarize(requests: int, wall: float, latencies: list[float]) -> dict:
    return {
        "videos_per_s": requests / wall,
        "p50_ms": 1000 * percentile(latencies, 50),
        "p95_ms": 1000 * percentile(latencies, 95),
    }


def bench_paddlex(name: str, model_dir: Path, paths: list[Path], requests: int) -> dict:
    from paddlex import create_model

    engine_config = {"run_mode": "paddle"} if "R50" in name else None
    model = create_model(name, model_dir=str(model_dir), device="cpu", engine_config=engine_config)

    def predict(i: int) -> float:
        t = time.perf_counter()
        list(model.predict(str(paths[i % len(paths)])))
        return time.perf_counter() - t

    return run_concurrent(predict, requests, 1)  # one at a time: the predictor is not shared


def bench_bound(
    spec: ModelSpec, onnx_path: Path, videos: list[bytes], requests: int, concurrency: int
) -> dict:
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])

    def classify(i: int) -> float:
        t = time.perf_counter()
        frames = preprocess_video(videos[i % len(videos)], spec.preprocess)[None]
        logits = session.run(["LOGITS"], {"FRAMES": frames})[0]
        topk(logits, spec.topk)
        return time.perf_counter() - t

    return run_concurrent(classify, requests, concurrency)


def bench_decode_only(spec: ModelSpec, videos: list[bytes], requests: int, concurrency: int):
    """Decode + preprocessing alone: the CPU ceiling of a pod whose network runs on a GPU."""

    def decode(i: int) -> float:
        t = time.perf_counter()
        preprocess_video(videos[i % len(videos)], spec.preprocess)
        return time.perf_counter() - t

    return run_concurrent(decode, requests, concurrency)


def run_concurrent(fn, requests: int, concurrency: int) -> dict:
    """Runs ``fn(i)`` (returns its latency) for ``i < requests`` from ``concurrency`` threads."""
    for i in range(concurrency):
        fn(i)  # warm-up
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(fn, range(requests)))
    return summarize(requests, time.perf_counter() - start, latencies)


def bench_served(url: str, name: str, videos: list[bytes], requests: int, concurrency: int) -> dict:
    import tritonclient.grpc as grpcclient

    clients = [grpcclient.InferenceServerClient(url) for _ in range(concurrency)]

    def infer(i: int) -> float:
        data = np.frombuffer(videos[i % len(videos)], np.uint8)[None]
        inp = grpcclient.InferInput("VIDEO", list(data.shape), "UINT8")
        inp.set_data_from_numpy(data)
        t = time.perf_counter()
        clients[i % concurrency].infer(name, [inp])
        return time.perf_counter() - t

    try:
        return run_concurrent(infer, requests, concurrency)
    finally:
        for c in clients:
            c.close()


def serve_and_measure(repository: Path, name: str, videos, requests, levels) -> dict[int, dict]:
    config = ServerConfig.local(repository)
    with TritonServer(config) as server:
        return {c: bench_served(server.grpc_url, name, videos, requests, c) for c in levels}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(OFFICIAL_MODEL_NAMES))
    parser.add_argument("--requests", type=int, default=16, help="requests per measurement")
    parser.add_argument("--concurrency", default="1,2,4,8")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {args.requests} requests per cell\n"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="videocls-bench-") as tmp:
        tmp = Path(tmp)
        videos, paths = make_videos(tmp / "videos")
        for name in args.models:
            model_dir = make_test_model(name, tmp / "paddle" / name)
            batched, unbatched = tmp / "repo-batched" / name, tmp / "repo-unbatched" / name
            convert(model_dir, batched, ServingOptions(dynamic_batching=True))
            convert(model_dir, unbatched, ServingOptions(dynamic_batching=False))
            spec = ModelSpec.from_yaml(model_dir / "inference.yml")
            onnx_path = batched / StepNames(name).network / "1" / "model.onnx"

            paddlex = bench_paddlex(name, model_dir, paths, args.requests)
            rows.append((name, "paddlex in-process", "1", paddlex, None))
            bounds = {}
            for c in levels:
                bounds[c] = bench_bound(spec, onnx_path, videos, args.requests, c)
                rows.append((name, "bound (ours, no server)", str(c), bounds[c], None))
            decode_only = bench_decode_only(spec, videos, args.requests, os.cpu_count() or 1)
            rows.append((name, "decode + preprocess only", str(os.cpu_count()), decode_only, None))
            for label, repo in (
                ("served, dynamic batching", batched),
                ("served, no batching", unbatched),
            ):
                for c, r in serve_and_measure(repo, name, videos, args.requests, levels).items():
                    rows.append((name, label, str(c), r, (paddlex, bounds[c])))

    print("| model | mode | concurrency | videos/s | p50 ms | p95 ms | × paddlex | % of bound |")
    print("|---|---|---|---|---|---|---|---|")
    for name, mode, c, r, refs in rows:
        ratio = pct = ""
        if refs:
            ratio = f"{r['videos_per_s'] / refs[0]['videos_per_s']:.2f}"
            pct = f"{100 * r['videos_per_s'] / refs[1]['videos_per_s']:.0f} %"
        print(
            f"| {name} | {mode} | {c} | {r['videos_per_s']:.2f} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {ratio} | {pct} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
