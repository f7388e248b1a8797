"""MetadataStore: schema and migrations, concurrent readers, transactions and crashes, every table.

Every test that takes ``db``, ``location`` or ``make_location`` runs twice: on SQLite (a file) and on PostgreSQL
(a fresh database on the throw-away server of conftest.py)."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from vidrec.errors import InputError, StoreError
from vidrec.store import metadata as metadata_module
from vidrec.store.metadata import Impression, Interaction, MetadataStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_location(request, tmp_path):
    """Makes a new, empty database location (a SQLite path or a PostgreSQL URL) each call."""
    if request.param == "sqlite":
        counter = iter(range(1000))
        return lambda: str(tmp_path / f"vidrec-{next(counter)}.sqlite")
    server = request.getfixturevalue("postgres_server")
    return server.new_database


@pytest.fixture
def location(make_location) -> str:
    return make_location()


@pytest.fixture
def db(location):
    store = MetadataStore(location)
    yield store
    store.close()


def raw_execute(location: str, sql: str) -> list[tuple]:
    """Run SQL on the database directly (not through MetadataStore); the rows as tuples."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []
    raw = sqlite3.connect(location)
    try:
        rows = raw.execute(sql).fetchall()
        raw.commit()
        return rows
    finally:
        raw.close()


def has_table(location: str, name: str) -> bool:
    if location.startswith("postgresql://"):
        return raw_execute(location, f"SELECT to_regclass('{name}') IS NOT NULL")[0][0]
    return bool(
        raw_execute(location, f"SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{name}'")
    )


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )


# ------------------------------------------------------------------------------------------------ schema


def test_a_new_database_is_at_the_latest_schema_and_sqlite_in_wal_mode(db):
    assert db.schema_version() == len(metadata_module.MIGRATIONS)
    for table in ("items", "runs", "run_items", "interactions", "impressions", "sessions", "meta", "schema_version"):
        assert has_table(db.location, table), table
    if db.dialect == "sqlite":
        assert raw_execute(db.location, "PRAGMA journal_mode")[0][0] == "wal"


def test_postgresql_keeps_full_precision_timestamps_and_bytewise_id_order(db):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's own types")
    db.add_interaction("u", "i", "view", ts=1_790_000_000.123456)
    assert next(db.interactions()).ts == 1_790_000_000.123456  # REAL would have been float4 there
    for item_id in ("b", "B", "a", "_", "10", "9"):
        db.upsert_item(item_id, "h", "v.mp4", {}, {})
    assert [it["id"] for it in db.items()] == sorted(["b", "B", "a", "_", "10", "9"])  # as SQLite orders them


def test_opening_an_older_database_applies_the_new_migrations_and_keeps_data(location, monkeypatch):
    path = location
    old = MetadataStore(path)
    old.upsert_item("1", "h1", "a.mp4", {"title": "red dress"}, {"category": "dresses", "price": 99})
    old.close()
    monkeypatch.setattr(
        metadata_module,
        "MIGRATIONS",
        [
            *metadata_module.MIGRATIONS,
            ["ALTER TABLE items ADD COLUMN material TEXT", "UPDATE items SET material = 'silk'"],
        ],
    )
    new = MetadataStore(path)
    assert new.schema_version() == len(metadata_module.MIGRATIONS)
    assert new.get_item("1")["price"] == 99
    assert new._query("SELECT material FROM items WHERE id = '1'")[0]["material"] == "silk"
    new.close()


def test_a_failing_migration_changes_nothing(location, monkeypatch):
    path = location
    MetadataStore(path).close()
    before = len(metadata_module.MIGRATIONS)
    monkeypatch.setattr(
        metadata_module,
        "MIGRATIONS",
        [*metadata_module.MIGRATIONS, ["CREATE TABLE extra (x INTEGER)", "THIS IS NOT SQL"]],
    )
    with pytest.raises(StoreError):
        MetadataStore(path)
    monkeypatch.undo()
    assert raw_execute(path, "SELECT version FROM schema_version")[0][0] == before
    assert not has_table(path, "extra")


