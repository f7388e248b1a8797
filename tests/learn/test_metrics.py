import math

import numpy as np
import pytest

from vidrec.learn.metrics import (
    bootstrap_ci,
    f1_at_k,
    hit_rate_at_k,
    metrics_from_hits,
    ndcg_at_k,
    paired_bootstrap_diff,
    precision_at_k,
    recall_at_k,
)


def test_single_relevant_item_hand_computed():
    ranked = ["a", "b", "c", "d", "e"]
    # relevant item at position 3 (0-based 2)
    assert hit_rate_at_k(ranked, {"c"}, 2) == 0.0
    assert hit_rate_at_k(ranked, {"c"}, 3) == 1.0
    assert recall_at_k(ranked, {"c"}, 5) == 1.0
    assert precision_at_k(ranked, {"c"}, 5) == pytest.approx(0.2)
    assert f1_at_k(ranked, {"c"}, 5) == pytest.approx(2 * 0.2 * 1.0 / 1.2)
    assert ndcg_at_k(ranked, {"c"}, 5) == pytest.approx(1 / math.log2(4))
    assert ndcg_at_k(ranked, {"a"}, 5) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, {"z"}, 5) == 0.0
    assert f1_at_k(ranked, {"z"}, 5) == 0.0


def test_several_relevant_items_hand_computed():
    ranked = ["a", "b", "c", "d"]
    rel = {"b", "d", "x"}
    assert recall_at_k(ranked, rel, 4) == pytest.approx(2 / 3)
    assert precision_at_k(ranked, rel, 4) == pytest.approx(0.5)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, rel, 4) == pytest.approx(dcg / idcg)
    p, r = 0.5, 2 / 3
    assert f1_at_k(ranked, rel, 4) == pytest.approx(2 * p * r / (p + r))


def test_vectorised_matches_single_user_functions():
    rng = np.random.default_rng(1)
    n_items, ks = 30, (5, 10, 20)
    ranked_lists, relevant_sets = [], []
    for _ in range(50):
        ranked_lists.append(list(rng.permutation(n_items)))
        relevant_sets.append(set(rng.choice(n_items, size=int(rng.integers(1, 5)), replace=False).tolist()))
    hits = np.array(
        [
            [1 if r in rel else 0 for r in ranked[:20]]
            for ranked, rel in zip(ranked_lists, relevant_sets, strict=True)
        ]
    )
    out = metrics_from_hits(hits, np.array([len(r) for r in relevant_sets]), ks)
    fns = {
        "ndcg": ndcg_at_k,
        "recall": recall_at_k,
        "hr": hit_rate_at_k,
        "precision": precision_at_k,
        "f1": f1_at_k,
    }
    for k in ks:
        for name, fn in fns.items():
            expected = [fn(ranked, rel, k) for ranked, rel in zip(ranked_lists, relevant_sets, strict=True)]
            np.testing.assert_allclose(out[f"{name}@{k}"], expected, rtol=1e-12, atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], {"a"}, 0)
    with pytest.raises(ValueError):
        metrics_from_hits(np.zeros((2, 5)), np.ones(2), (10,))


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    v = np.random.default_rng(0).random(500)
    a = bootstrap_ci(v, n_boot=500, seed=3)
    b = bootstrap_ci(v, n_boot=500, seed=3)
    assert a == b
    assert a[0] < v.mean() < a[1]
    assert bootstrap_ci(np.ones(10)) == (1.0, 1.0)
    assert all(math.isnan(x) for x in bootstrap_ci(np.array([])))


def test_paired_difference():
    a = np.array([1.0, 1.0, 0.0, 1.0])
    d, lo, hi = paired_bootstrap_diff(a, a)
    assert (d, lo, hi) == (0.0, 0.0, 0.0)
    d, lo, hi = paired_bootstrap_diff(np.ones(50), np.zeros(50))
    assert d == 1.0 and lo == 1.0
