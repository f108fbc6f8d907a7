"""Soak-mode sampling and plotting: process RSS and Triton's per-step metrics over time."""

from __future__ import annotations

import csv
import re
import statistics
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


def rss_growth(rows: list[dict], warmup_s: float, window_s: float = 120.0) -> dict[str, float]:
    """Per process and in total: RSS growth in % over the soak, after warm-up.

    Compares the median RSS of the first ``window_s`` seconds after warm-up with the median
    of the last ``window_s`` seconds. Medians of windows, not single samples: a decode step's
    RSS moves by several % with the size of the video it holds at the moment of a sample,
    which says nothing about a leak.
    """
    after = [r for r in rows if r["t_s"] >= warmup_s]
    if len(after) < 2:
        return {}
    end = after[-1]["t_s"]
    early = [r for r in after if r["t_s"] < warmup_s + window_s]
    late = [r for r in after if r["t_s"] > end - window_s]
    names = [k for k in after[0] if k.startswith("rss:")]

    def median(window: list[dict], name: str | None) -> float:
        if name is None:  # all processes together
            return statistics.median(sum(r.get(k, 0.0) for k in names) for r in window)
        return statistics.median(r[name] for r in window if r.get(name))

    growth = {}
    for name in [*names, None]:
        if name is not None and not all(any(r.get(name) for r in w) for w in (early, late)):
            continue
        first, last = median(early, name), median(late, name)
        if first:
            growth["total" if name is None else name[4:]] = 100.0 * (last - first) / first
    return growth


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