def test_a_database_from_a_newer_vidrec_is_refused(location):
    path = location
    MetadataStore(path).close()
    raw_execute(path, "UPDATE schema_version SET version = 999")
    with pytest.raises(StoreError, match="upgrade vidrec"):
        MetadataStore(path)


def test_an_unreachable_postgresql_server_is_a_clear_error():
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at postgresql://vidrec@127.0.0.1:9/x"):
        MetadataStore("postgresql://vidrec:secret@127.0.0.1:9/x")  # the password is not shown


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "vidrec.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable vidrec database"):
        MetadataStore(path)


def test_read_only_refuses_writes_and_missing_databases(make_location, db):
    with pytest.raises(StoreError, match="ingest"):
        MetadataStore(make_location(), readonly=True)  # nothing there yet (or an empty PostgreSQL database)
    db.upsert_item("1", "h", "v.mp4", {}, {})
    reader = MetadataStore(db.location, readonly=True)
    assert reader.get_item("1")["id"] == "1"
    with pytest.raises(StoreError, match="read-only"):
        reader.upsert_item("2", "h", "v.mp4", {}, {})
    reader.close()


# ------------------------------------------------------------------------------------------------ items


def test_items_round_trip_update_delete_and_revive(db):
    db.upsert_item(
        "1",
        "h1",
        "videos/1.mp4",
        {"title": "红色连衣裙", "attributes": {"color": {"value": "red"}}},
        {"category": "dresses", "colors": ["red"], "price": "199", "brand": "Acme", "gender": "women"},
    )
    item = db.get_item("1")
    assert item["title"] == "红色连衣裙"  # from the profile when facets have none
    assert item["profile"]["attributes"]["color"]["value"] == "red"
    assert (item["category"], item["colors"], item["price"], item["brand"], item["gender"]) == (
        "dresses",
        ["red"],
        199.0,
        "Acme",
        "women",
    )
    assert item["content_hash"] == "h1" and item["video_path"] == "videos/1.mp4" and not item["deleted"]
    db.upsert_item("1", "h2", "videos/1.mp4", {}, {"title": "Red dress", "colors": "blue"})
    item = db.get_item("1")
    assert (item["content_hash"], item["title"], item["colors"], item["price"]) == (
        "h2",
        "Red dress",
        ["blue"],
        None,
    )
    assert db.count() == 1
    assert db.delete_items(["1", "nope"]) == 1
    assert db.get_item("1") is None and db.get_item("1", include_deleted=True)["deleted"]
    assert db.count() == 0 and db.item_hashes() == {}
    db.upsert_item("1", "h3", "videos/1.mp4", {}, {})
    assert db.get_item("1")["content_hash"] == "h3" and db.count() == 1


def test_items_iterate_in_pages_and_by_ids(db):
    with db.transaction():
        for i in range(1203):
            db.upsert_item(f"{i:05d}", f"h{i}", f"{i}.mp4", {"title": f"item {i}"}, {"price": i})
    db.delete_items(["00007"])
    listed = list(db.items())
    assert len(listed) == 1202 and [it["id"] for it in listed] == sorted(it["id"] for it in listed)
    assert "00007" not in {it["id"] for it in listed}
    assert len(list(db.items(include_deleted=True))) == 1203
    assert [it["id"] for it in db.items(ids=["00003", "00001", "missing", "00007"])] == ["00001", "00003"]
    assert len(list(db.items(ids=[f"{i:05d}" for i in range(700)]))) == 699
    hashes = db.item_hashes()
    assert len(hashes) == 1202 and hashes["00010"] == "h10"


def test_unknown_facets_and_bad_prices_are_input_errors(db):
    with pytest.raises(InputError, match="unknown facets"):
        db.upsert_item("1", "h", "v.mp4", {}, {"colour": "red"})
    with pytest.raises(InputError, match="not a number"):
        db.upsert_item("1", "h", "v.mp4", {}, {"price": "cheap"})
    with pytest.raises(InputError, match="JSON"):
        db.upsert_item("1", "h", "v.mp4", {"x": object()}, {})
    assert db.count() == 0


