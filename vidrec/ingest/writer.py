"""Writes analysed items into the store: features file first, then vectors, keywords and the metadata row.

The metadata row is written last, so an item counts as done only once everything it needs is there. The vector
and keyword indexes are saved every few items and at the end; on open, items whose vectors were lost in a crash
are re-indexed from their feature files (or re-analysed when those are gone too).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from vidrec.ingest.analysis import ItemAnalysis
from vidrec.ingest.features import FeatureFiles
from vidrec.library import TAXONOMY_KEY, taxonomy_from_meta, taxonomy_to_meta
from vidrec.store import Store
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

SAVE_EVERY_ITEMS = 20
SAVE_EVERY_SECONDS = 30.0
PROJECTION_FILE = "projection.npz"
MAX_SHOT_VECTORS = 256  # above any max_shots setting


def vector_rows(a: ItemAnalysis | dict, item_id: str, facets: dict) -> tuple[list[str], np.ndarray, list[dict]]:
    """The index rows of one item: its text vector, its picture vector and one vector per shot."""
    get = (lambda k: getattr(a, k)) if isinstance(a, ItemAnalysis) else a.get
    base = {k: v for k, v in facets.items() if v not in (None, [])}
    ids = [item_id]
    vecs = [np.asarray(get("text_vector"), np.float32)]
    payload = [{**base, "item_id": item_id, "kind": "text"}]
    image = get("image_vector")
    if image is not None and np.size(image):
        ids.append(f"{item_id}#image")
        vecs.append(np.asarray(image, np.float32))
        payload.append({**base, "item_id": item_id, "kind": "image"})
    shots = np.asarray(get("shot_vectors"), np.float32)
    starts = list(np.asarray(get("shot_starts"), np.float32).tolist())
    for i, v in enumerate(shots):
        ids.append(f"{item_id}#shot{i}")
        vecs.append(v)
        payload.append({**base, "item_id": item_id, "kind": "shot", "start": round(float(starts[i]), 2)})
    return ids, np.stack(vecs), payload


class StoreWriter:
    """The single writer of one store during an ingest run."""

    def __init__(self, store: Store, taxonomy: Taxonomy):
        self.store = store
        self.taxonomy = taxonomy
        self.features = FeatureFiles(store.path / "features")
        self._since_save = 0
        self._last_save = time.monotonic()

    @classmethod
    def open(cls, root: str | os.PathLike, taxonomy: Taxonomy | None = None) -> StoreWriter:
        store = Store.open(root, create=True, rebuilding_vectors=True)  # _repair re-indexes what is missing
        meta = store.metadata
        if taxonomy is not None:
            meta.set_meta(TAXONOMY_KEY, taxonomy_to_meta(taxonomy))
        else:
            taxonomy = taxonomy_from_meta(meta.get_meta(TAXONOMY_KEY))
        writer = cls(store, taxonomy)
        writer._repair()
        return writer

    @property
    def projection_path(self) -> Path | None:
        p = self.store.path / PROJECTION_FILE
        return p if p.exists() else None

    def _repair(self) -> None:
        """Re-index items whose vectors a crash lost; forget those whose feature files are gone too."""
        index = self.store.vectors
        lost = [row for row in self.store.metadata.items() if row["id"] not in index]
        for row in lost:
            feats = self.features.read(row["id"])
            if feats is None:
                log.warning("item %s lost its vectors and features; it will be analysed again", row["id"])
                self.store.metadata.upsert_item(row["id"], None, row.get("video_path"), row["profile"] or {},
                                                row_facets(row))
                continue
            ids, vecs, payload = vector_rows(feats, row["id"], row_facets(row))
            index.add(ids, vecs, payload)
        if lost:
            log.info("re-indexed %d items after an interrupted run", len(lost))
            self.store.save()

    def hashes(self) -> dict[str, str | None]:
        return self.store.metadata.item_hashes()

    def known_brands(self) -> set[str]:
        return {row["brand"] for row in self.store.metadata.items() if row.get("brand")}

    def write(self, a: ItemAnalysis) -> None:
        self.features.write(a)
        self.store.vectors.delete(_vector_ids(a.item_id))  # a re-analysed video may have fewer shots now
        ids, vecs, payload = vector_rows(a, a.item_id, a.facets)
        self.store.vectors.add(ids, vecs, payload)
        self.store.lexical.add([a.item_id], [a.search_text])
        facets = {**a.facets, "title": a.profile.get("title") or a.profile.get("description")}
        self.store.metadata.upsert_item(a.item_id, a.content_hash, a.video_path, a.profile, facets)
        self._since_save += 1
        if self._since_save >= SAVE_EVERY_ITEMS or time.monotonic() - self._last_save > SAVE_EVERY_SECONDS:
            self.flush()

    def delete(self, item_ids: list[str]) -> None:
        self.store.vectors.delete([v for i in item_ids for v in _vector_ids(i)])
        self.store.lexical.delete(item_ids)
        self.store.metadata.delete_items(item_ids)
        for i in item_ids:
            self.features.delete(i)
        self.flush()

    def flush(self) -> None:
        self.store.save()
        self._since_save = 0
        self._last_save = time.monotonic()

    def start_run(self, args: dict) -> str:
        return self.store.metadata.start_run(args)

    def record(self, run_id: str, item_id: str, status: str, error: str | None, seconds: float) -> None:
        self.store.metadata.record_run_item(run_id, item_id, status, error, round(seconds, 3))

    def finish_run(self, run_id: str, summary: dict) -> None:
        self.store.metadata.finish_run(run_id, summary)

    def close(self) -> None:
        self.store.close()


def _vector_ids(item_id: str) -> list[str]:
    """Every vector id an item may have (unknown ids are ignored by the index)."""
    return [item_id, f"{item_id}#image", *(f"{item_id}#shot{i}" for i in range(MAX_SHOT_VECTORS))]


def row_facets(row: dict) -> dict:
    """The filterable fields of a stored item row, as the vector index keeps them."""
    return {"category": row.get("category"), "colors": row.get("colors") or [], "price": row.get("price"),
            "brand": row.get("brand"), "gender": row.get("gender")}
