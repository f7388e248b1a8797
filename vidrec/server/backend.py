"""The store the server answers from, and the dialog engine over it; swapped out while an ingest job writes.

The store has one writer at a time (a file lock). The server is that writer while it serves: sessions and
feedback are writes. An admin ingest job needs the lock, so for the job's duration the server

1. waits for requests in flight to finish (new ones wait a moment at the gate),
2. closes its writable store and reopens it read-only: search, items, videos, thumbnails and reading sessions go
   on, while chatting, feedback and erasing users answer 503 with ``Retry-After``,
3. after the job, reopens the store for writing and rebuilds the engine (new items, new vocabulary).

A server started before any store exists answers 503 ("no catalog yet") until an ingest job made one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from vidrec.dialog.engine import Engine
from vidrec.encoders.query_cache import CachedTextEncoder
from vidrec.errors import StoreError
from vidrec.library import Library
from vidrec.server.problems import RETRY_AFTER_S, Problem
from vidrec.server.query_memo import SessionQueryMemo, in_session
from vidrec.server.settings import ServerSettings
from vidrec.store import DATABASE

log = logging.getLogger("vidrec.server")

Mode = Literal["serving", "ingesting", "empty", "closed"]


class Gate:
    """Many requests at once, or one swap of the store; a waiting swap goes before new requests."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._swapping = False
        self._swaps_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._swapping or self._swaps_waiting:
                self._cond.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._swaps_waiting += 1
            try:
                while self._swapping or self._active:
                    self._cond.wait()
            finally:
                self._swaps_waiting -= 1
            self._swapping = True
        try:
            yield
        finally:
            with self._cond:
                self._swapping = False
                self._cond.notify_all()


@dataclass
class Live:
    """What a request works with: the library and the engine, valid while the request holds the gate."""

    library: Library
    engine: Engine
    mode: Mode


class Backend:
    """Holds the open store and engine; every request goes through :meth:`use`."""

    def __init__(self, settings: ServerSettings, *, text_encoder=None):
        self.settings = settings
        if text_encoder is None:
            from vidrec.encoders.text import default_text_encoder

            text_encoder = default_text_encoder()
            if settings.query_cache_size > 0:  # VIDREC_QUERY_CACHE=0: embed every query
                text_encoder = CachedTextEncoder(text_encoder, settings.query_cache_size)
        self.query_memo = (SessionQueryMemo(text_encoder, idle_s=settings.query_memo_idle_s)
                           if settings.query_memo else None)
        self.text_encoder = self.query_memo or text_encoder
        self._global_cache = text_encoder if isinstance(text_encoder, CachedTextEncoder) else None
        self.gate = Gate()
        self.mode: Mode = "closed"
        self.library: Library | None = None
        self.engine: Engine | None = None
        self.user_model = None
        self.note = "starting"

    # ------------------------------------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        with self.gate.exclusive():
            self._open_writable()

    def close(self) -> None:
        with self.gate.exclusive():
            self._close()
            self.mode = "closed"
            self.note = "closed"

    def _close(self) -> None:
        if self.library is not None:
            try:
                self.library.close()
            except Exception as exc:  # closing must never keep the server from going on
                log.warning("closing the store failed: %s", exc)
        self.library = None
        self.engine = None

    def _store_exists(self) -> bool:
        return (self.settings.store / DATABASE).exists()

    def _open_writable(self) -> None:
        if not self._store_exists():
            self.mode, self.note = "empty", (f"no catalog in {self.settings.store} yet; ingest one with "
                                             "POST /v1/ingest (admin) or `vidrec ingest CATALOG --store ...`")
            log.warning(self.note)
            return
        library = Library.open(self.settings.store, readonly=False)
        self._install(library, "serving")
        self.note = f"{len(library)} items"

    def _install(self, library: Library, mode: Mode) -> None:
        try:
            self.user_model = library.trained_model()
            engine = Engine(library, user_model=self.user_model, page_size=self.settings.page_size,
                            text_encoder=self.text_encoder, thumbnail_url=None)
        except BaseException:
            library.close()
            raise
        self.library, self.engine, self.mode = library, engine, mode

    def begin_ingest(self, job_id: str) -> None:
        """Release the writer lock for an ingest job; keep answering reads from a read-only view."""
        with self.gate.exclusive():
            self._close()
            self.mode = "ingesting"
            self.note = f"ingest job {job_id} is running"
            if self._store_exists():
                try:
                    self._install(Library.open(self.settings.store, readonly=True), "ingesting")
                except StoreError as exc:  # a store that is not finished yet: nothing to read meanwhile
                    log.info("no read-only view during ingest: %s", exc)

    def end_ingest(self) -> None:
        """Take the store back for writing after a job (whatever its outcome)."""
        with self.gate.exclusive():
            self._close()
            try:
                self._open_writable()
            except Exception as exc:
                self.mode, self.note = "empty", f"the store could not be reopened after ingest: {exc}"
                log.error(self.note)

    # ------------------------------------------------------------------------------------------------ requests
    @contextmanager
    def use(self, *, write: bool = False, session: str | None = None) -> Iterator[Live]:
        """The library and engine for one request. 503 + Retry-After while they cannot serve it. ``session``: the
        chat session the request acts in (its query embedding is remembered for it, see query_memo.py)."""
        with self.gate.shared(), in_session(session):
            if self.library is None or self.engine is None:
                code = "ingesting" if self.mode == "ingesting" else "no_catalog"
                raise Problem(503, code, f"not serving yet: {self.note}; try again shortly",
                              headers={"Retry-After": str(RETRY_AFTER_S)})
            if write and self.mode != "serving":
                raise Problem(503, "ingesting", f"the catalog is being re-ingested ({self.note}); searching and "
                              "browsing work, chatting and feedback are back when it is done; try again shortly",
                              headers={"Retry-After": str(RETRY_AFTER_S)})
            model = self.library.trained_model()  # a model trained since (`vidrec train --store`), no restart
            if model is not self.user_model:
                self.user_model = self.engine.user_model = model
            yield Live(self.library, self.engine, self.mode)

    def status(self) -> dict:
        with self.gate.shared():
            cache = self._global_cache.stats() if self._global_cache is not None else None
            memo = self.query_memo.memo_stats() if self.query_memo is not None else None
            return {"mode": self.mode, "note": self.note,
                    "items": len(self.library) if self.library is not None else 0,
                    "personalised": self.user_model is not None, "query_cache": cache, "query_memo": memo}

    def forget_sessions(self, session_ids) -> None:
        """Sessions deleted or erased: their remembered query goes with them."""
        if self.query_memo is not None:
            for sid in session_ids:
                self.query_memo.forget(sid)
