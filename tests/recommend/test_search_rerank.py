"""Search reads profiles best-first and stops early; the top k must equal scoring every candidate."""

from __future__ import annotations

import random

import numpy as np
import pytest

from vidrec.nlu.lexicon import Lexicon
from vidrec.recommend.search import WEIGHTS, Searcher, _minmax
from vidrec.store.vector_index import ItemHit
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import Taxonomy

COLOURS = ["Red", "Blue", "Black", "White", "Green"]
CATEGORIES = ["Dresses", "Shirts", "Jeans", "Watches"]


class FakeVectors:
    def __init__(self, scores: dict[str, dict[str, float]]):
        self.scores = scores  # kind -> item -> score
        self.searches: list[str] = []

    def search_items(self, qv, n, flt, *, vectors_per_item=4):
        self.searches.append(flt.kind)
        pool = self.scores.get(flt.kind, {})
        if flt.item_ids is not None:
            pool = {i: s for i, s in pool.items() if i in flt.item_ids}
        best = sorted(pool.items(), key=lambda kv: -kv[1])[:n]
        return [ItemHit(i, s, f"{i}#{flt.kind}") for i, s in best]

    def payload(self, vector_id):
        return {"start": 2.5} if vector_id.endswith("#shot") else {}


class FakeLexical:
    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def search(self, text, n, ids=None):
        pool = {i: s for i, s in self.scores.items() if ids is None or i in ids}
        return sorted(pool.items(), key=lambda kv: -kv[1])[:n]


class FakeLibrary:
    def __init__(self, rng: random.Random, n: int):
        self.taxonomy = Taxonomy.default()
        ids = [f"i{k}" for k in range(n)]
        self.profiles = {}
        for i in ids:
            colour, cat = rng.choice(COLOURS), rng.choice(CATEGORIES)
            self.profiles[i] = ItemProfile.model_validate({"id": i, "title": f"{colour} {cat}", "video": f"{i}.mp4", "attributes": {
                "color": {"value": colour, "confidence": rng.random(), "source": "visual"},
                "colors": {"value": [colour], "confidence": rng.random(), "source": "visual"},
                "category": {"value": cat, "confidence": rng.random(), "source": "visual"}}})
        self.vectors = FakeVectors({kind: {i: rng.random() for i in ids if rng.random() < 0.8}
                                    for kind in ("text", "image", "shot")})
        self.lexical = FakeLexical({i: rng.random() * 10 for i in ids if rng.random() < 0.5})
        self.reads = 0

    def distinct(self, facet):
        return []

    def lexicon(self):
        return Lexicon.from_catalog([], [], [])

    def search_vectors(self, qv, n, flt, *, vectors_per_item=4):
        return self.vectors.search_items(qv, n, flt, vectors_per_item=vectors_per_item)

    def search_keywords(self, text, n, ids=None):
        return self.lexical.search(text, n, ids=ids)

    def vector_payload(self, vector_id):
        return self.vectors.payload(vector_id)

    def profile(self, item_id):
        self.reads += 1
        return self.profiles.get(item_id)


class FakeEncoder:
    dim = 4

    def encode(self, texts, kind="passage"):
        return np.ones((len(texts), 4), np.float32) / 2


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("query", ["red dress", "blue", "watch"])
def test_early_stop_gives_the_same_top_k_as_scoring_everything(seed, query):
    lib = FakeLibrary(random.Random(seed), 120)
    searcher = Searcher(lib, text_encoder=FakeEncoder(), warm_up=False)
    parsed = searcher.parse(query)
    request = searcher.grounded(parsed.request)
    got = searcher.search(query, k=10, parsed=parsed)

    text = {i: s for i, s in lib.vectors.scores["text"].items()}
    image = {i: s for i, s in lib.vectors.scores["image"].items()}
    lexical = dict(lib.lexical.scores)
    t, im, lx = _minmax(text), _minmax(image), _minmax(lexical)
    everything = sorted(((WEIGHTS["text"] * t.get(i, 0.0) + WEIGHTS["image"] * im.get(i, 0.0)
                          + WEIGHTS["lexical"] * lx.get(i, 0.0)
                          + WEIGHTS["attributes"] * Searcher._attribute_score(lib.profiles[i], request), i)
                         for i in set(text) | set(image) | set(lexical)), key=lambda x: (-x[0], x[1]))
    assert [h.id for h in got.results] == [i for _, i in everything[:10]]
    assert [h.score for h in got.results] == [round(s, 4) for s, _ in everything[:10]]
    assert lib.reads < len(everything)  # it did stop early
    # the best shots are found when a hit's start is first read (issue 20, NAME=speed): none before, then one
    # search for every hit's best shot
    assert lib.vectors.searches.count("shot") == 0
    assert all(h.start == 2.5 for h in got.results if h.id in lib.vectors.scores["shot"])
    assert lib.vectors.searches.count("shot") == 1
