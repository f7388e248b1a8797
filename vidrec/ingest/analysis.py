"""Analyse one video: decode, look, listen, read, then fuse everything into an item profile and its vectors.

`analyze_item` is a plain function over plain data so any runner (local processes, Ray) can call it.
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidrec.catalog import Item
from vidrec.config import IngestSettings
from vidrec.encoders.vectors import l2_normalise
from vidrec.ingest.models import Models
from vidrec.understand.attributes import Observations, describe, infer_attributes, search_text
from vidrec.understand.profile import ItemProfile, ScreenText, ShotSummary, TranscriptLine
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

STAGES = ("decode", "visual", "colour", "speech", "ocr", "fuse")


@dataclass
class ItemAnalysis:
    """Everything the store keeps for one item: profile, filter facets, texts and vectors."""

    item_id: str
    content_hash: str
    video_path: str
    profile: dict
    facets: dict
    search_text: str
    text_vector: np.ndarray  # (d,) passage embedding of the search text
    image_vector: np.ndarray | None  # (d,) mean projected keyframe vector (text space)
    shot_vectors: np.ndarray  # (shots, d) projected keyframe vectors
    shot_starts: list[float]
    image_features: np.ndarray  # (shots, f) raw backbone features, kept to refit the projection later
    video_seconds: float
    # CPU seconds of the worker per stage (its models run one thread each): wall time on a busy machine mostly
    # measures the other processes
    timings: dict[str, float] = field(default_factory=dict)
    # (shots, categories) zero-shot category probabilities (before the catalog's prototypes), kept to re-infer the
    # category when the catalog learns prototypes later (vidrec/ingest/pseudo.py)
    category_probs: np.ndarray | None = None


def _norm_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def merge_screen_text(reads: Iterable[tuple[float, float, str]]) -> list[ScreenText]:
    """Deduplicate on-screen text read from several frames: the same line seen again extends its time span."""
    merged: list[ScreenText] = []
    keys: list[str] = []
    for start, end, text in sorted(reads, key=lambda r: r[0]):
        key = _norm_key(text)
        if len(key) < 2:
            continue
        for i, other in enumerate(keys):
            if key == other or difflib.SequenceMatcher(None, key, other).ratio() >= 0.8:
                merged[i].start = min(merged[i].start, start)
                merged[i].end = max(merged[i].end, end)
                if len(text) > len(merged[i].text):  # keep the most complete reading
                    merged[i].text = text
                    keys[i] = key
                break
        else:
            merged.append(ScreenText(start=round(start, 2), end=round(end, 2), text=text.strip()))
            keys.append(key)
    return merged


def analyze_item(item: Item, content_hash: str, models: Models, settings: IngestSettings,
                 known_brands: Iterable[str] = ()) -> ItemAnalysis:
    """Decode, look, listen, read and fuse one video. Raises MediaError when the video cannot be read at all."""
    from vidrec.media import analyze
    from vidrec.nlu.numbers import find_prices
    from vidrec.understand.calibration import default_calibration, picture_quality
    from vidrec.understand.colour import name_colours, name_colours_multi, product_crops

    timings: dict[str, float] = {}
    t0 = time.process_time()
    media = analyze(item.video, max_seconds=settings.max_seconds, sample_fps=settings.sample_fps,
                    max_side=settings.max_side, max_shots=settings.max_shots,
                    ocr_frames_per_shot=settings.ocr_frames_per_shot, audio=settings.speech, threads=1)
    audio = media.audio
    timings["decode"] = time.process_time() - t0
    warnings = list(media.warnings)

    t0 = time.process_time()
    keyframes = [s.keyframe for s in media.shots]
    # the image model looks at the product, not the frame: each keyframe cut to the box around what the colour
    # namer keeps (background, captions, skin removed); a card with a small photo becomes that photo's product
    # (dev: nearest-prototype category 0.675 -> 0.725, category-query nDCG@10 0.681 -> 0.751; BENCHMARKS.md)
    feats = models.image.encode(product_crops(keyframes))
    features = np.asarray(feats.features, dtype=np.float32)
    projected = models.project(features)
    zero_shot = models.zero_shot_category(features, projected, feats.logits)
    cat_probs = models.with_prototypes(zero_shot, features)
    if projected is None:
        warnings.append("no image→text projection for these image features: pictures are not text-searchable "
                        "until the catalog has enough titled items to learn one")
        projected = np.zeros((0, models.text.dim), np.float32)
    categories = list(models.category_names)
    visual_category = item_category_votes(cat_probs, [s.end - s.start for s in media.shots], categories)
    timings["visual"] = time.process_time() - t0

    t0 = time.process_time()
    visual_colours = name_colours_multi(keyframes)
    quality = picture_quality(keyframes, feats.logits)
    problem = default_calibration().pictures.problem(quality) if default_calibration().pictures else None
    if problem:
        warnings.append(f"{problem}: what only the pictures suggest (category, colour) is marked unsure")
    shot_colours = [[c for c, _ in name_colours(kf, top=2)] for kf in keyframes]
    timings["colour"] = time.process_time() - t0

    t0 = time.process_time()
    transcript: list[TranscriptLine] = []
    if audio is not None and audio.size:
        # no word alignment: the profile keeps segment text and times only
        for seg in models.speech.transcribe(audio, max_speech_seconds=settings.max_speech_seconds, word_times=False):
            if seg.text.strip():
                transcript.append(TranscriptLine(start=round(seg.start, 2), end=round(seg.end, 2),
                                                 text=seg.text.strip(), lang=seg.lang))
    timings["speech"] = time.process_time() - t0

    t0 = time.process_time()
    reads: list[tuple[float, float, str]] = []
    if settings.ocr:
        for frame in media.ocr_frames:
            if not models.ocr.may_hold_text(frame.image):  # the cheap text gate: most frames hold no text
                continue
            for line in models.ocr.read(frame.image):
                reads.append((frame.time, frame.time, line.text))
    screen_text = merge_screen_text(reads)
    timings["ocr"] = time.process_time() - t0

    t0 = time.process_time()
    shots = [ShotSummary(start=round(s.start, 2), end=round(s.end, 2), keyframe=round(s.keyframe_time, 2),
                         colors=shot_colours[i], category=categories[int(np.argmax(cat_probs[i]))])
             for i, s in enumerate(media.shots)]
    obs = Observations(item=item, transcript=transcript, ocr=screen_text, shots=shots,
                       visual_category=visual_category, visual_colours=visual_colours, picture_quality=quality)
    attrs = infer_attributes(obs, models.taxonomy, known_brands=known_brands, find_prices=find_prices)
    profile = ItemProfile(
        id=item.id, title=item.title, video=str(item.video), duration=round(media.info.duration or 0.0, 2),
        attributes=attrs, transcript=transcript, ocr=screen_text, shots=shots, metadata=item.metadata(),
        description=item.title or describe(attrs, models.taxonomy), warnings=warnings, picture_quality=quality,
    )
    text = search_text(attrs, item, transcript, screen_text, models.taxonomy)
    text_vector = models.text.encode([text[:2000]], kind="passage")[0]
    image_vector = None
    if len(projected):
        mean = projected.mean(axis=0)
        image_vector = l2_normalise(mean).astype(np.float32)
    timings["fuse"] = time.process_time() - t0
    return ItemAnalysis(
        item_id=item.id, content_hash=content_hash, video_path=str(item.video), profile=profile.model_dump(),
        facets=facets_of(profile), search_text=text, text_vector=text_vector, image_vector=image_vector,
        shot_vectors=projected.astype(np.float32), shot_starts=[s.start for s in media.shots][: len(projected)],
        image_features=features, category_probs=np.asarray(zero_shot, np.float32), video_seconds=float(min(media.info.duration or 0.0, settings.max_seconds)),
        timings=timings,
    )


def item_category_votes(shot_probs: np.ndarray, shot_seconds: list[float], categories: list[str],
                        top: int = 5) -> list[tuple[str, float]]:
    """The item's visual category votes: each shot's probabilities weighted by its length, the best `top`."""
    weights = np.array([max(s, 0.1) for s in shot_seconds], dtype=np.float64)
    item_probs = (np.asarray(shot_probs, np.float64) * weights[:, None]).sum(axis=0) / weights.sum()
    order = np.argsort(-item_probs)[:top]
    return [(categories[j], float(item_probs[j])) for j in order]


def facets_of(profile: ItemProfile) -> dict:
    """The filterable fields of a profile (what hard filters in search act on)."""
    price = profile.value("price")
    return {
        "category": profile.value("category"),
        "colors": profile.colours(),
        "price": float(price) if isinstance(price, (int, float)) else None,
        "brand": profile.value("brand"),
        "gender": profile.value("gender"),
    }


def stored_search_text(item_id: str, profile: dict | None, taxonomy: Taxonomy) -> str:
    """The keyword text of an item as its analysis made it, from the profile the store keeps: what rebuilds a lost
    keyword index without the videos (the same :func:`search_text` over the same parts)."""
    p = ItemProfile.model_validate({"id": item_id, "video": "", **(profile or {})})
    meta = p.metadata
    item = Item(id=p.id, video=Path(p.video), title=meta.get("title"), description=meta.get("description"),
                brand=meta.get("brand"), tags=list(meta.get("tags") or []))
    return search_text(p.attributes, item, p.transcript, p.ocr, taxonomy)
