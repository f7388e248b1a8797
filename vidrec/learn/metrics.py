"""Top-K ranking metrics as plain functions, and a bootstrap interval for their mean.

Per user: `ranked` is the model's list (best first), `relevant` the held-out items.
- HR@K (hit rate): 1 if any relevant item is in the top K.
- Recall@K: relevant items in the top K / number of relevant items.
- Precision@K: relevant items in the top K / K.
- F1@K: harmonic mean of Precision@K and Recall@K (0 when both are 0).
- NDCG@K: sum over top-K positions i (0-based) of rel_i / log2(i + 2), divided by the same sum for the ideal
  ranking (min(K, |relevant|) hits at the top).
`metrics_from_hits` computes all of them for many users at once from a (users, K) 0/1 hit matrix; the evaluator
uses it, and the tests check it against the one-user functions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

METRICS = ("ndcg", "recall", "hr", "precision", "f1")


def _hits(ranked: Sequence, relevant: Collection, k: int) -> list[int]:
    if k <= 0:
        raise ValueError("k must be positive")
    rel = set(relevant)
    return [1 if r in rel else 0 for r in list(ranked)[:k]]


def hit_rate_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    return float(any(_hits(ranked, relevant, k)))


def recall_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    if not relevant:
        return 0.0
    return sum(_hits(ranked, relevant, k)) / len(set(relevant))


def precision_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    return sum(_hits(ranked, relevant, k)) / k


def f1_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    p = precision_at_k(ranked, relevant, k)
    r = recall_at_k(ranked, relevant, k)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def ndcg_at_k(ranked: Sequence, relevant: Collection, k: int) -> float:
    hits = _hits(ranked, relevant, k)
    dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits))
    ideal = sum(1 / np.log2(i + 2) for i in range(min(k, len(set(relevant)))))
    return float(dcg / ideal) if ideal > 0 else 0.0


def metrics_from_hits(hits: np.ndarray, n_relevant: np.ndarray, ks: Sequence[int]) -> dict[str, np.ndarray]:
    """Per-user values of every metric at every K. hits: (users, >= max(ks)) 0/1 in rank order."""
    hits = np.asarray(hits, dtype=np.float64)
    n_rel = np.asarray(n_relevant, dtype=np.float64)
    if hits.ndim != 2 or hits.shape[0] != n_rel.shape[0]:
        raise ValueError("hits must be (users, K) and n_relevant (users,)")
    if max(ks) > hits.shape[1]:
        raise ValueError(f"hits has {hits.shape[1]} columns, fewer than K = {max(ks)}")
    discounts = 1.0 / np.log2(np.arange(hits.shape[1]) + 2.0)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        h = hits[:, :k]
        n_hit = h.sum(axis=1)
        recall = np.divide(n_hit, n_rel, out=np.zeros_like(n_hit), where=n_rel > 0)
        precision = n_hit / k
        denom = precision + recall
        f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
        dcg = h @ discounts[:k]
        ideal_cum = np.concatenate([[0.0], np.cumsum(discounts[:k])])
        idcg = ideal_cum[np.minimum(n_rel, k).astype(np.int64)]
        ndcg = np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)
        out[f"ndcg@{k}"] = ndcg
        out[f"recall@{k}"] = recall
        out[f"hr@{k}"] = (n_hit > 0).astype(np.float64)
        out[f"precision@{k}"] = precision
        out[f"f1@{k}"] = f1
    return out


def bootstrap_ci(
    values: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (resampling users with replacement); same seed, same digits."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot, dtype=np.float64)
    step = max(1, 2_000_000 // v.size)
    for s in range(0, n_boot, step):
        e = min(n_boot, s + step)
        means[s:e] = v[rng.integers(0, v.size, size=(e - s, v.size))].mean(axis=1)
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return (float(lo), float(hi))


def paired_bootstrap_diff(
    a: np.ndarray, b: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a - b over the same users, with a paired percentile bootstrap interval: (diff, low, high)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("paired values must have the same shape")
    d = a - b
    lo, hi = bootstrap_ci(d, n_boot=n_boot, level=level, seed=seed)
    return float(d.mean()) if d.size else float("nan"), lo, hi
