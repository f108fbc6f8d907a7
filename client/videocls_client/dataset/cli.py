"""The ``check-dataset`` and ``evaluate`` subcommands of ``videocls-client``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..argtypes import int_at_least, integer
from ..errors import ConfigError
from .check import CheckConfig, check_dataset
from .evaluate import EvaluateConfig, evaluate_dataset
from .split import SplitConfig

__all__ = ["add_commands", "run_check", "run_evaluate"]

_EXIT_NOTE = (
    "exit code 10: the dataset breaks PaddleX's VideoClsDataset layout (file and line named)"
)


_positive_int = int_at_least(1)
_int = integer


def add_commands(
    commands: argparse._SubParsersAction,
    connection_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Adds ``check-dataset`` and ``evaluate`` to the ``videocls-client`` subparsers.

    Args:
        commands: The CLI's subparsers.
        connection_options: Adds ``--url`` and the TLS/header/timeout options to a parser.
    """
    check = commands.add_parser(
        "check-dataset",
        help="check a PaddleX VideoClsDataset (label.txt, train.txt, val.txt, videos/)",
        description="Check a dataset in PaddleX's VideoClsDataset layout as PaddleX's "
        "check_dataset does; write OUTPUT/check_dataset_result.json and "
        "OUTPUT/check_dataset/histogram.png. With --split, re-split train + val per class "
        "first (the originals kept as train.txt.bak / val.txt.bak).",
        epilog="examples:\n"
        "  videocls-client check-dataset data/k400_examples --output output\n"
        "  videocls-client check-dataset data/k400_examples --split --train-percent 80 "
        "--val-percent 20 --seed 0\n\n" + _EXIT_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("dataset_dir", metavar="DATASET_DIR", help="the dataset folder")
    check.add_argument(
        "--output",
        default="output",
        metavar="DIR",
        help="where the result JSON and check_dataset/histogram.png go (default: output)",
    )
    check.add_argument("--split", action="store_true", help="re-split train + val before the check")
    check.add_argument("--train-percent", type=_int, metavar="P", help="train share, 1..99")
    check.add_argument("--val-percent", type=_int, metavar="Q", help="val share, 1..99")
    check.add_argument("--seed", type=_int, metavar="N", help="seed of the split's shuffle")

    evaluate = commands.add_parser(
        "evaluate",
        help="top-1/top-5 accuracy of a served model on a dataset's val.txt",
        description="Classify every video of the dataset's val.txt through the server and "
        "write OUTPUT/evaluate_result.json (PaddleX's val.top1 / val.top5), "
        "OUTPUT/evaluate/per_class_accuracy.csv and OUTPUT/evaluate/confusion_matrix.png. "
        "Videos that cannot be classified are listed in the JSON and on stderr.",
        epilog="example:\n  videocls-client evaluate data/k400_examples --url localhost:8001 "
        "--model PP-TSMv2-LCNetV2_8frames_uniform --concurrency 8\n\n" + _EXIT_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("dataset_dir", metavar="DATASET_DIR", help="the dataset folder")
    evaluate.add_argument("--model", required=True, help="the served model name")
    evaluate.add_argument(
        "--concurrency",
        type=_positive_int,
        default=4,
        help="requests in flight at once (default: 4)",
    )
    evaluate.add_argument(
        "--output",
        default="output",
        metavar="DIR",
        help="where evaluate_result.json and evaluate/ go (default: output)",
    )
    connection_options(evaluate)


def _split_config(args: argparse.Namespace) -> SplitConfig | None:
    given = args.train_percent is not None or args.val_percent is not None
    if not args.split:
        if given or args.seed is not None:
            raise ConfigError("--train-percent, --val-percent and --seed need --split")
        return None
    if args.train_percent is None or args.val_percent is None:
        raise ConfigError("--split needs --train-percent and --val-percent")
    return SplitConfig(args.train_percent, args.val_percent, seed=args.seed)


def run_check(args: argparse.Namespace) -> int:
    """``check-dataset``: prints a summary and the files written; returns 0."""
    config = CheckConfig(output_dir=args.output, split=_split_config(args))
    result = check_dataset(args.dataset_dir, config)
    attributes = result["attributes"]
    print(
        f"check passed: {result['dataset_path']}: {attributes['num_classes']} classes, "
        f"{attributes['train_samples']} train and {attributes['val_samples']} val videos"
    )
    print(f"wrote {config.result_path}")
    if "histogram" in result["analysis"]:
        print(f"wrote {config.check_dir / 'histogram.png'}")
    return 0


def _error(message: str) -> None:
    print(f"videocls-client: error: {message}", file=sys.stderr)


def run_evaluate(args: argparse.Namespace, transport: dict[str, Any]) -> int:
    """``evaluate``: prints the metrics and the files written.

    Returns:
        0, or the exit code of the first video that could not be classified.
    """
    config = EvaluateConfig(
        model_name=args.model,
        url=args.url,
        concurrency=args.concurrency,
        output_dir=args.output,
        progress=True,
        transport=transport,
    )
    evaluation = evaluate_dataset(args.dataset_dir, config)
    metrics = evaluation.metrics
    result = evaluation.result
    print(
        f"val.top1 {metrics['val.top1']:.4f}  val.top5 {metrics['val.top5']:.4f}  "
        f"({result['evaluated']} of {result['val_samples']} val videos classified)"
    )
    print(f"wrote {evaluation.result_path}")
    print(f"wrote {evaluation.per_class_path}")
    if evaluation.confusion_matrix_path is not None:
        print(f"wrote {evaluation.confusion_matrix_path}")
    errors = evaluation.errors
    for error in errors:
        _error(str(error))
    if errors:
        _error(f"{len(errors)} of {result['val_samples']} val videos could not be classified")
        return errors[0].exit_code
    return 0
