"""Items, ingest runs, interactions, shown lists (impressions) and chat sessions in SQLite (WAL mode), or in PostgreSQL given a URL.

The SQL is written once in the SQLite dialect; vidrec/store/database.py opens connections and translates what
PostgreSQL needs (placeholders, types, the writer lock, snapshots). What follows holds for both.

One writer and many readers, across threads and processes: WAL lets readers go on while a write commits, every
write is one ``BEGIN IMMEDIATE`` transaction (so writers queue on ``busy_timeout`` instead of failing halfway), and
each thread gets its own connection. A crash loses at most the transaction it interrupted; everything committed
before it stays.

The schema has a version (table ``schema_version``) and a list of migrations; opening a store made by an older
vidrec applies the missing ones in one transaction, and a store made by a newer vidrec is refused.
Timestamps are Unix seconds (float).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidrec.errors import InputError, StoreError
from vidrec.store.database import Connection, Database, SqliteDatabase, open_database

log = logging.getLogger(__name__)

# Each migration is a list of statements; migration i brings the schema from version i to i + 1.
MIGRATIONS: list[list[str | dict[str, str]]] = [
    [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE items (
            id TEXT PRIMARY KEY,
            content_hash TEXT,
            video_path TEXT,
            title TEXT,
            profile_json TEXT NOT NULL DEFAULT '{}',
            category TEXT,
            colors_json TEXT NOT NULL DEFAULT '[]',
            price REAL,
            brand TEXT,
            gender TEXT,
            updated_at REAL NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX items_category ON items (category)",
        "CREATE INDEX items_brand ON items (brand)",
        "CREATE INDEX items_price ON items (price)",
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            started_at REAL NOT NULL,
            finished_at REAL,
            args_json TEXT NOT NULL DEFAULT '{}',
            summary_json TEXT
        )""",
        {  # PostgreSQL has no implicit rowid; run_items() lists records in the order they were first made
            "sqlite": """CREATE TABLE run_items (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ingested', 'skipped', 'failed')),
            error TEXT,
            seconds REAL,
            PRIMARY KEY (run_id, item_id)
        )""",
            "postgresql": """CREATE TABLE run_items (
            rowid BIGINT GENERATED ALWAYS AS IDENTITY,
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ingested', 'skipped', 'failed')),
            error TEXT,
            seconds REAL,
            PRIMARY KEY (run_id, item_id)
        )""",
        },
        """CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            event TEXT NOT NULL,
            value REAL,
            ts REAL NOT NULL,
            session_id TEXT
        )""",
        "CREATE INDEX interactions_user ON interactions (user_id, ts)",
        "CREATE INDEX interactions_ts ON interactions (ts)",
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            owner TEXT,
            state_json TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX sessions_owner ON sessions (owner)",
    ],
    [  # 2: what each turn showed, card by card (a model can learn from what was shown and not chosen)
        """CREATE TABLE impressions (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            pos INTEGER NOT NULL,
            ts REAL NOT NULL
        )""",
        "CREATE INDEX impressions_user ON impressions (user_id, ts)",
        "CREATE INDEX impressions_session ON impressions (session_id, turn)",
    ],
]

FACET_KEYS = ("title", "category", "colors", "price", "brand", "gender")
RUN_STATUSES = ("ingested", "skipped", "failed")
_ITEM_COLUMNS = "id, content_hash, video_path, title, profile_json, category, colors_json, price, brand, gender, updated_at, deleted"
_PAGE = 500


@dataclass(frozen=True)
class Interaction:
    """One thing a user did with an item: ``event`` is e.g. "view", "click", "like", "reject", "buy"."""

    user_id: str
    item_id: str
    event: str
    value: float | None
    ts: float
    session_id: str | None = None


@dataclass(frozen=True)
class Impression:
    """One card on a shopper's screen: ``item_id`` shown at ``position`` (0 = first) of the list turn ``turn``
    (0-based, the session's turn counter) of session ``session_id`` showed, at ``ts``. Shown lists are logged
    here, not as interactions: being shown is not a choice."""

    user_id: str
    session_id: str
    turn: int
    item_id: str
    position: int
    ts: float


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{what} is not JSON-serialisable ({exc}); pass plain dicts, lists, strings and numbers"
        ) from exc


