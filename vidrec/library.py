"""The one way into a store for everything that serves shoppers or learns from them: dialog, search, the server,
training. It reads item profiles, the taxonomy the catalogue was ingested with, the values each facet takes,
vectors, keyword and vector search, sessions, interactions, popularity and the store's trained user model.

Only ingest writes the catalogue, through `vidrec.store.Store` directly (it is the store's builder: items, vectors
and keywords together); every other part of vidrec goes through a `Library`, so a backend (SQLite or PostgreSQL,
FAISS or Milvus) is chosen in one place and every caller gets the same behaviour from each. Training data is the
one read that opens less (`vidrec.learn.store_data`, through `vidrec.store.open_metadata`): interactions and item
texts only, read-only, without the vector index, so `vidrec train` runs beside a serving process even when the
vectors are in a Milvus Lite file, which one process at a time may open.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from vidrec.store import Impression, Interaction, ItemHit, Store
from vidrec.store.vector_index import Filter
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import DEFAULT_CATEGORIES, Taxonomy, Term

log = logging.getLogger(__name__)

TAXONOMY_KEY = "taxonomy"
PROFILE_CACHE = 4096  # parsed profiles kept (most recently used)
# How often `trained_model()` looks for a newly trained model (one stat of a few files).
MODEL_CHECK_S = 2.0
# Popularity sums every recorded interaction: recomputed at most this often, not on every turn or request.
POPULARITY_TTL_S = 60.0
VECTOR_KINDS = ("text", "image", "shot")


def vector_id(item_id: str, kind: str = "text", shot: int | None = None) -> str:
    """The id of one of an item's vectors in the index: ``"123"`` its text, ``"123#image"`` its picture,
    ``"123#shot2"`` its third shot (as ingest writes them)."""
    if kind == "text":
        return item_id
    if kind == "image":
        return f"{item_id}#image"
    if kind == "shot":
        if shot is None or shot < 0:
            raise ValueError(f"a shot vector needs the shot's number (0, 1, ...), got {shot!r}")
        return f"{item_id}#shot{shot}"
    raise ValueError(f"unknown vector kind {kind!r}; one of {', '.join(VECTOR_KINDS)}")


def taxonomy_to_meta(taxonomy: Taxonomy) -> str:
    return json.dumps([[t.canonical, list(t.en), list(t.zh)] for t in taxonomy], ensure_ascii=False)


def taxonomy_from_meta(value: str | None) -> Taxonomy:
    if not value:
        return Taxonomy(DEFAULT_CATEGORIES)
    return Taxonomy(Term(c, tuple(en), tuple(zh)) for c, en, zh in json.loads(value))


class Library:
    """Profiles, vectors, keyword index, sessions, interactions and the trained model of one store."""

    def __init__(self, store: Store, profile_cache: int = PROFILE_CACHE, *, memory_sessions: bool = False):
        self.store = store
        # A read-only library cannot save sessions. With memory_sessions it keeps the sessions of its chats in this
        # process instead (reading saved ones from the store), so a terminal chat works beside the process that
        # writes the store. Its interactions still go to the store, through a metadata handle of their own that
        # only appends to the interactions table (the database serialises those appends with the writer's).
        self._memory_sessions: dict[str, dict[str, Any]] | None = {} if memory_sessions else None
        self._interaction_writer: Any = None
        self._writer_lock = threading.Lock()
        # A turn or a search reads the same ~100 profiles again and again, and parsing them was a third of its time
        # at 1k items, so parsed profiles are kept. A library opened for writing is the store's only writer (it
        # holds the writer lock): what it read stays true while it is open (`forget_profiles` after writing
        # items through it). A read-only library may keep a profile that the store's writer has changed since, as
        # its vector index keeps the vectors it loaded, until `refresh()` picks up what the writer saved.
        self._profiles: OrderedDict[str, ItemProfile | None] | None = OrderedDict() if profile_cache > 0 else None
        self._profile_cache = profile_cache
        self._profiles_lock = threading.Lock()
        # (when counted, (popularity, popular items)): see `_counts`
        self._interest: tuple[float, tuple[dict[str, float], list[str]]] | None = None
        self._interest_lock = threading.Lock()
        self._trained: tuple[Any] | None = None  # (model or None,) once loaded
        self._trained_version: Any = None  # `vidrec.learn.retrain.model_version` of the loaded model
        self._trained_checked = 0.0  # when it was last compared with the store's
        self._trained_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, readonly: bool = True,
             memory_sessions: bool = False) -> Library:
        return cls(Store.open(path, create=False, readonly=readonly), memory_sessions=memory_sessions)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._writer_lock:
            if self._interaction_writer is not None:
                self._interaction_writer.close()
                self._interaction_writer = None
        self.store.close()

    @property
    def path(self) -> Path:
        """The store's folder."""
        return self.store.path

    @property
    def readonly(self) -> bool:
        return self.store.readonly

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return taxonomy_from_meta(self.store.metadata.get_meta(TAXONOMY_KEY))

    def profile(self, item_id: str) -> ItemProfile | None:
        """The item's profile (None if unknown). Treat it as read-only: it may be shared with other callers."""
        cache = self._profiles
        if cache is not None:
            with self._profiles_lock:
                if item_id in cache:
                    cache.move_to_end(item_id)
                    return cache[item_id]
        row = self.store.metadata.get_item(item_id)
        profile = ItemProfile.model_validate(row["profile"]) if row is not None and row.get("profile") else None
        if cache is not None:
            with self._profiles_lock:
                cache[item_id] = profile
                while len(cache) > self._profile_cache:
                    cache.popitem(last=False)
        return profile

    def item(self, item_id: str) -> dict[str, Any] | None:
        """The item's stored record (``video_path``, ``content_hash``, facets, ``profile``), or None if unknown."""
        return self.store.metadata.get_item(item_id)

    def item_ids(self) -> Iterator[str]:
        """Every item's id, in id order."""
        for row in self.store.metadata.items():
            yield row["id"]

    def refresh(self) -> None:
        """For a read-only library: see what the store's writer saved since it was opened (vectors, keywords,
        profiles, popularity, users erased)."""
        self.store.refresh()
        self.forget_profiles()
        self.forget_popularity()
        with self._trained_lock:
            model = self._trained[0] if self._trained is not None else None
        if model is not None:  # users another process erased since the model was loaded
            from vidrec.learn.trained import apply_erasures, read_erasures

            apply_erasures(model, read_erasures(self.store.metadata))

    def forget_profiles(self) -> None:
        """Drop cached profiles (after writing items through this library's store)."""
        if self._profiles is not None:
            with self._profiles_lock:
                self._profiles.clear()

    def profiles(self) -> Iterator[ItemProfile]:
        for row in self.store.metadata.items():
            if row.get("profile"):
                yield ItemProfile.model_validate(row["profile"])

    def __len__(self) -> int:
        return self.store.metadata.count()

    # ------------------------------------------------------------------------------------------------ vectors
    def vector(self, item_id: str, kind: str = "text", shot: int | None = None) -> np.ndarray | None:
        """One of the item's stored vectors (its text, its picture, or shot number ``shot``), or None."""
        return self.store.vectors.vector(vector_id(item_id, kind, shot))

    def vectors(self, item_ids: Iterable[str], kind: str = "text") -> list[np.ndarray | None]:
        """The ``kind`` vector of many items at once (None where an item has none), in the order given."""
        return self.store.vectors.vectors([vector_id(i, kind) for i in item_ids])

    def shot_start(self, item_id: str, shot: int) -> float | None:
        """The second where the item's shot number ``shot`` starts, as its vector records it."""
        start = (self.store.vectors.payload(vector_id(item_id, "shot", shot)) or {}).get("start")
        return None if start is None else float(start)

    def vector_payload(self, vid: str) -> dict | None:
        """The payload stored with the vector ``vid`` (its item, kind, facets, a shot's start), or None."""
        return self.store.vectors.payload(vid)

    def search_vectors(self, vector: np.ndarray, k: int, filter: Filter | None = None, *,
                       vectors_per_item: int = 4) -> list[ItemHit]:
        """The ``k`` best items for a query vector, each scored by its best vector that meets ``filter``."""
        return self.store.vectors.search_items(vector, k, filter, vectors_per_item=vectors_per_item)

    def search_keywords(self, text: str, k: int, ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the items' texts: (item id, score), best first; only ``ids`` when given."""
        return self.store.lexical.search(text, k, ids=ids)

    # ------------------------------------------------------------------------------------------------ sessions
    def session(self, session_id: str) -> dict[str, Any] | None:
        """A chat session as saved: {"id", "owner", "state", "updated_at"}, or None."""
        if self._memory_sessions is not None and session_id in self._memory_sessions:
            return self._memory_sessions[session_id]
        return self.store.metadata.get_session(session_id)

    def save_session(self, session_id: str, state: dict[str, Any], owner: str | None = None) -> None:
        if self._memory_sessions is not None:
            self._memory_sessions[session_id] = {"id": session_id, "owner": owner, "state": state,
                                                 "updated_at": time.time()}
            return
        self.store.metadata.put_session(session_id, state, owner=owner)

    def delete_session(self, session_id: str) -> bool:
        """Forget a session; whether there was one."""
        if self._memory_sessions is not None:
            return self._memory_sessions.pop(session_id, None) is not None
        return self.store.metadata.delete_session(session_id)

    # ------------------------------------------------------------------------------------------------ interactions
    def record(self, user_id: str, item_id: str, event: str, *, value: float | None = None,
               session_id: str | None = None) -> None:
        """Record that a user did ``event`` (view, like, reject, cart, buy, ...) with an item, now. A read-only
        library that keeps its sessions in memory (a chat beside a server) records through its own handle."""
        self._interactions_metadata().add_interaction(user_id, item_id, event, value=value, session_id=session_id)

    def _interactions_metadata(self):
        if self._memory_sessions is None or not self.store.readonly:
            return self.store.metadata
        with self._writer_lock:
            if self._interaction_writer is None:
                from vidrec.store import open_metadata

                self._interaction_writer = open_metadata(self.path, readonly=False)
            return self._interaction_writer

    def interactions(self, user_id: str | None = None) -> Iterator[Interaction]:
        """Recorded interactions in time order: everyone's, or one user's."""
        return self.store.metadata.interactions(user_id)

    def log_shown(self, user_id: str, session_id: str, turn: int, item_ids: list[str],
                  first_position: int = 0) -> None:
        """Log a list shown to a user in a session's turn (or cards put into it from ``first_position`` on): one
        impression per card with its position (`vidrec.store.metadata.Impression`)."""
        self._interactions_metadata().log_shown(user_id, session_id, turn, item_ids, first_position)

    def impressions(self, user_id: str | None = None) -> Iterator[Impression]:
        """Logged shown cards in time order: everyone's, or one user's."""
        return self.store.metadata.impressions(user_id)

    def has_interactions(self, user_id: str) -> bool:
        return next(iter(self.store.metadata.interactions(user_id)), None) is not None

    def erase_user(self, user_id: str) -> int:
        """Forget a user: their interactions and the sessions they own (gone from the database's files), their
        place in the store's trained models, and their part in popularity; the number of rows removed.

        Every trained model serves the id as a stranger's from now on: the model this library has loaded at once,
        any model loaded later through the store's erasure list (which keeps a hash of the id, not the id), and the
        saved model files lose the id and its training history. What is kept until the next `vidrec train
        --store` are aggregates inside an already-trained model: the item counts behind its popularity fallback
        and its learned weights, which the user's events helped shape but which no id leads back to; retraining
        recomputes them without the user (their events are gone), then clears the erasure list, so a later user
        given the same id starts fresh."""
        from vidrec.learn.trained import record_erasure, scrub_saved_models

        with self._trained_lock:
            model = self._trained[0] if self._trained is not None else None
        if model is not None:
            model.forget_users([user_id])
        removed = self.store.metadata.delete_user(user_id)
        # after the delete: a training that reads the erasure count before its data and sees this erasure
        # cannot have read the user's events
        record_erasure(self.store.metadata, user_id)
        try:
            scrub_saved_models(self.path, user_id)
        except OSError as exc:  # the erasure list still keeps every model from using the user
            log.error("an erased user could not be cut out of the saved models in %s: %s", self.path, exc)
        self.forget_popularity()
        return removed

    # ------------------------------------------------------------------------------------------------ popularity
    def _counts(self) -> tuple[dict[str, float], list[str]]:
        """(popularity, popular items), from the summed weight of every event recorded per item
        (`vidrec.learn.interactions.event_weight`); counted again at most every POPULARITY_TTL_S seconds, since a
        turn asks for them and the interactions only grow between trainings."""
        from vidrec.learn.interactions import event_weight

        with self._interest_lock:
            if self._interest is not None and time.monotonic() - self._interest[0] < POPULARITY_TTL_S:
                return self._interest[1]
            interest: dict[str, float] = {}
            weights: dict[str, float] = {}
            for e in self.store.metadata.interactions():
                w = weights.get(e.event)
                if w is None:
                    w = weights[e.event] = event_weight(e.event)
                interest[e.item_id] = interest.get(e.item_id, 0.0) + w
            wanted = {i: s for i, s in interest.items() if s > 0}
            top = max(wanted.values(), default=0.0)
            popularity = {i: s / top for i, s in wanted.items()} if top > 0 else {}
            ranked = [i for i, _ in sorted(wanted.items(), key=lambda x: (-x[1], x[0]))]
            self._interest = (time.monotonic(), (popularity, ranked))
            return popularity, ranked

    def popularity(self) -> dict[str, float]:
        """item -> how wanted it is, 0..1 (1 the most wanted); items nobody showed interest in are left out.
        Shared between callers: read it, do not change it."""
        return self._counts()[0]

    def popular_items(self) -> list[str]:
        """Ids of the items anyone showed interest in, most wanted first (ties by id)."""
        return list(self._counts()[1])

    def forget_popularity(self) -> None:
        """Count the interactions again at the next call (after recording some that must show at once)."""
        with self._interest_lock:
            self._interest = None

    # ------------------------------------------------------------------------------------------------ trained model
    def trained_model(self):
        """The store's current trained user model (`vidrec train`), loaded once, with the users erased since its
        training forgotten; None when there is none or it cannot be read (`vidrec.learn.trained.load_trained_model`
        says why in the log)."""
        from vidrec.learn.retrain import model_version

        with self._trained_lock:
            now = time.monotonic()
            if self._trained is not None and now - self._trained_checked < MODEL_CHECK_S:
                return self._trained[0]
            self._trained_checked = now
            version = model_version(self.path)  # a newly trained model is picked up without a restart
            if self._trained is None or version != self._trained_version:
                from vidrec.learn.trained import load_trained_model

                self._trained = (load_trained_model(self.path, metadata=self.store.metadata),)
                self._trained_version = version
            return self._trained[0]

    @cached_property
    def _facets(self) -> dict[str, list[str]]:
        values: dict[str, dict[str, None]] = {"category": {}, "brand": {}, "gender": {}, "colors": {}}
        for row in self.store.metadata.items():
            for name in ("category", "brand", "gender"):
                if row.get(name):
                    values[name].setdefault(str(row[name]), None)
            for c in row.get("colors") or []:
                values["colors"].setdefault(str(c), None)
        return {k: sorted(v) for k, v in values.items()}

    def distinct(self, facet: str) -> list[str]:
        """Every value a facet takes in this catalogue (category, brand, gender, colors)."""
        return list(self._facets.get(facet, []))

    def lexicon(self):
        """The NLU lexicon grounded in this catalogue: its own category, colour and brand labels."""
        from vidrec.nlu.lexicon import Lexicon

        return Lexicon.from_catalog(self.distinct("category"), self.distinct("colors"), self.distinct("brand"))
