"""The one contract every recommender follows, baselines and ours alike (after implicit's `RecommenderBase`).

    model.fit(interactions, items=None, valid=None)      -> model
    model.score(user, candidates=None, history=None)     -> scores (np.ndarray, one per candidate; NaN = unknown item)
    model.recommend(user, k=10, exclude=None, history=None) -> [(item_id, score), ...] best first
    model.save(dir); Recommender.load(dir) / load_model(dir)

Inside, models work on dense indices: `score_histories(users, histories)` gives a (users, n_items) score matrix for
user indices (-1 = a user the model has not seen) and their time-ordered item-index histories; the evaluator calls
it for every model the same way. A model remembers each training user's history, so `score(user)` needs no history;
passing `history` (item ids, oldest first) overrides it, which is how a new chat user is served.

An unknown user with no history (or any user given an empty history) gets the training popularity ranking;
`knows_user` tells the caller so it can say so. `forget_users` makes users the model was trained on unknown to it
(an erased shopper): their training history is no longer used and they are served as a fresh user would be. Saved models are a folder with `meta.json` (model name, parameters, ids) and `arrays.npz` (numbers only, no
pickle), loaded without the training data or the text encoder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from vidrec.errors import InputError, NotFoundError, StoreError
from vidrec.learn.interactions import IdMap, Interactions
from vidrec.learn.items import ItemTexts
from vidrec.learn.split import Holdout

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # (done, total, note)
FORMAT_VERSION = 1
# Earlier names of models, still accepted: scripts and models saved before a rename keep working.
MODEL_ALIASES: dict[str, str] = {"ours": "content-seq"}


def user_key(user_id: str) -> str:
    """How a forgotten user is named where their id must not be kept (the store's erasure list, a saved model):
    a SHA-256 of the id."""
    return hashlib.sha256(str(user_id).encode("utf-8")).hexdigest()


def canonical_name(name: str) -> str:
    """The model's current name for ``name`` (itself, or what an alias stands for)."""
    return MODEL_ALIASES.get(name, name)


class Recommender(ABC):
    """Base class: id bookkeeping, popularity fallback, top-k, save/load. Subclasses implement `_fit` and
    `score_histories` (and `_state`/`_set_state` for their learned arrays)."""

    name: ClassVar[str] = ""
    uses_content: ClassVar[bool] = False  # needs item texts/features
    uses_validation: ClassVar[bool] = False  # early-stops on a validation holdout

    def __init__(self, seed: int = 0, **params: Any) -> None:
        self.params: dict[str, Any] = {"seed": seed, **params}
        self.seed = seed
        self.users = IdMap()
        self.items = IdMap()
        self.item_counts = np.zeros(0, dtype=np.int64)
        self._hist_items = np.zeros(0, dtype=np.int32)
        self._hist_offsets = np.zeros(1, dtype=np.int64)
        self._forgotten: frozenset[str] = frozenset()  # `user_key`s of users served as strangers
        self.fit_seconds: float | None = None
        self.fit_info: dict[str, Any] = {}

    # ------------------------------------------------------------------ training

    def fit(
        self,
        interactions: Interactions,
        items: ItemTexts | None = None,
        valid: Holdout | None = None,
        progress: Progress | None = None,
    ) -> Self:
        """Learn from `interactions` (and item texts when the model uses content). `valid` holds one item per user,
        later than that user's training history, for early stopping; models that need one carve it themselves
        when it is not given."""
        if len(interactions) == 0:
            raise InputError("cannot fit on zero interactions")
        seed_everything(self.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        self.fit_info = {}
        self.users = interactions.users
        self.items = interactions.items
        self.item_counts = interactions.item_counts()
        self._hist_items = interactions.item.astype(np.int32).copy()
        self._hist_offsets = interactions.user_bounds()
        self._fit(interactions, items, valid, progress)
        self.fit_seconds = time.perf_counter() - t0
        self.fit_info["cpu_seconds"] = (
            time.process_time() - c0
        )  # all threads of this process; load-independent
        log.info(
            "%s fitted in %.1f s (%.1f CPU s)", self.name, self.fit_seconds, self.fit_info["cpu_seconds"]
        )
        return self

    @abstractmethod
    def _fit(
        self,
        interactions: Interactions,
        items: ItemTexts | None,
        valid: Holdout | None,
        progress: Progress | None,
    ) -> None: ...

    @abstractmethod
    def score_histories(self, users: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
        """(len(users), n_items) float32 scores; users[i] = -1 for a user not seen in training."""

    # ------------------------------------------------------------------ serving

    @property
    def n_items(self) -> int:
        return len(self.items)

    def forget_users(self, user_ids: Iterable[str]) -> None:
        """Serve these users as strangers from now on: `knows_user` is False, their training history is not used,
        and `score`/`recommend` give them what a user the model never saw gets (a history passed in is still
        used, as for any new user). What they taught the learned weights stays until the next training."""
        self.forget_user_keys(user_key(u) for u in user_ids)

    def forget_user_keys(self, keys: Iterable[str]) -> None:
        """`forget_users` for users known only by their `user_key` (the store's erasure list keeps no ids)."""
        self._forgotten = self._forgotten | frozenset(str(k) for k in keys)

    def forgets(self, user: str) -> bool:
        """Whether ``user`` was forgotten (`forget_users`)."""
        return bool(self._forgotten) and user_key(user) in self._forgotten

    def _user_index(self, user: str) -> int | None:
        """The user's training index; None for a user the model never saw or was told to forget."""
        if self.forgets(user):
            return None
        return self.users.get(str(user))

    def knows_user(self, user: str) -> bool:
        u = self._user_index(user)
        return bool(u is not None and self._hist_offsets[u + 1] > self._hist_offsets[u])

    def user_history(self, u: int) -> np.ndarray:
        return self._hist_items[self._hist_offsets[u] : self._hist_offsets[u + 1]]

    def history(self, user: str) -> list[str]:
        """The item ids this user had in training, oldest first (empty if unknown or forgotten)."""
        u = self._user_index(user)
        if u is None:
            return []
        return [self.items.ids[i] for i in self.user_history(u)]

    def popularity(self) -> np.ndarray:
        return self.item_counts.astype(np.float32)

    def _history_indices(self, history: Iterable[str]) -> np.ndarray:
        idx, unknown = [], 0
        for h in history:
            i = self.items.get(str(h))
            if i is None:
                unknown += 1
            else:
                idx.append(i)
        if unknown:
            log.info("%d history items unknown to the model were ignored", unknown)
        return np.asarray(idx, dtype=np.int32)

    def _all_scores(self, user: str, history: Iterable[str] | None) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        u = self._user_index(user)
        hist = (
            self._history_indices(history)
            if history is not None
            else (self.user_history(u) if u is not None else np.zeros(0, np.int32))
        )
        if hist.size == 0:  # nothing known about this user (unknown, or an explicitly empty history)
            return self.popularity(), hist
        return self.score_histories(np.array([-1 if u is None else u]), [hist])[0], hist

    def score(
        self, user: str, candidates: Sequence[str] | None = None, history: Iterable[str] | None = None
    ) -> np.ndarray:
        """Scores for `candidates` (all items, in `self.items.ids` order, when None). Higher is better; NaN marks
        a candidate the model has never heard of."""
        scores, _ = self._all_scores(user, history)
        if candidates is None:
            return scores
        out = np.full(len(candidates), np.nan, dtype=np.float32)
        for k, c in enumerate(candidates):
            i = self.items.get(str(c))
            if i is not None:
                out[k] = scores[i]
        return out

    def recommend(
        self,
        user: str,
        k: int = 10,
        exclude: Iterable[str] | None = None,
        history: Iterable[str] | None = None,
        exclude_seen: bool = True,
    ) -> list[tuple[str, float]]:
        """Top-k (item_id, score), best first. Items in the user's history are left out unless exclude_seen=False."""
        if k <= 0:
            raise InputError("k must be a positive number of items")
        scores, hist = self._all_scores(user, history)
        scores = scores.astype(np.float64).copy()
        if exclude_seen and hist.size:
            scores[hist] = -np.inf
        for e in exclude or ():
            i = self.items.get(str(e))
            if i is not None:
                scores[i] = -np.inf
        order = np.argsort(-scores, kind="stable")
        out = []
        for i in order[:k]:
            if not np.isfinite(scores[i]):
                break
            out.append((self.items.ids[i], float(scores[i])))
        return out

    def _check_fitted(self) -> None:
        if self.fit_seconds is None and not self.fit_info.get("loaded"):
            raise InputError(f"the {self.name} model is not trained yet; call fit() or load a saved model")

    # ------------------------------------------------------------------ persistence

    @classmethod
    def upgrade_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters saved by an older version of the model, as this version must be built to behave the same."""
        return params

    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _set_state(self, arrays: dict[str, np.ndarray]) -> None:
        if arrays:
            raise StoreError(
                f"a {self.name} model keeps no learned arrays, but the saved one has {sorted(arrays)}"
            )

    def save(self, path: str | Path) -> Path:
        """Write the model to folder `path` (created; existing files replaced atomically one by one)."""
        self._check_fitted()
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "model": self.name,
            "params": self.params,
            "fit_seconds": self.fit_seconds,
            "fit_info": {k: v for k, v in self.fit_info.items() if _jsonable(v)},
            "users": self.users.ids,
            "items": self.items.ids,
            "forgotten": sorted(self._forgotten),
        }
        arrays = {
            "item_counts": self.item_counts,
            "hist_items": self._hist_items,
            "hist_offsets": self._hist_offsets,
            **{f"m.{k}": v for k, v in self._state().items()},
        }
        tmp = p / "arrays.tmp.npz"
        np.savez(tmp, **arrays)
        tmp.replace(p / "arrays.npz")
        tmp_meta = p / "meta.json.tmp"
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp_meta.replace(p / "meta.json")
        return p

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Load a model of this class (or of a subclass) saved at ``path``. The base class knows no concrete
        model: `vidrec.learn.models.load_model` loads any saved model by the name in its meta.json."""
        meta, arrays = read_saved(path)
        family = [cls, *_subclasses(cls)]
        klass = next((c for c in family if getattr(c, "name", None) == canonical_name(meta["model"])), None)
        if klass is None:
            raise StoreError(f"{Path(path)}: holds a {meta['model']} model, not {cls.name}")
        return klass.restore(meta, arrays)

    @classmethod
    def restore(cls, meta: dict, arrays: dict[str, np.ndarray]) -> Recommender:
        """The model from what `save` wrote (see `read_saved`)."""
        model = cls(**cls.upgrade_params(meta["params"]))
        model.users = IdMap.of(meta["users"])
        model.items = IdMap.of(meta["items"])
        model.item_counts = arrays["item_counts"]
        model._hist_items = arrays["hist_items"]
        model._hist_offsets = arrays["hist_offsets"]
        model._forgotten = frozenset(meta.get("forgotten", ()))
        model.fit_seconds = meta.get("fit_seconds")
        model.fit_info = {**meta.get("fit_info", {}), "loaded": True}
        model._set_state({k[2:]: v for k, v in arrays.items() if k.startswith("m.")})
        return model


def read_saved(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """A saved model's meta.json and arrays, checked: missing is NotFoundError, unreadable or of another format
    version is StoreError, each saying to train again."""
    p = Path(path)
    meta_path = p / "meta.json"
    if not meta_path.exists():
        raise NotFoundError(f"{p}: no trained model here (meta.json missing); run `vidrec train` first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        arrays = dict(np.load(p / "arrays.npz", allow_pickle=False))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{p}: the saved model is unreadable ({exc}); train it again") from exc
    if meta.get("format") != FORMAT_VERSION:
        raise StoreError(f"{p}: model format {meta.get('format')} is not {FORMAT_VERSION}; train it again")
    return meta, arrays


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
        return True
    except TypeError:
        return False


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
        pass


def histories_matrix(histories: Sequence[np.ndarray], n_items: int):
    """Binary CSR (len(histories), n_items) of the items in each history."""
    import scipy.sparse as sp

    lengths = np.array([len(h) for h in histories], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate(histories).astype(np.int32) if len(histories) else np.zeros(0, np.int32)
    m = sp.csr_matrix(
        (np.ones(indices.shape[0], dtype=np.float32), indices, indptr), shape=(len(histories), n_items)
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m
