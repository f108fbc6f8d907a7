"""Our decode + preprocess vs PaddleX 3.7.2's own preprocessing, per video, and our RSS.

For every corpus video (plus ``--extra`` files) prints the best-of-N time of

* PaddleX: the real ``VideoClasRunnerPredictor.process`` (``ReadVideo`` with decord from the
  path, ``Scale``, ``CenterCrop``, ``Image2Array``, ``NormalizeVideo``, ``ToBatch``) with a
  stand-in runner, i.e. everything but the network;
* ours, float: ``preprocess_video_float(bytes)`` (the same tensor, bit-identical);
* ours, uint8: ``preprocess_video(bytes)`` (what the served decode step returns), with
  FFmpeg's decoder threads and with ``threads=1``;

and the ratio ours/PaddleX (< 1 means we are faster). Then it decodes one video N times with
``preprocess_video`` in a fresh process and prints the RSS before, after a warm-up and at the
end, with the growth after warm-up (target < 5 %).

Usage::

    python benchmarks/preprocess.py                     # default: about a minute on 2 cores
    python benchmarks/preprocess.py --repeats 15 --rss-iterations 5000 --rss-video hd_1280x720
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from videocls_preprocess.pipeline import preprocess_video, preprocess_video_float  # noqa: E402
from videocls_preprocess.spec import PreprocessSpec  # noqa: E402
from videos import build_corpus  # noqa: E402


def paddlex_preprocess(spec: PreprocessSpec) -> Callable[[Path], np.ndarray]:
    """PaddleX's predictor minus the network: ``fn(path) -> [1, T, 3, H, W]`` float32."""
    from paddlex.inference.models.video_classification.predictor import (
        VideoClasRunnerPredictor,
    )

    config = {
        "Global": {"model_name": "PP-TSM-R50_8frames_uniform"},
        "PreProcess": {
            "transform_ops": [
                {"ReadVideo": {"num_seg": spec.num_seg, "seg_len": spec.seg_len,
                               "sample_type": "uniform"}},
                {"Scale": {"short_size": spec.short_size}},
                {"CenterCrop": {"target_size": spec.crop_size}},
                {"Image2Array": {"data_format": "tchw"}},
                {"NormalizeVideo": {"mean": list(spec.mean), "std": list(spec.std)}},
            ]
        },
        "PostProcess": {"Topk": {"topk": 1, "label_list": ["a", "b"]}},
    }  # fmt: skip
    captured: list[np.ndarray] = []

    def runner(x):
        captured.append(x[0] if isinstance(x, list) else x)
        return [np.zeros((1, 2), dtype=np.float32)]

    predictor = VideoClasRunnerPredictor(
        runner=runner, model_config=config, model_name="PP-TSM-R50_8frames_uniform"
    )

    def run(path: Path) -> np.ndarray:
        captured.clear()
        predictor.process([str(path)])
        return captured[0]

    return run


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """Best of ``repeats`` runs: on a shared machine the least disturbed by other load."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def compare(videos: dict[str, Path], spec: PreprocessSpec, repeats: int) -> None:
    paddlex = paddlex_preprocess(spec)
    rows, ratios, ratios_1 = [], [], []
    for name, path in videos.items():
        data = path.read_bytes()
        same = np.array_equal(paddlex(path)[0], preprocess_video_float(data, spec))
        t_px = best_ms(lambda p=path: paddlex(p), repeats)
        t_f = best_ms(lambda d=data: preprocess_video_float(d, spec), repeats)
        t_u = best_ms(lambda d=data: preprocess_video(d, spec), repeats)
        t_1 = best_ms(lambda d=data: preprocess_video(d, spec, threads=1), repeats)
        ratios.append(t_f / t_px)
        ratios_1.append(t_1 / t_px)
        times = [f"{t:.1f}" for t in (t_px, t_f, t_u, t_1)]
        rows.append([name, *times, f"{t_f / t_px:.2f}", f"{t_1 / t_px:.2f}",
                     "yes" if same else "NO"])  # fmt: skip
    print(f"## Decode + preprocess, best of {repeats} runs in ms (num_seg {spec.num_seg}, "
          f"short {spec.short_size}, crop {spec.crop_size}; {os.cpu_count()} CPUs)\n")  # fmt: skip
    head = ["video", "PaddleX", "ours float", "ours uint8", "ours uint8 threads=1",
            "ours float/PaddleX", "threads=1/PaddleX", "bit-identical"]  # fmt: skip
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for label, values in (("ours float", ratios), ("ours uint8 threads=1", ratios_1)):
        geo = math.exp(sum(math.log(r) for r in values) / len(values))
        print(f"\nGeometric mean ratio {label} / PaddleX: {geo:.2f} "
              f"(min {min(values):.2f}, max {max(values):.2f})")  # fmt: skip


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_rss(path: Path, iterations: int, spec: PreprocessSpec) -> None:
    data = path.read_bytes()
    start = rss_mb()
    warmup = max(20, iterations // 20)
    for _ in range(warmup):
        preprocess_video(data, spec)
    warm, peak = rss_mb(), 0.0
    began = time.perf_counter()
    for _ in range(iterations):
        preprocess_video(data, spec)
        peak = max(peak, rss_mb())
    elapsed = time.perf_counter() - began
    print(json.dumps({"start": start, "warm": warm, "peak": peak, "end": rss_mb(),
                      "warmup": warmup, "ms": elapsed * 1000 / iterations}))  # fmt: skip


def memory(path: Path, name: str, iterations: int, spec: PreprocessSpec) -> None:
    cmd = [sys.executable, __file__, "--child-rss", str(path), str(iterations),
           str(spec.num_seg)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    growth = 100.0 * (r["end"] - r["warm"]) / r["warm"]
    print(f"\n## RSS of preprocess_video over {iterations} decodes of {name} (fresh process)\n")
    print(
        f"- before: {r['start']:.1f} MB; after {r['warmup']} warm-up decodes: "
        f"{r['warm']:.1f} MB; peak: {r['peak']:.1f} MB; end: {r['end']:.1f} MB"
    )
    verdict = "OK" if growth < 5 else "ABOVE TARGET"
    print(f"- growth after warm-up: {growth:+.2f} % (target < 5 %: {verdict}); "
          f"{r['ms']:.1f} ms per decode")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--num-seg", type=int, default=8)
    parser.add_argument("--short-size", type=int, default=256)
    parser.add_argument("--crop-size", type=int, default=224)
    parser.add_argument("--rss-iterations", type=int, default=1000)
    parser.add_argument("--rss-video", default="land_320x240", help="a corpus name")
    parser.add_argument("--corpus-dir", type=Path, help="reuse/keep the corpus here")
    parser.add_argument("--extra", type=Path, nargs="*", default=[], help="more video files")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--child-rss", nargs=3, metavar=("PATH", "N", "NUM_SEG"), help="internal")
    args = parser.parse_args(argv)

    if args.child_rss:
        spec = PreprocessSpec(num_seg=int(args.child_rss[2]), short_size=256, crop_size=224)
        child_rss(Path(args.child_rss[0]), int(args.child_rss[1]), spec)
        return 0

    spec = PreprocessSpec(
        num_seg=args.num_seg, short_size=args.short_size, crop_size=args.crop_size
    )
    with tempfile.TemporaryDirectory(prefix="videocls-preprocess-") as tmp:
        videos = build_corpus(args.corpus_dir or Path(tmp))
        videos.update({f"extra:{p.name}": p for p in args.extra})
        compare(videos, spec, args.repeats)
        if not args.skip_rss:
            memory(videos[args.rss_video], args.rss_video, args.rss_iterations, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
