"""A catalog that teaches itself: items whose videos plainly name their category become pseudo-labels that fit the
catalog's own category prototypes, and the items nobody names are then recognised by their pictures again.

Most videos say what they are (a caption, a title card, a narration). After each ingest run:

1. **Pseudo-labels.** An item becomes a pseudo-label for its inferred category when that category was *named* (a
   caption, on-screen text or speech; the catalog's own metadata category counts as a label too), no other category
   was named anywhere in the video, the naming agrees (two of caption / on-screen text / speech name it, or the
   pixels' top guesses include it), and the fusion's confidence is at least ``MIN_CONFIDENCE``.
2. **Held-out check inside the catalog.** The pseudo-labelled items are split by a stable hash of their id into
   ``FOLDS`` folds; prototypes fitted on the other folds classify each fold's items *from their pictures alone*.
   The fit is applied only when that beats the pictures without it (the zero-shot names, plus the metadata
   labels' prototypes if any) by at least ``MIN_GAIN`` on at least ``MIN_ITEMS`` items; else it is refused, and an
   earlier pseudo fit is withdrawn.
3. **Fit and re-infer.** The prototypes (`vidrec.encoders.prototypes`) are fitted on every pseudo-labelled item and
   saved in the store's projection file (the same place the titled-items path keeps them), so videos ingested later
   lean on them too. Then every item whose category no text named is re-inferred from its stored zero-shot
   probabilities blended with the new prototypes. Pseudo-labelled items are never relabelled (their category came
   from what their video says, not from the fitted model), so a wrong fit cannot feed on itself.

Incremental: the fit is redone when the set of labels changes (new items, changed items, a new titled fit); what was
fitted, from how many items, and the check's numbers are recorded in the store (meta key ``pseudo_labels``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vidrec.catalog import Item
from vidrec.encoders.prototypes import MIN_ITEMS as MIN_PER_CATEGORY
from vidrec.encoders.prototypes import CategoryPrototypes
from vidrec.encoders.vectors import l2_normalise
from vidrec.ingest.alignment import FIT_KEY
from vidrec.ingest.writer import PROJECTION_FILE, StoreWriter

log = logging.getLogger(__name__)

PSEUDO_KEY = "pseudo_labels"
PROPAGATION_KEY = "propagation"
# Fitted on the tune split of the evaluation catalog (bench/eval_pseudo.py, BENCHMARKS.md "NAME=pseudo"): the
# lowest raw confidence at which named, uncontested, agreeing categories were right at least 95 % of the time.
MIN_CONFIDENCE = 0.67
MIN_ITEMS = 20  # pseudo-labelled items (with pictures) below which no fit is tried
FOLDS = 3
MIN_GAIN = 0.02  # the held-out accuracy the fit must add (fraction of the checked items)
NAMED = ("text", "ocr", "speech")
# How fitted prototypes are blended with the zero-shot guess (vidrec.ingest.models.blend_prototypes): the check
# below picks, inside each catalog, the one its held-out pseudo-labelled items are recognised best with.
# The transductive pass (`propagate_labels`): the seed bound and the parameters of `transductive_probabilities`,
# chosen on the TUNE items of a 160-item bare catalog (tune + dev stores of /work/evalab-data/catalog taken as one
# catalog, bench/eval_transductive.py --grid), checked on its dev items (BENCHMARKS.md "NAME=pseudo", 2026-12-06).
# Seeds named by one modality at raw confidence >= 0.3 were right 0.918 of the time there (56 of 61).
SEED_MIN_CONFIDENCE = 0.3
TRANSDUCTIVE = {"k": 3, "weight": 0.9, "min_seeds": 1, "temperature": 0.02, "iterations": 1, "add_above": 0.9,
                "mode": "ncm"}
BLENDS = ({"mode": "covered", "weight": 0.5}, {"mode": "full", "weight": 0.5}, {"mode": "full", "weight": 0.75},
          {"mode": "full", "weight": 0.9})


@dataclass
class PseudoReport:
    applied: bool
    items: int
    reason: str
    categories: int = 0
    check: dict = field(default_factory=dict)
    reinferred: int = 0
    changed: int = 0


@dataclass
class _Example:
    item_id: str
    label: str
    features: np.ndarray  # (shots, f) raw image features
    zero_shot: np.ndarray  # (shots, categories)
    seconds: list[float]


def pseudo_label(profile: dict) -> str | None:
    """The category an item's own video names plainly enough to learn from, else None (see the module doc)."""
    cat = (profile.get("attributes") or {}).get("category")
    if not cat or cat.get("source") == "metadata":
        return None
    named = {e.get("modality") for e in cat.get("evidence") or []} & set(NAMED)
    if not named:
        return None
    if any(c.get("named") for c in cat.get("conflicts") or []):
        return None  # another category is named too: contested
    seen = any(e.get("modality") == "visual" for e in cat.get("evidence") or [])
    if len(named) < 2 and not seen:
        return None
    if float(cat.get("confidence", 0.0)) < MIN_CONFIDENCE:
        return None
    return str(cat["value"])


