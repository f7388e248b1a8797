"""The server-backed vector index: Milvus through pymilvus, or Milvus Lite (an embedded file) for tests.

Where it lives
--------------
One :class:`pymilvus.MilvusClient` serves both: ``milvus://host:port[/collection]`` (or ``http(s)://...``) talks to
a Milvus server; a path ending in ``.db`` is a Milvus Lite file (embedded, one process at a time). The collection
defaults to ``vidrec_vectors``.

How a vector is stored
----------------------
One row per vector: the string id as primary key, the vector (inner product), and the filter facets as scalar
columns: ``item_id`` and ``kind`` as given, ``category``/``brand``/``gender`` casefolded (``""`` when unknown), the
colours as an array of casefolded strings, the price as a nullable double. The payload exactly as given is kept
in a JSON column and returned by :meth:`MilvusIndex.payload`. A :class:`~vidrec.store.vector_index.Filter` becomes a
Milvus boolean expression evaluated inside the search, so a filter keeping one vector of millions still returns it.

Index type: ``FLAT`` (exact) by default, which is what Milvus Lite supports well and what the contract tests hold
every backend to; on a server pass ``index_type="HNSW"`` (with ``index_params={"M": 16, "efConstruction": 200}``
and ``search_params={"ef": 128}``) or ``"IVF_FLAT"`` for large collections.

Durability: Milvus writes as it goes (``Strong`` consistency: a search sees every insert before it);
:meth:`MilvusIndex.save` flushes the growing segments to storage. Unlike the FAISS file, there is no "previous
saved state" to fall back to: what was inserted stays.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from vidrec.errors import InputError, ModelUnavailableError, StoreError
from vidrec.store.vector_index import (
    FACETS_SINGLE,
    Filter,
    ItemHit,
    VectorIndex,
    check_vectors,
    facet_value,
    facet_values,
    price_value,
)

log = logging.getLogger(__name__)

DEFAULT_COLLECTION = "vidrec_vectors"
MAX_ID = 512  # bytes of a vector id (VARCHAR primary key)
MAX_FACET = 512  # bytes of one facet value
MAX_COLORS = 64  # colours per vector
MAX_TOPK = 16_384  # Milvus' largest limit per search
_BATCH = 2_000  # rows per insert call (keeps each gRPC message well under its size limit)
_OUT = ["item_id"]


def is_milvus_location(location: str | Path) -> bool:
    """Whether ``location`` names a Milvus index: a ``milvus://`` / ``http(s)://`` URL or a ``.db`` file."""
    text = str(location)
    return text.startswith(("milvus://", "http://", "https://")) or text.endswith(".db")


def _client_target(location: str | Path) -> tuple[str, str]:
    """(URI for MilvusClient, collection name) of a location."""
    text = str(location)
    if text.startswith("milvus://"):
        parts = urlsplit(text)
        if not parts.hostname:
            raise InputError(
                f"{text!r} has no host; write milvus://HOST:PORT[/COLLECTION], e.g. milvus://localhost:19530"
            )
        collection = parts.path.strip("/") or DEFAULT_COLLECTION
        return f"http://{parts.hostname}:{parts.port or 19530}", collection
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        collection = parts.path.strip("/") or DEFAULT_COLLECTION
        return f"{parts.scheme}://{parts.netloc}", collection
    path = Path(text).expanduser()
    if path.suffix != ".db":
        raise InputError(f"a Milvus Lite file must end in .db, got {text!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path), DEFAULT_COLLECTION


def _literal(value: str) -> str:
    """A string as a Milvus expression literal (double-quoted, backslash escapes)."""
    return json.dumps(value, ensure_ascii=False)


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_literal(v) for v in sorted(values)) + "]"


