"""Tally of served-vs-PaddleX comparisons, printed at the end of the test session.

The parity tests record every comparison here; ``tests/conftest.py`` prints one line per
model (comparisons, largest score difference, tail swaps), so a CI log shows how close the
served answers are to PaddleX's, not only that they were within tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ModelParity:
    """Comparisons of one model: how many, the largest |score difference|, tail swaps."""

    comparisons: int = 0
    max_score_diff: float = 0.0
    tail_swaps: int = 0


STATS: dict[str, ModelParity] = {}


def record(model: str, scores: list[float], ref_scores: list[float], swaps: int) -> None:
    """Adds one served-vs-PaddleX comparison of ``model``."""
    entry = STATS.setdefault(model, ModelParity())
    entry.comparisons += 1
    diffs = [abs(a - b) for a, b in zip(scores, ref_scores, strict=True)]
    entry.max_score_diff = max(entry.max_score_diff, *diffs, 0.0)
    entry.tail_swaps += swaps


def summary_lines() -> list[str]:
    """One line per model, for the terminal summary."""
    return [
        f"{model}: {p.comparisons} served-vs-PaddleX comparisons, identical top-5 ids, "
        f"max |score diff| {p.max_score_diff:.2e}, tail swaps between near-equal scores "
        f"{p.tail_swaps}"
        for model, p in sorted(STATS.items())
    ]
