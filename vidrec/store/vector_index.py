"""The vector index contract every backend implements (embedded FAISS by default; a server backend later).

Vectors are compared by inner product: callers store and query L2-normalised vectors, so the score is the cosine.

Each vector has a string id and a payload. The payload carries the facets of the item the vector belongs to, so
filters can be applied inside the search:

- ``item_id``: the item this vector belongs to (default: the vector's own id). An item may have several vectors,
  e.g. ``"123"`` for the whole item and ``"123#shot2"`` for one shot; both carry ``item_id="123"``.
- ``kind``: what the vector describes, e.g. ``"item"`` or ``"shot"`` (default ``"item"``).
- ``category``, ``brand``, ``gender``: one string each (or None).
- ``colors``: a list of strings (a single string is read as a one-element list).
- ``price``: a number (or None).

Any other keys are kept and returned by :meth:`VectorIndex.payload`, but cannot be filtered on.
Facet strings are compared case-insensitively (casefolded, surrounding spaces removed); ids, ``item_id`` and
``kind`` are compared exactly.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vidrec.errors import InputError

FACETS_SINGLE = ("category", "brand", "gender")
FACETS_MULTI = ("colors",)


def facet_value(value: Any) -> str | None:
    """The form a facet string is stored and compared in: casefolded, stripped; empty means unknown."""
    if value is None:
        return None
    text = str(value).strip().casefold()
    return text or None


def facet_values(value: Any) -> list[str]:
    """A multi-valued facet (colours) as a list of normalised strings; a lone string is one value."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for v in value:
        norm = facet_value(v)
        if norm is not None and norm not in out:
            out.append(norm)
    return out


def price_value(value: Any, vector_id: str = "?") -> float:
    """A payload price as a float; NaN when unknown. A price that is not a number is an InputError."""
    if value is None or value == "":
        return math.nan
    try:
        price = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"vector {vector_id!r}: price {value!r} is not a number; pass a number or None"
        ) from exc
    if math.isinf(price):
        raise InputError(f"vector {vector_id!r}: price {value!r} is not finite; pass a number or None")
    return price


