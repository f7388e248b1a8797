"""How long sessions live and how many one caller may hold.

A session untouched (no message, no button) for longer than ``VIDREC_SESSION_TTL`` is over: a request on it
answers 404 at once, and a sweep (at start-up, then every :func:`sweep_interval_s`) deletes such sessions from
the store and their owner records, so nothing a shopper said stays longer than that. A caller holding
``VIDREC_MAX_SESSIONS`` live sessions is refused one more (429) until it deletes one or one expires.
"""

from __future__ import annotations

import math
import time
from typing import Any

from vidrec.server.auth import Caller
from vidrec.server.backend import Backend, Live
from vidrec.server.owners import Ownership, session_gone
from vidrec.server.problems import Problem
from vidrec.server.settings import ServerSettings

MAX_SWEEP_INTERVAL_S = 3600.0


def sweep_interval_s(ttl_s: float) -> float:
    """A tenth of the lifetime (so the store holds expired sessions at most that much longer), 1 s to an hour."""
    return min(max(ttl_s / 10, 1.0), MAX_SWEEP_INTERVAL_S)


def is_expired(row: dict[str, Any], ttl_s: float, now: float | None = None) -> bool:
    return ttl_s > 0 and float(row["updated_at"]) < (now if now is not None else time.time()) - ttl_s


def _drop(owners: Ownership, live: Live, session_id: str) -> None:
    if live.mode == "serving":  # read-only during an ingest job: the next sweep deletes the session
        live.library.delete_session(session_id)
    owners.forget_session(session_id)


def live_session(owners: Ownership, live: Live, caller: Caller, session_id: str, ttl_s: float) -> dict[str, Any]:
    """The saved session (``{"id", "owner", "state", "updated_at"}``) if the caller owns it and it has not
    expired; an expired one is deleted here. 404 otherwise."""
    owners.session(session_id, caller)
    row = live.library.session(session_id)
    if row is None or is_expired(row, ttl_s):
        _drop(owners, live, session_id)
        raise session_gone(session_id)
    return row


def admit_session(owners: Ownership, live: Live, caller: Caller, session_id: str, user_id: str | None,
                  settings: ServerSettings) -> None:
    """Record a new session of the caller, within the cap (the admin has none). 429 when the caller holds the
    most it may, after its expired or deleted sessions are let go."""
    limit = 0 if caller.is_admin else settings.max_sessions
    if owners.add_session(session_id, caller, user_id, limit=limit):
        return
    now = time.time()
    touched = []
    for sid in owners.sessions_of_caller(caller):
        row = live.library.session(sid)
        if row is None or is_expired(row, settings.session_ttl_s, now):
            _drop(owners, live, sid)
        else:
            touched.append(float(row["updated_at"]))
    if owners.add_session(session_id, caller, user_id, limit=limit):
        return
    message = (f"you hold {limit} sessions, the most this server keeps for one caller; delete one you no longer "
               "need (DELETE /v1/sessions/{id})")
    headers = {}
    if settings.session_ttl_s > 0 and touched:
        wait = max(1, math.ceil(min(touched) + settings.session_ttl_s - now))
        headers["Retry-After"] = str(wait)
        message += f" or wait {wait} s until your oldest one expires"
    raise Problem(429, "too_many_sessions", message, headers=headers)


def expire_sessions(backend: Backend, owners: Ownership, ttl_s: float, now: float | None = None) -> int:
    """Delete the sessions untouched for ``ttl_s`` and their owner records; how many sessions the store held.
    Does nothing when the store cannot be written (no catalog yet, an ingest job running)."""
    if ttl_s <= 0 or backend.mode != "serving":
        return 0
    cutoff = (now if now is not None else time.time()) - ttl_s
    try:
        with backend.use(write=True) as live:
            removed = live.library.store.metadata.delete_sessions_before(cutoff)
            # a session made before the cutoff whose row is gone now (or was deleted some other way)
            owners.forget_sessions([sid for sid in owners.sessions_created_before(cutoff)
                                    if live.library.session(sid) is None])
    except Problem:  # the store went read-only or away since the check above: the next sweep does it
        return 0
    return removed
