"""The models one ingest worker needs, loaded lazily once per process."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from vidrec.config import IngestSettings
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

# Softmax temperature turning category cosines (projected image vs category-name embeddings) into probabilities.
CATEGORY_TEMPERATURE = 0.02


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
        if self.settings.image_backend == "clip":
            from vidrec.encoders.clip import load_clip

            return load_clip(self.settings.clip_model)
        from vidrec.encoders.image import default_image_encoder

        return default_image_encoder()

    @cached_property
    def speech(self):
        from vidrec.encoders.speech import SpeechRecognizer

        return SpeechRecognizer()

    @cached_property
    def ocr(self):
        from vidrec.encoders.ocr import TextReader

        return TextReader()

    @cached_property
    def projection(self):
        from vidrec.encoders.projection import ImageTextProjection

        if self.projection_path is not None and self.projection_path.exists():
            return ImageTextProjection.load(self.projection_path)
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
        rows = []
        for canonical, names in self.category_names.items():
            texts = [canonical, *names]
            texts += [f"a photo of a {n}" for n in names if n.isascii()][:2]
            texts += [f"一件{n}的照片" for n in names if not n.isascii()][:2]
            v = self.text.encode(texts, kind="passage").mean(axis=0)
            rows.append(v / max(np.linalg.norm(v), 1e-12))
        return np.stack(rows).astype(np.float32)

    def project(self, features: np.ndarray) -> np.ndarray:
        """Image features → text-embedding space (L2-normalised), so text queries can match pictures."""
        if self.settings.image_backend == "clip":
            return np.asarray(features, dtype=np.float32)
        return self.projection.project(features)

    def visual_category(self, projected: np.ndarray, logits: np.ndarray | None) -> np.ndarray:
        """(n, categories) probabilities from the projected image vectors, blended with ConSE when logits exist."""
        sims = projected @ self.category_prototypes.T
        probs = _softmax(sims / CATEGORY_TEMPERATURE)
        if logits is not None and self.settings.image_backend != "clip":
            conse = self.zeroshot.scores(logits)
            probs = 0.75 * probs + 0.25 * _softmax(conse / CATEGORY_TEMPERATURE)
        return probs


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