@dataclass
class Filter:
    """Conditions a vector must meet to be returned; all of them AND-ed, ``None`` meaning "no condition".

    Positive conditions (``ids``, ``item_ids``, ``kind``, ``category``, ``colors_any``, ``brand``, ``gender``,
    ``price_min``, ``price_max``) are never met by a vector whose value is unknown: an item without a price is
    not "under 300". Negative conditions (``exclude_ids``, ``exclude_item_ids``, ``colors_none``, ``brand_none``)
    are always met by an unknown value. An empty set in a positive condition matches nothing.
    """

    ids: set[str] | None = None  # vector ids to keep
    exclude_ids: set[str] | None = None  # vector ids to drop
    item_ids: set[str] | None = None  # keep vectors of these items (payload item_id)
    exclude_item_ids: set[str] | None = None  # drop vectors of these items, e.g. items already shown
    kind: str | None = None  # e.g. "item" or "shot"
    category: set[str] | None = None  # any of these categories
    colors_any: set[str] | None = None  # at least one of these colours
    colors_none: set[str] | None = None  # none of these colours
    brand: set[str] | None = None  # any of these brands
    brand_none: set[str] | None = None  # none of these brands
    gender: set[str] | None = None  # any of these
    price_min: float | None = None  # price >= price_min
    price_max: float | None = None  # price <= price_max

    def is_empty(self) -> bool:
        """True when no condition is set (the filter keeps everything)."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def matches(self, vector_id: str, payload: dict[str, Any]) -> bool:
        """Whether one vector meets every condition. The reference semantics; backends filter natively."""
        item_id = str(payload.get("item_id", vector_id))
        if self.ids is not None and vector_id not in self.ids:
            return False
        if self.exclude_ids is not None and vector_id in self.exclude_ids:
            return False
        if self.item_ids is not None and item_id not in self.item_ids:
            return False
        if self.exclude_item_ids is not None and item_id in self.exclude_item_ids:
            return False
        if self.kind is not None and payload.get("kind", "item") != self.kind:
            return False
        for name, wanted in (("category", self.category), ("brand", self.brand), ("gender", self.gender)):
            if wanted is not None and facet_value(payload.get(name)) not in {facet_value(w) for w in wanted}:
                return False
        if self.brand_none is not None:
            brand = facet_value(payload.get("brand"))
            if brand is not None and brand in {facet_value(b) for b in self.brand_none}:
                return False
        colors = set(facet_values(payload.get("colors")))
        if self.colors_any is not None and not colors & set(facet_values(list(self.colors_any))):
            return False
        if self.colors_none is not None and colors & set(facet_values(list(self.colors_none))):
            return False
        if self.price_min is not None or self.price_max is not None:
            price = price_value(payload.get("price"), vector_id)
            if math.isnan(price):
                return False
            if self.price_min is not None and price < self.price_min:
                return False
            if self.price_max is not None and price > self.price_max:
                return False
        return True


class ItemHit(NamedTuple):
    """One item found by :meth:`VectorIndex.search_items`: its best score and the vector that gave it."""

    item_id: str
    score: float
    vector_id: str


class VectorIndex(ABC):
    """Vectors with string ids and payloads; inner-product search with filters applied inside the search."""

    dim: int

    @abstractmethod
    def add(self, ids: list[str], vectors: np.ndarray, payload: list[dict] | None = None) -> None:
        """Insert or replace (same id replaces) ``len(ids)`` vectors of shape ``(len(ids), dim)``."""

    @abstractmethod
    def search(self, vector: np.ndarray, k: int, filter: Filter | None = None) -> list[tuple[str, float]]:
        """The ``k`` vectors with the highest inner product that meet ``filter``, best first."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Remove these vector ids; unknown ids are ignored."""

    @abstractmethod
    def save(self) -> None:
        """Persist to the index's path, atomically: a crash leaves the previous saved state intact."""

    @classmethod
    @abstractmethod
    def open(cls, path: str | Path, dim: int) -> VectorIndex:
        """Open the index saved at ``path``, or an empty one if nothing is there yet."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of vectors held."""

    @abstractmethod
    def payload(self, vector_id: str) -> dict | None:
        """The payload stored with a vector (a copy), or None if the id is unknown."""

    @abstractmethod
    def vector(self, vector_id: str) -> np.ndarray | None:
        """The stored vector of one id (float32, shape ``(dim,)``), or None if the id is unknown."""

    def vectors(self, vector_ids: Sequence[str]) -> list[np.ndarray | None]:
        """The stored vectors of many ids, in the order given (None for unknown ids); backends override it to
        read them in one go."""
        return [self.vector(v) for v in vector_ids]

    def __contains__(self, vector_id: object) -> bool:
        return isinstance(vector_id, str) and self.payload(vector_id) is not None

    def item_id_of(self, vector_id: str) -> str:
        """The item a vector belongs to."""
        payload = self.payload(vector_id) or {}
        return str(payload.get("item_id", vector_id))

    def item_ids_of(self, vector_ids: Sequence[str]) -> list[str]:
        """The items many vectors belong to (backends override it to look them up in one go)."""
        return [self.item_id_of(v) for v in vector_ids]

    def search_items(
        self, vector: np.ndarray, k: int, filter: Filter | None = None, *, vectors_per_item: int = 4
    ) -> list[ItemHit]:
        """The ``k`` best items, each scored by its best vector (item or shot) that meets ``filter``.

        Exact whenever :meth:`search` is exact: vectors are fetched in growing batches until ``k`` distinct items
        are found or the index has no more matching vectors. ``vectors_per_item`` is how many vectors of one item
        are expected to meet the filter (1 for an item's text or picture): the first batch is ``k`` times that.
        """
        if k <= 0:
            return []
        fetch = max(max(1, int(vectors_per_item)) * k, 16)
        while True:
            hits = self.search(vector, fetch, filter)
            best: dict[str, ItemHit] = {}
            items = self.item_ids_of([vector_id for vector_id, _ in hits])
            for (vector_id, score), item_id in zip(hits, items, strict=True):  # best first: an item's first is its best
                if item_id not in best:
                    best[item_id] = ItemHit(item_id, score, vector_id)
            if len(best) >= k or len(hits) < fetch or fetch >= len(self):
                return list(best.values())[:k]
            fetch *= 4


def check_vectors(
    vectors: np.ndarray, dim: int, count: int | None = None, what: str = "vectors"
) -> np.ndarray:
    """Vectors as a C-contiguous float32 ``(n, dim)`` array; a clear InputError for a wrong shape or NaN."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise InputError(
            f"{what} have shape {tuple(np.shape(vectors))} but this index holds {dim}-d vectors; "
            f"embed with the same encoder the index was built with (or rebuild the index for the new one)"
        )
    if count is not None and arr.shape[0] != count:
        raise InputError(f"got {arr.shape[0]} {what} for {count} ids; pass one vector per id")
    if not np.isfinite(arr).all():
        raise InputError(f"{what} contain NaN or infinite values; check the encoder output")
    return np.ascontiguousarray(arr)
