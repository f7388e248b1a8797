"""The Milvus backend (through Milvus Lite files): the shared contract, plus what is particular to it."""

from __future__ import annotations

import numpy as np
import pytest
from index_contract import DIM, VectorIndexContract, unit

from vidrec.errors import InputError, StoreError
from vidrec.store.vector_index import Filter

pytest.importorskip("pymilvus", reason="the Milvus backend needs the [milvus] extra (pymilvus, milvus-lite)")
pytest.importorskip("milvus_lite", reason="Milvus Lite files need the milvus-lite package")

from vidrec.store.milvus_index import MilvusIndex, filter_expression, is_milvus_location  # noqa: E402


def lite(path) -> str:
    return f"{path}.db"


class TestMilvusLite(VectorIndexContract):
    def make_index(self, path, dim):
        return MilvusIndex(dim, lite(path))

    def open_index(self, path, dim):
        return MilvusIndex.open(lite(path), dim)


def test_locations_that_name_milvus():
    assert is_milvus_location("milvus://localhost:19530")
    assert is_milvus_location("http://milvus.internal:19530/products")
    assert is_milvus_location("/data/vectors.db")
    assert not is_milvus_location("/data/store/vectors.index")


def test_filters_become_milvus_expressions():
    assert filter_expression(None) == "" and filter_expression(Filter()) == ""
    assert filter_expression(Filter(category=set())) is None
    assert filter_expression(Filter(ids=set())) is None
    expr = filter_expression(
        Filter(category={" Dresses "}, colors_none={"RED"}, price_max=300, exclude_ids={'a"b'})
    )
    assert '(category in ["dresses"])' in expr
    assert '(not ARRAY_CONTAINS_ANY(colors, ["red"]))' in expr
    assert "(price is not null) and (price <= 300.0)" in expr
    assert r'(pk not in ["a\"b"])' in expr


def test_ids_with_quotes_and_unicode_filter_correctly(tmp_path):
    index = MilvusIndex(4, lite(tmp_path / "v"))
    e = unit(np.eye(4))
    ids = ['say "hi"', "back\\slash", "连衣裙#shot0"]
    index.add(ids, e[:3], [{"category": "连衣裙"}, {}, {"item_id": "连衣裙", "kind": "shot"}])
    for i, vid in enumerate(ids):
        assert index.search(e[i], 5, Filter(ids={vid})) == [(vid, pytest.approx(1.0, abs=1e-5))]
    assert [h[0] for h in index.search(e[0], 5, Filter(category={"连衣裙"}))] == ['say "hi"']
    assert [h.item_id for h in index.search_items(e[2], 5, Filter(kind="shot"))] == ["连衣裙"]


def test_data_survives_reopening_the_file(tmp_path):
    index = MilvusIndex(4, lite(tmp_path / "v"))
    index.add(["a", "b"], unit(np.eye(4))[:2], [{"price": 1}, {"price": 2}])
    index.save()
    index.close()
    again = MilvusIndex.open(lite(tmp_path / "v"), 4)
    assert len(again) == 2 and again.payload("b") == {"price": 2}


def test_bad_locations_and_payloads_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match=".db"):
        MilvusIndex(4, tmp_path / "vectors.index")
    with pytest.raises(InputError, match="HOST:PORT"):
        MilvusIndex(4, "milvus://")
    index = MilvusIndex(4, lite(tmp_path / "v"))
    with pytest.raises(InputError, match="colours"):
        index.add(["a"], unit(np.ones((1, 4))), [{"colors": [f"c{i}" for i in range(100)]}])
    with pytest.raises(InputError, match="not a number"):
        index.add(["a"], unit(np.ones((1, 4))), [{"price": "cheap"}])
    with pytest.raises(InputError, match="shape"):
        index.add(["a"], np.ones((1, DIM)), [{}])
    assert len(index) == 0


def test_an_unreachable_server_is_a_store_error():
    with pytest.raises(StoreError, match="Milvus"):
        MilvusIndex(4, "milvus://127.0.0.1:9")  # nothing listens on the discard port
