"""`FaissIndex.search_items` maps the labels it finds to items in place (issue 20, NAME=speed): it must give exactly
the hits of the generic `VectorIndex.search_items` (a search for vector ids, then their items), on every kind of
index, with and without filters, with deleted vectors, and when the first batch of vectors is too small."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.store.faiss_index import FaissIndex
from vidrec.store.vector_index import Filter, VectorIndex

DIM = 16


def _index(kind: str) -> FaissIndex:
    options = {"flat": {}, "ivf": {"ivf_threshold": 600}, "ivf-adaptive": {"ivf_threshold": 600, "exhaustive_below": 0},
               "hnsw": {"hnsw_threshold": 600}}[kind]
    index = FaissIndex(DIM, **options)
    rng = np.random.default_rng(5)
    ids, vecs, payload = [], [], []
    for i in range(400):  # 400 items, each a text vector and 0-3 shots: 1,000 vectors, past every threshold
        cat = f"c{i % 7}"
        price = float(rng.integers(10, 900))
        for j, suffix in enumerate(["", *(f"#shot{s}" for s in range(int(rng.integers(0, 4))))]):
            ids.append(f"i{i}{suffix}")
            v = rng.normal(size=DIM).astype(np.float32)
            vecs.append(v / np.linalg.norm(v))
            payload.append({"item_id": f"i{i}", "kind": "shot" if j else "text", "category": cat, "price": price,
                            **({"start": float(j)} if j else {})})
    index.add(ids, np.stack(vecs), payload)
    index.delete([f"i{i}" for i in range(0, 400, 9)] + [f"i{i}#shot0" for i in range(1, 400, 11)])
    return index


FILTERS = [None, Filter(kind="text"), Filter(category=["c1", "c3"]), Filter(kind="shot", price_max=300.0),
           Filter(exclude_item_ids={f"i{i}" for i in range(0, 400, 2)}), Filter(item_ids={"i5", "i17", "i40", "i41"}),
           Filter(category=["nowhere"])]


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivf-adaptive", "hnsw"])
def test_the_same_hits_as_the_generic_search(kind):
    index = _index(kind)
    assert index.index_type == kind.split("-")[0]
    rng = np.random.default_rng(11)
    compared = 0
    for _ in range(6):
        q = rng.normal(size=DIM).astype(np.float32)
        q /= np.linalg.norm(q)
        for flt in FILTERS:
            for k, per_item in ((1, 1), (10, 1), (10, 4), (150, 1), (600, 2)):
                fast = index.search_items(q, k, flt, vectors_per_item=per_item)
                generic = VectorIndex.search_items(index, q, k, flt, vectors_per_item=per_item)
                assert fast == generic, (kind, flt, k, per_item)
                compared += bool(generic)
    assert compared >= 6 * (len(FILTERS) - 1) * 5
