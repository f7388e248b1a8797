"""Writes analysed items into the store: features file first, then vectors, keywords and the metadata row.

The metadata row is written last, so an item counts as done only once everything it needs is there. The vector
and keyword indexes are saved every few items and at the end; on open, every derived index is checked against the
metadata (vidrec/ingest/consistency.py) and repaired: vectors a crash lost are re-indexed from the feature files
(the item is re-analysed when those are gone too), keyword entries are rebuilt from the stored profiles, and
entries of deleted items are removed.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from vidrec.ingest import faults
from vidrec.ingest.analysis import ItemAnalysis, stored_search_text
from vidrec.ingest.consistency import StoreCheck, check_store
from vidrec.ingest.features import FeatureFiles
from vidrec.library import TAXONOMY_KEY, taxonomy_from_meta, taxonomy_to_meta
from vidrec.store import LEXICAL, Store
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

SAVE_EVERY_ITEMS = 20
SAVE_EVERY_SECONDS = 30.0
PROJECTION_FILE = "projection.npz"
MAX_SHOT_VECTORS = 256  # above any max_shots setting
# what a kill in the middle of a save leaves: the projection's temporary file, and tantivy's (its commits write
# meta.json through a ".tmpXXXXXX" file it never removes if killed); FAISS removes its own on open
TEMP_FILES = (f"{PROJECTION_FILE}.*.tmp", f"{LEXICAL}/.tmp*")


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
        self.interrupted_runs: list[str] = []
        self.repaired: dict[str, int] = {}

    @classmethod
    def open(cls, root: str | os.PathLike, taxonomy: Taxonomy | None = None) -> StoreWriter:
        """Open the store for writing; what a killed run left behind is put right first: runs it never finished
        are closed as interrupted and the derived indexes are repaired (see :meth:`repair`)."""
        store = Store.open(root, create=True, rebuilding=True)
        try:
            meta = store.metadata
            if taxonomy is not None:
                meta.set_meta(TAXONOMY_KEY, taxonomy_to_meta(taxonomy))
            else:
                taxonomy = taxonomy_from_meta(meta.get_meta(TAXONOMY_KEY))
            writer = cls(store, taxonomy)
            # this process holds the writer lock, so no run in another process is still going
            writer.interrupted_runs = meta.mark_unfinished_runs_interrupted()
            writer.repaired = writer.repair()
        except BaseException:
            store.close()
            raise
        return writer

    @property
    def projection_path(self) -> Path | None:
        p = self.store.path / PROJECTION_FILE
        return p if p.exists() else None

    def check(self) -> StoreCheck:
        return check_store(self.store, self.features)

    def repair(self, check: StoreCheck | None = None) -> dict[str, int]:
        """Bring every derived index back in line with the metadata; returns how many entries were fixed, by kind.

        Vectors an item lacks are re-indexed from its feature file; an item whose feature file is gone too is
        marked for re-analysis (the next ingest of its catalog analyses it again). Keyword entries are rebuilt
        from the stored profiles. Entries of items that are gone are removed, and so are their feature files.
        """
        check = check or self.check()
        fixed = {"vectors_added": 0, "vectors_removed": 0, "keywords_added": 0, "keywords_removed": 0,
                 "features_removed": 0, "reanalyse": 0, "temp_files_removed": 0}
        # half-written files of a process killed while saving. First, while this process has no keyword-index
        # writer: tantivy's own writer makes .tmp files in that folder as it works (removing one of those broke
        # its next commit); the store's writer lock keeps every other process from saving meanwhile
        for pattern in TEMP_FILES:
            for tmp in self.store.path.glob(pattern):
                if tmp.is_file():
                    tmp.unlink(missing_ok=True)
                    fixed["temp_files_removed"] += 1
        index, lexical = self.store.vectors, self.store.lexical
        reanalyse: set[str] = set(check.indexes["features"].missing)
        for row in self.store.metadata.items(ids=check.indexes["vectors"].missing):
            feats = self.features.read(row["id"])
            if feats is None:
                reanalyse.add(row["id"])
                continue
            ids, vecs, payload = vector_rows(feats, row["id"], row_facets(row))
            index.add(ids, vecs, payload)
            fixed["vectors_added"] += 1
        orphans = check.indexes["vectors"].orphaned
        if orphans:
            index.delete([v for i in orphans for v in _vector_ids(i)])
            fixed["vectors_removed"] = len(orphans)
        for row in self.store.metadata.items(ids=check.indexes["keywords"].missing):
            try:
                text = stored_search_text(row["id"], row["profile"], self.taxonomy)
            except ValueError as exc:  # a profile this vidrec cannot read: its title still finds it
                log.warning("item %s: rebuilding its keywords from the title only (%s)", row["id"], exc)
                text = row.get("title") or ""
            lexical.add([row["id"]], [text])
            fixed["keywords_added"] += 1
        if check.indexes["keywords"].orphaned:
            lexical.delete(check.indexes["keywords"].orphaned)
            fixed["keywords_removed"] = len(check.indexes["keywords"].orphaned)
        for name in check.indexes["features"].orphaned:
            (self.features.root / name).unlink(missing_ok=True)
            fixed["features_removed"] += 1
        for row in self.store.metadata.items(ids=reanalyse):
            log.warning("item %s lost its features%s; it will be analysed again", row["id"],
                        "" if row["id"] in index else " and vectors")
            self.store.metadata.upsert_item(row["id"], None, row.get("video_path"), row["profile"] or {},
                                            {**row_facets(row), "title": row.get("title")})
            fixed["reanalyse"] += 1
        if any(fixed.values()):
            log.info("repaired the store after an interrupted run: %s", {k: v for k, v in fixed.items() if v})
            self.flush()
        return {k: v for k, v in fixed.items() if v}

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
        faults.reached("commit")
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
