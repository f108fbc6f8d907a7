"""``videocls-server``: make test models, convert PaddleX models, serve them with tritonserver."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

from videocls_preprocess.errors import VideoclsError
from videocls_preprocess.spec import InputLimits

from .modelspec import OFFICIAL_MODEL_NAMES
from .tritonconfig import DEFAULT_DYNAMIC_BATCHING, TARGETS, ServingOptions

EXIT_USAGE = 2

EPILOG = """examples:
  videocls-server make-test-model PP-TSMv2-LCNetV2_8frames_uniform --out /tmp/pptsmv2
  videocls-server convert /tmp/pptsmv2 --model-repository ./repo
  videocls-server convert PP-TSM-R50_8frames_uniform --model-repository ./repo
  videocls-server serve --model-repository ./repo --grpc-port 8001
  videocls-server serve --demo
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videocls-server",
        description="PaddleX PP-TSM video classification on NVIDIA Triton Inference Server.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    make = sub.add_parser(
        "make-test-model", help="write a PaddleX-format model with generated weights"
    )
    make.add_argument("model_name", choices=OFFICIAL_MODEL_NAMES)
    make.add_argument("--out", required=True, type=Path, help="output inference directory")
    make.add_argument("--seed", type=int, default=0)

    conv = sub.add_parser(
        "convert", help="PaddleX inference model -> verified ONNX -> Triton repository"
    )
    conv.add_argument(
        "source", help="inference dir, *_infer.tar, http(s) URL of one, or a model name"
    )
    conv.add_argument("--model-repository", required=True, type=Path)
    conv.add_argument("--target", choices=TARGETS, default="python-onnxruntime")
    defaults = ServingOptions()
    conv.add_argument("--max-batch-size", type=int, default=defaults.max_batch_size)
    conv.add_argument(
        "--instances",
        type=int,
        default=defaults.network_instances,
        help="network step instances",
    )
    conv.add_argument("--decode-instances", type=int, default=defaults.decode_instances)
    conv.add_argument(
        "--decode-threads",
        type=int,
        default=defaults.decode_threads,
        help="FFmpeg threads per decode instance (0: FFmpeg's choice)",
    )
    conv.add_argument(
        "--dynamic-batching",
        action=argparse.BooleanOptionalAction,
        help="batch queued requests in the network step (default: "
        + ", ".join(
            f"{'on' if on else 'off'} for {t}" for t, on in DEFAULT_DYNAMIC_BATCHING.items()
        )
        + ")",
    )
    conv.add_argument(
        "--max-queue-delay-us",
        type=int,
        default=defaults.max_queue_delay_us,
        help="how long the dynamic batcher may wait for a fuller batch",
    )
    conv.add_argument(
        "--intra-op-threads",
        type=int,
        default=defaults.intra_op_threads,
        help="onnxruntime threads per network instance (0: onnxruntime's choice)",
    )
    conv.add_argument("--max-video-bytes", type=int, default=InputLimits.max_bytes)
    conv.add_argument("--max-video-side", type=int, default=InputLimits.max_side)

    serve = sub.add_parser("serve", help="run tritonserver on a model repository")
    serve.add_argument("--model-repository", type=Path)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="build a repository with a generated PP-TSMv2 model when none is given",
    )
    serve.add_argument("--grpc-port", type=int, default=8001)
    serve.add_argument("--http-port", type=int, default=8000)
    serve.add_argument("--metrics-port", type=int, default=8002)
    serve.add_argument("--address", default="0.0.0.0")
    serve.add_argument(
        "--model",
        action="append",
        default=[],
        dest="models",
        help="load only this ensemble (repeatable; default: all)",
    )
    serve.add_argument("--grpc-tls-cert", type=Path, help="serve gRPC over TLS with this cert")
    serve.add_argument("--grpc-tls-key", type=Path, help="private key of --grpc-tls-cert")
    serve.add_argument(
        "--grpc-tls-root-cert", type=Path, help="CA for client certificates (enables mutual TLS)"
    )
    serve.add_argument("--log-file", type=Path)
    serve.add_argument("--log-verbose", type=int, default=0)
    return parser


