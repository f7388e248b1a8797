"""Store.open: one folder holding metadata, vectors and the keyword index; one writer, many readers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from vidrec.errors import StoreError
from vidrec.store import Filter, Store, is_store


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def fill(store: Store) -> None:
    store.metadata.upsert_item(
        "1", "h1", "1.mp4", {"title": "红色连衣裙"}, {"category": "dresses", "price": 199}
    )
    store.metadata.upsert_item(
        "2", "h2", "2.mp4", {"title": "blue jeans"}, {"category": "jeans", "price": 99}
    )
    store.vectors.add(
        ["1", "1#shot0", "2"],
        unit(np.eye(store.dim)[:3]),
        [
            {"category": "dresses", "price": 199},
            {"item_id": "1", "kind": "shot", "category": "dresses", "price": 199, "start": 2.0},
            {"category": "jeans", "price": 99},
        ],
    )
    store.lexical.add(["1", "2"], ["红色连衣裙", "blue jeans"])


def test_a_new_store_is_created_and_reopened_with_everything(tmp_path):
    path = tmp_path / "store"
    with Store.open(path, dim=8, text_encoder="e5-small") as store:
        fill(store)
    assert {p.name for p in path.iterdir()} >= {"vidrec.sqlite", "vectors.index", "lexical", "write.lock"}
    with Store.open(path, create=False) as store:
        assert store.dim == 8
        assert store.metadata.get_meta("text_encoder") == "e5-small"
        assert store.metadata.count() == 2
        assert len(store.vectors) == 3
        hits = store.vectors.search_items(unit(np.eye(8)[1]), 5, Filter(price_max=150))
        assert [h.item_id for h in hits] == ["2"]
        assert [h.item_id for h in store.vectors.search_items(unit(np.eye(8)[1]), 1)] == ["1"]
        assert store.lexical.search("连衣裙")[0][0] == "1"


def test_the_default_location_follows_vidrec_home(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDREC_HOME", str(tmp_path / "home-store"))
    with Store.open(dim=4) as store:
        assert store.path == tmp_path / "home-store"
    assert (tmp_path / "home-store" / "vidrec.sqlite").exists()


def test_missing_store_without_create_says_to_ingest(tmp_path):
    with pytest.raises(StoreError, match="vidrec ingest"):
        Store.open(tmp_path / "nothing", create=False)
    with pytest.raises(StoreError, match="vidrec ingest"):
        Store.open(tmp_path / "nothing", readonly=True)
    assert not (tmp_path / "nothing").exists()


def test_a_folder_with_other_files_is_not_taken_over(tmp_path):
    (tmp_path / "holiday.jpg").write_bytes(b"jpeg")
    with pytest.raises(StoreError, match="not a vidrec store"):
        Store.open(tmp_path)
    (tmp_path / "holiday.jpg").unlink()
    (tmp_path / "vidrec.toml").write_text("[ingest]\n")  # settings alone are fine
    Store.open(tmp_path, dim=4).close()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "store").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        Store.open(tmp_path / "store")


def test_other_dimensions_or_encoders_are_refused(tmp_path):
    Store.open(tmp_path / "s", dim=8, text_encoder="e5-small").close()
    with pytest.raises(StoreError, match="index_dim=8"):
        Store.open(tmp_path / "s", dim=16)
    with pytest.raises(StoreError, match="text_encoder='e5-small'"):
        Store.open(tmp_path / "s", text_encoder="bge-m3")
    Store.open(tmp_path / "s").close()  # nothing asked: the recorded settings are used


def test_the_default_dimension_is_the_text_encoders():
    from vidrec.encoders.text import E5TextEncoder
    from vidrec.store import DEFAULT_DIM

    assert DEFAULT_DIM == E5TextEncoder.dim


def test_one_writer_at_a_time_readers_alongside(tmp_path):
    path = tmp_path / "s"
    writer = Store.open(path, dim=8)
    with pytest.raises(StoreError, match="another vidrec process"):
        Store.open(path)
    reader = Store.open(path, readonly=True)
    assert len(reader.vectors) == 0
    fill(writer)
    writer.save()
    reader.refresh()
    assert len(reader.vectors) == 3 and reader.lexical.search("jeans")[0][0] == "2"
    assert reader.metadata.count() == 2
    with pytest.raises(StoreError, match="read-only"):
        reader.save()
    reader.close()
    writer.close()
    Store.open(path).close()  # the lock is released on close


def test_a_corrupt_database_or_index_is_a_clear_error_and_releases_the_lock(tmp_path):
    path = tmp_path / "s"
    with Store.open(path, dim=4) as store:
        store.vectors.add(["a"], unit(np.ones((1, 4))), [{}])
    (path / "vectors.index").write_bytes(b"garbage")
    with pytest.raises(StoreError, match="rebuild"):
        Store.open(path)
    (path / "vectors.index").unlink()
    Store.open(path).close()  # lock released after the failure; a missing index is rebuilt empty
    (path / "vidrec.sqlite").write_bytes(b"garbage" * 1000)
    for name in ("vidrec.sqlite-wal", "vidrec.sqlite-shm"):
        (path / name).unlink(missing_ok=True)
    with pytest.raises(StoreError, match="not a readable vidrec database"):
        Store.open(path)


def test_a_lost_vector_file_is_an_error_naming_it_not_an_empty_search(tmp_path):
    path = tmp_path / "s"
    with Store.open(path, dim=8) as store:
        fill(store)
    (path / "vectors.index").unlink()
    for readonly in (True, False):
        with pytest.raises(StoreError, match=r"vectors\.index is missing but the store holds 2 items") as err:
            Store.open(path, readonly=readonly)
        assert f"vidrec ingest CATALOG --store {path}" in str(err.value)
    # the ingest writer opens it to re-index the items from their features; the lock was released meanwhile
    with Store.open(path, rebuilding=True) as store:
        assert len(store.vectors) == 0 and store.metadata.count() == 2


def test_search_on_a_store_without_its_vector_file_exits_5_and_says_why(tmp_path):
    path = tmp_path / "s"
    with Store.open(path, dim=8) as store:
        fill(store)
    (path / "vectors.index").unlink()
    wide = {**os.environ, "COLUMNS": "1000"}  # rich wraps the message at the terminal width, mid-word too
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "search", "连衣裙", "--store", str(path)],
                          capture_output=True, text=True, timeout=300, env=wide)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    said = proc.stdout + proc.stderr
    assert f"{path / 'vectors.index'} is missing" in said and "vidrec ingest CATALOG --store" in said
    assert "Traceback" not in said


# ------------------------------------------------------------------------------------------------ other backends


def test_a_store_on_postgresql_and_milvus_lite_records_where_they_are(tmp_path, postgres_url):
    pytest.importorskip("milvus_lite")
    path = tmp_path / "store"
    vectors = str(tmp_path / "vectors.db")
    with Store.open(path, dim=8, metadata=postgres_url, vectors=vectors) as store:
        assert store.metadata.dialect == "postgresql" and type(store.vectors).__name__ == "MilvusIndex"
        fill(store)
    assert not (path / "vidrec.sqlite").exists() and is_store(path)
    with Store.open(path, readonly=True) as store:  # nothing said: the recorded backends are used
        assert store.metadata.dialect == "postgresql" and store.metadata.count() == 2
        assert [h.item_id for h in store.vectors.search_items(unit(np.eye(8))[0], 2)] == ["1", "2"]
    with pytest.raises(StoreError, match="keeps its vectors at"):
        Store.open(path, vectors=str(tmp_path / "other.db"))
    Store.open(tmp_path / "sqlite-store", dim=8).close()
    with pytest.raises(StoreError, match="keeps its metadata at its own folder"):
        Store.open(tmp_path / "sqlite-store", metadata=postgres_url)  # an existing SQLite store is not moved


def test_the_metadata_url_can_come_from_the_environment(tmp_path, postgres_url, monkeypatch):
    monkeypatch.setenv("VIDREC_METADATA_URL", postgres_url)
    with Store.open(tmp_path / "store", dim=8) as store:
        assert store.metadata.dialect == "postgresql"
    monkeypatch.delenv("VIDREC_METADATA_URL")
    with Store.open(tmp_path / "store") as store:
        assert store.metadata.dialect == "postgresql" and store.dim == 8


def test_wrong_backend_urls_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="postgresql://"):
        Store.open(tmp_path / "s", metadata="mysql://db/x")
    with pytest.raises(StoreError, match="milvus://HOST:PORT"):
        Store.open(tmp_path / "s", vectors="redis://x")
    assert not (tmp_path / "s" / "backends.json").exists()


def test_a_store_past_its_hnsw_threshold_holds_its_vectors_in_a_graph(tmp_path):
    # the switch is one setting of the vector index (vidrec.store.faiss_index.HNSW_THRESHOLD by default)
    from vidrec.store import faiss_index

    assert faiss_index.FaissIndex(8).hnsw_threshold == faiss_index.HNSW_THRESHOLD
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((1200, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [str(i) for i in range(1200)]
    payloads = [{"item_id": i, "kind": "text", "category": "dress" if int(i) % 3 else "shirt"} for i in ids]
    path = tmp_path / "store"
    with Store.open(path, dim=8, ivf_threshold=300, hnsw_threshold=1000) as store:
        store.vectors.add(ids[:900], vecs[:900], payloads[:900])
        assert store.vectors.index_type == "ivf"
        store.vectors.add(ids[900:], vecs[900:], payloads[900:])
        assert store.vectors.index_type == "hnsw"
        store.vectors.save()
    with Store.open(path, create=False, hnsw_threshold=1000) as store:
        assert store.vectors.index_type == "hnsw" and len(store.vectors) == 1200
        hits = store.vectors.search(vecs[4], 3, Filter(category={"dress"}))
        assert hits[0][0] == "4" and all(int(v) % 3 for v, _ in hits)
