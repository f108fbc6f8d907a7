"""Soak-mode sampling and plotting: process RSS and Triton's per-step metrics over time."""

from __future__ import annotations

import csv
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

_METRIC = re.compile(r'^(nv_inference_[a-z_]+)\{model="([^"]+)",version="[^"]*"\} ([0-9.e+-]+)$')
WATCHED = (
    "nv_inference_request_success",
    "nv_inference_request_failure",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_infer_duration_us",
)


def read_metrics(metrics_url: str) -> dict[tuple[str, str], float]:
    """Cumulative Triton counters ``{(metric, model): value}`` from the Prometheus endpoint."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    out = {}
    for line in text.splitlines():
        m = _METRIC.match(line)
        if m and m.group(1) in WATCHED:
            out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def process_rss(pid: int) -> dict[str, int]:
    """RSS in bytes of tritonserver and of each Python-backend stub (by model name)."""
    root = psutil.Process(pid)
    out = {"tritonserver": root.memory_info().rss}
    for child in root.children(recursive=True):
        try:
            cmd = child.cmdline()
            name = next((a for a in cmd if a.endswith(("/1/model.py", "model.py"))), child.name())
            key = Path(name).parts[-3] if name.endswith("model.py") else name
            key = f"{key} (pid {child.pid})"
            out[key] = child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


@dataclass
class SoakSampler:
    """Samples RSS and metrics every *interval_s* in a background thread, into CSV rows."""

    pid: int
    metrics_url: str
    interval_s: float = 10.0
    rows: list[dict] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            try:
                row = {"t_s": round(time.monotonic() - start, 1)}
                row.update({f"rss:{k}": v for k, v in process_rss(self.pid).items()})
                row.update(
                    {f"{m}:{model}": v for (m, model), v in read_metrics(self.metrics_url).items()}
                )
                self.rows.append(row)
            except (OSError, psutil.Error):
                pass
            self._stop.wait(self.interval_s)

    def write_csv(self, path: Path) -> None:
        keys = sorted({k for row in self.rows for k in row}, key=lambda k: (k != "t_s", k))
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, keys)
            writer.writeheader()
            writer.writerows(self.rows)


def rss_growth(rows: list[dict], warmup_s: float) -> dict[str, float]:
    """Per process: RSS growth in % from the first sample after warm-up to the last sample."""
    after = [r for r in rows if r["t_s"] >= warmup_s]
    if len(after) < 2:
        return {}
    first, last = after[0], after[-1]
    return {
        k[4:]: 100.0 * (last[k] - first[k]) / first[k]
        for k in first
        if k.startswith("rss:") and k in last and first[k]
    }


def plot(history_csv: Path, rows: list[dict], out_png: Path) -> None:
    """Throughput, p50/p95/p99 latency (from Locust's stats history) and RSS over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, rps, p50, p95, p99 = [], [], [], [], []
    with open(history_csv) as f:
        for r in csv.DictReader(f):
            if r["Name"] != "Aggregated":
                continue
            t0 = int(r["Timestamp"])
            t.append(t0)
            rps.append(float(r["Requests/s"]))
            for series, key in ((p50, "50%"), (p95, "95%"), (p99, "99%")):
                series.append(float(r[key]) if r[key] not in ("N/A", "") else float("nan"))
    t = [x - t[0] for x in t] if t else t
    fig, axes = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    axes[0].plot(t, rps)
    axes[0].set_ylabel("videos/s")
    for series, label in ((p50, "p50"), (p95, "p95"), (p99, "p99")):
        axes[1].plot(t, series, label=label)
    axes[1].set_ylabel("latency ms")
    axes[1].legend()
    keys = sorted({k for r in rows for k in r if k.startswith("rss:")})
    for k in keys:
        axes[2].plot(
            [r["t_s"] for r in rows if k in r], [r[k] / 2**20 for r in rows if k in r], label=k[4:]
        )
    axes[2].set_ylabel("RSS MiB")
    axes[2].set_xlabel("seconds")
    axes[2].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