def test_meta_values_are_json(db):
    assert db.get_meta("index_dim") is None and db.get_meta("x", 5) == 5
    db.set_meta("index_dim", 384)
    db.set_meta("encoder", {"name": "e5", "dim": 384})
    db.set_meta("index_dim", 512)
    assert db.get_meta("index_dim") == 512 and db.get_meta("encoder") == {"name": "e5", "dim": 384}


# ------------------------------------------------------------------------------------------------ transactions


def test_a_failed_transaction_rolls_back_and_keeps_what_was_committed(db):
    db.upsert_item("kept", "h", "v.mp4", {}, {})
    with pytest.raises(RuntimeError), db.transaction():
        db.upsert_item("lost1", "h", "v.mp4", {}, {})
        db.upsert_item("lost2", "h", "v.mp4", {}, {})
        raise RuntimeError("crash in the middle")
    assert [it["id"] for it in db.items()] == ["kept"]
    db.upsert_item("after", "h", "v.mp4", {}, {})  # the connection is usable again
    assert db.count() == 2


def test_a_process_killed_mid_transaction_loses_only_that_transaction(location):
    path = location
    result = run_python(
        """
        import os, sys
        from vidrec.store.metadata import MetadataStore
        db = MetadataStore(sys.argv[1])
        run = db.start_run({"catalog": "c.csv"}, run_id="r1")
        for i in range(5):
            db.upsert_item(str(i), f"h{i}", f"{i}.mp4", {}, {})
            db.record_run_item(run, str(i), "ingested", seconds=0.5)
        with db.transaction():
            db.upsert_item("5", "h5", "5.mp4", {}, {})
            db.record_run_item(run, "5", "ingested")
            os._exit(1)  # killed: no commit, no cleanup
        """,
        str(path),
    )
    assert result.returncode == 1, result.stderr
    db = MetadataStore(path)
    assert sorted(db.item_hashes()) == ["0", "1", "2", "3", "4"]
    run = db.get_run("r1")
    assert run["finished_at"] is None and run["counts"] == {"ingested": 5, "skipped": 0, "failed": 0}
    assert [r["run_id"] for r in db.runs(unfinished_only=True)] == ["r1"]
    db.close()


def test_runs_left_unfinished_by_a_killed_process_are_closed_as_interrupted(db):
    killed = db.start_run({"catalog": "c.csv"}, run_id="r-killed")
    db.record_run_item(killed, "1", "ingested", seconds=1.0)
    db.record_run_item(killed, "2", "failed", error="no video stream")
    done = db.start_run({"catalog": "c.csv"}, run_id="r-done")
    db.finish_run(done, {"ingested": 0})
    assert db.get_run(killed)["status"] == "unfinished" and db.get_run(done)["status"] == "finished"
    assert db.mark_unfinished_runs_interrupted() == ["r-killed"]
    run = db.get_run(killed)
    assert run["status"] == "interrupted" and run["finished_at"] is not None
    assert run["summary"]["interrupted"] is True and run["summary"]["ingested"] == 1
    assert run["summary"]["failed"] == 1 and "killed" in run["summary"]["ended"]
    assert db.runs(unfinished_only=True) == [] and db.get_run(done)["summary"] == {"ingested": 0}
    assert db.mark_unfinished_runs_interrupted() == []


def test_readers_are_not_blocked_by_an_open_write_transaction(db):
    db.upsert_item("1", "h", "v.mp4", {}, {})
    in_transaction, release = threading.Event(), threading.Event()

    def write() -> None:
        with db.transaction():
            db.upsert_item("2", "h", "v.mp4", {}, {})
            in_transaction.set()
            release.wait()

    writer = threading.Thread(target=write)
    writer.start()
    in_transaction.wait()
    try:
        reader = MetadataStore(db.location, readonly=True)
        assert reader.count() == 1  # sees the last commit, does not wait for the writer
        assert db.count() == 1  # another thread of the same store: its own connection
    finally:
        release.set()
        writer.join()
    assert reader.count() == 2
    reader.close()