def metadata_label(profile: dict, taxonomy) -> str | None:
    """The catalog's own category for an item, as the taxonomy's canonical label."""
    cat = (profile.get("attributes") or {}).get("category")
    if not cat or cat.get("source") != "metadata":
        return None
    term = taxonomy.lookup(str(cat.get("value")))
    return term.canonical if term is not None else None


def is_silent(profile: dict) -> bool:
    """No text named this item's category: only its pictures decided it."""
    cat = (profile.get("attributes") or {}).get("category")
    if not cat or cat.get("source") == "metadata":
        return False
    return not ({e.get("modality") for e in cat.get("evidence") or []} & set(NAMED))


def _fold(item_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"pseudo-fold:{item_id}".encode()).digest()[:4], "big") % FOLDS


def _top(zero_shot: np.ndarray, protos: CategoryPrototypes | None, categories: list[str], ex: _Example,
         blend: dict) -> str:
    from vidrec.ingest.analysis import item_category_votes
    from vidrec.ingest.models import blend_prototypes

    probs = blend_prototypes(zero_shot, protos, categories, ex.features, **blend)
    return item_category_votes(probs, ex.seconds, categories, top=1)[0][0]


def held_out_check(pseudo: list[_Example], labelled: list[_Example], categories: list[str]) -> dict:
    """Accuracy on each fold's pseudo-labelled items, from pictures alone: without the fit (the zero-shot names,
    with the metadata-labelled items' prototypes as the titled path blends them), and with prototypes fitted on
    the other folds (plus the metadata-labelled items) under each of BLENDS; the best blend is `blend`."""
    base = CategoryPrototypes.fit([(e.label, e.features) for e in labelled])
    before = 0
    after = [0] * len(BLENDS)
    for k in range(FOLDS):
        test = [e for e in pseudo if _fold(e.item_id) == k]
        train = [e for e in pseudo if _fold(e.item_id) != k] + labelled
        protos = CategoryPrototypes.fit([(e.label, e.features) for e in train], min_items=MIN_PER_CATEGORY)
        for e in test:
            before += _top(e.zero_shot, base, categories, e, {}) == e.label
            for b, blend in enumerate(BLENDS):
                after[b] += _top(e.zero_shot, protos, categories, e, blend) == e.label
    n = len(pseudo)
    best = max(range(len(BLENDS)), key=lambda b: (after[b], -b))
    return {"folds": FOLDS, "items": n, "before": round(before / n, 3) if n else None,
            "after": round(after[best] / n, 3) if n else None, "blend": BLENDS[best],
            "by_blend": {f"{bl['mode']}@{bl['weight']}": round(a / n, 3) if n else None
                         for bl, a in zip(BLENDS, after, strict=True)}}


def _signature(pseudo: list[_Example], labelled: list[_Example], base: str) -> str:
    h = hashlib.sha256(base.encode())
    for e in sorted(pseudo + labelled, key=lambda e: e.item_id):
        h.update(f"{e.item_id}\0{e.label}\n".encode())
    return h.hexdigest()[:32]


