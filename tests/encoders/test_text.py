"""The bundled text encoder's wrapper: query cache and the thread setting (no model needed)."""

from __future__ import annotations

import numpy as np

from vidrec.encoders import text as text_module
from vidrec.encoders.text import E5TextEncoder


class CountingModel:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def query(self, t: str) -> np.ndarray:
        self.queries.append(t)
        rng = np.random.default_rng(abs(hash(t)) % 2**32)
        return rng.standard_normal(384).astype(np.float32) * 3

    def passage(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.query(t) for t in texts])


def test_query_embeddings_are_cached_normalised_and_bounded(monkeypatch):
    monkeypatch.setattr(text_module, "QUERY_CACHE_SIZE", 3)
    encoder = E5TextEncoder(threads=1)
    encoder._model = model = CountingModel()
    first = encoder.encode(["red dress"], kind="query")
    again = encoder.encode(["red dress"], kind="query")
    assert model.queries == ["red dress"]  # the second time came from the cache
    np.testing.assert_allclose(first, again)
    assert abs(float(np.linalg.norm(first[0])) - 1.0) < 1e-5
    again[0, 0] = 99.0  # callers may change what they got without touching the cache
    assert encoder.encode(["red dress"], kind="query")[0, 0] != 99.0
    for q in ("a", "b", "c", "d"):
        encoder.encode([q], kind="query")
    assert len(encoder._queries) == 3 and "red dress" not in encoder._queries
    encoder.encode(["x", "x"], kind="passage")
    assert model.queries[-2:] == ["x", "x"]  # passages are not cached


def test_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(text_module.THREADS_ENV, "2")
    assert E5TextEncoder().threads == 2
    monkeypatch.delenv(text_module.THREADS_ENV)
    assert E5TextEncoder().threads == 1
