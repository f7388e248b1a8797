"""Library: the one way into a store for dialog, search, the server and training, the same on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.library import Library, vector_id
from vidrec.store import Filter, Store


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


@pytest.fixture(params=["faiss", "milvus"])
def store_path(request, tmp_path):
    """A small store (two items, their text, picture and shot vectors, keywords), vectors in FAISS or Milvus Lite."""
    vectors = None
    if request.param == "milvus":
        pytest.importorskip("milvus_lite", reason="Milvus Lite files need the milvus-lite package")
        vectors = str(tmp_path / "vectors.db")
    path = tmp_path / "store"
    e = unit(np.eye(8))
    with Store.open(path, dim=8, vectors=vectors) as store:
        for n, (item, title, category) in enumerate([("1", "红色连衣裙", "dresses"), ("2", "blue jeans", "jeans")]):
            store.metadata.upsert_item(item, f"h{item}", f"{item}.mp4", {"id": item, "title": title, "video": f"{item}.mp4"},
                                       {"category": category, "title": title})
            base = {"item_id": item, "category": category}
            store.vectors.add([item, f"{item}#image", f"{item}#shot0", f"{item}#shot1"], e[4 * n : 4 * n + 4],
                              [{**base, "kind": "text"}, {**base, "kind": "image"},
                               {**base, "kind": "shot", "start": 0.0}, {**base, "kind": "shot", "start": 2.5}])
            store.lexical.add([item], [title])
    return path


def test_vector_ids_follow_ingest():
    assert vector_id("7") == "7" and vector_id("7", "image") == "7#image" and vector_id("7", "shot", 2) == "7#shot2"
    with pytest.raises(ValueError, match="shot's number"):
        vector_id("7", "shot")
    with pytest.raises(ValueError, match="unknown vector kind"):
        vector_id("7", "audio")


def test_items_vectors_and_search(store_path):
    e = unit(np.eye(8))
    with Library.open(store_path) as lib:
        assert len(lib) == 2 and sorted(lib.item_ids()) == ["1", "2"]
        assert lib.item("1")["video_path"] == "1.mp4" and lib.item("nope") is None
        assert lib.path == store_path and lib.readonly
        np.testing.assert_allclose(lib.vector("2"), e[4], atol=1e-6)
        np.testing.assert_allclose(lib.vector("2", "image"), e[5], atol=1e-6)
        np.testing.assert_allclose(lib.vector("2", "shot", 1), e[7], atol=1e-6)
        assert lib.vector("2", "shot", 5) is None and lib.vector("nope") is None
        got = lib.vectors(["2", "nope", "1"], "image")
        assert got[1] is None
        np.testing.assert_allclose(got[0], e[5], atol=1e-6)
        np.testing.assert_allclose(got[2], e[1], atol=1e-6)
        assert lib.shot_start("1", 1) == 2.5 and lib.shot_start("1", 9) is None
        assert lib.vector_payload("1#shot1")["start"] == 2.5
        hits = lib.search_vectors(e[7], 2, Filter(kind="shot"), vectors_per_item=2)
        assert [h.item_id for h in hits] == ["2", "1"] and hits[0].vector_id == "2#shot1"
        assert [h.item_id for h in lib.search_vectors(e[0], 5, Filter(category={"jeans"}))] == ["2"]
        assert [i for i, _ in lib.search_keywords("jeans", 5)] == ["2"]
        assert lib.search_keywords("jeans", 5, ids={"1"}) == []


def test_sessions_interactions_and_erasing_a_user(store_path):
    with Library.open(store_path, readonly=False) as lib:
        assert lib.session("s1") is None
        lib.save_session("s1", {"turn": 1}, owner="ann")
        assert lib.session("s1")["state"] == {"turn": 1} and lib.session("s1")["owner"] == "ann"
        assert not lib.has_interactions("ann")
        lib.record("ann", "1", "view", session_id="s1")
        lib.record("ann", "2", "buy", value=2.0)
        lib.record("bob", "2", "view")
        assert [(e.event, e.item_id, e.value) for e in lib.interactions("ann")] == [("view", "1", None),
                                                                                  ("buy", "2", 2.0)]
        assert len(list(lib.interactions())) == 3 and lib.has_interactions("ann")
        assert lib.erase_user("ann") == 3  # two interactions and the session ann owns
        assert lib.session("s1") is None and not lib.has_interactions("ann") and lib.has_interactions("bob")
        assert lib.delete_session("s1") is False


def test_popularity_uses_the_one_event_table_and_is_cached(store_path, monkeypatch):
    import vidrec.library as library_module

    clock = [1000.0]
    monkeypatch.setattr(library_module.time, "monotonic", lambda: clock[0])
    with Library.open(store_path, readonly=False) as lib:
        assert lib.popularity() == {} and lib.popular_items() == []
        for user in ("a", "b", "c"):
            lib.record(user, "1", "view")  # 3 views: 3
        lib.record("a", "2", "cart")  # a cart 3 and a like 2, less a rejection: 4
        lib.record("b", "2", "like")
        lib.record("c", "2", "reject")
        assert lib.popular_items() == []  # counted a moment ago: kept for a minute
        clock[0] += library_module.POPULARITY_TTL_S + 1
        assert lib.popular_items() == ["2", "1"]
        assert lib.popularity() == {"2": 1.0, "1": 0.75}
        for user in ("d", "e"):
            lib.record(user, "2", "reject")
            lib.record(user, "1", "buy")
        lib.forget_popularity()
        assert lib.popular_items() == ["1", "2"] and lib.popularity() == {"1": 1.0, "2": 2 / 11}
        lib.record("f", "2", "reject")
        lib.record("g", "2", "reject")
        lib.forget_popularity()
        assert lib.popular_items() == ["1"] and set(lib.popularity()) == {"1"}  # no interest left in 2


def test_no_trained_model_is_none(store_path):
    with Library.open(store_path) as lib:
        assert lib.trained_model() is None