def test_a_second_writer_waits_for_busy_timeout_then_says_what_to_do(db):
    other = MetadataStore(db.location, busy_timeout_s=0.2)
    in_transaction, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction():
            db.set_meta("holding", True)
            in_transaction.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    in_transaction.wait()
    try:
        with pytest.raises(StoreError, match="busy"):
            other.set_meta("x", 1)
    finally:
        release.set()
        holder.join()
    other.set_meta("x", 1)  # fine once the lock is free
    assert db.get_meta("x") == 1
    other.close()


def test_a_reader_process_sees_a_consistent_growing_store_while_another_writes(location):
    path = location
    MetadataStore(path).close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
            import sys
            from vidrec.store.metadata import MetadataStore
            db = MetadataStore(sys.argv[1])
            for i in range(300):
                with db.transaction():  # item and its run record land together
                    db.upsert_item(str(i), f"h{i}", f"{i}.mp4", {"n": i}, {"price": i})
                    db.set_meta("last", i)
            """
            ),
            str(path),
        ],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd=REPO,
    )
    reader = MetadataStore(path, readonly=True)
    seen = []
    while writer.poll() is None:
        with reader.snapshot():
            count = reader.count()
            last = reader.get_meta("last")
        assert last is None or count == last + 1  # never half a transaction
        seen.append(count)
    assert writer.returncode == 0
    assert seen == sorted(seen)
    assert reader.count() == 300
    reader.close()


# ------------------------------------------------------------------------------------------------ runs


def test_writing_inside_a_snapshot_is_refused(db):
    with db.snapshot():
        assert db.count() == 0
        with pytest.raises(StoreError, match="snapshot"):
            db.set_meta("x", 1)
    db.set_meta("x", 1)
    assert db.get_meta("x") == 1


def test_runs_record_items_and_summaries(db):
    run = db.start_run({"catalog": "c.csv", "workers": 2})
    db.record_run_item(run, "1", "ingested", seconds=3.5)
    db.record_run_item(run, "2", "failed", error="no video stream")
    db.record_run_item(run, "2", "skipped")  # a later record replaces the earlier one
    with pytest.raises(InputError, match="status"):
        db.record_run_item(run, "3", "exploded")
    assert db.runs(unfinished_only=True)[0]["run_id"] == run
    db.finish_run(run, {"ingested": 1, "skipped": 1, "failed": 0})
    got = db.get_run(run)
    assert got["args"] == {"catalog": "c.csv", "workers": 2}
    assert got["summary"] == {"ingested": 1, "skipped": 1, "failed": 0}
    assert got["counts"] == {"ingested": 1, "skipped": 1, "failed": 0} and got["finished_at"] is not None
    assert db.run_items(run) == [
        {"item_id": "1", "status": "ingested", "error": None, "seconds": 3.5},
        {"item_id": "2", "status": "skipped", "error": None, "seconds": None},
    ]
    assert db.runs(unfinished_only=True) == [] and db.get_run("nope") is None
    with pytest.raises(InputError, match="no run"):
        db.finish_run("nope", {})
    with pytest.raises(StoreError):
        db.record_run_item("nope", "1", "ingested")  # unknown run: foreign key


# ------------------------------------------------------------------------------------------------ interactions and sessions


def test_an_erased_user_leaves_no_trace_in_the_database_files(tmp_path, monkeypatch):
    """secure_delete zeroes the deleted rows and the checkpoint after the erase empties the write-ahead log, which
    otherwise keeps the pages as they were before the delete."""
    connect = sqlite3.connect

    def built_without_secure_delete(*args, **kwargs):  # Debian's SQLite has it on by default, python.org's not
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr("vidrec.store.database.sqlite3.connect", built_without_secure_delete)
    path = tmp_path / "vidrec.sqlite"
    db = MetadataStore(path)
    reader = MetadataStore(path, readonly=True)  # another connection open meanwhile, as in a server
    try:
        db.add_interaction("keep-me", "item-kept", "view", ts=1.0)
        for k in range(50):
            db.add_interaction("erase-me-zz", f"item-secret-{k}", "like", ts=2.0 + k, session_id="sess-secret")
        db.put_session("sess-secret", {"said": "my very private wish for a teal raincoat"}, owner="erase-me-zz")
        db.log_shown("erase-me-zz", "sess-secret", 0, [f"item-shown-secret-{k}" for k in range(4)], ts=60.0)
        db.put_session("sess-other", {"said": "a red dress"}, owner="keep-me")
        assert len(list(reader.interactions("erase-me-zz"))) == 50
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]

        def everything() -> bytes:
            return b"".join(f.read_bytes() for f in files if f.exists())

        assert b"teal raincoat" in everything() and b"erase-me-zz" in everything()
        assert db.delete_user("erase-me-zz") == 55
        left = everything()
        for secret in (b"erase-me-zz", b"teal raincoat", b"item-secret-", b"sess-secret", b"item-shown-secret"):
            assert secret not in left, secret
        assert b"item-kept" in left and b"a red dress" in left  # the others' data is still there
        assert [i.item_id for i in reader.interactions()] == ["item-kept"]
    finally:
        reader.close()
        db.close()


def test_interactions_in_time_order_per_user_and_forgetting_a_user(db):
    db.add_interaction("u1", "i1", "view", ts=30.0, session_id="s1")
    db.add_interaction("u2", "i2", "like", 1.0, ts=10.0)
    db.add_interactions(
        [Interaction("u1", "i3", "buy", 199.0, 20.0), Interaction("u1", "i4", "click", None, 20.0)]
    )
    assert [(i.item_id, i.ts) for i in db.interactions()] == [
        ("i2", 10.0),
        ("i3", 20.0),
        ("i4", 20.0),
        ("i1", 30.0),
    ]
    assert [i.item_id for i in db.interactions("u1")] == ["i3", "i4", "i1"]
    assert next(db.interactions("u2")) == Interaction("u2", "i2", "like", 1.0, 10.0, None)
    db.put_session("s1", {"likes": ["i1"]}, owner="u1")
    db.put_session("s2", {}, owner="u2")
    assert db.delete_user("u1") == 4
    assert (
        list(db.interactions("u1")) == []
        and db.get_session("s1") is None
        and db.get_session("s2") is not None
    )


def test_a_store_made_before_impressions_is_upgraded_and_keeps_its_interactions(location, monkeypatch):
    monkeypatch.setattr(metadata_module, "MIGRATIONS", metadata_module.MIGRATIONS[:1])
    old = MetadataStore(location)
    old.add_interaction("u1", "i1", "like", ts=5.0, session_id="s1")
    old.close()
    assert not has_table(location, "impressions")
    monkeypatch.undo()
    new = MetadataStore(location)
    try:
        assert new.schema_version() == 2 and has_table(location, "impressions")
        assert [(i.user_id, i.item_id, i.event) for i in new.interactions()] == [("u1", "i1", "like")]
        new.log_shown("u1", "s1", 0, ["i1", "i2"], ts=6.0)
        assert [(i.item_id, i.position) for i in new.impressions("u1")] == [("i1", 0), ("i2", 1)]
    finally:
        new.close()


def test_shown_lists_keep_session_turn_and_positions_and_are_forgotten_with_their_user(db):
    assert db.log_shown("u1", "s1", 0, ["a", "b", "c"], ts=10.0) == 3
    db.log_shown("u2", "s2", 0, ["b", "d"], ts=11.0)
    db.log_shown("u1", "s1", 1, ["e"], first_position=2, ts=12.0)  # a card put into the list in place of "c"
    db.add_interaction("u1", "b", "like", ts=11.5, session_id="s1")
    assert list(db.impressions("u1")) == [
        Impression("u1", "s1", 0, "a", 0, 10.0),
        Impression("u1", "s1", 0, "b", 1, 10.0),
        Impression("u1", "s1", 0, "c", 2, 10.0),
        Impression("u1", "s1", 1, "e", 2, 12.0),
    ]
    assert [(i.user_id, i.item_id) for i in db.impressions()] == [
        ("u1", "a"), ("u1", "b"), ("u1", "c"), ("u2", "b"), ("u2", "d"), ("u1", "e")]
    with pytest.raises(InputError, match="must be 0 or more"):
        db.log_shown("u1", "s1", 2, ["f"], first_position=-1)
    assert db.delete_user("u1") == 5  # four shown cards and one like
    assert list(db.impressions("u1")) == [] and len(list(db.impressions())) == 2


def test_impressions_page_through_many_rows_with_equal_timestamps(db):
    db.add_impressions(Impression(f"u{i % 3}", "s", i // 10, f"i{i}", i % 10, float(i // 100)) for i in range(1234))
    rows = list(db.impressions())
    assert [r.item_id for r in rows] == [f"i{i}" for i in range(1234)]
    assert len(list(db.impressions("u2"))) == 411


def test_interactions_page_through_many_rows_with_equal_timestamps(db):
    db.add_interactions(Interaction(f"u{i % 3}", f"i{i}", "view", None, float(i // 100)) for i in range(1234))
    rows = list(db.interactions())
    assert len(rows) == 1234 and [r.item_id for r in rows] == [f"i{i}" for i in range(1234)]
    assert len(list(db.interactions("u1"))) == 411


def test_sessions_put_get_replace_delete_and_expire(db):
    assert db.get_session("s") is None
    db.put_session("s", {"turns": 1, "constraints": {"color": "红色"}})
    db.put_session("s", {"turns": 2, "constraints": {"color": "红色"}}, owner="u9")
    got = db.get_session("s")
    assert got["state"] == {"turns": 2, "constraints": {"color": "红色"}} and got["owner"] == "u9"
    db.put_session("old", {})
    assert db.delete_sessions_before(got["updated_at"] + 1e6) == 2
    db.put_session("s", {})
    assert db.delete_session("s") is True and db.delete_session("s") is False


def test_connections_of_other_threads_are_closed_too(location):
    db = MetadataStore(location)
    t = threading.Thread(target=db.count)
    t.start()
    t.join()
    db.close()
    with pytest.raises(StoreError, match="closed"):
        db.count()


def test_a_thread_that_ends_closes_its_connection(location):
    """A server's worker threads end and new ones start all day: the connections must follow the live threads
    (issue 19, memory flat under load), not pile up one per thread that ever ran."""
    db = MetadataStore(location)
    db.count()  # this thread's own connection
    used: list = []

    def work() -> None:
        db.count()
        used.append(db._conn())

    for _ in range(60):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    gc.collect()
    assert db.open_connections == 1  # this (live) thread's only
    assert len(used) == 60
    for conn in used:  # each ended thread's connection is closed, not just forgotten
        with pytest.raises(Exception, match="(?i)closed"):
            conn.execute("SELECT 1")
    # a thread still alive keeps its connection; it is closed when that thread ends
    started, finish = threading.Event(), threading.Event()

    def stay() -> None:
        db.count()
        started.set()
        finish.wait(10)

    t = threading.Thread(target=stay)
    t.start()
    started.wait(10)
    assert db.open_connections == 2
    finish.set()
    t.join()
    gc.collect()
    assert db.open_connections == 1
    db.close()
    assert db.open_connections == 0


def test_a_store_dropped_unclosed_is_freed_while_its_threads_live_on(location):
    """The thread-end hook must not keep the store alive: a long-lived thread (the server's workers, a test run)
    opening store after store would otherwise keep every one of them."""
    import weakref

    db = MetadataStore(location)
    db.count()
    conn = db._conn()
    gone = weakref.ref(db)
    del db
    gc.collect()
    assert gone() is None
    with pytest.raises(Exception, match="(?i)closed"):
        conn.execute("SELECT 1")  # and its connection was closed on the way
