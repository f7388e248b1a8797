"""The store: item metadata (SQLite), item and shot vectors (FAISS) and a keyword index (tantivy) in one folder.

Layout of a store directory::

    vidrec.sqlite        items, runs, interactions, sessions, meta (see metadata.py)
    vectors.index        item and shot vectors with their filterable payloads (see faiss_index.py)
    lexical/             BM25 keyword index over item texts (see lexical.py)
    write.lock           held (flock) by the one process that writes

One process writes (it holds ``write.lock``); any number read (``readonly=True``) and call :meth:`Store.refresh`
to see what the writer saved since.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from vidrec.config import store_dir
from vidrec.errors import StoreError
from vidrec.store.faiss_index import FaissIndex
from vidrec.store.lexical import LexicalIndex
from vidrec.store.metadata import Interaction, MetadataStore
from vidrec.store.vector_index import Filter, ItemHit, VectorIndex

try:  # POSIX; elsewhere the writer lock is SQLite's alone
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FaissIndex",
    "Filter",
    "Interaction",
    "ItemHit",
    "LexicalIndex",
    "MetadataStore",
    "Store",
    "VectorIndex",
]

log = logging.getLogger(__name__)

STORE_FORMAT = 1
DEFAULT_DIM = 384  # multilingual-e5-small, the default text encoder (vidrec.encoders.text)
DATABASE = "vidrec.sqlite"
VECTORS = "vectors.index"
LEXICAL = "lexical"
LOCK = "write.lock"
_ALLOWED_IN_NEW_STORE = {"vidrec.toml", LOCK}  # a folder holding only these may become a store


class Store:
    """Metadata + item vector index + keyword index of one store directory. Use :meth:`Store.open`."""

    def __init__(
        self,
        path: Path,
        metadata: MetadataStore,
        vectors: FaissIndex,
        lexical: LexicalIndex,
        readonly: bool,
        lock_fd: int | None,
    ) -> None:
        self.path = path
        self.metadata = metadata
        self.vectors = vectors
        self.lexical = lexical
        self.readonly = readonly
        self._lock_fd = lock_fd
        self._closed = False

    @property
    def dim(self) -> int:
        return self.vectors.dim

    @classmethod
    def open(
        cls,
        dir: str | os.PathLike | None = None,
        create: bool = True,
        *,
        readonly: bool = False,
        dim: int | None = None,
        text_encoder: str | None = None,
        **index_options: Any,
    ) -> Store:
        """Open the store in ``dir`` (default: ``--store`` / ``$VIDREC_HOME`` / ``./vidrec-data``).

        ``create``: make a new store if ``dir`` does not hold one (ignored when ``readonly``).
        ``dim`` and ``text_encoder``: what the vectors are made with; a new store records them, an existing one
        refuses different ones (searching vectors of one encoder with another's queries gives nonsense).
        ``index_options`` go to :class:`FaissIndex` (``ivf_threshold``, ``nprobe``, ``exhaustive_below``).
        """
        path = store_dir(dir)
        database = path / DATABASE
        if not database.exists():
            if readonly or not create:
                raise StoreError(
                    f"no vidrec store at {path} (no {DATABASE}); run `vidrec ingest CATALOG --store {path}` first, "
                    f"or pass --store / set VIDREC_HOME to an existing store"
                )
            if path.exists() and not path.is_dir():
                raise StoreError(f"{path} is a file, not a store directory; pass another --store")
            if path.exists():
                others = {
                    p.name for p in path.iterdir() if not p.name.startswith(".")
                } - _ALLOWED_IN_NEW_STORE
                if others:
                    shown = ", ".join(sorted(others)[:5])
                    raise StoreError(
                        f"{path} is not a vidrec store (it has {shown} but no {DATABASE}); pass an empty or new "
                        f"folder with --store"
                    )
            path.mkdir(parents=True, exist_ok=True)

        lock_fd = None if readonly else _take_writer_lock(path)
        metadata = None
        try:
            metadata = MetadataStore(database, readonly=readonly)
            fmt = metadata.get_meta("store_format")
            if fmt is None:
                if readonly:
                    raise StoreError(
                        f"{path} is not a finished vidrec store; run `vidrec ingest` into it first"
                    )
                metadata.set_meta("store_format", STORE_FORMAT)
            elif int(fmt) > STORE_FORMAT:
                raise StoreError(f"{path} was made by a newer vidrec (store format {fmt}); upgrade vidrec")
            dim = _agree(metadata, "index_dim", dim, DEFAULT_DIM, path, readonly)
            _agree(metadata, "text_encoder", text_encoder, None, path, readonly)
            vectors = FaissIndex.open(path / VECTORS, int(dim), **index_options)
            lexical = LexicalIndex(path / LEXICAL, readonly=readonly)
        except BaseException:
            if metadata is not None:
                metadata.close()
            _release_writer_lock(lock_fd)
            raise
        return cls(path, metadata, vectors, lexical, readonly, lock_fd)

    def save(self) -> None:
        """Make the vector and keyword indexes durable (metadata writes are durable as they happen).
        The vector file is rewritten only if something changed (about 0.6 s per 100k vectors)."""
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only; open it for writing to save")
        if self.vectors.dirty or not self.vectors.path.exists():
            self.vectors.save()
        self.lexical.commit()

    def refresh(self) -> None:
        """For readers: pick up what the writing process saved since this store was opened."""
        self.vectors.refresh()
        self.lexical.refresh()

    def close(self) -> None:
        """Save (when writing) and release everything; the store can be opened again afterwards."""
        if self._closed:
            return
        try:
            if not self.readonly:
                self.save()
                self.lexical.close()
        finally:
            self.metadata.close()
            _release_writer_lock(self._lock_fd)
            self._lock_fd = None
            self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _agree(metadata: MetadataStore, key: str, given: Any, default: Any, path: Path, readonly: bool) -> Any:
    """The value a store records for ``key``; a given value that differs is an error; a new store records it."""
    stored = metadata.get_meta(key)
    if stored is None:
        value = given if given is not None else default
        if value is not None and not readonly:
            metadata.set_meta(key, value)
        return value
    if given is not None and given != stored:
        raise StoreError(
            f"the store {path} was built with {key}={stored!r} but {given!r} was asked for; use the same "
            f"setting, or ingest into a new store (--store) to use the new one"
        )
    return stored


def _take_writer_lock(path: Path) -> int | None:
    if fcntl is None:  # pragma: no cover
        return None
    lock_path = path / LOCK
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
        finally:
            os.close(fd)
        raise StoreError(
            f"the store {path} is being written by another vidrec process (pid {holder}); wait for it to finish, "
            f"stop it, or open the store read-only"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode("ascii"))
    return fd


def _release_writer_lock(fd: int | None) -> None:
    if fd is None:
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
