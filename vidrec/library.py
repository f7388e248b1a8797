"""The ingested catalogue, read as item profiles: what search, dialog and serving look at.

Wraps a `Store` (SQLite + vectors + keyword index) with the domain view: profiles, the taxonomy the catalogue was
ingested with, and the values each facet takes (the catalogue's own category and brand labels).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from functools import cached_property

from vidrec.store import Store
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import DEFAULT_CATEGORIES, Taxonomy, Term

TAXONOMY_KEY = "taxonomy"
PROFILE_CACHE = 4096  # parsed profiles kept (most recently used)


def taxonomy_to_meta(taxonomy: Taxonomy) -> str:
    return json.dumps([[t.canonical, list(t.en), list(t.zh)] for t in taxonomy], ensure_ascii=False)


def taxonomy_from_meta(value: str | None) -> Taxonomy:
    if not value:
        return Taxonomy(DEFAULT_CATEGORIES)
    return Taxonomy(Term(c, tuple(en), tuple(zh)) for c, en, zh in json.loads(value))


class Library:
    """Item profiles and indexes of one store."""

    def __init__(self, store: Store, profile_cache: int = PROFILE_CACHE):
        self.store = store
        # A turn or a search reads the same ~100 profiles again and again, and parsing them was a third of its time
        # at 1k items, so parsed profiles are kept. A library opened for writing is the store's only writer (it
        # holds the writer lock): what it read stays true while it is open (`forget_profiles` after writing
        # items through it). A read-only library may keep a profile that the store's writer has changed since, as
        # its vector index keeps the vectors it loaded, until `refresh()` picks up what the writer saved.
        self._profiles: OrderedDict[str, ItemProfile | None] | None = OrderedDict() if profile_cache > 0 else None
        self._profile_cache = profile_cache
        self._profiles_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, readonly: bool = True) -> Library:
        return cls(Store.open(path, create=False, readonly=readonly))

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def vectors(self):
        return self.store.vectors

    @property
    def lexical(self):
        return self.store.lexical

    @property
    def metadata(self):
        return self.store.metadata

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

    def refresh(self) -> None:
        """For a read-only library: see what the store's writer saved since it was opened (vectors, keywords,
        profiles)."""
        self.store.refresh()
        self.forget_profiles()

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
