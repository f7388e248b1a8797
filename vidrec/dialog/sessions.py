"""One lock per dialog session, held only while someone uses it.

Turns on the same session are serialised (two browser tabs, a retried request); turns on different sessions run in
parallel. A lock exists only while a turn holds it or waits for it, so a server that sees millions of sessions
keeps no lock for any of them once they are quiet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SessionLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: dict[str, tuple[threading.Lock, list[int]]] = {}  # session id -> (lock, [users])

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        with self._guard:
            entry = self._held.get(session_id)
            if entry is None:
                entry = self._held[session_id] = (threading.Lock(), [0])
            entry[1][0] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1][0] -= 1
                if entry[1][0] == 0:
                    del self._held[session_id]

    def __len__(self) -> int:
        """How many sessions are in use or waited for right now."""
        with self._guard:
            return len(self._held)
