"""Network-step throughput of the served ONNX graphs on a CUDA GPU, for GPU sizing.

TensorRT is what the GPU flavour runs (``target=tensorrt``); where only PyTorch is
installed on a GPU machine, this script runs the *same* ONNX graph (uint8 frames in, the
folded normalisation, logits out) through ``onnx2torch`` in float32 on CUDA, which is a
conservative stand-in: TensorRT fuses more and is usually faster. It first checks the GPU
answers against onnxruntime on the CPU for the same input, then times batches of 1..N.

Two steps, because the weights are large and the timing does not depend on their values:

1. ``python benchmarks/network_gpu.py strip REPOSITORY OUT_DIR`` (here): writes each
   ``<name>.network/1/model.onnx`` with its large float weights emptied (shapes kept);
2. ``python benchmarks/network_gpu.py run OUT_DIR`` (on the GPU machine, with torch,
   onnxruntime and onnx2torch): refills the weights with seeded He-normal values, compares
   GPU vs CPU logits, and prints videos/s per batch size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

#: Float weight matrices and kernels (not 1-D norms or biases) at least this large are emptied.
STRIP_MIN_SIZE = 1024


def strip(repository: Path, out_dir: Path) -> None:
    """Writes every network step's graph without its large float weights."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(repository.glob("*.network/1/model.onnx")):
        model = onnx.load(str(path))
        for tensor in model.graph.initializer:
            size = int(np.prod(tensor.dims))
            if (
                tensor.data_type == onnx.TensorProto.FLOAT
                and size >= STRIP_MIN_SIZE
                and len(tensor.dims) >= 2
            ):
                tensor.ClearField("raw_data")
                tensor.ClearField("float_data")
        name = path.parent.parent.name.removesuffix(".network")
        onnx.save(model, str(out_dir / f"{name}.onnx"))
        print(f"{name}: {(out_dir / f'{name}.onnx').stat().st_size / 1e6:.2f} MB")


def refill(model: onnx.ModelProto, seed: int = 0) -> None:
    """Gives every emptied float weight seeded He-normal values."""
    rng = np.random.default_rng(seed)
    for tensor in model.graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or tensor.raw_data or tensor.float_data:
            continue
        dims = tuple(tensor.dims)
        fan_in = int(np.prod(dims[1:])) if len(dims) == 4 else dims[0]
        values = (rng.standard_normal(dims) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))


def run(model_dir: Path, max_batch: int, iterations: int) -> None:
    """Compares GPU vs CPU logits and prints videos/s for batch sizes 1..max_batch."""
    import onnxruntime as ort
    import torch
    from onnx2torch import convert

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    print("| model | batch | videos/s | ms per batch | max abs logit diff vs ORT CPU |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(1)
    for path in sorted(model_dir.glob("*.onnx")):
        model = onnx.load(str(path))
        refill(model)
        frames_dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        cpu = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        net = convert(model).eval().cuda()
        batches = [b for b in (1, 2, 4, 8, 16, 32) if b <= max_batch]
        for batch in batches:
            frames = rng.integers(0, 256, (batch, *frames_dims), dtype=np.uint8)
            with torch.inference_mode():
                gpu_in = torch.from_numpy(frames).cuda()
                gpu_logits = net(gpu_in).float().cpu().numpy()
                diff = np.abs(gpu_logits - cpu.run(None, {"FRAMES": frames})[0]).max()
                for _ in range(5):
                    net(gpu_in)
                torch.cuda.synchronize()
                start = time.perf_counter()
                for _ in range(iterations):
                    net(gpu_in)
                torch.cuda.synchronize()
                seconds = (time.perf_counter() - start) / iterations
            print(
                f"| {path.stem} | {batch} | {batch / seconds:.1f} | {1000 * seconds:.2f} | "
                f"{diff:.2e} |",
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    strip_cmd = sub.add_parser("strip")
    strip_cmd.add_argument("repository", type=Path)
    strip_cmd.add_argument("out_dir", type=Path)
    run_cmd = sub.add_parser("run")
    run_cmd.add_argument("model_dir", type=Path)
    run_cmd.add_argument("--max-batch", type=int, default=32)
    run_cmd.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()
    if args.command == "strip":
        strip(args.repository, args.out_dir)
    else:
        run(args.model_dir, args.max_batch, args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
