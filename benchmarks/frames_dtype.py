"""uint8 frames + normalisation folded into the ONNX graph vs float32 frames, side by side.

Both paths give identical logits (checked here). Measured on the same videos, in this process:

* **uint8**: ``preprocess_video`` (uint8) -> ONNX with the folded ``NormalizeVideo``;
* **float32**: ``preprocess_video_float`` (normalised in numpy, as PaddleX) -> ONNX without it.

Prints per-video milliseconds of each stage, the ratio, and the bytes that cross from the decode
step to the network step per video (Triton copies them through shared memory).

Usage::

    python benchmarks/frames_dtype.py [--model PP-TSMv2-LCNetV2_8frames_uniform] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from videocls_preprocess.pipeline import preprocess_video, preprocess_video_float
from videocls_repository.convert.onnx_graph import (
    export_onnx,
    fold_normalization,
    repair_leaky_relu,
)
from videocls_repository.convert.source import load_model_dir
from videocls_repository.testmodel import make_test_model
from videos import write_video


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="PP-TSMv2-LCNetV2_8frames_uniform")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = load_model_dir(make_test_model(args.model, tmp / "model"))
        spec = model.spec.preprocess
        onnx_float = export_onnx(model.model_file, model.params_file, tmp / "m.onnx")
        repair_leaky_relu(onnx_float, model.model_file)
        float_bytes = onnx_float.SerializeToString()
        uint8_bytes = fold_normalization(onnx_float, spec).SerializeToString()
        sessions = {
            "uint8": ort.InferenceSession(uint8_bytes, providers=["CPUExecutionProvider"]),
            "float32": ort.InferenceSession(float_bytes, providers=["CPUExecutionProvider"]),
        }
        float_input = sessions["float32"].get_inputs()[0].name
        videos = {
            f"{w}x{h}": write_video(
                tmp / f"{w}x{h}.mp4", width=w, height=h, frames=60, seed=w
            ).read_bytes()
            for w, h in ((320, 240), (1280, 720))
        }
        print(f"model {args.model}, median of {args.repeats}\n")
        print("| video | path | preprocess ms | network ms | total ms | bytes decode->network |")
        print("|---|---|---|---|---|---|")
        for label, data in videos.items():
            u8 = preprocess_video(data, spec)[None]
            f32 = preprocess_video_float(data, spec)[None]
            same = np.array_equal(
                sessions["uint8"].run(None, {"FRAMES": u8})[0],
                sessions["float32"].run(None, {float_input: f32})[0],
            )
            totals = {}
            for path, prep, feed in (
                ("uint8", lambda d=data: preprocess_video(d, spec)[None], lambda x: {"FRAMES": x}),
                (
                    "float32",
                    lambda d=data: preprocess_video_float(d, spec)[None],
                    lambda x: {float_input: x},
                ),
            ):
                x = prep()
                p_ms = _median_ms(prep, args.repeats)
                n_ms = _median_ms(
                    lambda x=x, path=path, feed=feed: sessions[path].run(None, feed(x)),
                    args.repeats,
                )
                totals[path] = p_ms + n_ms
                print(
                    f"| {label} | {path} | {p_ms:.1f} | {n_ms:.1f} | {totals[path]:.1f} "
                    f"| {x.nbytes:,} |"
                )
            print(
                f"| {label} | float32/uint8 | | | {totals['float32'] / totals['uint8']:.3f} | "
                f"identical logits: {same} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
