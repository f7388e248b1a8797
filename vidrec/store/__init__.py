"""The store: item metadata (SQLite), item and shot vectors (FAISS) and a keyword index (tantivy) in one folder.

Layout of a store directory::

    vidrec.sqlite        items, runs, interactions, sessions, meta (see metadata.py)
    vectors.index        item and shot vectors with their filterable payloads (see faiss_index.py)
    lexical/             BM25 keyword index over item texts (see lexical.py)
    write.lock           held (flock) by the one process that writes
    backends.json        only when metadata or vectors live elsewhere (below)

Scaling out, the metadata can live in PostgreSQL and the vectors in Milvus, chosen by URL
(``metadata="postgresql://..."`` / ``$VIDREC_METADATA_URL``, ``vectors="milvus://host:port"`` or a Milvus Lite
``.db`` file / ``$VIDREC_VECTORS_URL``). A new store records them in ``backends.json`` (passwords left out), so
every later open, by any command, finds them without being told; asking for other ones is an error.

One process writes (it holds ``write.lock``); any number read (``readonly=True``) and call :meth:`Store.refresh`
to see what the writer saved since.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from vidrec.config import store_dir
from vidrec.errors import StoreBusyError, StoreError
from vidrec.store.database import is_postgres_url, redact
from vidrec.store.faiss_index import FaissIndex
from vidrec.store.lexical import LexicalIndex
from vidrec.store.metadata import Impression, Interaction, MetadataStore
from vidrec.store.vector_index import Filter, ItemHit, VectorIndex

try:  # POSIX; elsewhere the writer lock is SQLite's alone
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FaissIndex",
    "Filter",
    "Impression",
    "Interaction",
    "ItemHit",
    "LexicalIndex",
    "MetadataStore",
    "Store",
    "VectorIndex",
    "is_store",
    "open_metadata",
    "writer_pid",
]

log = logging.getLogger(__name__)

STORE_FORMAT = 1
DEFAULT_DIM = 384  # multilingual-e5-small, the default text encoder (vidrec.encoders.text)
DATABASE = "vidrec.sqlite"
VECTORS = "vectors.index"
LEXICAL = "lexical"
LOCK = "write.lock"
BACKENDS = "backends.json"
METADATA_ENV = "VIDREC_METADATA_URL"
VECTORS_ENV = "VIDREC_VECTORS_URL"
_ALLOWED_IN_NEW_STORE = {"vidrec.toml", LOCK}  # a folder holding only these may become a store


class Store:
    """Metadata + item vector index + keyword index of one store directory. Use :meth:`Store.open`."""

    def __init__(
        self,
        path: Path,
        metadata: MetadataStore,
        vectors: VectorIndex,
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
        metadata: str | None = None,
        vectors: str | None = None,
        rebuilding: bool = False,
        **index_options: Any,
    ) -> Store:
        """Open the store in ``dir`` (default: ``--store`` / ``$VIDREC_HOME`` / ``./vidrec-data``).

        ``create``: make a new store if ``dir`` does not hold one (ignored when ``readonly``).
        ``dim`` and ``text_encoder``: what the vectors are made with; a new store records them, an existing one
        refuses different ones (searching vectors of one encoder with another's queries gives nonsense).
        ``metadata``: a ``postgresql://`` URL to keep the metadata there (default ``$VIDREC_METADATA_URL``, else
        ``vidrec.sqlite`` in the folder). ``vectors``: ``milvus://host:port[/collection]`` or a Milvus Lite
        ``.db`` file (default ``$VIDREC_VECTORS_URL``, else the FAISS file in the folder). Recorded by a new store.
        ``rebuilding``: the caller checks the derived indexes against the metadata and rebuilds what they lack (the
        ingest writer and `vidrec doctor` do, see vidrec/ingest/consistency.py), so a store whose ``vectors.index``
        or ``lexical/`` is gone opens (read-only, a missing keyword index opens empty, in memory); for anyone
        else that is an error, as every search would miss what the lost index held.
        ``index_options`` go to the vector index (:class:`FaissIndex`: ``ivf_threshold``, ``nprobe``,
        ``exhaustive_below``; :class:`~vidrec.store.milvus_index.MilvusIndex`: ``index_type``, ...).
        """
        path = store_dir(dir)
        database = path / DATABASE
        recorded = _recorded_backends(path)
        existing = database.exists() or bool(recorded)
        metadata_at = _backend("metadata", metadata, METADATA_ENV, recorded, existing, path)
        vectors_at = _backend("vectors", vectors, VECTORS_ENV, recorded, existing, path)
        if metadata_at is not None and not is_postgres_url(metadata_at):
            raise StoreError(
                f"metadata URL {redact(metadata_at)!r} is not postgresql://...; leave it unset for SQLite"
            )
        if vectors_at is not None and not _is_milvus(vectors_at):
            raise StoreError(
                f"vectors location {vectors_at!r} is neither milvus://HOST:PORT nor a Milvus Lite .db file; "
                f"leave it unset for the embedded FAISS index"
            )
        if not database.exists() and not recorded:
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
        metadata_store = None
        vector_index: VectorIndex | None = None
        try:
            metadata_store = MetadataStore(metadata_at or database, readonly=readonly)
            fmt = metadata_store.get_meta("store_format")
            if fmt is None:
                if readonly:
                    raise StoreError(
                        f"{path} is not a finished vidrec store; run `vidrec ingest` into it first"
                    )
                metadata_store.set_meta("store_format", STORE_FORMAT)
            elif int(fmt) > STORE_FORMAT:
                raise StoreError(f"{path} was made by a newer vidrec (store format {fmt}); upgrade vidrec")
            dim = _agree(metadata_store, "index_dim", dim, DEFAULT_DIM, path, readonly)
            _agree(metadata_store, "text_encoder", text_encoder, None, path, readonly)
            if vectors_at is not None:
                from vidrec.store.milvus_index import MilvusIndex

                vector_index = MilvusIndex.open(vectors_at, int(dim), **index_options)
            else:
                vector_index = FaissIndex.open(path / VECTORS, int(dim), **index_options)
                if not rebuilding:
                    _check_vectors_present(path, metadata_store, vector_index)
            if not rebuilding:
                _check_keywords_present(path, metadata_store)
            if readonly and rebuilding and not LexicalIndex.exists(path / LEXICAL):
                lexical = LexicalIndex(None)
            else:
                lexical = LexicalIndex(path / LEXICAL, readonly=readonly)
            if not recorded and (metadata_at or vectors_at) and not readonly:
                _record_backends(path, metadata_at, vectors_at)
        except BaseException:
            if metadata_store is not None:
                metadata_store.close()
            if vector_index is not None and hasattr(vector_index, "close"):
                vector_index.close()
            _release_writer_lock(lock_fd)
            raise
        return cls(path, metadata_store, vector_index, lexical, readonly, lock_fd)

    def save(self) -> None:
        """Make the vector and keyword indexes durable (metadata writes are durable as they happen).
        The vector file is rewritten only if something changed (about 0.6 s per 100k vectors)."""
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only; open it for writing to save")
        vector_file = getattr(self.vectors, "path", None)
        if getattr(self.vectors, "dirty", True) or (vector_file is not None and not vector_file.exists()):
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
            if hasattr(self.vectors, "close"):
                self.vectors.close()
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


def _check_vectors_present(path: Path, metadata: MetadataStore, index: FaissIndex) -> None:
    """A store with items but no vector file lost it (deleted, or a copy without it): refuse to serve searches
    that would all come back empty. The vectors cannot be rebuilt here: that takes the items' saved features and
    the ingest writer, so the message sends the operator to ingest."""
    if index.path is None or index.path.exists():
        return
    items = metadata.count()
    if items == 0:
        return
    raise StoreError(
        f"{index.path} is missing but the store holds {items} items, so every search would find nothing; run "
        f"`vidrec ingest CATALOG --store {path}` again: it rebuilds the vector index from the items' saved "
        f"features ({path / 'features'}) and re-analyses only the videos whose features are gone (`vidrec "
        f"doctor --store {path} --repair` rebuilds what the features allow without the catalog)"
    )


def _check_keywords_present(path: Path, metadata: MetadataStore) -> None:
    """The keyword index is derived from the items' stored profiles; a store with items but without it lost it,
    and searches would silently miss every exact-word match."""
    if LexicalIndex.exists(path / LEXICAL):
        return
    items = metadata.count()
    if items == 0:
        return
    raise StoreError(
        f"the keyword index {path / LEXICAL} is missing but the store holds {items} items; rebuild it from the "
        f"store with `vidrec doctor --store {path} --repair` (running `vidrec ingest` again rebuilds it too)"
    )


def writer_pid(dir: str | os.PathLike | None = None) -> int | None:
    """The pid of the process that holds the store's writer lock now, or None when no process writes."""
    if fcntl is None:  # pragma: no cover
        return None
    lock_path = store_dir(dir) / LOCK
    if not lock_path.exists():
        return None
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 64).decode("ascii", "replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def is_store(path: Path) -> bool:
    """Whether ``path`` holds a vidrec store (its SQLite file, or the record of where its backends live)."""
    return (path / DATABASE).exists() or (path / BACKENDS).exists()


def open_metadata(dir: str | os.PathLike | None = None, *, readonly: bool = True) -> MetadataStore:
    """Only the metadata of an existing store, wherever it lives (its SQLite file, or the PostgreSQL database its
    ``backends.json`` or ``$VIDREC_METADATA_URL`` names), without opening the vector and keyword indexes: what
    training and evaluation read. Read-only by default; takes no writer lock."""
    path = store_dir(dir)
    recorded = _recorded_backends(path)
    if not (path / DATABASE).exists() and not recorded:
        raise StoreError(
            f"no vidrec store at {path} (no {DATABASE}); ingest a catalog first or pass --store with the right folder"
        )
    metadata_at = _backend("metadata", None, METADATA_ENV, recorded, True, path)
    return MetadataStore(metadata_at or path / DATABASE, readonly=readonly)


def _is_milvus(location: str) -> bool:
    from vidrec.store.milvus_index import is_milvus_location

    return is_milvus_location(location)


def _recorded_backends(path: Path) -> dict[str, str]:
    file = path / BACKENDS
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{file} is not readable JSON ({exc}); restore it or re-create the store") from exc
    return {k: str(v) for k, v in data.items() if k in ("metadata", "vectors") and v}


def _backend(
    kind: str, given: str | None, env: str, recorded: dict[str, str], existing: bool, path: Path
) -> str | None:
    """Where ``kind`` lives: the given URL, else $env, else what the store recorded; None for the default."""
    wanted = given or os.environ.get(env) or None
    stored = recorded.get(kind)
    if wanted is None:
        return stored
    if existing and redact(wanted) != stored:
        raise StoreError(
            f"the store {path} keeps its {kind} at {stored or 'its own folder (the default)'}, not at "
            f"{redact(wanted)}; drop --{kind} / ${env}, or use another --store for the new location"
        )
    return wanted


def _record_backends(path: Path, metadata_at: str | None, vectors_at: str | None) -> None:
    record = {k: redact(v) for k, v in (("metadata", metadata_at), ("vectors", vectors_at)) if v}
    tmp = path / f".{BACKENDS}.tmp"
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path / BACKENDS)


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
        raise StoreBusyError(
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
