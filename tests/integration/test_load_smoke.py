"""A short Locust run (real Locust, real server): every request answered with the right top-1."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

MODEL = "PP-TSMv2-LCNetV2_8frames_uniform"


def test_locust_smoke_has_no_failures(triton, model_repository, tmp_path):
    out = tmp_path / "load"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "load_tests.run",
            "--url",
            triton.grpc_url,
            "--repository",
            str(model_repository),
            "--models",
            MODEL,
            "--users",
            "3",
            "--spawn-rate",
            "3",
            "--run-time",
            "8s",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out / "locust_stats.csv") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    assert int(total["Request Count"]) >= 3
    assert int(total["Failure Count"]) == 0
    # One entry per corpus video of the weighted mix, all against the one model.
    assert all(name.startswith(MODEL) for name in rows if name != "Aggregated")
    assert (out / "locust_report.html").stat().st_size > 10_000
    assert json.loads((out / "bytes_sent.json").read_text())[MODEL] > 0
