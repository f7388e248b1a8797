"""Learn the image→text projection from the user's own catalog: items that have titles teach vidrec what their
pictures are called, so text queries match pictures of untitled items better than the shipped default does.
Items that also have a category teach what each category looks like (`CategoryPrototypes`, kept in the same file),
which the visual category of untitled items then leans on.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from vidrec.encoders.vectors import l2_normalise
from vidrec.ingest import faults
from vidrec.ingest.consistency import FIT_KEY
from vidrec.ingest.writer import PROJECTION_FILE, StoreWriter, row_facets, vector_rows

log = logging.getLogger(__name__)

MIN_TITLED_ITEMS = 50  # fewer than this and the shipped default projection generalises better


@dataclass
class AlignmentReport:
    fitted: bool
    items: int
    reason: str


def fit_signature(titled: list[tuple[str, str]]) -> str:
    """What a fit learned from: the titled items (id and title). The same in every process (SHA-256, not Python's
    salted ``hash()``), so a later run can tell that nothing changed since the last completed fit."""
    h = hashlib.sha256()
    for item_id, title in sorted(titled):
        h.update(f"{item_id}\0{title}\n".encode())
    return f"{len(titled)}:{h.hexdigest()[:32]}"


def fit_catalog_projection(writer: StoreWriter, text_encoder=None, *, min_items: int | None = None,
                           force: bool = False, seed: int = 0) -> AlignmentReport:
    """Fit the projection on every stored item that has a metadata title, save it in the store and re-project the
    picture and shot vectors of every item. Skipped when too few titled items, or none changed since the last fit
    that ran to its end: a fit killed halfway (projection saved, vectors partly re-projected) is done again."""
    from vidrec.encoders.projection import ImageTextProjection
    from vidrec.encoders.prototypes import CategoryPrototypes
    from vidrec.encoders.text import default_text_encoder

    meta = writer.store.metadata
    titled: list[tuple[str, str]] = []
    category_of: dict[str, str] = {}
    for row in meta.items():
        title = (row.get("profile") or {}).get("title")
        if title:
            titled.append((row["id"], title))
            term = writer.taxonomy.lookup(row["category"]) if row.get("category") else None
            if term is not None:
                category_of[row["id"]] = term.canonical
    min_items = MIN_TITLED_ITEMS if min_items is None else min_items
    if len(titled) < min_items:
        return AlignmentReport(False, len(titled), f"{len(titled)} titled items; at least {min_items} needed")
    signature = fit_signature(titled)
    if not force and meta.get_meta(FIT_KEY) == signature:
        return AlignmentReport(False, len(titled), "no titled item changed since the last fit")
    feats, texts, labelled = [], [], []
    for item_id, title in titled:
        f = writer.features.read(item_id)
        if f is None or not f["image_features"].size:
            continue
        shots = f["image_features"].astype(np.float32)
        if item_id in category_of:
            labelled.append((category_of[item_id], shots))
        for row in shots:  # every keyframe of the item is a view of the titled product
            feats.append(row)
            texts.append(title)
    if len(set(texts)) < min_items:
        return AlignmentReport(False, len(set(texts)), "too few titled items with pictures")
    encoder = text_encoder or default_text_encoder()
    unique = sorted(set(texts))
    emb = dict(zip(unique, encoder.encode(unique, kind="passage"), strict=True))
    projection = ImageTextProjection.fit(np.stack(feats), np.stack([emb[t] for t in texts]), seed=seed)
    projection.prototypes = CategoryPrototypes.fit(labelled)
    meta.set_meta(FIT_KEY, "")  # from here until the vectors are saved the store is half re-projected
    projection.save(writer.store.path / PROJECTION_FILE)
    _reproject(writer, projection)
    meta.set_meta(FIT_KEY, signature)
    log.info("fitted the image→text projection on %d titled items (%d keyframes)", len(unique), len(feats))
    protos = projection.prototypes
    shown = f"; {len(protos.labels)} category prototypes" if protos is not None else ""
    return AlignmentReport(True, len(unique), f"fitted on {len(unique)} titled items ({len(feats)} keyframes){shown}")


def _reproject(writer: StoreWriter, projection) -> None:
    for row in writer.store.metadata.items():
        f = writer.features.read(row["id"])
        if f is None or not f["image_features"].size:
            continue
        shots = projection.project(f["image_features"].astype(np.float32))
        mean = shots.mean(axis=0)
        f["shot_vectors"] = shots
        f["image_vector"] = l2_normalise(mean)
        ids, vecs, payload = vector_rows(f, row["id"], row_facets(row))
        writer.store.vectors.add(ids[1:], vecs[1:], payload[1:])  # the text vector stays as it is
        faults.reached("reproject")
    writer.flush()
