"""A session's own query embedding, remembered for that session only.

A chat re-embeds the same query text more than once: "not this", "like" and "add to cart" buttons and "more" all
search again with the text the session already searched with, and embedding a query is most of a turn's CPU time.
``SessionQueryMemo`` keeps, per session, the last ``PER_SESSION`` query texts it embedded and their vectors (a
"not this" that finds every match shown searches again with one condition dropped, then the next "more" goes back
to the session's own text); the same session asking for one of them again gets the vector without embedding it.

This is not the server's global query cache (``VIDREC_QUERY_CACHE``, vidrec/encoders/query_cache.py), which
shares vectors across all shoppers: nothing one session embedded is ever served to another. It is on unless
``VIDREC_QUERY_MEMO=0``; a session's entries go after ``IDLE_S`` untouched, and at most ``MAX_SESSIONS`` sessions
are remembered (the least recently used go first), so it holds at most 1.5 KB × PER_SESSION × MAX_SESSIONS (30 MB
with 384-d vectors; 7.7 KB a session with its 4 texts, measured with tracemalloc, so 38 MB).

The memo only pays while a shopper is chatting, so a session is let go after a minute without a query
(``VIDREC_QUERY_MEMO_IDLE``): a longer pause costs that shopper one query embedding (6-8 ms on the ONNX engine),
and the memo holds what the last minute's sessions left (under 2 MB at the 4 new sessions a second of the issue-19
soak) and is that full after a minute. In that soak the memo answered the same share of embeddings with 60 s as
with 300 s (57.3 % both: a session re-uses its texts within seconds, when a button or "more" follows its query),
while 300 s kept filling for five minutes (about 10 MB) and made the soak's memory climb for as long (BENCHMARKS
"Memory under load, quiet soaks").
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

IDLE_S = 60.0
MAX_SESSIONS = 5_000
PER_SESSION = 4

_SESSION: ContextVar[str | None] = ContextVar("vidrec_query_memo_session", default=None)


@contextmanager
def in_session(session_id: str | None) -> Iterator[None]:
    """Queries embedded inside this block belong to ``session_id`` (None: to no session, never remembered)."""
    token = _SESSION.set(session_id)
    try:
        yield
    finally:
        _SESSION.reset(token)


class SessionQueryMemo:
    """Wraps a text encoder (``encode(texts, kind)``); a few query texts per session remembered. Thread-safe."""

    def __init__(self, inner, *, idle_s: float = IDLE_S, max_sessions: int = MAX_SESSIONS,
                 per_session: int = PER_SESSION, clock=time.monotonic):
        self.inner = inner
        self.dim = inner.dim
        self.idle_s = idle_s
        self.max_sessions = max_sessions
        self.per_session = per_session
        self._clock = clock
        # session -> (its texts -> vectors, least recently used first; the session's last use); oldest use first
        self._memo: OrderedDict[str, tuple[OrderedDict[str, np.ndarray], float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str):  # anything else the wrapped encoder offers (stats of a cache inside)
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        session = _SESSION.get()
        texts = list(texts)
        if session is None or kind != "query" or len(texts) != 1:
            return self.inner.encode(texts, kind=kind)
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._memo.get(session)
            vec = entry[0].get(texts[0]) if entry is not None else None
            if vec is not None:
                entry[0].move_to_end(texts[0])
                self._memo[session] = (entry[0], now)
                self._memo.move_to_end(session)
                self.hits += 1
                return vec[None, :]
            self.misses += 1
        vec = np.asarray(self.inner.encode(texts, kind=kind), dtype=np.float32)[0].copy()
        vec.setflags(write=False)
        with self._lock:
            vectors = self._memo[session][0] if session in self._memo else OrderedDict()
            vectors[texts[0]] = vec
            vectors.move_to_end(texts[0])
            while len(vectors) > self.per_session:
                vectors.popitem(last=False)
            self._memo[session] = (vectors, now)
            self._memo.move_to_end(session)
            while len(self._memo) > self.max_sessions:
                self._memo.popitem(last=False)
        return vec[None, :]

    def _expire(self, now: float) -> None:
        while self._memo:
            oldest = next(iter(self._memo.values()))
            if now - oldest[1] <= self.idle_s:
                return
            self._memo.popitem(last=False)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._memo.pop(session_id, None)

    def memo_stats(self) -> dict[str, int]:
        with self._lock:
            self._expire(self._clock())
            return {"sessions": len(self._memo), "hits": self.hits, "misses": self.misses}
