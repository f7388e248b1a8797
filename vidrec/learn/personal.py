"""The trained user model applied to a list of candidates: what a user's taste does to a ranking.

`taste_boost` is what chat (`vidrec.dialog.ranking.blended_scores`), the server's chat and `vidrec search --user`
add to each candidate's relevance: `USER_MODEL_WEIGHT` times the user's taste z-scored over the candidates, so the
request decides and taste breaks near-ties. `rerank_hits` applies it to search hits.

`PersonalRanker` mixes the two on equal footing instead, for callers that want taste to weigh as much as the
request (`weight` 0 ignores the user, 1 ranks by taste alone):

    ranker = PersonalRanker.open(store)            # None when no model has been trained
    ranker.rerank("U123", [(item_id, relevance), ...], weight=0.3)

Both score lists are standardised over the candidates (z-scores) before mixing. A user the model has never
seen and who brings no history leaves the ranking unchanged (`knows` says so, for the reply to mention it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from vidrec.errors import ConfigError, NotFoundError
from vidrec.learn.models import Recommender
from vidrec.learn.trained import load_trained_model

log = logging.getLogger(__name__)

USER_MODEL_WEIGHT = 0.15  # how far a user's taste (z-scored) moves a candidate's relevance
RERANK_POOL = 40  # candidates a personal search re-ranks before keeping its k (as many as a chat turn's)
Hit = TypeVar("Hit")


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    out = np.zeros_like(x)
    if finite.sum() >= 2:
        v = x[finite]
        sd = v.std()
        out[finite] = (v - v.mean()) / sd if sd > 0 else 0.0
    return out


def taste_boost(taste: Sequence[float], weight: float = USER_MODEL_WEIGHT) -> np.ndarray | None:
    """What a user's taste adds to the candidates' relevance: ``weight`` times the taste scores z-scored over the
    candidates. A candidate the model cannot score (NaN: an item ingested after it was trained) gets average taste
    (0), so new items neither switch personalisation off nor are pushed down; None when the scores say nothing
    (fewer than two finite ones, or all alike)."""
    t = np.asarray(taste, dtype=np.float64)
    finite = np.isfinite(t)
    if finite.sum() < 2 or t[finite].std() <= 0:
        return None
    return weight * _z(t)


def user_taste(model: Recommender | None, user_id: str | None) -> Callable[[list[str]], np.ndarray] | None:
    """The model's taste scores of candidate ids for this user, as a function; None without a model or a user,
    or for a user the model has no history of (its answer would be its training popularity, and the ranking
    already weighs the store's own popularity)."""
    if model is None or not user_id or not model.knows_user(user_id):
        return None
    return functools.partial(model.score, user_id)


def rerank_hits(hits: Sequence[Hit], model: Recommender, user_id: str,
                weight: float = USER_MODEL_WEIGHT) -> list[Hit]:
    """Search hits (anything with ``id`` and ``score``) re-ranked for a user as chat ranks its candidates: score
    plus `taste_boost`; each hit's score becomes the blended one. Unchanged for a user the model does not know,
    or when it cannot score them."""
    taste = user_taste(model, user_id)
    if not hits or taste is None:
        return list(hits)
    ids = [h.id for h in hits]  # type: ignore[attr-defined]
    scores = np.array([h.score for h in hits], dtype=np.float64)  # type: ignore[attr-defined]
    try:
        boost = taste_boost(taste(ids), weight)
    except Exception as exc:  # noqa: BLE001 - a model problem never breaks a search
        log.info("user model not used: %s", exc)
        boost = None
    if boost is None:
        return list(hits)
    blended = scores + boost
    out: list[Any] = []
    for k in np.argsort(-blended, kind="stable"):
        hit = hits[int(k)]
        hit.score = round(float(blended[k]), 4)  # type: ignore[attr-defined]
        out.append(hit)
    return out


class PersonalRanker:
    def __init__(self, model: Recommender) -> None:
        self.model = model

    @classmethod
    def open(cls, store: str | Path | None = None, name: str | None = None) -> PersonalRanker | None:
        """The store's model ``name`` (default: the current one), with erased users forgotten; None when no model
        was trained."""
        try:
            model = load_trained_model(store, name, required=True)
        except (ConfigError, NotFoundError):
            return None
        return None if model is None else cls(model)

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
