"""Category prototypes learned from a catalog's own labelled pictures: the mean image feature of each category.

A platform that has some items with categories teaches vidrec what its categories look like. A new picture gets a
probability per category from its cosine similarity to each category's mean keyframe feature (a nearest-class-mean
classifier, the few-shot baseline of prototypical networks), softened by a temperature. On the evaluation catalog
(`bench/eval_ingest.py`, 8 titled videos per category, Lite0 features) this alone classified leave-one-out dev videos
right 0.73 of the time; the temperature 0.02 gave the lowest leave-one-out negative log-likelihood there (0.01-0.1
tried). The prototypes travel inside the catalog's projection file (`ImageTextProjection.prototypes`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import InputError

DEFAULT_TEMPERATURE = 0.02
MIN_ITEMS = 3  # a category needs this many labelled items (videos) before its mean stands for it


class CategoryPrototypes:
    """`probabilities(features)`: (n, len(labels)) softmax over the cosine to each label's mean feature."""

    def __init__(self, labels: Sequence[str], centroids: np.ndarray, temperature: float = DEFAULT_TEMPERATURE):
        self.labels = list(labels)
        self.centroids = l2_normalise(np.asarray(centroids, dtype=np.float32))
        self.temperature = float(temperature)
        if self.centroids.ndim != 2 or self.centroids.shape[0] != len(self.labels):
            raise InputError(f"{len(self.labels)} prototype labels for centroids of shape {self.centroids.shape}")
        if self.temperature <= 0:
            raise InputError("the prototype temperature must be positive")

    @property
    def dim(self) -> int:
        return int(self.centroids.shape[1])

    @classmethod
    def fit(cls, examples: Iterable[tuple[str, np.ndarray]], *, min_items: int = MIN_ITEMS,
            temperature: float = DEFAULT_TEMPERATURE) -> CategoryPrototypes | None:
        """`examples`: (label, keyframe features (k, d)) per labelled item. Every keyframe counts; labels with fewer
        than `min_items` items are left out. None when no label has enough."""
        frames: dict[str, list[np.ndarray]] = defaultdict(list)
        items: dict[str, int] = defaultdict(int)
        for label, feats in examples:
            f = np.asarray(feats, dtype=np.float32)
            if f.ndim == 1:
                f = f[None, :]
            if not label or f.size == 0:
                continue
            frames[label].append(l2_normalise(f))
            items[label] += 1
        kept = sorted(k for k, n in items.items() if n >= min_items)
        if not kept:
            return None
        centroids = np.stack([np.concatenate(frames[k]).mean(axis=0) for k in kept])
        return cls(kept, centroids, temperature)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        f = np.asarray(features, dtype=np.float32)
        if f.ndim == 1:
            f = f[None, :]
        if f.shape[1] != self.dim:
            raise InputError(f"prototypes are {self.dim}-d, the image features {f.shape[1]}-d")
        z = (l2_normalise(f) @ self.centroids.T) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def blend_into(self, probs: np.ndarray, categories: Sequence[str], features: np.ndarray,
                   weight: float = 0.5) -> np.ndarray:
        """`probs` (n, len(categories)) mixed with the prototypes' probabilities: a category with a prototype gets
        (1 - weight) of its own probability plus weight of the prototype one (that share of the mass the covered
        categories hold); categories without a prototype keep theirs. Rows sum to 1."""
        index = {c: j for j, c in enumerate(categories)}
        cols = [(index[label], k) for k, label in enumerate(self.labels) if label in index]
        if not cols:
            return probs
        out = np.array(probs, dtype=np.float64, copy=True)
        ours = self.probabilities(features)
        cat_idx = np.array([j for j, _ in cols])
        proto_idx = np.array([k for _, k in cols])
        covered = out[:, cat_idx].sum(axis=1, keepdims=True)
        mine = ours[:, proto_idx]
        mine = mine / np.maximum(mine.sum(axis=1, keepdims=True), 1e-12) * covered
        out[:, cat_idx] = (1 - weight) * out[:, cat_idx] + weight * mine
        return (out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)).astype(np.float32)
