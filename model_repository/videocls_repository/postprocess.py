"""Softmax and top-k exactly as PaddleX 3.7.2's ``VideoClasTopk``."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax with the max subtracted, in the input's dtype (float32), as PaddleX."""
    x_max = np.max(logits, axis=-1, keepdims=True)
    e_x = np.exp(logits - x_max)
    return e_x / np.sum(e_x, axis=-1, keepdims=True)


def topk(logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k class ids (best first) and their softmax scores rounded to 5 decimals.

    Args:
        logits: ``[batch, num_classes]`` float32 network output.
        k: Number of classes per row, ``1 <= k <= num_classes``.

    Returns:
        ``(class_ids int64 [batch, k], scores float32 [batch, k])``; ties are ordered exactly as
        PaddleX orders them (``argsort`` ascending, last k, reversed).
    """
    probs = softmax(np.asarray(logits, dtype=np.float32))
    ids = probs.argsort(axis=1)[:, -k:][:, ::-1]
    scores = np.around(np.take_along_axis(probs, ids, axis=1), decimals=5)
    return ids.astype(np.int64), scores.astype(np.float32)
