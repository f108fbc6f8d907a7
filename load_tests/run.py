"""``make load``: run Locust headless against tritonserver on 127.0.0.1, then stop it.

Examples::

    python -m load_tests.run --users 8 --spawn-rate 2 --run-time 2m
    python -m load_tests.run --soak                    # 20 minutes, RSS + metrics + plot
    python -m load_tests.run --url 127.0.0.1:8001 --repository ./repo --run-time 30s

Without ``--url`` a repository is built (generated models, or ``--repository``) and a server
is started on free ports; it is always stopped at the end. Writes into ``--out``: Locust's CSV
files and HTML report, ``bytes_sent.json``, and in soak mode ``soak_samples.csv`` and
``soak.png``. Exit status 1 when any request failed (or, in soak mode, RSS grew >= 5 %).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES
from videocls_repository.server import ServerConfig, TritonServer

from .manifest import write_manifest
from .soak import SoakSampler, plot, rss_growth

HERE = Path(__file__).resolve().parent


def _repository(args: argparse.Namespace) -> Path:
    if args.repository:
        return args.repository
    from videocls_repository.convert.converter import convert
    from videocls_repository.testmodel import make_test_model

    repository = args.out / "model_repository"
    for name in args.models:
        if not (repository / name / "config.pbtxt").is_file():
            convert(make_test_model(name, args.out / "paddle" / name), repository)
    return repository


def _locust(args, host: str, manifest: Path) -> int:
    env = dict(os.environ)
    env["VIDEOCLS_LOAD_MANIFEST"] = str(manifest)
    env["VIDEOCLS_LOAD_BYTES_SENT"] = str(args.out / "bytes_sent.json")
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--stop-timeout",
        "60",
        "--csv",
        str(args.out / "locust"),
        "--csv-full-history",
        "--html",
        str(args.out / "locust_report.html"),
        "--only-summary",
    ]
    return subprocess.run(cmd, env=env, check=False).returncode


def _failures(out: Path) -> tuple[int, int]:
    if not (out / "locust_stats.csv").is_file():
        return 0, 0
    with open(out / "locust_stats.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return int(row["Request Count"]), int(row["Failure Count"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Locust load/soak test of the served models")
    parser.add_argument("--models", nargs="+", default=[OFFICIAL_MODEL_NAMES[1]])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--soak", action="store_true", help="soak mode (default run time 20m)")
    parser.add_argument("--warmup", type=float, default=120, help="soak warm-up seconds")
    parser.add_argument("--url", help="an already running server (127.0.0.1:PORT)")
    parser.add_argument("--metrics-url", help="its metrics endpoint (soak mode with --url)")
    parser.add_argument("--repository", type=Path, help="repository with the models")
    parser.add_argument("--out", type=Path, default=Path("artifacts/load"))
    args = parser.parse_args(argv)
    if args.soak and args.run_time == "60s":
        args.run_time = "20m"
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.url and not args.url.startswith(("127.", "localhost", "[::1]")):
        parser.error("load tests target 127.0.0.1 only")

    repository = _repository(args)
    manifest = write_manifest(args.out / "videos", repository, args.models)
    with ExitStack() as stack:
        host, pid, metrics_url = args.url, None, args.metrics_url
        if host is None:
            server = TritonServer(
                ServerConfig.local(repository),
                log_file=args.out / "tritonserver.log",
            )
            stack.enter_context(server)
            host = server.grpc_url
            pid = server.pid
            metrics_url = f"http://127.0.0.1:{server.metrics_port}/metrics"
        sampler = None
        if args.soak:
            if pid is None:
                parser.error(
                    "soak mode samples the server's RSS: let it start the server (no --url)"
                )
            sampler = SoakSampler(pid=pid, metrics_url=metrics_url)
            sampler.start()
        code = _locust(args, host, manifest)
        if sampler:
            sampler.stop()

    requests, failures = _failures(args.out)
    print(f"requests {requests}, failures {failures}; reports in {args.out}")
    ok = code == 0 and failures == 0 and requests > 0
    if sampler:
        sampler.write_csv(args.out / "soak_samples.csv")
        plot(args.out / "locust_stats_history.csv", sampler.rows, args.out / "soak.png")
        growth = rss_growth(sampler.rows, args.warmup)
        (args.out / "soak_rss_growth.json").write_text(json.dumps(growth, indent=2))
        for name, pct in growth.items():
            print(f"RSS growth after warm-up {name}: {pct:+.1f} %")
        ok = ok and all(p < 5.0 for p in growth.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
