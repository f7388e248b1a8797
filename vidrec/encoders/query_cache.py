"""Query embeddings, remembered: shoppers repeat themselves ("more", "cheaper", the same request with the same
constraints), and embedding a query is most of a turn's CPU time.

A thread-safe LRU of (kind, text) → vector in front of any text encoder; 4,096 entries of 384 floats are 6 MB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np


class CachedTextEncoder:
    """Wraps a TextEncoder (``encode(texts, kind)``); identical texts of one kind are embedded once."""

    def __init__(self, inner, size: int = 4096):
        self.inner = inner
        self.dim = inner.dim
        self.size = size
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        texts = list(texts)
        out: list[np.ndarray | None] = [None] * len(texts)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                vec = self._cache.get((kind, text))
                if vec is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end((kind, text))
                    out[i] = vec
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        if missing:
            fresh = np.asarray(self.inner.encode([texts[i] for i in missing], kind=kind), dtype=np.float32)
            with self._lock:
                for row, i in enumerate(missing):
                    vec = fresh[row].copy()
                    vec.setflags(write=False)
                    out[i] = vec
                    self._cache[(kind, texts[i])] = vec
                    self._cache.move_to_end((kind, texts[i]))
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(out)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._cache), "hits": self.hits, "misses": self.misses}
