"""The dataset PNGs: the class histogram and the confusion matrix (matplotlib, Agg, no pyplot).

Both are drawn to stay readable with Kinetics-400's 400 classes: one row per class with its
name, the figure growing with the number of classes instead of the labels shrinking to
nothing (PaddleX's own histogram is a 300 dpi figure ``n / 5`` inches wide with the names
rotated under the bars: 24000 x 1500 pixels for 400 classes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import VisualizationError
from .layout import LabelMap

__all__ = ["draw_confusion_matrix", "draw_histogram", "histogram_order"]

_DPI = 100
# Largest figure side in inches: matplotlib refuses images above 2**16 pixels.
_MAX_INCHES = 600


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise VisualizationError(
            f"drawing the dataset plots needs matplotlib ({exc}): pip install 'videocls[client]'"
        ) from exc
    figure = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        figure.savefig(path, dpi=_DPI)
    except OSError as exc:
        raise VisualizationError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return path


def histogram_order(
    labels: LabelMap, train_counts: Mapping[int, int], val_counts: Mapping[int, int]
) -> list[int]:
    """PaddleX's class order: label.txt's ids ascending, then by train videos, most first.

    The sort is stable, so classes with as many train videos stay in id order, as in
    PaddleX's ``deep_analyse``.
    """
    ids = sorted(set(labels.names) | set(train_counts) | set(val_counts))
    return sorted(ids, key=lambda i: train_counts.get(i, 0), reverse=True)


def draw_histogram(
    labels: LabelMap,
    train_counts: Mapping[int, int],
    val_counts: Mapping[int, int],
    path: str | os.PathLike,
    *,
    title: str = "",
) -> Path:
    """Draws videos per class, train and val side by side, one row per class.

    Classes in :func:`histogram_order`; every class of ``label.txt`` has its row, also one
    without videos (as in PaddleX's).

    Args:
        labels: The dataset's classes.
        train_counts: Train videos per class id.
        val_counts: Val videos per class id.
        path: The PNG to write.
        title: The dataset's name, for the title.

    Returns:
        *path*.

    Raises:
        VisualizationError: matplotlib is missing or the file cannot be written.
    """
    order = histogram_order(labels, train_counts, val_counts)
    n = len(order)
    train = np.array([train_counts.get(i, 0) for i in order])
    val = np.array([val_counts.get(i, 0) for i in order])
    row = min(0.2, (_MAX_INCHES - 2) / max(n, 1))
    figure = _figure(9.0, max(3.0, 1.6 + row * n))
    from matplotlib.ticker import MaxNLocator

    ax = figure.add_subplot()
    y = np.arange(n)
    ax.barh(y - 0.2, train, height=0.4, color="tab:blue", label=f"train ({int(train.sum())})")
    ax.barh(y + 0.2, val, height=0.4, color="tab:orange", label=f"val ({int(val.sum())})")
    font = 8 if n <= 60 else 6.5
    ax.set_yticks(y, [f"{labels.name(i)} ({i})" for i in order], fontsize=font)
    ax.set_ylim(n - 0.5, -0.5)  # the class with most train videos on top
    top = max(int(train.max(initial=0)), int(val.max(initial=0)), 1)
    ax.set_xlim(0, top * 1.12)
    for values, offset in ((train, -0.2), (val, 0.2)):
        for yi, value in zip(y, values, strict=True):
            if value:
                ax.text(value, yi + offset, f" {value}", va="center", fontsize=font - 1.5)
    empty = int(np.sum(train == 0))
    heading = f"{title}: " if title else ""
    ax.set_title(
        f"{heading}{len(labels.names)} classes"
        + (f", {empty} without train videos" if empty else "")
        + f", {int(train.sum())} train and {int(val.sum())} val videos"
        + "\nvideos per class: train (blue) and val (orange), most train videos first",
        fontsize=10,
    )
    ax.set_xlabel("videos")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_ticks_position("both")
    ax.tick_params(axis="x", labeltop=True)
    ax.legend(loc="lower right" if n > 10 else "best", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return _save(figure, path)


def draw_confusion_matrix(
    rows: Sequence[int],
    columns: Sequence[int],
    names: Mapping[int, str],
    matrix: np.ndarray,
    path: str | os.PathLike,
    *,
    title: str = "",
) -> Path:
    """Draws a confusion matrix: true classes down, top-1 predicted classes across.

    Only the classes present have a row or a column: the true classes down; across, the same
    classes in the same order (the diagonal holds the hits), then, past a line, the classes
    predicted that no video of the data is. Cells are coloured by the share of the row (the
    class's recall on the diagonal) and show the count when there are at most 40 columns.

    Args:
        rows: The true classes, in order.
        columns: The predicted classes, in order (``rows`` first).
        names: Class names by id.
        matrix: ``[len(rows), len(columns)]`` counts, ``matrix[true, predicted]``.
        path: The PNG to write.
        title: The figure title.

    Returns:
        *path*.

    Raises:
        VisualizationError: matplotlib is missing or the file cannot be written.
    """
    n_rows, n_columns = len(rows), len(columns)
    counts = np.asarray(matrix, dtype=np.int64).reshape(n_rows, n_columns)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    n = max(n_rows, n_columns, 1)
    cell = 0.45 if n <= 20 else 0.25 if n <= 60 else min(0.12, (_MAX_INCHES - 4) / n)
    figure = _figure(max(4.0, cell * n_columns) + 3.5, max(3.0, cell * n_rows) + 3.0)
    ax = figure.add_subplot()
    image = ax.imshow(
        shares, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest", aspect="equal"
    )
    font = 8 if n <= 20 else 6 if n <= 60 else 4

    def label(class_id: int) -> str:
        return f"{names.get(class_id, '') or '?'} ({class_id})"

    ax.set_xticks(np.arange(n_columns), [label(c) for c in columns], rotation=90, fontsize=font)
    ax.set_yticks(np.arange(n_rows), [label(c) for c in rows], fontsize=font)
    if n_columns > n_rows:
        ax.axvline(n_rows - 0.5, color="grey", linewidth=0.8)
    if n_columns <= 40:
        for (r, c), value in np.ndenumerate(counts):
            if value:
                colour = "white" if shares[r, c] > 0.6 else "black"
                ax.text(c, r, str(value), ha="center", va="center", fontsize=font, color=colour)
    ax.set_xlabel("predicted class (top-1); past the line: classes no true video has")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=10)
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    bar_axes = make_axes_locatable(ax).append_axes("right", size=0.15, pad=0.1)
    bar = figure.colorbar(image, cax=bar_axes)
    bar.set_label("share of the true class's videos", fontsize=8)
    figure.tight_layout()
    return _save(figure, path)