def filter_expression(f: Filter | None) -> str | None:
    """The Milvus boolean expression of a filter; ``""`` for no condition, None when it can match nothing."""
    if f is None or f.is_empty():
        return ""
    parts: list[str] = []
    for name, wanted in (("pk", f.ids), ("item_id", f.item_ids)):
        if wanted is not None:
            if not wanted:
                return None
            parts.append(f"{name} in {_list(str(v) for v in wanted)}")
    for name, unwanted in (("pk", f.exclude_ids), ("item_id", f.exclude_item_ids)):
        if unwanted:
            parts.append(f"{name} not in {_list(str(v) for v in unwanted)}")
    if f.kind is not None:
        parts.append(f"kind == {_literal(f.kind)}")
    for name, wanted in (("category", f.category), ("brand", f.brand), ("gender", f.gender)):
        if wanted is not None:
            if not wanted:
                return None
            parts.append(f"{name} in {_list({facet_value(w) or '' for w in wanted})}")
    if f.brand_none:
        unwanted = {b for b in (facet_value(w) for w in f.brand_none) if b is not None}
        if unwanted:
            parts.append(f"brand not in {_list(unwanted)}")
    if f.colors_any is not None:
        wanted_colors = facet_values(list(f.colors_any))
        if not wanted_colors:
            return None
        parts.append(f"ARRAY_CONTAINS_ANY(colors, {_list(wanted_colors)})")
    if f.colors_none:
        unwanted_colors = facet_values(list(f.colors_none))
        if unwanted_colors:
            parts.append(f"not ARRAY_CONTAINS_ANY(colors, {_list(unwanted_colors)})")
    if f.price_min is not None or f.price_max is not None:
        parts.append("price is not null")
        if f.price_min is not None:
            parts.append(f"price >= {float(f.price_min)!r}")
        if f.price_max is not None:
            parts.append(f"price <= {float(f.price_max)!r}")
    return " and ".join(f"({p})" for p in parts)


