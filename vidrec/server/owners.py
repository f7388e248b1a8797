"""Which caller owns which session and which user id, kept beside the store (``.server.sqlite``).

A session belongs to the caller that created it; a user id belongs to the first caller that used it. Nobody else
can read or write them (the admin can read and erase any user's data). A user id that already has data in the
store but no owner (interactions imported from a platform's logs) can be adopted only by a shopper-key holder or
the admin, never by an anonymous client of an open server.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from vidrec.server.auth import Caller
from vidrec.server.problems import Problem

FILE = ".server.sqlite"  # hidden: a folder holding only it may still become a new store


class Ownership:
    """Owner records of sessions and user ids. Thread-safe; one connection guarded by a lock."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA secure_delete = ON")  # an erased user's id is zeroed, not just unlinked
        self._db.execute("CREATE TABLE IF NOT EXISTS owners (kind TEXT NOT NULL, id TEXT NOT NULL, "
                         "caller TEXT NOT NULL, user_id TEXT, created REAL NOT NULL, PRIMARY KEY (kind, id))")
        self._db.execute("CREATE INDEX IF NOT EXISTS owners_user ON owners (user_id)")
        self._db.execute("CREATE INDEX IF NOT EXISTS owners_caller ON owners (caller, kind)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _owner(self, kind: str, id: str) -> tuple[str, str | None] | None:
        with self._lock:
            row = self._db.execute("SELECT caller, user_id FROM owners WHERE kind = ? AND id = ?", (kind, id)).fetchone()
        return (row[0], row[1]) if row else None

    def _insert(self, kind: str, id: str, caller: str, user_id: str | None) -> bool:
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO owners (kind, id, caller, user_id, created) "
                                   "VALUES (?, ?, ?, ?, ?)", (kind, id, caller, user_id, time.time()))
            return cur.rowcount == 1

    # ------------------------------------------------------------------------------------------------ sessions
    def add_session(self, session_id: str, caller: Caller, user_id: str | None, *, limit: int = 0) -> bool:
        """Record a new session of the caller; False (nothing recorded) when the caller holds ``limit`` sessions
        already (0: no cap). Counting and inserting under one lock, so parallel requests cannot pass the cap."""
        with self._lock:
            if limit:
                (held,) = self._db.execute("SELECT COUNT(*) FROM owners WHERE caller = ? AND kind = 'session'",
                                           (caller.id,)).fetchone()
                if held >= limit:
                    return False
            inserted = self._db.execute("INSERT OR IGNORE INTO owners (kind, id, caller, user_id, created) "
                                        "VALUES ('session', ?, ?, ?, ?)",
                                        (session_id, caller.id, user_id, time.time())).rowcount == 1
        if not inserted:
            raise Problem(409, "session_exists", "that session id is taken; create a session without choosing its id")
        return True

    def session(self, session_id: str, caller: Caller) -> str | None:
        """The session's user id, if the caller owns the session. Another caller's session reads as missing."""
        found = self._owner("session", session_id)
        if found is None or (found[0] != caller.id and not caller.is_admin):
            raise session_gone(session_id)
        return found[1]

    def sessions_of_caller(self, caller: Caller) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT id FROM owners WHERE caller = ? AND kind = 'session'", (caller.id,))]

    def sessions_created_before(self, when: float) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT id FROM owners WHERE kind = 'session' AND created < ?", (when,))]

    def forget_sessions(self, session_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM owners WHERE kind = 'session' AND id = ?", [(s,) for s in session_ids])

    def bind_session_user(self, session_id: str, user_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE owners SET user_id = ? WHERE kind = 'session' AND id = ? AND user_id IS NULL",
                             (user_id, session_id))

    def forget_session(self, session_id: str) -> None:
        self.forget_sessions([session_id])

    # ------------------------------------------------------------------------------------------------ users
    def user(self, user_id: str, caller: Caller, *, has_data: bool, claim: bool) -> bool:
        """Check that the caller may use ``user_id``; claim it when ``claim`` and nobody owns it yet.
        Returns whether the caller owns it now (False: unowned, unclaimed)."""
        found = self._owner("user", user_id)
        if found is not None:
            if found[0] == caller.id or caller.is_admin:
                return True
            raise Problem(403, "user_not_yours", f"user id {user_id!r} belongs to another caller; use your own user "
                          "ids")
        if has_data and caller.kind not in ("key", "admin"):
            raise Problem(403, "user_not_yours", f"user id {user_id!r} already has data that is not yours; use "
                          "another user id")
        if not claim:
            return False
        if caller.is_admin:
            return True  # the admin acts on users without owning them
        if not self._insert("user", user_id, caller.id, user_id):
            return self.user(user_id, caller, has_data=has_data, claim=False)  # lost a race: check the winner
        return True

    def forget_user(self, user_id: str) -> int:
        """Drop the user's owner record and those of its sessions; returns how many sessions."""
        with self._lock:
            sessions = [r[0] for r in self._db.execute(
                "SELECT id FROM owners WHERE kind = 'session' AND user_id = ?", (user_id,))]
            self._db.execute("DELETE FROM owners WHERE user_id = ?", (user_id,))
            # the write-ahead log keeps the pages as they were before the delete until a checkpoint empties it
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(sessions)

    def sessions_of_user(self, user_id: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT id FROM owners WHERE kind = 'session' AND user_id = ?", (user_id,))]


def session_gone(session_id: str) -> Problem:
    """What a request on a session that is not the caller's, expired or never existed gets (the same answer for
    all three: another caller's session ids are not confirmed)."""
    return Problem(404, "session_not_found", f"no session {session_id!r} of yours: it has expired or never "
                   "existed; start one with POST /v1/sessions")
