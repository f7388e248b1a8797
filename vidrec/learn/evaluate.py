"""The one evaluator every model goes through: full ranking over all items, seen items excluded.

For each evaluated user the model scores every item in the vocabulary from the user's history (test: training
history + the validation item; valid: training history). Items in that history are removed from the ranking; the
rank of the held-out item is the number of remaining items scored higher, plus those scored equal that come earlier
in item order (the same stable order `recommend` uses, so no model gains from ties). NaN scores rank last.

Reported per model: mean Recall/NDCG/HR/Precision/F1 at each K, a percentile bootstrap 95 % interval per metric
(users resampled, fixed seed), the cold-start slice (held-out items with fewer than `cold_threshold` training
interactions) with its own means and intervals, and training seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vidrec.learn.metrics import bootstrap_ci, metrics_from_hits
from vidrec.learn.split import Split

DEFAULT_KS = (5, 10, 20)
COLD_THRESHOLD = 5


def ranks_of_targets(scores: np.ndarray, histories: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
    """0-based rank of each target among all items, history items excluded, ties broken by item index."""
    s = np.array(scores, dtype=np.float64, copy=True)
    s[np.isnan(s)] = -np.inf
    for r, h in enumerate(histories):
        if len(h):
            s[r, h] = -np.inf
    rows = np.arange(s.shape[0])
    t = np.asarray(targets, dtype=np.int64)
    ts = s[rows, t][:, None]
    earlier = np.arange(s.shape[1])[None, :] < t[:, None]
    return ((s > ts) | ((s == ts) & earlier)).sum(axis=1).astype(np.int64)


def model_ranks(
    model, users: np.ndarray, histories: Sequence[np.ndarray], targets: np.ndarray, batch_users: int = 256
) -> np.ndarray:
    out = np.empty(len(users), dtype=np.int64)
    n_items = getattr(model, "n_items", 0) or 1
    batch_users = max(1, min(batch_users, 20_000_000 // n_items))  # keep a score block near 160 MB
    for s in range(0, len(users), batch_users):
        e = min(len(users), s + batch_users)
        scores = model.score_histories(users[s:e], histories[s:e])
        out[s:e] = ranks_of_targets(scores, histories[s:e], targets[s:e])
    return out


def ndcg_from_ranks(ranks: np.ndarray, k: int = 10) -> float:
    r = np.asarray(ranks)
    return float(np.where(r < k, 1.0 / np.log2(r + 2.0), 0.0).mean()) if r.size else 0.0


@dataclass
class ModelReport:
    name: str
    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    cold_start: dict[str, Any]
    train_seconds: float | None
    per_user: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    ranks: np.ndarray | None = field(repr=False, default=None)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.metrics)
        out["ci95"] = {k: list(v) for k, v in self.ci95.items()}
        out["cold_start"] = self.cold_start
        out["train_seconds"] = self.train_seconds
        out.update(self.extra)
        return out


class Evaluator:
    """Evaluate any `Recommender` on a `Split`, the same way. Deterministic: same split + seed -> same digits."""

    def __init__(
        self,
        split: Split,
        ks: Sequence[int] = DEFAULT_KS,
        n_boot: int = 1000,
        seed: int = 0,
        cold_threshold: int = COLD_THRESHOLD,
        batch_users: int = 256,
    ) -> None:
        if not ks or any(k <= 0 for k in ks):
            raise ValueError("ks must be positive cut-offs, e.g. 5,10,20")
        self.split = split
        self.ks = tuple(sorted(set(int(k) for k in ks)))
        self.n_boot = n_boot
        self.seed = seed
        self.cold_threshold = cold_threshold
        self.batch_users = batch_users
        self._train_counts = split.train.item_counts()
        self._histories = {p: split.histories(p) for p in ("valid", "test")}

    def cold_mask(self, phase: str = "test") -> np.ndarray:
        return self._train_counts[self.split.holdout(phase).items] < self.cold_threshold

    def split_info(self) -> dict[str, Any]:
        return {
            **self.split.info,
            "cold_threshold": self.cold_threshold,
            "cold_start_test_users": int(self.cold_mask("test").sum()),
            "ks": list(self.ks),
            "bootstrap": {"resamples": self.n_boot, "seed": self.seed, "level": 0.95},
            "ranking": "full ranking over all items; items in the user's history excluded",
        }

    def ranks(self, model, phase: str = "test") -> np.ndarray:
        h = self.split.holdout(phase)
        return model_ranks(model, h.users, self._histories[phase], h.items, self.batch_users)

    def evaluate(self, model, phase: str = "test", name: str | None = None) -> ModelReport:
        ranks = self.ranks(model, phase)
        return self.report_from_ranks(
            name or model.name, ranks, phase, train_seconds=getattr(model, "fit_seconds", None)
        )

    def report_from_ranks(
        self, name: str, ranks: np.ndarray, phase: str = "test", train_seconds: float | None = None
    ) -> ModelReport:
        kmax = max(self.ks)
        hits = np.zeros((ranks.shape[0], kmax), dtype=np.float64)
        inside = ranks < kmax
        hits[np.flatnonzero(inside), ranks[inside]] = 1.0
        per_user = metrics_from_hits(hits, np.ones(ranks.shape[0]), self.ks)
        metrics = {k: float(v.mean()) for k, v in per_user.items()}
        ci = {k: bootstrap_ci(v, self.n_boot, seed=self.seed) for k, v in per_user.items()}
        cold = self.cold_mask(phase)
        cold_metrics = {k: float(v[cold].mean()) if cold.any() else None for k, v in per_user.items()}
        cold_ci = {
            k: list(bootstrap_ci(v[cold], self.n_boot, seed=self.seed)) if cold.any() else None
            for k, v in per_user.items()
        }
        cold_start = {
            "users": int(cold.sum()),
            "threshold": self.cold_threshold,
            **cold_metrics,
            "ci95": cold_ci,
        }
        return ModelReport(name, metrics, ci, cold_start, train_seconds, per_user, ranks)

    def to_json(self, reports: Sequence[ModelReport]) -> dict[str, Any]:
        return {"split": self.split_info(), "models": {r.name: r.to_json() for r in reports}}