def collect_examples(meta, features, taxonomy, *, rule=None,
                     everyone: bool = False) -> tuple[list[_Example], list[_Example]]:
    """(pseudo-labelled items, metadata-labelled items) with their stored pictures' features; `rule` picks the
    pseudo-label of a profile (default `pseudo_label`). With `everyone`: (every labelled item, metadata or
    `rule`, and every other item with pictures, label "")."""
    rule = rule or pseudo_label
    categories = [t.canonical for t in taxonomy]
    pseudo: list[_Example] = []
    labelled: list[_Example] = []
    rest: list[_Example] = []
    for row in meta.items():
        profile = row.get("profile") or {}
        label = metadata_label(profile, taxonomy)
        bucket = labelled
        if label is None:
            label, bucket = rule(profile), pseudo
        if label is not None and label not in categories:
            label = None
        if label is None and not everyone:
            continue
        f = features.read(row["id"])
        if f is None or not f["image_features"].size or f.get("category_probs") is None:
            continue
        zero = f["category_probs"].astype(np.float32)
        if zero.shape != (f["image_features"].shape[0], len(categories)):
            continue  # analysed under another taxonomy
        shots = profile.get("shots") or []
        seconds = [float(s["end"]) - float(s["start"]) for s in shots][: len(zero)]
        if len(seconds) != len(zero):
            seconds = [1.0] * len(zero)
        if label is None:
            label, bucket = "", rest
        bucket.append(_Example(row["id"], label, f["image_features"].astype(np.float32), zero, seconds))
    if everyone:
        return pseudo + labelled, rest
    return pseudo, labelled


def seed_label(profile: dict, min_confidence: float | None = None) -> str | None:
    """The category an item's own video names firmly enough to seed the transductive pass: named by a caption,
    on-screen text or speech, no other category named anywhere in the video, and a raw confidence of at least
    ``SEED_MIN_CONFIDENCE``. Looser than `pseudo_label` (one modality may name it alone): the pass only lends a seed
    its pictures, and a seed's own category is never changed."""
    cat = (profile.get("attributes") or {}).get("category")
    if not cat or cat.get("source") == "metadata":
        return None
    if not {e.get("modality") for e in cat.get("evidence") or []} & set(NAMED):
        return None
    if any(c.get("named") for c in cat.get("conflicts") or []):
        return None
    bound = SEED_MIN_CONFIDENCE if min_confidence is None else min_confidence
    if float(cat.get("confidence", 0.0)) < bound:
        return None
    return str(cat["value"])


def _item_frames(examples: list[_Example]) -> tuple[np.ndarray, np.ndarray]:
    """(all keyframes L2-normalised, the index where each example's keyframes start)."""
    frames = [l2_normalise(e.features) for e in examples]
    starts = np.cumsum([0] + [len(f) for f in frames[:-1]])
    return np.concatenate(frames).astype(np.float32), starts


def _knn(ex: _Example, seeds: list[_Example], frames: np.ndarray, starts: np.ndarray, index: dict[str, int],
         n_categories: int, k: int, temperature: float) -> np.ndarray:
    """(ex's keyframes, categories): each keyframe's vote among its `k` most similar seed items (an item's
    similarity: its best keyframe), weighted by exp(cosine / temperature); a seed never votes for itself."""
    sims = l2_normalise(ex.features) @ frames.T  # (m, seed keyframes)
    per_item = np.maximum.reduceat(sims, starts, axis=1)  # (m, seeds)
    own = [j for j, s in enumerate(seeds) if s.item_id == ex.item_id]
    if own:
        per_item[:, own] = -np.inf
    kk = min(k, per_item.shape[1] - len(own))
    out = np.zeros((len(per_item), n_categories), np.float64)
    if kk <= 0:
        return out
    top = np.argpartition(-per_item, kk - 1, axis=1)[:, :kk]
    labels = np.array([index[s.label] for s in seeds])
    for r in range(len(per_item)):
        s = per_item[r, top[r]]
        w = np.exp((s - s.max()) / temperature)
        np.add.at(out[r], labels[top[r]], w)
        out[r] /= out[r].sum()
    return out