def _make_test_model(args: argparse.Namespace) -> int:
    from .testmodel import make_test_model

    path = make_test_model(args.model_name, args.out, seed=args.seed)
    print(f"wrote {args.model_name} with generated weights to {path}")
    return 0


def serving_options(args: argparse.Namespace) -> ServingOptions:
    """The :class:`ServingOptions` that the ``convert`` flags in ``args`` ask for."""
    return ServingOptions(
        target=args.target,
        max_batch_size=args.max_batch_size,
        network_instances=args.instances,
        decode_instances=args.decode_instances,
        decode_threads=args.decode_threads,
        dynamic_batching=args.dynamic_batching,
        max_queue_delay_us=args.max_queue_delay_us,
        intra_op_threads=args.intra_op_threads,
        limits=InputLimits(max_bytes=args.max_video_bytes, max_side=args.max_video_side),
    )


def _convert(args: argparse.Namespace) -> int:
    from .convert.converter import convert

    result = convert(args.source, args.model_repository, serving_options(args))
    print(
        f"{result.model_name}: ONNX verified against Paddle (max abs logit diff "
        f"{result.parity.max_abs_diff:.2e}, LeakyRelu repaired: {result.leaky_relu_repaired}), "
        f"{len(result.folders)} models written to {args.model_repository} in {result.seconds:.1f} s"
    )
    if args.target == "tensorrt":
        print("build the TensorRT plan on the GPU node: see <model>.network/build_engine.sh")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .server import GrpcTls, ServerConfig, TritonServer

    tls = None
    if args.grpc_tls_cert or args.grpc_tls_key:
        if not (args.grpc_tls_cert and args.grpc_tls_key):
            raise VideoclsError("--grpc-tls-cert and --grpc-tls-key go together")
        tls = GrpcTls(args.grpc_tls_cert, args.grpc_tls_key, root_cert=args.grpc_tls_root_cert)
    repository = args.model_repository
    if repository is None:
        if not args.demo:
            raise VideoclsError("serve needs --model-repository (or --demo)")
        repository = _demo_repository()
    server = TritonServer(
        ServerConfig(
            model_repository=repository,
            grpc_port=args.grpc_port,
            http_port=args.http_port,
            metrics_port=args.metrics_port,
            address=args.address,
            log_verbose=args.log_verbose,
            tls=tls,
            models=tuple(args.models),
        ),
        log_file=args.log_file,
    )

    def _forward(signum, _frame):
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, _forward)
    try:  # from here on, SIGINT/SIGTERM stop tritonserver cleanly, even during start-up
        server.start()
        print(
            f"tritonserver ready: grpc {args.address}:{server.grpc_port}  "
            f"http {args.address}:{server.http_port}  "
            f"metrics {args.address}:{server.metrics_port}  repository {repository}",
            flush=True,
        )
        code = server.wait()
    except KeyboardInterrupt:
        server.stop()
        print("tritonserver stopped", flush=True)
        return 0
    server.stop()
    return code or 0


def _demo_repository() -> Path:
    from .convert.converter import convert
    from .testmodel import make_test_model

    root = Path(tempfile.gettempdir()) / "videocls-demo"
    repository = root / "model_repository"
    name = OFFICIAL_MODEL_NAMES[1]
    if not (repository / name).is_dir():
        model_dir = make_test_model(name, root / "paddle" / name)
        convert(model_dir, repository)
    return repository


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``videocls-server``."""
    args = build_parser().parse_args(argv)
    handlers = {"make-test-model": _make_test_model, "convert": _convert, "serve": _serve}
    try:
        return handlers[args.command](args)
    except VideoclsError as exc:
        print(f"videocls-server: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
