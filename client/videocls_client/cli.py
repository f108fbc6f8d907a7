"""``videocls-client``: classify videos with a served model, or list the served models."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from .argtypes import int_at_least
from .dataset.cli import add_commands as add_dataset_commands
from .dataset.cli import run_check, run_evaluate
from .errors import EXIT_CODES, ConfigError, InvalidInputError, VideoclsClientError
from .inputs import DownloadConfig, expand_inputs
from .model import ModelInfo, create_model, list_models
from .progress import Progress
from .results import VideoClassificationResult
from .transport import DEFAULT_URL, parse_header

PROG = "videocls-client"
URL_ENV = "VIDEOCLS_URL"
FORMATS = ("text", "json", "ndjson", "protobuf")

_EXAMPLES = f"""\
examples:
  {PROG} predict video.mp4 --url localhost:8001 --model PP-TSMv2-LCNetV2_8frames_uniform --topk 5
  {PROG} predict videos/ https://host/clip.mp4 --batch-size 8 --format ndjson > results.ndjson
  {PROG} predict videos/ --save-dir out/        # out/<name>_res.json and out/<name>_res.mp4
  {PROG} predict clip.mp4 --format protobuf > results.bin   # length-delimited records
  {PROG} predict clip.mp4 --url triton.example:443 --ssl --root-cert ca.pem \\
      --header "authorization: Bearer $TOKEN"
  {PROG} models --url localhost:8001

