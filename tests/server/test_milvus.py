"""The same catalogue with its vectors in Milvus (a Milvus Lite file): a whole chat and a thumbnail request work,
and give what the embedded FAISS index gives. Both backends search exactly (FAISS flat, Milvus FLAT)."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from conftest import build_store

from vidrec.dialog.engine import Engine
from vidrec.library import Library

pytest.importorskip("pymilvus", reason="the Milvus backend needs the [milvus] extra (pymilvus, milvus-lite)")
pytest.importorskip("milvus_lite", reason="Milvus Lite files need the milvus-lite package")

CHAT = ["show me some clothes", "any is fine", "more", "I like the first one", "cheaper", "tell me about the second one"]


@pytest.fixture(scope="module")
def milvus_store(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("milvus-store")
    return build_store(root / "store", encoder, vectors=str(root / "vectors.db"))


def chat(store, encoder) -> list:
    lib = Library.open(store, readonly=False)
    try:
        engine = Engine(lib, text_encoder=encoder)
        return [engine.respond("s1", text, user_id="u-milvus") for text in CHAT]
    finally:
        lib.close()


def test_the_library_reads_vectors_from_milvus(milvus_store, built_store):
    with Library.open(milvus_store) as milvus, Library.open(built_store) as faiss:
        assert type(milvus.store.vectors).__name__ == "MilvusIndex"
        for kind in ("text", "image"):
            got, want = milvus.vector("d003", kind), faiss.vector("d003", kind)
            assert got is not None and want is not None
            np.testing.assert_allclose(got, want, atol=1e-6)
        np.testing.assert_allclose(milvus.vector("d003", "shot", 2), faiss.vector("d003", "shot", 2), atol=1e-6)
        assert milvus.shot_start("d003", 2) == faiss.shot_start("d003", 2) > 0
        assert milvus.vector("no-such-item") is None
        many = milvus.vectors(["d001", "nope", "d002"], "image")
        assert many[1] is None
        np.testing.assert_allclose(many[2], faiss.vector("d002", "image"), atol=1e-6)


def test_a_whole_chat_on_milvus_gives_what_faiss_gives(milvus_store, built_store, tmp_path, encoder):
    import shutil

    faiss_copy = tmp_path / "faiss"
    shutil.copytree(built_store, faiss_copy, ignore=shutil.ignore_patterns("write.lock", "thumbnails"))
    on_milvus, on_faiss = chat(milvus_store, encoder), chat(faiss_copy, encoder)
    assert [t.intent for t in on_milvus] == [t.intent for t in on_faiss]
    assert [[i.id for i in t.items] for t in on_milvus] == [[i.id for i in t.items] for t in on_faiss]
    liked = on_milvus[3]
    assert liked.intent == "like" and liked.items  # a liked item pivots the query on its stored vector
    assert liked.state["liked"] == [on_milvus[2].items[0].id]
    assert sum(bool(t.items) for t in on_milvus) >= 4
    with Library.open(milvus_store) as lib:
        recorded = [(e.event, e.item_id) for e in lib.interactions("u-milvus")]
        shown = [(i.item_id, i.position) for i in lib.impressions("u-milvus")]
    assert ("like", on_milvus[2].items[0].id) in recorded and (on_milvus[1].items[0].id, 0) in shown


def test_a_thumbnail_on_milvus_shows_the_shot_most_like_the_item(make_client, milvus_store):
    from PIL import Image

    client = make_client(milvus_store)
    r = client.get("/v1/items/d003/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert Image.open(BytesIO(r.content)).format == "JPEG"
    with Library.open(milvus_store) as lib:  # the server holds the writer lock; readers may look
        shots = lib.profile("d003").shots  # the middle one has the item's own text vector (build_store)
    at_middle = client.get("/v1/items/d003/thumbnail", params={"t": shots[1].keyframe})
    first = client.get("/v1/items/d003/thumbnail", params={"t": shots[0].keyframe})
    assert at_middle.content == r.content and first.content != r.content
