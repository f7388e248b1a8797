"""Zero-shot product category from ImageNet logits (ConSE, Norouzi et al. 2014).

An image's top-k ImageNet class probabilities weight the text embeddings of those classes' names; the resulting
vector is compared (cosine) with the embeddings of each category's names (English and Chinese). The class names come
from `vidrec/resources/imagenet/` (taken from timm, Apache-2.0).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from vidrec.config import cache_dir
from vidrec.encoders.text import Kind, TextEncoder, default_text_encoder
from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import InputError, ModelUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageNetClass:
    """One of the 1,000 ImageNet-1k classes: its WordNet synset id, its names (most common first), its gloss."""

    index: int
    synset: str
    names: tuple[str, ...]
    definition: str


_classes: list[ImageNetClass] | None = None
_classes_lock = threading.Lock()


def _read_table(name: str) -> dict[str, str]:
    text = resources.files("vidrec").joinpath(f"resources/imagenet/{name}").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.partition("\t")
            rows[key] = value
    return rows


def imagenet_classes() -> list[ImageNetClass]:
    """The 1,000 ImageNet-1k classes in logit order (read once from the package resources)."""
    global _classes
    with _classes_lock:
        if _classes is None:
            try:
                root = resources.files("vidrec").joinpath("resources/imagenet")
                synsets = root.joinpath("imagenet_synsets.txt").read_text(encoding="utf-8").split()
                lemmas = _read_table("imagenet_synset_to_lemma.txt")
                glosses = _read_table("imagenet_synset_to_definition.txt")
            except (FileNotFoundError, OSError) as exc:
                raise ModelUnavailableError(
                    "ImageNet class names are missing from vidrec/resources/imagenet; reinstall vidrec"
                ) from exc
            _classes = [
                ImageNetClass(
                    i, s, tuple(n.strip() for n in lemmas[s].split(",") if n.strip()), glosses.get(s, "")
                )
                for i, s in enumerate(synsets)
            ]
        return _classes


def class_text(cls: ImageNetClass, max_names: int = 3) -> str:
    """The text embedded for an ImageNet class: its first few names ("jersey, T-shirt, tee shirt")."""
    return ", ".join(cls.names[:max_names])


def cached_embeddings(encoder: TextEncoder, texts: Sequence[str], kind: Kind) -> np.ndarray:
    """Embeddings of a fixed list of texts, computed once per encoder and kept in `cache_dir()`.

    The cache key covers the encoder's type and dimension, the kind and every text, so another encoder or another
    list never reads a stale file.
    """
    h = hashlib.sha256()
    h.update(f"{type(encoder).__module__}.{type(encoder).__qualname__}:{getattr(encoder, 'dim', '?')}:{kind}".encode())
    name_or_path = getattr(encoder, "name_or_path", None)
    if name_or_path:
        h.update(str(name_or_path).encode())
    for t in texts:
        h.update(b"\0" + t.encode("utf-8"))
    path = cache_dir() / "text-embeddings" / f"{h.hexdigest()[:24]}.npy"
    if path.is_file():
        try:
            arr = np.load(path)
            if arr.shape[0] == len(texts):
                return arr.astype(np.float32, copy=False)
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable embedding cache %s (%s)", path, exc)
    arr = np.asarray(encoder.encode(list(texts), kind=kind), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return arr


class ZeroShotCategorizer:
    """Ranks categories for images from their ImageNet logits (ConSE).

    `categories` maps a canonical category to its names, e.g. {"dress": ["dress", "连衣裙", "裙子"]}; the canonical
    itself is embedded as a name too. A category scores the best cosine between the image's ConSE vector and any of
    its names, averaged over the names. With `centre=True` (default) each name's cosine is taken relative to its
    mean cosine with all 1,000 ImageNet classes: some names (short, generic, Chinese) sit close to everything in
    e5's space and would otherwise win for most images (hubness). Scores are comparable within one image only;
    highest first.
    """

    def __init__(
        self,
        categories: dict[str, list[str]],
        text_encoder: TextEncoder | None = None,
        k: int = 10,
        centre: bool = True,
    ):
        if not categories:
            raise InputError("ZeroShotCategorizer needs at least one category with names")
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        self.categories = {c: list(dict.fromkeys([c, *[n for n in names if n and n.strip()]]))
                           for c, names in categories.items()}
        self.k = k
        self.centre = centre
        self._encoder = text_encoder
        self._lock = threading.Lock()
        self._class_vectors: np.ndarray | None = None  # (1000, d)
        self._name_vectors: np.ndarray | None = None  # (names, d)
        self._name_owner: np.ndarray | None = None  # category index of each name
        self._name_bias: np.ndarray | None = None  # each name's mean cosine with the ImageNet classes

    @property
    def canonical(self) -> list[str]:
        return list(self.categories)

    def _prepare(self) -> None:
        if self._class_vectors is not None:
            return
        with self._lock:
            if self._class_vectors is not None:
                return
            encoder = self._encoder or default_text_encoder()
            texts = [class_text(c) for c in imagenet_classes()]
            class_vectors = l2_normalise(cached_embeddings(encoder, texts, "passage"))
            names, owner = [], []
            for i, cat_names in enumerate(self.categories.values()):
                names.extend(cat_names)
                owner.extend([i] * len(cat_names))
            self._name_vectors = l2_normalise(np.asarray(encoder.encode(names, kind="passage"), np.float32))
            self._name_owner = np.asarray(owner)
            self._name_bias = (class_vectors @ self._name_vectors.T).mean(axis=0)
            self._class_vectors = class_vectors

    def embed(self, logits: np.ndarray) -> np.ndarray:
        """ConSE vectors (n, d), L2-normalised: top-k softmax-weighted sum of ImageNet class-name embeddings."""
        z = np.asarray(logits, dtype=np.float64)
        if z.ndim == 1:
            z = z[None, :]
        if z.ndim != 2 or z.shape[1] != len(imagenet_classes()):
            raise InputError(f"expected ImageNet logits of shape (n, {len(imagenet_classes())}), got {z.shape}")
        self._prepare()
        assert self._class_vectors is not None
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        k = min(self.k, z.shape[1])
        top = np.argpartition(-p, k - 1, axis=1)[:, :k]
        w = np.take_along_axis(p, top, axis=1)
        w /= w.sum(axis=1, keepdims=True)
        vectors = np.einsum("nk,nkd->nd", w, self._class_vectors[top].astype(np.float64))
        return l2_normalise(vectors).astype(np.float32)

    def scores(self, logits: np.ndarray) -> np.ndarray:
        """(n, categories) matrix: each image's ConSE vector against each category's names (see the class doc)."""
        vectors = self.embed(logits)
        assert self._name_vectors is not None and self._name_owner is not None and self._name_bias is not None
        sims = vectors @ self._name_vectors.T
        if self.centre:
            sims = sims - self._name_bias
        out = np.empty((len(vectors), len(self.categories)), dtype=np.float32)
        for j in range(len(self.categories)):
            out[:, j] = sims[:, self._name_owner == j].mean(axis=1)
        return out

    def classify(self, logits: np.ndarray) -> list[list[tuple[str, float]]]:
        """Per image, every category with its score, best first."""
        s = self.scores(logits)
        names = self.canonical
        return [[(names[j], float(row[j])) for j in np.argsort(-row, kind="stable")] for row in s]
