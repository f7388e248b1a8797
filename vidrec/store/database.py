"""Where the metadata lives: a SQLite file (the default) or a PostgreSQL database (psycopg 3), behind one interface.

:class:`~vidrec.store.metadata.MetadataStore` writes its SQL once, in the SQLite dialect with ``?`` placeholders;
a :class:`Database` opens connections and translates what differs:

=====================  ======================================  ==================================================
                       SQLite (WAL)                            PostgreSQL
=====================  ======================================  ==================================================
placeholders           ``?``                                   ``%s``
one writer at a time   ``BEGIN IMMEDIATE`` + ``busy_timeout``  ``BEGIN`` + ``pg_advisory_xact_lock`` + ``lock_timeout``
consistent reads       ``BEGIN`` (deferred; WAL snapshot)      ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY``
read-only              ``PRAGMA query_only``                   ``default_transaction_read_only``
types (DDL)            ``REAL``, ``INTEGER PRIMARY KEY``       ``DOUBLE PRECISION``, identity column
text ids order         bytewise                                ``COLLATE "C"`` (bytewise too)
=====================  ======================================  ==================================================

Both keep vidrec's model of one writer and many readers: a second writer waits up to ``busy_timeout_s`` and then
gets a StoreError that says the store is busy.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vidrec.errors import ModelUnavailableError, StoreError

log = logging.getLogger(__name__)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_WRITER_LOCK_KEY = 0x76696472  # "vidr": the advisory lock that makes PostgreSQL writers queue like SQLite's


def is_postgres_url(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def redact(url: str) -> str:
    """A URL without its password (for messages and for what a store records)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))


class Connection(ABC):
    """One connection, autocommit unless inside BEGIN ... COMMIT; rows can be read by column name."""

    @abstractmethod
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement (SQLite dialect, ``?`` placeholders); returns a cursor (fetchone/fetchall/rowcount)."""

    @abstractmethod
    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def close(self) -> None: ...


class Database(ABC):
    """Opens connections to one database and knows its dialect."""

    where: str  # how messages name it

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is a database here at all (a read-only open needs one)."""

    @abstractmethod
    def connect(self, readonly: bool) -> Connection: ...

    @abstractmethod
    def begin_write(self, conn: Connection) -> None: ...

    @abstractmethod
    def begin_snapshot(self, conn: Connection) -> None: ...

    @abstractmethod
    def table_exists(self, conn: Connection, name: str) -> bool: ...

    @abstractmethod
    def errors(self) -> Any:
        """A context manager turning the driver's errors into StoreErrors that say what to do."""

    @abstractmethod
    def ddl(self, statement: str | dict[str, str]) -> str:
        """A migration statement in this dialect (a dict holds one text per dialect)."""

    @abstractmethod
    def purge_deleted(self, conn: Connection) -> None:
        """After an erase has committed: leave no copy of the deleted rows in the database's files (outside a
        transaction)."""


def open_database(location: str | Path, busy_timeout_s: float) -> Database:
    """A SQLite file path or a ``postgresql://`` URL."""
    if is_postgres_url(location):
        return PostgresDatabase(str(location), busy_timeout_s)
    return SqliteDatabase(Path(location), busy_timeout_s)


# ---------------------------------------------------------------------------------------------------- SQLite


class _SqliteConnection(Connection):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.raw.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def close(self) -> None:
        try:
            self.raw.close()
        except sqlite3.Error:  # pragma: no cover
            pass


class SqliteDatabase(Database):
    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        self.where = str(path)
        self.busy_timeout_s = busy_timeout_s

    def exists(self) -> bool:
        return self.path.exists()

    def connect(self, readonly: bool) -> Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("%s: WAL mode unavailable (journal_mode=%s); readers may wait", self.path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
        conn.execute("PRAGMA foreign_keys = ON")
        # A deleted row (an erased shopper's events and sessions) is overwritten with zeros in its page, not just
        # unlinked; purge_deleted then moves those pages out of the write-ahead log.
        conn.execute("PRAGMA secure_delete = ON")
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        return _SqliteConnection(conn)

    def begin_write(self, conn: Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self, conn: Connection) -> None:
        conn.execute("BEGIN")

    def table_exists(self, conn: Connection, name: str) -> bool:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchall()
        return bool(rows)

    def ddl(self, statement: str | dict[str, str]) -> str:
        return statement["sqlite"] if isinstance(statement, dict) else statement

    def purge_deleted(self, conn: Connection) -> None:
        """The write-ahead log still holds the pages as they were before the delete (the erased text itself)
        until a checkpoint; a TRUNCATE checkpoint copies the zeroed pages into the database file and empties the
        log. It waits (busy_timeout) for readers still on an older snapshot."""
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("%s: readers kept the write-ahead log busy; erased rows leave it at the next checkpoint",
                        self.where)

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise StoreError(
                    f"{self.where} is busy: another process held its write lock for more than "
                    f"{self.busy_timeout_s:g} s; wait for it to finish (or stop it) and try again"
                ) from exc
            if "readonly" in text or "read-only" in text:
                raise StoreError(f"{self.where} cannot be written ({text}); check file permissions") from exc
            raise StoreError(f"{self.where}: {text}") from exc
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.where}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.where} is not a readable vidrec database ({exc}); move it away and run `vidrec ingest` "
                f"to rebuild the store"
            ) from exc