def _class_sums(pool: list[_Example], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(categories, d) sums of the seeds' L2-normalised keyframe features and (categories,) keyframe counts."""
    d = pool[0].features.shape[1]
    sums = np.zeros((len(index), d), np.float64)
    counts = np.zeros(len(index), np.int64)
    for s in pool:
        f = l2_normalise(s.features)
        sums[index[s.label]] += f.sum(axis=0)
        counts[index[s.label]] += len(f)
    return sums, counts


def _ncm(ex: _Example, class_sums: tuple[np.ndarray, np.ndarray], own: _Example | None, index: dict[str, int],
         temperature: float) -> np.ndarray:
    """(ex's keyframes, categories): softmax over the cosine to each category's mean seed keyframe (as
    `CategoryPrototypes`), with `own` (ex itself, when it is a seed) taken out of its category's mean."""
    sums, counts = class_sums
    if own is not None:
        sums, counts = sums.copy(), counts.copy()
        f = l2_normalise(own.features)
        sums[index[own.label]] -= f.sum(axis=0)
        counts[index[own.label]] -= len(f)
    have = counts > 0
    out = np.zeros((len(ex.features), len(index)), np.float64)
    if not have.any():
        return out
    centroids = l2_normalise((sums[have] / counts[have, None]).astype(np.float32))
    z = (l2_normalise(ex.features) @ centroids.T) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out[:, have] = e / e.sum(axis=1, keepdims=True)
    return out


def transductive_probabilities(seeds: list[_Example], others: list[_Example], categories: list[str], *,
                               k: int, weight: float, min_seeds: int, temperature: float, iterations: int,
                               add_above: float, mode: str = "knn") -> dict[str, np.ndarray]:
    """Per-keyframe category probabilities (shots, categories) for every item of `others` (and every seed, left
    out of its own vote): the stored zero-shot guess, (1 - `weight`) of it, plus `weight` of the catalog's own
    evidence, the votes of the `k` nearest seed items (mode "knn") or the seeds' class means ("ncm"). Categories
    with fewer than `min_seeds` seeds get no vote (their zero-shot share stays). With `iterations` > 0, items whose
    voted probability (over their keyframes, weighted by shot length) reaches `add_above` join the seeds for the
    next round; they seed only the others, and the final round recomputes every item."""
    index = {c: j for j, c in enumerate(categories)}
    base = [s for s in seeds if s.label in index]
    everyone = base + [o for o in others if o.item_id not in {s.item_id for s in base}]
    added: list[_Example] = []
    out: dict[str, np.ndarray] = {}
    for _ in range(iterations + 1):
        pool = base + added
        counts = Counter(s.label for s in base)
        pool = [s for s in pool if counts[s.label] >= min_seeds]
        out = {}
        if not pool:
            return {e.item_id: e.zero_shot for e in everyone}
        frames, starts = _item_frames(pool)
        sums = _class_sums(pool, index) if mode == "ncm" else None
        pooled = {s.item_id: s for s in pool}
        for e in everyone:
            if mode == "knn":
                mine = _knn(e, pool, frames, starts, index, len(categories), k, temperature)
            else:
                mine = _ncm(e, sums, pooled.get(e.item_id), index, temperature)
            if not (mine.sum(axis=1) > 0).all():
                out[e.item_id] = e.zero_shot
                continue
            blended = (1 - weight) * np.asarray(e.zero_shot, np.float64) + weight * mine
            out[e.item_id] = (blended / blended.sum(axis=1, keepdims=True)).astype(np.float32)
        seed_ids = {s.item_id for s in base}
        added = []
        for e in everyone:
            if e.item_id in seed_ids:
                continue
            w = np.array([max(s, 0.1) for s in e.seconds])[:, None]
            item = (out[e.item_id] * w).sum(axis=0) / w.sum()
            j = int(np.argmax(item))
            if item[j] >= add_above:
                added.append(_Example(e.item_id, categories[j], e.features, e.zero_shot, e.seconds))
    return out


def fit_pseudo_labels(writer: StoreWriter, base_projection: Path | None = None, *, text_encoder=None,
                      force: bool = False) -> PseudoReport:
    """Fit the catalog's category prototypes on its pseudo-labelled items when the held-out check says it helps,
    and re-infer the items nobody names (see the module doc). `base_projection`: the projection to attach the
    prototypes to when the store has none of its own (else the shipped default)."""
    from vidrec.encoders.projection import ImageTextProjection

    meta = writer.store.metadata
    categories = [t.canonical for t in writer.taxonomy]
    written = written_by_propagation(meta)

    def rule(profile: dict) -> str | None:  # a category the transductive pass wrote teaches nothing
        return None if profile.get("id") in written else pseudo_label(profile)

    pseudo, labelled = collect_examples(_with_ids(meta), writer.features, writer.taxonomy, rule=rule)

    own = writer.projection_path
    # the titled-items fit this one builds on (its signature; empty when there is none), and the categories
    base_key = str(meta.get_meta(FIT_KEY) or "") + "|" + ",".join(categories)
    signature = _signature(pseudo, labelled, base_key)
    record = pseudo_record(meta)
    if not force and record.get("signature") == signature:
        return PseudoReport(bool(record.get("applied")), int(record.get("items", 0)),
                            "no label changed since the last fit", int(record.get("categories", 0)),
                            record.get("check") or {})

    report = PseudoReport(False, len(pseudo), "")
    covered = {k for k, n in Counter(e.label for e in pseudo).items() if n >= MIN_PER_CATEGORY}
    if len(pseudo) < MIN_ITEMS or not covered:
        report.reason = (f"{len(pseudo)} items name their category plainly; at least {MIN_ITEMS} needed "
                         f"(and {MIN_PER_CATEGORY} of one category)")
    else:
        report.check = held_out_check(pseudo, labelled, categories)
        gain = report.check["after"] - report.check["before"]
        if gain >= MIN_GAIN:
            report.applied = True
            report.reason = (f"fitted on {len(pseudo)} pseudo-labelled items ({len(covered)} categories): "
                             f"held-out accuracy {report.check['before']:.2f} -> {report.check['after']:.2f}")
        else:
            report.reason = (f"refused: on held-out pseudo-labelled items the fit gave {report.check['after']:.2f} "
                             f"against {report.check['before']:.2f} without it")
    examples = (pseudo if report.applied else []) + labelled
    protos = CategoryPrototypes.fit([(e.label, e.features) for e in examples])
    report.categories = len(protos.labels) if protos is not None else 0

    was_applied = bool(record.get("applied"))
    if report.applied or was_applied:
        if own is not None:
            projection = ImageTextProjection.load(own)
        elif base_projection is not None:
            projection = ImageTextProjection.load(base_projection)
        else:
            projection = copy.copy(ImageTextProjection.default())  # the shared default stays as it is
        projection.meta = dict(projection.meta)
        projection.prototypes = protos
        blend = report.check.get("blend") if report.applied else None
        if blend:
            projection.meta["prototype_blend"] = blend
        else:
            projection.meta.pop("prototype_blend", None)
        meta.set_meta(PSEUDO_KEY, {"signature": "", "applied": False})  # half done until re-inferred
        projection.save(writer.store.path / PROJECTION_FILE)
        report.reinferred, report.changed = reinfer_silent(writer, protos, text_encoder=text_encoder,
                                                           blend=blend or {})
    meta.set_meta(PSEUDO_KEY, {
        "signature": signature, "applied": report.applied, "items": len(pseudo), "categories": report.categories,
        "per_category": dict(sorted(Counter(e.label for e in pseudo).items())) if report.applied else {},
        "metadata_labelled": len(labelled), "check": report.check, "reinferred": report.reinferred,
        "changed": report.changed, "reason": report.reason, "at": round(time.time(), 3)})
    log.info("pseudo-labels: %s", report.reason)
    return report


def category_from_pictures(row: dict, features: dict, protos: CategoryPrototypes | None, taxonomy,
                           blend: dict | None = None):
    """An item's category inferred again from its stored zero-shot probabilities blended with `protos` (and any
    text it has): (profile, new category attribute), or None when its features cannot say (none kept, or kept
    under another taxonomy)."""
    from vidrec.ingest.models import blend_prototypes

    categories = [t.canonical for t in taxonomy]
    if features is None or not features["image_features"].size or features.get("category_probs") is None:
        return None
    feats = features["image_features"].astype(np.float32)
    zero = features["category_probs"].astype(np.float32)
    if zero.shape != (feats.shape[0], len(categories)):
        return None
    return category_with_probabilities(row, features, blend_prototypes(zero, protos, categories, feats,
                                                                        **(blend or {})), taxonomy)


def category_with_probabilities(row: dict, features: dict, probs: np.ndarray, taxonomy):
    """An item's category inferred again from its text (as stored) and these per-keyframe picture probabilities
    (shots, categories): (profile, new category attribute), or None when they do not fit its keyframes."""
    from vidrec.ingest.analysis import item_category_votes
    from vidrec.understand.attributes import Observations, infer_category
    from vidrec.understand.profile import ItemProfile

    categories = [t.canonical for t in taxonomy]
    if features is None or not features["image_features"].size:
        return None
    if probs.shape != (features["image_features"].shape[0], len(categories)):
        return None
    profile = ItemProfile.model_validate({"id": row["id"], "video": row.get("video_path") or "",
                                         **(row.get("profile") or {})})
    seconds = [s.end - s.start for s in profile.shots][: len(probs)]
    if len(seconds) != len(probs):
        seconds = [1.0] * len(probs)
    m = profile.metadata
    item = Item(id=profile.id, video=Path(profile.video), title=m.get("title"), description=m.get("description"),
                brand=m.get("brand"), tags=list(m.get("tags") or []))
    obs = Observations(item=item, transcript=profile.transcript, ocr=profile.ocr, shots=profile.shots,
                       visual_category=item_category_votes(probs, seconds, categories),
                       picture_quality=profile.picture_quality)
    new = infer_category(obs, taxonomy)
    return None if new is None else (profile, new)


def reinfer_silent(writer: StoreWriter, protos: CategoryPrototypes | None, *, text_encoder=None,
                   blend: dict | None = None) -> tuple[int, int]:
    """Re-infer the category of every item no text named, from its stored zero-shot probabilities blended with
    `protos`. Returns (items re-inferred, items whose category changed)."""
    taxonomy = writer.taxonomy
    encoder = [text_encoder]
    done = changed = 0
    for row in writer.store.metadata.items():
        if not is_silent(row.get("profile") or {}):
            continue
        f = writer.features.read(row["id"])
        found = category_from_pictures(row, f, protos, taxonomy, blend)
        if found is None:
            continue
        done += 1
        changed += _rewrite(writer, row, f, *found, encoder)
    writer.flush()
    return done, changed


def _rewrite(writer: StoreWriter, row: dict, f: dict, profile, new, encoder: list) -> bool:
    """Store `new` as the item's category (its description, facets and search text follow). Returns whether the
    value changed; nothing is written when the attribute is the same."""
    from vidrec.encoders.text import default_text_encoder
    from vidrec.ingest.analysis import ItemAnalysis, facets_of, stored_search_text
    from vidrec.understand.attributes import describe

    old = profile.attributes.get("category")
    if old is not None and old.model_dump() == new.model_dump():
        return False
    profile.attributes["category"] = new
    if not profile.title:
        profile.description = describe(profile.attributes, writer.taxonomy)
    stored = profile.model_dump()
    text = stored_search_text(row["id"], stored, writer.taxonomy)
    encoder[0] = encoder[0] or default_text_encoder()
    analysis = ItemAnalysis(
        item_id=row["id"], content_hash=row.get("content_hash") or "", video_path=row.get("video_path") or "",
        profile=stored, facets=facets_of(profile), search_text=text,
        text_vector=encoder[0].encode([text[:2000]], kind="passage")[0],
        image_vector=f["image_vector"] if f["image_vector"].size else None, shot_vectors=f["shot_vectors"],
        shot_starts=list(np.asarray(f["shot_starts"], np.float32).tolist()),
        image_features=f["image_features"].astype(np.float32),
        category_probs=f["category_probs"].astype(np.float32), video_seconds=0.0)
    writer.write(analysis)
    return old is None or old.value != new.value


@dataclass
class PropagationReport:
    applied: bool
    seeds: int
    reason: str
    check: dict = field(default_factory=dict)
    reinferred: int = 0
    changed: int = 0


def _loo_check(seeds: list[_Example], categories: list[str], params: dict) -> dict:
    """Each seed recognised from its pictures alone (it is left out of its own vote): the zero-shot guess against
    the pass's probabilities. Its own video named its category; the share it gets back is the pass's accuracy
    on items like it."""
    from vidrec.ingest.analysis import item_category_votes

    probs = transductive_probabilities(seeds, [], categories, **params)
    before = after = 0
    for e in seeds:
        before += item_category_votes(e.zero_shot, e.seconds, categories, top=1)[0][0] == e.label
        after += item_category_votes(probs[e.item_id], e.seconds, categories, top=1)[0][0] == e.label
    n = len(seeds)
    return {"items": n, "before": round(before / n, 3), "after": round(after / n, 3)}


def propagate_labels(writer: StoreWriter, *, text_encoder=None, force: bool = False,
                     params: dict | None = None) -> PropagationReport:
    """The transductive pass over the whole catalog (see the module doc): the items whose own video names their
    category firmly (`seed_label`) or whose metadata gives it are seeds; every other item's category is inferred
    again from its text and its pictures' zero-shot guess blended with the votes of its nearest seeds
    (`transductive_probabilities`). Applied when at least ``MIN_ITEMS`` seeds exist and, left out of their own
    vote, the pass recognises them from their pictures better than the zero-shot guess by ``MIN_GAIN``; else the
    items keep what the analysis (and the pseudo-label prototypes) gave them. A seed's category is never changed,
    and an item whose category this pass wrote never becomes a seed (no confirmation loop)."""
    params = dict(TRANSDUCTIVE, **(params or {}))
    meta = writer.store.metadata
    taxonomy = writer.taxonomy
    categories = [t.canonical for t in taxonomy]
    record = propagation_record(meta)
    ours = dict(record.get("written") or {})  # item id -> content hash of the profile this pass wrote
    hashes = {row["id"]: row.get("content_hash") or "" for row in meta.items()}
    written = written_by_propagation(meta)

    def rule(profile: dict) -> str | None:
        return None if profile.get("id") in written else seed_label(profile)

    seeds, others = collect_examples(_with_ids(meta), writer.features, taxonomy, rule=rule, everyone=True)
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode() + ",".join(categories).encode())
    for e in sorted(seeds + others, key=lambda e: e.item_id):
        h.update(f"{e.item_id}\0{e.label}\0{hashes.get(e.item_id, '')}\n".encode())
    signature = h.hexdigest()[:32]
    if not force and record.get("signature") == signature:
        return PropagationReport(bool(record.get("applied")), int(record.get("seeds", 0)),
                                 "no item changed since the last pass", record.get("check") or {})
    report = PropagationReport(False, len(seeds), "")
    if len(seeds) < MIN_ITEMS:
        report.reason = f"{len(seeds)} items name their category firmly; at least {MIN_ITEMS} needed"
    else:
        report.check = _loo_check(seeds, categories, params)
        if report.check["after"] - report.check["before"] >= MIN_GAIN:
            report.applied = True
            report.reason = (f"propagated from {len(seeds)} items that name their category: left out, they are "
                             f"recognised {report.check['before']:.2f} -> {report.check['after']:.2f}")
        else:
            report.reason = (f"refused: left out, the {len(seeds)} seeds were recognised "
                             f"{report.check['after']:.2f} against {report.check['before']:.2f} without it")
    if report.applied:
        probs = transductive_probabilities(seeds, others, categories, **params)
        encoder = [text_encoder]
        rows = {row["id"]: row for row in meta.items()}
        for e in others:
            row = rows[e.item_id]
            if metadata_label(row.get("profile") or {}, taxonomy) is not None:
                continue
            f = writer.features.read(e.item_id)
            found = category_with_probabilities(row, f, probs[e.item_id], taxonomy)
            if found is None:
                continue
            report.reinferred += 1
            report.changed += _rewrite(writer, row, f, *found, encoder)
            ours[e.item_id] = hashes.get(e.item_id, "")
        writer.flush()
    ours = {i: h for i, h in ours.items() if i in hashes}
    meta.set_meta(PROPAGATION_KEY, {
        "signature": signature, "applied": report.applied, "seeds": len(seeds), "check": report.check,
        "params": params, "reinferred": report.reinferred, "changed": report.changed, "reason": report.reason,
        "written": ours, "at": round(time.time(), 3)})
    log.info("transductive pass: %s", report.reason)
    return report


class _with_ids:
    """A metadata view whose profiles carry their item id (so a seed rule can tell items apart)."""

    def __init__(self, meta):
        self.meta = meta

    def items(self):
        for row in self.meta.items():
            yield {**row, "profile": {**(row.get("profile") or {}), "id": row["id"]}}


def written_by_propagation(meta) -> set[str]:
    """The items whose stored category the transductive pass wrote (and whose video has not changed since)."""
    ours = propagation_record(meta).get("written") or {}
    if not ours:
        return set()
    hashes = {row["id"]: row.get("content_hash") or "" for row in meta.items()}
    return {i for i, h in ours.items() if hashes.get(i) == h}


def propagation_record(meta) -> dict:
    """What the store records about its last transductive pass ({} when none ran)."""
    record = meta.get_meta(PROPAGATION_KEY) or {}
    return json.loads(record) if isinstance(record, str) else dict(record)


def pseudo_record(meta) -> dict:
    """What the store records about its last pseudo-label fit ({} when none ran)."""
    record = meta.get_meta(PSEUDO_KEY) or {}
    return json.loads(record) if isinstance(record, str) else dict(record)


def report_dict(report: PseudoReport) -> dict:
    return asdict(report)