class MilvusIndex(VectorIndex):
    """A Milvus collection behind the VectorIndex contract; filters run inside Milvus' search."""

    def __init__(
        self,
        dim: int,
        location: str | Path,
        *,
        index_type: str = "FLAT",
        index_params: dict[str, Any] | None = None,
        search_params: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> None:
        if dim <= 0:
            raise InputError(f"vector dimension must be positive, got {dim}")
        self.dim = int(dim)
        self.location = str(location)
        self.path = Path(location) if not str(location).startswith(("milvus://", "http")) else None
        self.index_type = index_type
        self.index_params = dict(index_params or {})
        self.search_params = dict(search_params or {})
        self.dirty = False
        uri, self.collection = _client_target(location)
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:  # pragma: no cover - the [milvus] extra
            raise ModelUnavailableError(
                "the Milvus vector index needs pymilvus (and milvus-lite for .db files); "
                "install them with `pip install 'vidrec[milvus]'`"
            ) from exc
        try:
            self._client = MilvusClient(uri=uri, token=token or "")
        except Exception as exc:  # noqa: BLE001 - pymilvus raises several types for an unreachable server
            raise StoreError(
                f"cannot reach Milvus at {self.location} ({exc}); start the Milvus server (or check the URL), or "
                f"use the embedded FAISS index"
            ) from exc
        self._ensure_collection()

    # ------------------------------------------------------------------------------------------ schema

    def _ensure_collection(self) -> None:
        from pymilvus import DataType, MilvusClient

        client = self._client
        if client.has_collection(self.collection):
            fields = client.describe_collection(self.collection)["fields"]
            vector = next((f for f in fields if f["name"] == "vector"), None)
            names = {f["name"] for f in fields}
            if vector is None or not {"pk", "item_id", "kind", "colors", "price", "payload"} <= names:
                raise StoreError(
                    f"the Milvus collection {self.collection!r} at {self.location} was not made by vidrec; "
                    f"name another collection (milvus://HOST:PORT/NAME)"
                )
            have = int(vector["params"]["dim"])
            if have != self.dim:
                raise StoreError(
                    f"the Milvus collection {self.collection!r} at {self.location} holds {have}-d vectors but "
                    f"{self.dim}-d were asked for; use the encoder it was built with, or another collection"
                )
            client.load_collection(self.collection)
            return
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=MAX_ID)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("item_id", DataType.VARCHAR, max_length=MAX_ID)
        schema.add_field("kind", DataType.VARCHAR, max_length=64)
        for name in FACETS_SINGLE:
            schema.add_field(name, DataType.VARCHAR, max_length=MAX_FACET)
        schema.add_field(
            "colors",
            DataType.ARRAY,
            element_type=DataType.VARCHAR,
            max_capacity=MAX_COLORS,
            max_length=MAX_FACET,
        )
        schema.add_field("price", DataType.DOUBLE, nullable=True)
        schema.add_field("payload", DataType.JSON)
        params = client.prepare_index_params()
        params.add_index("vector", index_type=self.index_type, metric_type="IP", params=self.index_params)
        client.create_collection(
            self.collection, schema=schema, index_params=params, consistency_level="Strong"
        )

    # ------------------------------------------------------------------------------------------ writes

    def _row(self, vector_id: str, vector: np.ndarray, payload: dict) -> dict[str, Any]:
        if len(vector_id.encode()) > MAX_ID:
            raise InputError(
                f"vector id {vector_id[:40]!r}... is longer than {MAX_ID} bytes; use shorter ids"
            )
        colors = facet_values(payload.get("colors"))
        if len(colors) > MAX_COLORS:
            raise InputError(f"vector {vector_id!r} has {len(colors)} colours; at most {MAX_COLORS} are kept")
        price = price_value(payload.get("price"), vector_id)
        row: dict[str, Any] = {
            "pk": vector_id,
            "vector": vector.tolist(),
            "item_id": str(payload.get("item_id", vector_id)),
            "kind": str(payload.get("kind", "item")),
            "colors": colors,
            "price": None if math.isnan(price) else price,
            "payload": payload,
        }
        for name in FACETS_SINGLE:
            value = facet_value(payload.get(name)) or ""
            if len(value.encode()) > MAX_FACET:
                raise InputError(f"vector {vector_id!r}: {name} is longer than {MAX_FACET} bytes")
            row[name] = value
        return row

    def add(self, ids: list[str], vectors: np.ndarray, payload: list[dict] | None = None) -> None:
        ids = [str(i) for i in ids]
        arr = check_vectors(vectors, self.dim, len(ids))
        payloads = payload if payload is not None else [{} for _ in ids]
        if len(payloads) != len(ids):
            raise InputError(f"got {len(payloads)} payloads for {len(ids)} ids; pass one payload per id")
        last: dict[str, int] = {vid: pos for pos, vid in enumerate(ids)}  # a repeated id keeps the last
        rows = []
        for vid, pos in last.items():
            try:
                json.dumps(payloads[pos])
            except (TypeError, ValueError) as exc:
                raise InputError(f"vector {vid!r}: payload is not JSON-serialisable ({exc})") from exc
            rows.append(self._row(vid, arr[pos], dict(payloads[pos])))
        with self._errors("add vectors to"):
            for start in range(0, len(rows), _BATCH):
                batch = rows[start : start + _BATCH]
                # delete + insert rather than upsert: Milvus Lite's upsert ranks a replaced row by where the old
                # one was, so ties came back in a different order than from every other backend
                self._client.delete(self.collection, filter=f"pk in {_list(r['pk'] for r in batch)}")
                self._client.insert(self.collection, batch)
        self.dirty = self.dirty or bool(rows)

    def delete(self, ids: Iterable[str]) -> None:
        wanted = sorted({str(i) for i in ids})
        if not wanted:
            return
        with self._errors("delete vectors from"):
            for start in range(0, len(wanted), _BATCH):
                self._client.delete(self.collection, filter=f"pk in {_list(wanted[start : start + _BATCH])}")
        self.dirty = True

    def save(self) -> None:
        with self._errors("flush"):
            self._client.flush(self.collection)
        self.dirty = False

    def refresh(self) -> bool:
        """Readers see other writers' inserts at once (Strong consistency); nothing to reload."""
        return False

    @classmethod
    def open(cls, path: str | Path, dim: int, **options: Any) -> MilvusIndex:
        return cls(dim, path, **options)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------------------------------ reads

    def __len__(self) -> int:
        with self._errors("count the vectors of"):
            rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def payload(self, vector_id: str) -> dict | None:
        with self._errors("read from"):
            rows = self._client.query(
                self.collection, filter=f"pk == {_literal(str(vector_id))}", output_fields=["payload"]
            )
        return dict(rows[0]["payload"]) if rows else None

    def vector(self, vector_id: str) -> np.ndarray | None:
        return self.vectors([vector_id])[0]

    def vectors(self, vector_ids) -> list[np.ndarray | None]:
        """One query per 1,000 ids instead of one per id."""
        ids = [str(v) for v in vector_ids]
        found: dict[str, np.ndarray] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            with self._errors("read from"):
                rows = self._client.query(
                    self.collection, filter=f"pk in {_list(chunk)}", output_fields=["pk", "vector"]
                )
            found.update({str(r["pk"]): np.asarray(r["vector"], dtype=np.float32) for r in rows})
        return [found.get(v) for v in ids]

    def item_id_of(self, vector_id: str) -> str:
        with self._errors("read from"):
            rows = self._client.query(
                self.collection, filter=f"pk == {_literal(str(vector_id))}", output_fields=["item_id"]
            )
        return str(rows[0]["item_id"]) if rows else vector_id

    def item_ids_of(self, vector_ids) -> list[str]:
        """One query per 1,000 ids instead of one per id."""
        ids = [str(v) for v in vector_ids]
        found: dict[str, str] = {}
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            expression = "pk in [" + ", ".join(_literal(v) for v in chunk) + "]"
            with self._errors("read from"):
                rows = self._client.query(self.collection, filter=expression, output_fields=["pk", "item_id"])
            found.update({str(r["pk"]): str(r["item_id"]) for r in rows})
        return [found.get(v, v) for v in ids]

    def _search(self, vector: np.ndarray, k: int, filter: Filter | None) -> list[dict]:
        query = check_vectors(vector, self.dim, 1, what="query vector")
        if k <= 0:
            return []
        expression = filter_expression(filter)
        if expression is None:
            return []
        with self._errors("search"):
            result = self._client.search(
                self.collection,
                data=[query[0].tolist()],
                limit=min(int(k), MAX_TOPK),
                filter=expression,
                output_fields=_OUT,
                search_params={"metric_type": "IP", "params": self.search_params},
            )
        return list(result[0]) if result else []

    def search(self, vector: np.ndarray, k: int, filter: Filter | None = None) -> list[tuple[str, float]]:
        return [(_hit_id(hit), float(hit["distance"])) for hit in self._search(vector, k, filter)]

    def search_items(
        self, vector: np.ndarray, k: int, filter: Filter | None = None, *, vectors_per_item: int = 4
    ) -> list[ItemHit]:
        """As :meth:`VectorIndex.search_items`, with each hit's item read from the search result (no extra query)."""
        if k <= 0:
            return []
        fetch = min(max(max(1, int(vectors_per_item)) * k, 16), MAX_TOPK)
        while True:
            hits = self._search(vector, fetch, filter)
            best: dict[str, ItemHit] = {}
            for hit in hits:
                vector_id = _hit_id(hit)
                item_id = str(hit["entity"].get("item_id", vector_id))
                if item_id not in best:
                    best[item_id] = ItemHit(item_id, float(hit["distance"]), vector_id)
            if len(best) >= k or len(hits) < fetch or fetch >= MAX_TOPK:
                return list(best.values())[:k]
            fetch = min(fetch * 4, MAX_TOPK)

    # ------------------------------------------------------------------------------------------ errors

    def _errors(self, doing: str):
        return _MilvusErrors(doing, self)


def _hit_id(hit: dict) -> str:
    return str(hit["pk"] if "pk" in hit else hit["id"])


class _MilvusErrors:
    """pymilvus errors as StoreErrors that say where and what to do."""

    def __init__(self, doing: str, index: MilvusIndex) -> None:
        self.doing = doing
        self.index = index

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, (StoreError, InputError)):
            return False
        from pymilvus.exceptions import MilvusException

        if isinstance(exc, MilvusException):
            raise StoreError(
                f"Milvus at {self.index.location} could not {self.doing} collection {self.index.collection!r}: "
                f"{exc}; check that the server is up and the collection is loaded"
            ) from exc
        return False
