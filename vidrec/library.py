"""The ingested catalogue, read as item profiles: what search, dialog and serving look at.

Wraps a `Store` (SQLite + vectors + keyword index) with the domain view: profiles, the taxonomy the catalogue was
ingested with, and the values each facet takes (the catalogue's own category and brand labels).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cached_property

from vidrec.store import Store
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import DEFAULT_CATEGORIES, Taxonomy, Term

TAXONOMY_KEY = "taxonomy"


def taxonomy_to_meta(taxonomy: Taxonomy) -> str:
    return json.dumps([[t.canonical, list(t.en), list(t.zh)] for t in taxonomy], ensure_ascii=False)


def taxonomy_from_meta(value: str | None) -> Taxonomy:
    if not value:
        return Taxonomy(DEFAULT_CATEGORIES)
    return Taxonomy(Term(c, tuple(en), tuple(zh)) for c, en, zh in json.loads(value))


class Library:
    """Item profiles and indexes of one store."""

    def __init__(self, store: Store):
        self.store = store

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
        row = self.store.metadata.get_item(item_id)
        if row is None or not row.get("profile"):
            return None
        return ItemProfile.model_validate(row["profile"])

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
