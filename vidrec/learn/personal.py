"""The trained user model as chat and search use it: `--user U` re-ranks candidates by what U has done.

    ranker = PersonalRanker.open(store)            # None when no model has been trained
    ranker.rerank("U123", [(item_id, relevance), ...], weight=0.3)

Both score lists are standardised over the candidates (z-scores) before mixing, so the request's relevance and the
user's taste are on one scale: `weight` 0 ignores the user, 1 ranks by taste alone. A user the model has never
seen and who brings no history leaves the ranking unchanged (`knows` says so, for the reply to mention it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from vidrec.errors import ConfigError, NotFoundError
from vidrec.learn.models.base import Recommender
from vidrec.learn.store_data import current_model_dir


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    out = np.zeros_like(x)
    if finite.sum() >= 2:
        v = x[finite]
        sd = v.std()
        out[finite] = (v - v.mean()) / sd if sd > 0 else 0.0
    return out


class PersonalRanker:
    def __init__(self, model: Recommender) -> None:
        self.model = model

    @classmethod
    def open(cls, store: str | Path | None = None, name: str | None = None) -> PersonalRanker | None:
        try:
            return cls(Recommender.load(current_model_dir(store, name)))
        except (ConfigError, NotFoundError):
            return None

    def knows(self, user_id: str, history: Sequence[str] | None = None) -> bool:
        return self.model.knows_user(user_id) or bool(history)

    def scores(
        self, user_id: str, candidate_ids: Sequence[str], history: Iterable[str] | None = None
    ) -> dict[str, float]:
        """Taste score per candidate (higher = more this user's kind of item); {} for an unknown user without a
        history; candidates the model has never seen are left out."""
        history = list(history) if history is not None else None
        if not self.knows(user_id, history):
            return {}
        s = self.model.score(user_id, list(candidate_ids), history=history)
        return {c: float(v) for c, v in zip(candidate_ids, s, strict=True) if np.isfinite(v)}

    def rerank(
        self,
        user_id: str,
        ranked: Sequence[tuple[str, float]],
        weight: float = 0.3,
        history: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        if not ranked:
            return []
        ids = [i for i, _ in ranked]
        taste = self.scores(user_id, ids, history)
        if not taste:
            return list(ranked)
        base = _z(np.array([s for _, s in ranked], dtype=np.float64))
        t = np.array([taste.get(i, np.nan) for i in ids], dtype=np.float64)
        tz = _z(t)  # unknown candidates get 0 (average taste)
        mixed = (1 - weight) * base + weight * tz
        order = np.argsort(-mixed, kind="stable")
        return [(ids[k], float(mixed[k])) for k in order]