# ---------------------------------------------------------------------------------------------------- PostgreSQL

_PLACEHOLDER = re.compile(r"\?")
_DDL_RULES = (
    (
        re.compile(r"\bREAL\b"),
        "DOUBLE PRECISION",
    ),  # PostgreSQL's REAL is 4 bytes: timestamps would lose minutes
    (re.compile(r"\bid INTEGER PRIMARY KEY\b"), "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\b(\w+) TEXT PRIMARY KEY\b"), r'\1 TEXT COLLATE "C" PRIMARY KEY'),
)


def _pg_sql(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql)


class _PostgresConnection(Connection):
    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.raw.execute(_pg_sql(sql), params or None)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(_pg_sql(sql), rows)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        try:
            self.raw.close()
        except Exception:  # noqa: BLE001  # pragma: no cover - closing a broken connection
            pass


class PostgresDatabase(Database):
    def __init__(self, url: str, busy_timeout_s: float) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - the [postgres] extra
            raise ModelUnavailableError(
                "metadata on PostgreSQL needs psycopg 3; install it with `pip install 'vidrec[postgres]'`"
            ) from exc
        self.url = url
        self.where = redact(url)
        self.busy_timeout_s = busy_timeout_s

    def exists(self) -> bool:
        conn = self.connect(readonly=True)
        try:
            with self.errors():
                return self.table_exists(conn, "schema_version")
        finally:
            conn.close()

    def connect(self, readonly: bool) -> Connection:
        import psycopg
        from psycopg.rows import dict_row

        try:
            raw = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at {self.where} ({str(exc).strip()}); start the server, create the "
                f"database, or fix the metadata URL (VIDREC_METADATA_URL / --metadata)"
            ) from exc
        with self.errors():
            raw.execute(f"SET lock_timeout = {int(self.busy_timeout_s * 1000)}")
            if readonly:
                raw.execute("SET default_transaction_read_only = on")
        return _PostgresConnection(raw)

    def begin_write(self, conn: Connection) -> None:
        conn.execute("BEGIN")
        conn.execute(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK_KEY})")

    def begin_snapshot(self, conn: Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def purge_deleted(self, conn: Connection) -> None:
        """Nothing to do from here: PostgreSQL keeps dead row versions in its heap and WAL files until (auto)VACUUM
        and WAL recycling, which the database's operator runs and configures."""

    def table_exists(self, conn: Connection, name: str) -> bool:
        row = conn.execute("SELECT to_regclass(?) IS NOT NULL AS present", (name,)).fetchone()
        return bool(row["present"])

    def ddl(self, statement: str | dict[str, str]) -> str:
        if isinstance(statement, dict):
            statement = statement["postgresql"]
        for pattern, replacement in _DDL_RULES:
            statement = pattern.sub(replacement, statement)
        return statement

    @contextmanager
    def errors(self) -> Iterator[None]:
        import psycopg
        from psycopg import errors as pg

        try:
            yield
        except (pg.LockNotAvailable, pg.QueryCanceled) as exc:
            raise StoreError(
                f"{self.where} is busy: another process held its write lock for more than "
                f"{self.busy_timeout_s:g} s; wait for it to finish (or stop it) and try again"
            ) from exc
        except pg.ReadOnlySqlTransaction as exc:
            raise StoreError(f"{self.where} cannot be written ({exc}); open the store for writing") from exc
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"lost the connection to PostgreSQL at {self.where} ({str(exc).strip()}); check the server"
            ) from exc
        except psycopg.Error as exc:
            raise StoreError(f"{self.where}: {str(exc).strip()}") from exc
