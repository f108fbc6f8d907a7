"""Our top-k step against PaddleX 3.7.2's own VideoClasTopk on the same logits."""

import numpy as np
import pytest
from paddlex.inference.models.video_classification.processors import VideoClasTopk
from videocls_repository.postprocess import topk


@pytest.mark.parametrize("k", [1, 5, 400])
@pytest.mark.parametrize("seed", range(5))
def test_topk_equals_paddlex(k, seed):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((3, 400)) * rng.uniform(0.5, 8)).astype(np.float32)
    labels = [f"class {i}" for i in range(400)]
    pdx_ids, pdx_scores, pdx_names = VideoClasTopk(labels)([logits.copy()], topk=k)

    ids, scores = topk(logits, k)

    np.testing.assert_array_equal(ids, pdx_ids)
    np.testing.assert_array_equal(scores, np.array(pdx_scores, dtype=np.float32))
    assert [[labels[i] for i in row] for row in ids] == pdx_names


def test_topk_ties_follow_paddlex_order():
    logits = np.zeros((1, 400), dtype=np.float32)
    logits[0, [3, 7, 11]] = 2.0
    pdx_ids, _, _ = VideoClasTopk([str(i) for i in range(400)])([logits.copy()], topk=5)
    ids, scores = topk(logits, 5)
    np.testing.assert_array_equal(ids, pdx_ids)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
