"""The query-embedding cache in front of the text encoder."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from ngram_encoder import NgramEncoder

from vidrec.encoders.query_cache import CachedTextEncoder


class Counting(NgramEncoder):
    def __init__(self):
        self.calls = []

    def encode(self, texts, kind="passage"):
        self.calls.append((list(texts), kind))
        return super().encode(texts, kind)


def test_same_vectors_as_the_encoder_and_each_text_embedded_once():
    inner = Counting()
    cache = CachedTextEncoder(inner, size=8)
    first = cache.encode(["红色连衣裙", "black shoes"], kind="query")
    again = cache.encode(["black shoes", "红色连衣裙", "new one"], kind="query")
    assert np.array_equal(first, NgramEncoder().encode(["红色连衣裙", "black shoes"]))
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
    assert inner.calls == [(["红色连衣裙", "black shoes"], "query"), (["new one"], "query")]
    cache.encode(["black shoes"], kind="passage")  # another kind is another entry
    assert cache.stats() == {"entries": 4, "hits": 2, "misses": 4}
    assert cache.encode([], kind="query").shape == (0, 384)


def test_least_recently_used_entries_go_first():
    inner = Counting()
    cache = CachedTextEncoder(inner, size=2)
    cache.encode(["a"], "query")
    cache.encode(["b"], "query")
    cache.encode(["a"], "query")  # a is fresh again
    cache.encode(["c"], "query")  # evicts b
    inner.calls.clear()
    cache.encode(["a", "b"], "query")
    assert inner.calls == [(["b"], "query")]


def test_threads_share_the_cache():
    cache = CachedTextEncoder(NgramEncoder(), size=64)
    texts = [f"query {i % 10}" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        vecs = list(pool.map(lambda t: cache.encode([t], "query")[0], texts))
    for t, v in zip(texts, vecs, strict=True):
        assert np.array_equal(v, NgramEncoder().encode([t])[0])
    assert cache.stats()["entries"] == 10