The default --url is ${URL_ENV}, else {DEFAULT_URL}.
"""


def _exit_codes() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())


_positive_int = int_at_least(1)
_non_negative_int = int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} is not > 0")
    return value


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--url",
        default=os.environ.get(URL_ENV, DEFAULT_URL),
        help=f"host:port of Triton's gRPC endpoint (default: ${URL_ENV} or {DEFAULT_URL})",
    )
    group.add_argument("--ssl", action="store_true", help="use a TLS channel")
    group.add_argument("--root-cert", metavar="PEM", help="CA certificates that verify the server")
    group.add_argument("--client-cert", metavar="PEM", help="client certificate (mutual TLS)")
    group.add_argument("--client-key", metavar="PEM", help="client private key (mutual TLS)")
    group.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="gRPC metadata sent with every call (repeatable)",
    )
    group.add_argument(
        "--timeout",
        type=_positive_float,
        default=120.0,
        metavar="S",
        help="deadline of each request in seconds (default: 120)",
    )
    group.add_argument(
        "--load-balancing",
        choices=("pick_first", "round_robin"),
        default="pick_first",
        help="gRPC policy; round_robin with a dns:///host:port URL spreads calls over every "
        "address of a headless Service (default: pick_first)",
    )
    group.add_argument(
        "--retries",
        type=_non_negative_int,
        default=3,
        help="retries, with exponential backoff, when the server is UNAVAILABLE (default: 3)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``videocls-client``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Classify videos with a PaddleX PP-TSM model served by Triton (gRPC).",
        epilog=f"{_EXAMPLES}\n{_exit_codes()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = commands.add_parser(
        "predict",
        help="classify videos (files, folders, http(s) URLs)",
        description="Classify videos; prints one result per video, in input order.",
        epilog=f"{_EXAMPLES}\n{_exit_codes()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="video file, folder (its .mp4/.avi/.mkv/.webm files, recursively) or http(s) URL",
    )
    predict.add_argument(
        "--model", help="model name (default: the only model served, if there is one)"
    )
    predict.add_argument(
        "--topk", type=_positive_int, help="classes per video (default: the model's)"
    )
    predict.add_argument(
        "--batch-size", type=_positive_int, default=1, help="videos sent together (default: 1)"
    )
    predict.add_argument(
        "--concurrency",
        type=_positive_int,
        help="requests in flight at once (default: the batch size)",
    )
    predict.add_argument(
        "--save-dir",
        metavar="DIR",
        help="also write PaddleX's <name>_res.json and the labelled <name>_res video here",
    )
    predict.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text: PaddleX's print(); json: a JSON array of PaddleX's .json; ndjson: one "
        "videocls.v1.Classification per line; protobuf: length-delimited binary records",
    )
    predict.add_argument(
        "--max-input-bytes",
        type=_positive_int,
        default=DownloadConfig.max_bytes,
        metavar="N",
        help=f"largest file read or URL downloaded (default: {DownloadConfig.max_bytes})",
    )
    predict.add_argument(
        "--download-timeout",
        type=_positive_float,
        default=DownloadConfig.timeout_s,
        metavar="S",
        help=f"limit of one URL download in seconds (default: {DownloadConfig.timeout_s:g})",
    )
    _connection_options(predict)

    models = commands.add_parser(
        "models",
        help="list the served models with their settings and input limits",
        description="List the ready video-classification models: frames sampled (num_seg), "
        "classes, default topk and the input limits, as the server reports them.",
    )
    models.add_argument("--format", choices=("text", "json"), default="text")
    _connection_options(models)
    add_dataset_commands(commands, _connection_options)
    return parser


def _transport_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "ssl": args.ssl,
        "root_cert": args.root_cert,
        "client_cert": args.client_cert,
        "client_key": args.client_key,
        "headers": dict(parse_header(h) for h in args.header),
        "timeout_s": args.timeout,
        "retries": args.retries,
        "load_balancing": args.load_balancing,
    }


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


class _Output:
    """Writes results to stdout in the chosen format."""

    def __init__(self, fmt: str, stdout: TextIO) -> None:
        self.fmt = fmt
        self.stdout = stdout
        self.count = 0
        if fmt == "protobuf" and stdout.isatty():
            raise ConfigError(
                "refusing to write binary protobuf records to a terminal: redirect stdout"
            )

    def write(self, result: VideoClassificationResult) -> None:
        if self.fmt == "text":
            result.print(file=self.stdout)
        elif self.fmt == "json":
            text = json.dumps(result.json, indent=4, ensure_ascii=False)
            self.stdout.write(("[\n" if self.count == 0 else ",\n") + text)
        else:
            from .records import to_record, write_delimited, write_ndjson

            if self.fmt == "ndjson":
                write_ndjson(to_record(result), self.stdout)
            else:
                write_delimited(to_record(result), self.stdout.buffer)
        self.count += 1
        self.stdout.flush()

    def close(self) -> None:
        if self.fmt == "json":
            self.stdout.write("[]\n" if self.count == 0 else "\n]\n")
            self.stdout.flush()


def _choose_model(args: argparse.Namespace, options: dict[str, Any]) -> str:
    if args.model:
        return args.model
    served = [info.name for info in list_models(args.url, **options)]
    if len(served) == 1:
        return served[0]
    if not served:
        raise ConfigError(f"the server at {args.url} serves no video-classification model")
    raise ConfigError(
        f"the server serves {len(served)} models, choose one with --model: " + ", ".join(served)
    )


def _predict(args: argparse.Namespace) -> int:
    options = _transport_options(args)
    output = _Output(args.format, sys.stdout)
    model = create_model(
        _choose_model(args, options),
        url=args.url,
        topk=args.topk,
        max_input_bytes=args.max_input_bytes,
        download_timeout_s=args.download_timeout,
        concurrency=args.concurrency,
        **options,
    )
    sources = list(expand_inputs(args.inputs))
    progress = Progress.for_stream(len(sources))
    failures: list[InvalidInputError] = []
    with model:
        try:
            outcomes = model.predict_sources(
                sources, batch_size=args.batch_size, return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, InvalidInputError):
                    failures.append(outcome)
                    progress.update(ok=False)
                    continue
                if args.save_dir:
                    try:
                        outcome.save_to_json(args.save_dir)
                        outcome.save_to_video(args.save_dir)
                    except InvalidInputError as exc:
                        failures.append(exc)
                        progress.update(ok=False)
                        continue
                progress.clear()
                output.write(outcome)
                progress.update()
        finally:
            progress.close()
            output.close()
    for failure in failures:
        _error(str(failure))
    if failures:
        total = len(sources)
        _error(f"{len(failures)} of {total} input{'s' if total != 1 else ''} failed")
        return failures[0].exit_code
    return 0


def _models(args: argparse.Namespace) -> int:
    infos = list_models(args.url, **_transport_options(args))
    if args.format == "json":
        print(json.dumps([info.__dict__ for info in infos], indent=4))
        return 0
    if not infos:
        print(f"no video-classification model is ready on {args.url}")
        return 0
    rows = [("MODEL", "VERSION", "NUM_SEG", "CLASSES", "TOPK", "MAX_VIDEO", "MAX_SIDE")]
    rows += [_row(info) for info in infos]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _row(info: ModelInfo) -> tuple[str, ...]:
    return (
        info.name,
        info.version,
        str(info.num_seg),
        str(info.num_classes),
        str(info.default_topk),
        _size(info.max_video_bytes),
        f"{info.max_video_side} px",
    )


def _size(nbytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:g} {unit}" if unit == "B" else f"{nbytes:.4g} {unit}"
        nbytes /= 1024
    return str(nbytes)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``videocls-client``; returns the exit code (see ``--help``)."""
    args = build_parser().parse_args(argv)
    handlers = {
        "predict": _predict,
        "models": _models,
        "check-dataset": run_check,
        "evaluate": lambda args: run_evaluate(args, _transport_options(args)),
    }
    try:
        return handlers[args.command](args)
    except VideoclsClientError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