def _item_row(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "content_hash": row["content_hash"],
        "video_path": row["video_path"],
        "title": row["title"],
        "profile": json.loads(row["profile_json"]),
        "category": row["category"],
        "colors": json.loads(row["colors_json"]),
        "price": row["price"],
        "brand": row["brand"],
        "gender": row["gender"],
        "updated_at": row["updated_at"],
        "deleted": bool(row["deleted"]),
    }


def _release(connections: dict[int, Connection], lock: threading.Lock, key: int) -> None:
    """Close and drop one connection of a store (its thread ended), unless close() did already."""
    with lock:
        conn = connections.pop(key, None)
    if conn is not None:
        conn.close()


class _ThreadMarker:
    """Kept in a thread's thread-local values only: it goes when the thread ends (see MetadataStore._conn)."""


class MetadataStore:
    """The metadata of a store: ``store_dir/vidrec.sqlite`` by default, or a PostgreSQL database."""

    def __init__(self, path: str | Path, *, readonly: bool = False, busy_timeout_s: float = 30.0) -> None:
        """``path``: a SQLite file, or a ``postgresql://user@host:port/dbname`` URL (see database.py)."""
        self._db: Database = open_database(path, busy_timeout_s)
        self.location = str(path)  # what to pass to open this database again
        self.path = Path(path) if isinstance(self._db, SqliteDatabase) else None
        self.where = self._db.where
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        # every open connection, by id; a thread's connection is closed and dropped when the thread ends (see _conn)
        self._connections: dict[int, Connection] = {}
        self._connections_lock = threading.Lock()
        self._closed = False
        if readonly and not self._db.exists():
            raise StoreError(f"no database at {self.where}; run `vidrec ingest` to build the store first")
        self._migrate()

    @property
    def dialect(self) -> str:
        return "sqlite" if isinstance(self._db, SqliteDatabase) else "postgresql"

    # ------------------------------------------------------------------------------------------ connections

    def _conn(self) -> Connection:
        if self._closed:
            raise StoreError(f"the database {self.where} was closed; open the store again")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._errors():
                conn = self._db.connect(self.readonly)
            self._local.conn = conn
            self._local.depth = 0
            with self._connections_lock:
                self._connections[id(conn)] = conn
            # A server's worker threads come and go (anyio ends a thread idle for 10 s and starts a new one when
            # needed); each new one opens a connection here. When a thread ends, its thread-local values go, and
            # with them this marker, whose finaliser closes the thread's connection, so the connections (each
            # with its page cache and statement cache) are as many as the live threads, not all there ever were.
            # (The finaliser holds the dict and its lock, not this store, so a store dropped without close() is
            # still freed while its threads live on.)
            self._local.marker = marker = _ThreadMarker()
            weakref.finalize(marker, _release, self._connections, self._connections_lock, id(conn))
        return conn

    @property
    def open_connections(self) -> int:
        """How many connections are open now (one per thread that used the store and is still alive)."""
        with self._connections_lock:
            return len(self._connections)

    def _errors(self):
        """Driver errors as StoreErrors that say what to do."""
        return self._db.errors()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic write: everything inside commits together or not at all. Nested calls join the outer one."""
        if self.readonly:
            raise StoreError(f"{self.where} was opened read-only; open the store for writing to change it")
        conn = self._conn()
        if getattr(self._local, "snapshot", False):
            raise StoreError(
                "cannot write inside MetadataStore.snapshot(); use transaction() for reads and writes"
            )
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        with self._errors():
            try:
                self._db.begin_write(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        with self._errors():
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one consistent state of the database, even while another process commits.
        Writing inside a snapshot is an error (open a :meth:`transaction` instead)."""
        conn = self._conn()
        if self._local.depth or getattr(self._local, "snapshot", False):
            yield
            return
        with self._errors():
            self._db.begin_snapshot(conn)
        self._local.snapshot = True
        try:
            yield
        finally:
            self._local.snapshot = False
            if conn.in_transaction:
                conn.execute("ROLLBACK")  # nothing was written: this only ends the read

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._errors():
            return self._conn().execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        self._closed = True
        with self._connections_lock:
            conns = list(self._connections.values())
            self._connections.clear()
        for conn in conns:
            conn.close()

    # ------------------------------------------------------------------------------------------ schema

    def schema_version(self) -> int:
        with self._errors():
            if not self._db.table_exists(self._conn(), "schema_version"):
                return 0
        row = self._query("SELECT version FROM schema_version")
        return int(row[0]["version"]) if row else 0

    def _migrate(self) -> None:
        target = len(MIGRATIONS)
        current = self.schema_version()
        if current > target:
            raise StoreError(
                f"{self.where} uses schema version {current}, newer than this vidrec knows ({target}); upgrade vidrec"
            )
        if current == target:
            return
        if self.readonly:
            raise StoreError(
                f"{self.where} uses schema version {current} and needs upgrading to {target}; run a command that "
                f"writes to the store (e.g. `vidrec ingest`) once to upgrade it"
            )
        with self.transaction() as conn, self._errors():
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = int(conn.execute("SELECT max(version) AS v FROM schema_version").fetchone()["v"] or 0)
            for version in range(current, target):  # another process may have migrated while we waited
                for statement in MIGRATIONS[version]:
                    conn.execute(self._db.ddl(statement))
                log.info("%s: schema migrated to version %d", self.where, version + 1)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (max(current, target),))

    # ------------------------------------------------------------------------------------------ meta

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A value stored with :meth:`set_meta` (JSON), or ``default``."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as conn, self._errors():
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, _json(value, f"meta value for {key!r}")),
            )

    # ------------------------------------------------------------------------------------------ items

    def upsert_item(
        self,
        id: str,
        content_hash: str | None,
        video_path: str | None,
        profile: dict[str, Any],
        facets: dict[str, Any] | None = None,
    ) -> None:
        """Insert or replace one item (and un-delete it). ``facets`` may hold title, category, colors (list),
        price (number), brand, gender: the columns searches filter on; ``profile`` is the full item profile."""
        facets = dict(facets or {})
        unknown = set(facets) - set(FACET_KEYS)
        if unknown:
            raise InputError(
                f"item {id!r}: unknown facets {sorted(unknown)}; known facets are {list(FACET_KEYS)}"
            )
        colors = facets.get("colors") or []
        if isinstance(colors, str):
            colors = [colors]
        price = facets.get("price")
        if price is not None:
            try:
                price = float(price)
            except (TypeError, ValueError) as exc:
                raise InputError(f"item {id!r}: price {price!r} is not a number") from exc
        title = facets.get("title", profile.get("title") if isinstance(profile, dict) else None)
        row = (
            str(id),
            content_hash,
            None if video_path is None else str(video_path),
            title,
            _json(profile, f"item {id!r} profile"),
            facets.get("category"),
            _json(list(colors), f"item {id!r} colors"),
            price,
            facets.get("brand"),
            facets.get("gender"),
            time.time(),
        )
        with self.transaction() as conn, self._errors():
            conn.execute(
                f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT (id) DO UPDATE SET content_hash = excluded.content_hash, "
                "video_path = excluded.video_path, title = excluded.title, profile_json = excluded.profile_json, "
                "category = excluded.category, colors_json = excluded.colors_json, price = excluded.price, "
                "brand = excluded.brand, gender = excluded.gender, updated_at = excluded.updated_at, deleted = 0",
                row,
            )

    def get_item(self, id: str, include_deleted: bool = False) -> dict[str, Any] | None:
        """The item as a dict (id, content_hash, video_path, title, profile, category, colors, price, brand,
        gender, updated_at, deleted), or None if unknown (or deleted)."""
        rows = self._query(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (str(id),))
        if not rows or (rows[0]["deleted"] and not include_deleted):
            return None
        return _item_row(rows[0])

    def items(
        self, ids: Iterable[str] | None = None, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Items in id order (or the given ids that exist, in id order), read page by page."""
        alive = "" if include_deleted else " AND deleted = 0"
        if ids is not None:
            wanted = sorted({str(i) for i in ids})
            for start in range(0, len(wanted), _PAGE):
                chunk = wanted[start : start + _PAGE]
                marks = ",".join("?" * len(chunk))
                rows = self._query(
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE id IN ({marks}){alive} ORDER BY id", chunk
                )
                yield from (_item_row(r) for r in rows)
            return
        last = None
        while True:
            if last is None:
                rows = self._query(
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE 1 = 1{alive} ORDER BY id LIMIT {_PAGE}"
                )
            else:
                rows = self._query(
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE id > ?{alive} ORDER BY id LIMIT {_PAGE}",
                    (last,),
                )
            if not rows:
                return
            yield from (_item_row(r) for r in rows)
            last = rows[-1]["id"]

    def item_hashes(self) -> dict[str, str | None]:
        """{id: content_hash} of every item not deleted: what an ingest run compares against to skip work."""
        return {
            r["id"]: r["content_hash"]
            for r in self._query("SELECT id, content_hash FROM items WHERE deleted = 0")
        }

    def delete_items(self, ids: Iterable[str]) -> int:
        """Mark items deleted (their rows stay for past interactions); returns how many were alive."""
        wanted = [str(i) for i in ids]
        count = 0
        with self.transaction() as conn, self._errors():
            now = time.time()
            for start in range(0, len(wanted), _PAGE):
                chunk = wanted[start : start + _PAGE]
                marks = ",".join("?" * len(chunk))
                cur = conn.execute(
                    f"UPDATE items SET deleted = 1, updated_at = ? WHERE id IN ({marks}) AND deleted = 0",
                    (now, *chunk),
                )
                count += cur.rowcount
        return count

    def count(self) -> int:
        """The number of items not deleted."""
        return int(self._query("SELECT count(*) AS n FROM items WHERE deleted = 0")[0]["n"])

    # ------------------------------------------------------------------------------------------ runs

    def start_run(self, args: dict[str, Any], run_id: str | None = None) -> str:
        """Record the start of an ingest run; returns its id."""
        run_id = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        with self.transaction() as conn, self._errors():
            conn.execute(
                "INSERT INTO runs (run_id, started_at, args_json) VALUES (?, ?, ?)",
                (run_id, time.time(), _json(args, "run args")),
            )
        return run_id

    def record_run_item(
        self, run_id: str, item_id: str, status: str, error: str | None = None, seconds: float | None = None
    ) -> None:
        """What happened to one item in a run ('ingested', 'skipped' or 'failed'); a later record replaces it."""
        if status not in RUN_STATUSES:
            raise InputError(f"run item status must be one of {RUN_STATUSES}, got {status!r}")
        with self.transaction() as conn, self._errors():
            conn.execute(
                "INSERT INTO run_items (run_id, item_id, status, error, seconds) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, item_id) DO UPDATE SET status = excluded.status, error = excluded.error, "
                "seconds = excluded.seconds",
                (run_id, str(item_id), status, error, seconds),
            )

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        with self.transaction() as conn, self._errors():
            cur = conn.execute(
                "UPDATE runs SET finished_at = ?, summary_json = ? WHERE run_id = ?",
                (time.time(), _json(summary, "run summary"), run_id),
            )
            if cur.rowcount == 0:
                raise InputError(f"no run {run_id!r}; start it with start_run first")

    def mark_unfinished_runs_interrupted(self) -> list[str]:
        """Close every run that never finished (its process was killed or crashed) as interrupted; returns their
        ids. Only for the one writer of the store, at the start of its own run: a run still going in another
        process would be closed too."""
        with self.transaction() as conn, self._errors():
            rows = conn.execute("SELECT run_id FROM runs WHERE finished_at IS NULL").fetchall()
            ids = [r["run_id"] for r in rows]
            now = time.time()
            for run_id in ids:
                counts = {status: 0 for status in RUN_STATUSES}
                for r in conn.execute(
                    "SELECT status, count(*) AS n FROM run_items WHERE run_id = ? GROUP BY status", (run_id,)
                ).fetchall():
                    counts[r["status"]] = int(r["n"])
                summary = {"interrupted": True, "ended": "the process stopped before finishing the run "
                           "(killed or crashed); a later run found it unfinished", **counts}
                conn.execute(
                    "UPDATE runs SET finished_at = ?, summary_json = ? WHERE run_id = ? AND finished_at IS NULL",
                    (now, _json(summary, "run summary"), run_id),
                )
        return ids

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run (run_id, started_at, finished_at, status, args, summary) with counts per status, or None.
        ``status``: "unfinished" (going, or its process died and no run has started since), "interrupted"
        (stopped by Ctrl-C, or found unfinished by a later run) or "finished"."""
        rows = self._query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return self._run_dict(rows[0]) if rows else None

    def runs(self, unfinished_only: bool = False) -> list[dict[str, Any]]:
        """Runs, latest first; ``unfinished_only`` gives the runs that crashed or are still going."""
        where = " WHERE finished_at IS NULL" if unfinished_only else ""
        rows = self._query(f"SELECT * FROM runs{where} ORDER BY started_at DESC, run_id DESC")
        return [self._run_dict(r) for r in rows]

    def _run_dict(self, row: Any) -> dict[str, Any]:
        counts = {status: 0 for status in RUN_STATUSES}
        for r in self._query(
            "SELECT status, count(*) AS n FROM run_items WHERE run_id = ? GROUP BY status", (row["run_id"],)
        ):
            counts[r["status"]] = int(r["n"])
        summary = json.loads(row["summary_json"]) if row["summary_json"] is not None else None
        if row["finished_at"] is None:
            status = "unfinished"
        elif isinstance(summary, dict) and summary.get("interrupted"):
            status = "interrupted"
        else:
            status = "finished"
        return {
            "run_id": row["run_id"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "status": status,
            "args": json.loads(row["args_json"]),
            "summary": summary,
            "counts": counts,
        }

    def run_items(self, run_id: str) -> list[dict[str, Any]]:
        """Per-item records of a run: item_id, status, error, seconds."""
        rows = self._query(
            "SELECT item_id, status, error, seconds FROM run_items WHERE run_id = ? ORDER BY rowid", (run_id,)
        )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------------------------------ interactions

    def add_interaction(
        self,
        user_id: str,
        item_id: str,
        event: str,
        value: float | None = None,
        ts: float | None = None,
        session_id: str | None = None,
    ) -> None:
        self.add_interactions(
            [Interaction(user_id, item_id, event, value, time.time() if ts is None else ts, session_id)]
        )

    def add_interactions(self, rows: Iterable[Interaction]) -> int:
        """Append many interactions in one transaction; returns how many."""
        values = [
            (
                str(r.user_id),
                str(r.item_id),
                str(r.event),
                None if r.value is None else float(r.value),
                float(r.ts),
                r.session_id,
            )
            for r in rows
        ]
        with self.transaction() as conn, self._errors():
            conn.executemany(
                "INSERT INTO interactions (user_id, item_id, event, value, ts, session_id) VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
        return len(values)

    def interactions(self, user_id: str | None = None) -> Iterator[Interaction]:
        """Interactions in time order (all users, or one), read page by page."""
        for r in self._in_time_order("interactions", "user_id, item_id, event, value, session_id", user_id):
            yield Interaction(r["user_id"], r["item_id"], r["event"], r["value"], r["ts"], r["session_id"])

    def _in_time_order(self, table: str, columns: str, user_id: str | None) -> Iterator[Any]:
        """The rows of an event table (``id`` and ``ts`` with ``columns``) by time, then id: everyone's or one
        user's, read a page at a time after the last row read (keyset paging)."""
        where = "" if user_id is None else " AND user_id = ?"
        params: tuple[Any, ...] = () if user_id is None else (str(user_id),)
        last = (-float("inf"), -1)
        while True:
            rows = self._query(
                f"SELECT id, ts, {columns} FROM {table} "
                f"WHERE (ts > ? OR (ts = ? AND id > ?)){where} ORDER BY ts, id LIMIT {_PAGE}",
                (last[0], last[0], last[1], *params),
            )
            if not rows:
                return
            yield from rows
            last = (rows[-1]["ts"], rows[-1]["id"])

    # ------------------------------------------------------------------------------------------ impressions

    def add_impressions(self, rows: Iterable[Impression]) -> int:
        """Append shown cards in one transaction; returns how many. A position or turn below 0 is an InputError."""
        values = []
        for r in rows:
            if int(r.position) < 0 or int(r.turn) < 0:
                raise InputError(
                    f"impression of item {r.item_id!r}: turn {r.turn} and position {r.position} must be 0 or more"
                )
            values.append((str(r.user_id), str(r.session_id), int(r.turn), str(r.item_id), int(r.position),
                           float(r.ts)))
        if not values:
            return 0
        with self.transaction() as conn, self._errors():
            conn.executemany(
                "INSERT INTO impressions (user_id, session_id, turn, item_id, pos, ts) VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
        return len(values)

    def log_shown(self, user_id: str, session_id: str, turn: int, item_ids: Iterable[str], first_position: int = 0,
                  ts: float | None = None) -> int:
        """One shown list (or the cards put into one at ``first_position`` on): a row per card, in order."""
        now = time.time() if ts is None else float(ts)
        return self.add_impressions(
            Impression(user_id, session_id, turn, item, first_position + k, now) for k, item in enumerate(item_ids)
        )

    def impressions(self, user_id: str | None = None) -> Iterator[Impression]:
        """Shown cards in time order (then session, turn, position): everyone's, or one user's; page by page."""
        for r in self._in_time_order("impressions", "user_id, session_id, turn, item_id, pos", user_id):
            yield Impression(r["user_id"], r["session_id"], int(r["turn"]), r["item_id"], int(r["pos"]), r["ts"])

    def delete_user(self, user_id: str) -> int:
        """Forget a user: their interactions, impressions and the sessions they own, gone from every file of the
        database. Returns the number of rows removed."""
        with self.transaction() as conn, self._errors():
            n = conn.execute("DELETE FROM interactions WHERE user_id = ?", (str(user_id),)).rowcount
            n += conn.execute("DELETE FROM impressions WHERE user_id = ?", (str(user_id),)).rowcount
            n += conn.execute("DELETE FROM sessions WHERE owner = ?", (str(user_id),)).rowcount
        self._purge_deleted()
        return n

    def _purge_deleted(self) -> None:
        """After a delete of what a shopper said or did: no copy left in the database's files. Inside an outer
        transaction nothing is committed yet, so the caller's next erase (or checkpoint) does it."""
        if self._local.depth:
            return
        with self._errors():
            self._db.purge_deleted(self._conn())

    # ------------------------------------------------------------------------------------------ sessions

    def put_session(self, id: str, state: dict[str, Any], owner: str | None = None) -> None:
        """Save a chat session's state (replacing the previous one)."""
        with self.transaction() as conn, self._errors():
            conn.execute(
                "INSERT INTO sessions (id, owner, state_json, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, state_json = excluded.state_json, "
                "updated_at = excluded.updated_at",
                (str(id), owner, _json(state, f"session {id!r} state"), time.time()),
            )

    def get_session(self, id: str) -> dict[str, Any] | None:
        """{"id", "owner", "state", "updated_at"}, or None."""
        rows = self._query("SELECT id, owner, state_json, updated_at FROM sessions WHERE id = ?", (str(id),))
        if not rows:
            return None
        r = rows[0]
        return {
            "id": r["id"],
            "owner": r["owner"],
            "state": json.loads(r["state_json"]),
            "updated_at": r["updated_at"],
        }

    def delete_session(self, id: str) -> bool:
        with self.transaction() as conn, self._errors():
            deleted = conn.execute("DELETE FROM sessions WHERE id = ?", (str(id),)).rowcount > 0
        if deleted:
            self._purge_deleted()
        return deleted

    def delete_sessions_before(self, updated_before: float) -> int:
        """Drop sessions not touched since ``updated_before`` (Unix seconds); returns how many."""
        with self.transaction() as conn, self._errors():
            return conn.execute(
                "DELETE FROM sessions WHERE updated_at < ?", (float(updated_before),)
            ).rowcount
