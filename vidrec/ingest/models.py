"""The models one ingest worker needs, loaded lazily once per process."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from vidrec.config import IngestSettings
from vidrec.encoders.vectors import l2_normalise
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

# Softmax temperature turning category cosines (projected image vs category-name embeddings) into probabilities.
CATEGORY_TEMPERATURE = 0.02
CLIP_TEMPERATURE = 0.01  # CLIP's own logit scale is 100
PROTOTYPE_WEIGHT = 0.5  # share of a covered category's probability from the catalog's prototypes (set a priori)


class Models:
    """Image, speech, on-screen-text and text models plus the taxonomy's category prototypes."""

    def __init__(self, settings: IngestSettings, taxonomy: Taxonomy, projection_path: Path | None = None):
        self.settings = settings
        self.taxonomy = taxonomy
        self.projection_path = projection_path
        self._lock = threading.Lock()

    @cached_property
    def text(self):
        from vidrec.encoders.text import default_text_encoder

        return default_text_encoder()

    @cached_property
    def image(self):
        from vidrec.encoders.clip import image_encoder_from_settings

        return image_encoder_from_settings(self.settings)

    @property
    def is_clip(self) -> bool:
        return self.settings.image_backend == "clip"

    @cached_property
    def speech(self):
        from vidrec.encoders.speech import default_speech_recognizer

        return default_speech_recognizer()  # one per process: loading whisper takes seconds

    @cached_property
    def ocr(self):
        from vidrec.encoders.ocr import default_text_reader

        return default_text_reader()

    @cached_property
    def projection(self):
        """Image features → text space: the store's own (learned from its titled items), else the shipped one.

        The shipped projection is for Lite0 features; a CLIP backend has none until the catalog teaches one.
        """
        from vidrec.encoders.projection import ImageTextProjection

        if self.projection_path is not None and self.projection_path.exists():
            return ImageTextProjection.load(self.projection_path)
        if self.is_clip:
            return None
        return ImageTextProjection.default()

    @cached_property
    def zeroshot(self):
        from vidrec.encoders.zeroshot import ZeroShotCategorizer

        return ZeroShotCategorizer(self.category_names, text_encoder=self.text)

    @cached_property
    def category_names(self) -> dict[str, list[str]]:
        return {t.canonical: [*t.en[:4], *t.zh[:3]] for t in self.taxonomy}

    @cached_property
    def category_prototypes(self) -> np.ndarray:
        """(categories, d): mean passage embedding of each category's names and caption-like phrasings."""
        from vidrec.encoders.zeroshot import cached_embeddings

        groups = []
        for canonical, names in self.category_names.items():
            texts = [canonical, *names]
            texts += [f"a photo of a {n}" for n in names if n.isascii()][:2]
            texts += [f"一件{n}的照片" for n in names if not n.isascii()][:2]
            groups.append(texts)
        flat = [t for g in groups for t in g]
        emb = cached_embeddings(self.text, flat, "passage")  # computed once per taxonomy, kept on disk
        rows, start = [], 0
        for g in groups:
            v = emb[start:start + len(g)].mean(axis=0)
            start += len(g)
            rows.append(l2_normalise(v))
        return np.stack(rows).astype(np.float32)

    def project(self, features: np.ndarray) -> np.ndarray | None:
        """Image features → text-embedding space (L2-normalised), so text queries can match pictures.

        None when no projection fits these features (a CLIP backend before the catalog taught one).
        """
        projection = self.projection
        if projection is None or projection.in_dim != features.shape[1]:
            return None
        return projection.project(features)

    @cached_property
    def clip_category_prototypes(self) -> np.ndarray:
        """(categories, d) CLIP text embeddings of "a photo of a <name>" per category (CLIP backend only)."""
        rows = []
        for canonical, names in self.category_names.items():
            texts = [f"a photo of a {n}" for n in [canonical, *names] if n.isascii()][:4] or [canonical]
            v = self.image.encode_text(texts, kind="passage").mean(axis=0)
            rows.append(l2_normalise(v))
        return np.stack(rows).astype(np.float32)

    def visual_category(self, features: np.ndarray, projected: np.ndarray | None,
                        logits: np.ndarray | None) -> np.ndarray:
        """(n, categories) probabilities: CLIP zero-shot on the CLIP backend; else the projected image vectors
        against the category names, blended with ConSE over the ImageNet classes. When the catalog's projection
        carries category prototypes for these features (its labelled items' pictures), half of each covered
        category's probability comes from them."""
        return self.with_prototypes(self._zero_shot_category(features, projected, logits), features)

    def zero_shot_category(self, features: np.ndarray, projected: np.ndarray | None,
                           logits: np.ndarray | None) -> np.ndarray:
        """(n, categories) probabilities from the category names alone, before the catalog's prototypes: what
        the feature files keep, so a later fit of prototypes can re-infer an item without its video."""
        return self._zero_shot_category(features, projected, logits)

    def with_prototypes(self, probs: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Zero-shot `probs` blended with the catalog's category prototypes, when it has some for these features."""
        protos = getattr(self.projection, "prototypes", None)
        blend = (getattr(self.projection, "meta", None) or {}).get("prototype_blend") or {}
        return blend_prototypes(probs, protos, list(self.category_names), features, **blend)

    def _zero_shot_category(self, features: np.ndarray, projected: np.ndarray | None,
                            logits: np.ndarray | None) -> np.ndarray:
        if self.is_clip:
            f = l2_normalise(features)
            return _softmax((f @ self.clip_category_prototypes.T) / CLIP_TEMPERATURE)
        probs = None
        if projected is not None:
            probs = _softmax((projected @ self.category_prototypes.T) / CATEGORY_TEMPERATURE)
        if logits is not None:
            conse = _softmax(self.zeroshot.scores(logits) / CATEGORY_TEMPERATURE)
            probs = conse if probs is None else 0.75 * probs + 0.25 * conse
        if probs is None:
            return np.full((len(features), len(self.category_names)), 1.0 / len(self.category_names), np.float32)
        return probs


BLEND_MODES = ("covered", "full")


def blend_prototypes(probs: np.ndarray, prototypes, categories: list[str], features: np.ndarray,
                     weight: float = PROTOTYPE_WEIGHT, mode: str = "covered") -> np.ndarray:
    """Zero-shot category `probs` blended with the catalog's `prototypes`.

    "covered" (the titled-items path): `weight` of the mass the zero-shot guess gives the covered categories is
    redistributed by the prototypes. "full" (chosen by the pseudo-label check, vidrec/ingest/pseudo.py): `weight`
    of all the mass goes to the prototypes' own distribution over the categories they cover, so a catalog whose
    pictures the zero-shot names mistake can still be recognised from its own examples."""
    if prototypes is None or prototypes.dim != features.shape[1] or not len(features):
        return probs
    if mode not in BLEND_MODES:
        raise ValueError(f"unknown prototype blend {mode!r}; expected one of {BLEND_MODES}")
    if mode == "covered":
        return prototypes.blend_into(probs, categories, features, weight=weight)
    index = {c: j for j, c in enumerate(categories)}
    ours = prototypes.probabilities(features)
    mine = np.zeros(np.shape(probs), np.float64)
    for k, label in enumerate(prototypes.labels):
        if label in index:
            mine[:, index[label]] = ours[:, k]
    total = mine.sum(axis=1, keepdims=True)
    if not (total > 0).all():
        return probs
    out = (1 - weight) * np.asarray(probs, np.float64) + weight * mine / total
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


_shared: dict[str, Models] = {}
_shared_lock = threading.Lock()


def shared_models(settings: IngestSettings, taxonomy: Taxonomy, projection_path: Path | None = None) -> Models:
    """One Models per process for the same settings, taxonomy and projection (their caches are costly)."""
    key = repr((settings.image_backend, settings.clip_model, [t.names for t in taxonomy],
                str(projection_path) if projection_path else None,
                projection_path.stat().st_mtime_ns if projection_path and projection_path.exists() else None))
    with _shared_lock:
        models = _shared.get(key)
        if models is None:
            models = _shared[key] = Models(settings, taxonomy, projection_path)
        models.settings = settings
        return models
