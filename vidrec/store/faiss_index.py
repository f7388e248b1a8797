"""The embedded vector index: faiss-cpu, with filters applied inside the search through an id selector.

How it works
------------
Every vector gets an internal int64 label (dense, reused after deletes). Payload facets are kept alongside in numpy
columns indexed by label (int codes for strings, a boolean row per colour, a float column for prices). A
:class:`~vidrec.store.vector_index.Filter` becomes a boolean mask over labels, packed into a bitmap and handed to
faiss as an ``IDSelectorBitmap``, so faiss only returns vectors that meet the filter, from inside the search: a
filter that keeps one vector of 100k still returns it.

Below ``ivf_threshold`` vectors (default 50k) the index is ``IndexIDMap2(IndexFlatIP)``: exact. When it grows past
the threshold it is rebuilt once as ``IndexIVFFlat`` (inner product, spherical k-means, ``nlist`` ~ 2*sqrt(n),
retrained when it has grown 4x since). Searching IVF:

- no filter: the ``nprobe`` (default 96) lists closest to the query;
- a filter keeping at most ``exhaustive_below`` vectors (default 20k): every list holding one of them, which is
  exact, and cheap because faiss skips the vectors the bitmap leaves out;
- a wider filter: lists closest first, as many as it takes to hold as many vectors meeting the filter as the
  ``nprobe`` closest lists hold vectors (times ``(total / kept) ** filter_probe_exponent``, default 0). Lists
  without such vectors are passed over (they cost only id checks), so a filter whose vectors all lie far from the
  query still gets its nearest ones searched;
- a filtered search that found fewer than ``k`` hits is run again over every list.

``nprobe`` 96 is the smallest setting whose recall@10 reached 0.96 under every filter on the tune half of real
shopper queries at both 100k and 1M realistic vectors (``bench/bench_index_real.py``; BENCHMARKS.md, "Indexes at
1M on real embeddings"). Past ``hnsw_threshold`` vectors (default ``HNSW_THRESHOLD``, 500k) the index is rebuilt
once as an HNSW graph (M 32, efConstruction 80, efSearch 1024): at 1M it needs 2-4x less CPU than IVF at the same
recall for texts and facet filters (and as much for the picture pass).

Persistence: one file (a JSON manifest, the ids, payloads and filter columns as raw arrays, then the faiss index),
written to a temporary file, fsynced and moved over the old one with ``os.replace``, so readers and crashes only
ever see a complete index. Opening it reads arrays back without parsing payloads (they are parsed when asked
for), so a 100k-vector index opens in about a second. Readers in other processes pick up a newer file with
:meth:`FaissIndex.refresh`.

Thread safety: any number of concurrent searches, writes exclusive (a readers-writer lock). Each search runs
faiss on one thread (a single query is too little work to split), and so do adding and training unless
``build_threads`` says otherwise: on a busy machine (ingest workers, a server) OpenMP threads spin-wait on each
other and made training 2.5x slower on 2 cores.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from vidrec.errors import InputError, StoreError
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

FORMAT = "vidrec-faiss-index"
FORMAT_VERSION = 2  # 2: may hold an HNSW graph (files without one are still written as version 1)
_CODED = ("item_id", "kind", *FACETS_SINGLE)  # single-valued string columns kept as int codes
_TRAIN_PER_LIST = 32  # k-means training points per IVF list
SPARSE_ROWS = 256  # a filter naming at most this many vectors or items is searched over their rows alone
ALLOWED_BY_COMPARISON = 16  # a filter on at most this many values of a column compares codes, more look them up
BASE_MASKS_KEPT = 4  # filters (without their kind) whose masks are kept for the next searches
IVF_NPROBE = 96  # lists an unfiltered IVF search probes (fitted on tune queries at 100k and 1M, see above)
IVF_FILTER_PROBE_EXPONENT = 0.0  # a filter keeping a share p probes lists holding nprobe lists' worth / p ** this
# (0.5 bought no recall over 0 at 100k or 1M on tune, so 0)
# Past this many vectors the index is rebuilt once as an HNSW graph (None: never). On realistic vectors with real
# shopper queries (BENCHMARKS.md, "Indexes at 1M on real embeddings") both reach recall@10 0.95 at 100k, IVF with
# ~2x the CPU of HNSW but a 5x cheaper build; at 1M, recall-matched, HNSW costs 2-4x less CPU for texts and facet
# filters and as much for the picture pass (~35 ms p95 both). IVF's CPU grows ~n^0.8 here, HNSW's ~n^0.6: the
# switch sits between the two measured sizes, where IVF's unfiltered p95 would pass ~10 ms.
HNSW_THRESHOLD = 500_000
HNSW_M = 32  # graph degree: M 16 (efConstruction 64) stayed under recall 0.95 at 100k up to ef 256 on tune
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 1024  # fitted on tune at 1M with M 32, efConstruction 80 (100k needed 256)
HNSW_EF_MAX = 2048  # the most candidates a filtered walk keeps
HNSW_FILTER_EXPONENT = 0.5  # a filter keeping a share p of the vectors walks with efSearch / p ** this
HNSW_DEAD_SHARE = 0.25  # rebuild the graph when this share of it is deleted vectors
_NONE = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))  # no labels found


class _ReadWriteLock:
    """Many readers or one writer; waiting writers go first so a stream of searches cannot starve an update."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class FaissIndex(VectorIndex):
    """faiss-cpu index with payload filters inside the search; flat (exact) when small, IVF when large."""

    def __init__(
        self,
        dim: int,
        path: str | Path | None = None,
        *,
        ivf_threshold: int = 50_000,
        nprobe: int = IVF_NPROBE,
        filter_probe_exponent: float = IVF_FILTER_PROBE_EXPONENT,
        exhaustive_below: int = 20_000,
        build_threads: int = 1,
        hnsw_threshold: int | None = HNSW_THRESHOLD,
        hnsw_m: int = HNSW_M,
        hnsw_ef_construction: int = HNSW_EF_CONSTRUCTION,
        hnsw_ef_search: int = HNSW_EF_SEARCH,
        hnsw_filter_exponent: float = HNSW_FILTER_EXPONENT,
    ) -> None:
        if dim <= 0:
            raise InputError(f"vector dimension must be positive, got {dim}")
        self.dim = int(dim)
        self.path = Path(path) if path is not None else None
        self.ivf_threshold = int(ivf_threshold)
        self.nprobe = int(nprobe)
        self.filter_probe_exponent = float(filter_probe_exponent)
        self.exhaustive_below = int(exhaustive_below)
        self.build_threads = int(build_threads)
        self.hnsw_threshold = None if hnsw_threshold is None else int(hnsw_threshold)
        self.hnsw_m = int(hnsw_m)
        self.hnsw_ef_construction = int(hnsw_ef_construction)
        self.hnsw_ef_search = int(hnsw_ef_search)
        self.hnsw_filter_exponent = float(hnsw_filter_exponent)
        self._lock = _ReadWriteLock()
        self._derived_lock = threading.Lock()  # searches share the masks they keep (see _forget_derived)
        self._file_signature: tuple[int, int, int] | None = None
        self._reset()
        self.dirty = False  # changed since the last save or load

    # ----------------------------------------------------------------------------------------------- state

    def _reset(self) -> None:
        self._forget_derived()
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self._ivf = False
        self._hnsw = False  # labels are the graph's own ids; deleted vectors stay in the graph as dead labels
        self._dead = 0  # dead labels still in the HNSW graph
        self._trained_n = 0
        self._ids: list[str | None] = []  # label -> vector id (None: free label)
        self._payloads: list[str | None] = []  # label -> payload as JSON text, parsed when asked for
        self._labels: dict[str, int] = {}  # vector id -> label
        self._free: list[int] = []  # labels of deleted vectors, reused first
        self._capacity = 0
        self._alive = np.zeros(0, dtype=bool)
        self._codes: dict[str, np.ndarray] = {name: np.zeros(0, dtype=np.int32) for name in _CODED}
        self._vocab: dict[str, dict[str, int]] = {name: {} for name in (*_CODED, "colors")}  # value -> code
        self._values: dict[str, list[str]] = {name: [] for name in (*_CODED, "colors")}  # code -> value
        self._price = np.zeros(0, dtype=np.float64)
        self._colors = np.zeros((0, 0), dtype=bool)  # colour code x label: one contiguous row per colour
        self._list_of = np.zeros(0, dtype=np.int64)  # label -> IVF list holding it (-1: none / flat index)

    def _forget_derived(self) -> None:
        """Drop what is computed from the rows and kept between searches (call on every change of rows)."""
        self._kind_masks: dict[str, np.ndarray] = {}  # "which rows are shots / texts ...": asked by every search
        self._base_masks: dict[tuple, np.ndarray] = {}  # last filters without their kind (text, then image)
        self._item_rows: tuple[np.ndarray, np.ndarray] | None = None  # labels sorted by item code, list starts
        self._alive_bits: np.ndarray | None = None  # HNSW with dead labels: the live ones, as a bitmap
        self._list_counts: dict[tuple, np.ndarray] = {}  # IVF: per filter, how many of its vectors each list holds
        self._sizes: np.ndarray | None = None  # IVF: how many live vectors each list holds

    def _grow(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        cap = max(needed, 2 * self._capacity, 1024)
        extra = cap - self._capacity

        def grown(arr: np.ndarray, fill: Any) -> np.ndarray:
            return np.concatenate([arr, np.full((extra, *arr.shape[1:]), fill, dtype=arr.dtype)])

        self._alive = grown(self._alive, False)
        self._codes = {name: grown(col, -1) for name, col in self._codes.items()}
        self._price = grown(self._price, math.nan)
        self._list_of = grown(self._list_of, -1)
        self._colors = np.concatenate([self._colors, np.zeros((self._colors.shape[0], extra), bool)], axis=1)
        self._capacity = cap

    def _code(self, name: str, value: str | None) -> int:
        if value is None:
            return -1
        vocab = self._vocab[name]
        code = vocab.get(value)
        if code is None:
            code = vocab[value] = len(vocab)
            self._values[name].append(value)
            if name == "colors" and code >= self._colors.shape[0]:
                more = max(16, self._colors.shape[0])
                self._colors = np.concatenate([self._colors, np.zeros((more, self._capacity), bool)], axis=0)
        return code

    @staticmethod
    def _row(vector_id: str, payload: dict) -> tuple[str, tuple[str | None, ...], list[str], float]:
        """(payload JSON, coded values in _CODED order, colours, price) of one payload, validated up front."""
        if not isinstance(payload, dict):
            raise InputError(f"vector {vector_id!r}: payload must be a dict, got {type(payload).__name__}")
        try:
            text = json.dumps(payload, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InputError(f"vector {vector_id!r}: payload is not JSON-serialisable ({exc})") from exc
        kind = payload.get("kind", "item")
        coded = (
            str(payload.get("item_id", vector_id)),
            None if kind is None else str(kind),
            *(facet_value(payload.get(name)) for name in FACETS_SINGLE),
        )
        return text, coded, facet_values(payload.get("colors")), price_value(payload.get("price"), vector_id)

    def _clear_row(self, label: int) -> None:
        vector_id = self._ids[label]
        if vector_id is not None:
            del self._labels[vector_id]
        self._ids[label] = None
        self._payloads[label] = None
        self._alive[label] = False
        for col in self._codes.values():
            col[label] = -1
        self._price[label] = math.nan
        self._list_of[label] = -1
        self._colors[:, label] = False
        if self._hnsw:
            self._dead += 1  # the graph keeps the vector: its label is never used again (until a rebuild)
        else:
            self._free.append(label)

    def _new_label(self) -> int:
        if self._free:
            return self._free.pop()
        label = len(self._ids)
        self._ids.append(None)
        self._payloads.append(None)
        self._grow(label + 1)
        return label

    # ----------------------------------------------------------------------------------------------- writes

    def add(self, ids: list[str], vectors: np.ndarray, payload: list[dict] | None = None) -> None:
        ids = [str(i) for i in ids]
        vecs = check_vectors(vectors, self.dim, count=len(ids))
        payloads = [{} for _ in ids] if payload is None else list(payload)
        if len(payloads) != len(ids):
            raise InputError(f"got {len(payloads)} payloads for {len(ids)} ids; pass one payload per id")
        if not ids:
            return
        last = {vector_id: pos for pos, vector_id in enumerate(ids)}  # a repeated id: the last one wins
        if len(last) < len(ids):
            keep = sorted(last.values())
            ids, vecs, payloads = [ids[p] for p in keep], vecs[keep], [payloads[p] for p in keep]
        rows = [self._row(vector_id, p) for vector_id, p in zip(ids, payloads, strict=True)]
        with self._lock.writing():
            replaced = [self._labels[i] for i in ids if i in self._labels]
            if replaced and self._hnsw:
                for label in replaced:  # the new vectors get new labels at the end of the graph
                    self._clear_row(label)
            elif replaced:
                self._index.remove_ids(np.asarray(replaced, dtype=np.int64))
            labels = np.empty(len(ids), dtype=np.int64)
            for pos, vector_id in enumerate(ids):
                label = self._labels.get(vector_id)
                if label is None:
                    label = self._new_label()
                    self._labels[vector_id] = label
                    self._ids[label] = vector_id
                labels[pos] = label
            for label, (text, _, _, _) in zip(labels.tolist(), rows, strict=True):
                self._payloads[label] = text
            self._alive[labels] = True
            for column, name in enumerate(_CODED):
                self._codes[name][labels] = [self._code(name, row[1][column]) for row in rows]
            self._price[labels] = [row[3] for row in rows]
            color_codes = [[self._code("colors", c) for c in row[2]] for row in rows]
            self._colors[:, labels] = False
            for label, codes in zip(labels.tolist(), color_codes, strict=True):
                self._colors[codes, label] = True
            self.dirty = True
            self._forget_derived()
            with _omp_threads(self.build_threads):
                if self._hnsw:
                    assert labels[0] == self._index.ntotal and np.all(np.diff(labels) == 1)
                    self._index.add(vecs)
                elif self._ivf:
                    self._ivf_add(self._index, vecs, labels)
                else:
                    self._index.add_with_ids(vecs, labels)
                self._maybe_rebuild()

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock.writing():
            labels = sorted({self._labels[i] for i in ids if i in self._labels})
            if not labels:
                return
            if not self._hnsw:
                self._index.remove_ids(np.asarray(labels, dtype=np.int64))
            for label in labels:
                self._clear_row(label)
            self.dirty = True
            self._forget_derived()
            if self._hnsw and self._dead > HNSW_DEAD_SHARE * self._index.ntotal:
                with _omp_threads(self.build_threads):
                    self._rebuild_hnsw()

    @staticmethod
    def _nlist_for(n: int) -> int:
        """~2*sqrt(n) lists (and at least 32 training points per list).

        Measured at 100k (384-d, k=10, nprobe 32, bench/bench_index.py): 2*sqrt(n) lists train in ~5 s with recall
        0.95-1.0; 4*sqrt(n) trains in 16-20 s for the same recall; sqrt(n) trains in 1.5 s but probes 2x more
        vectors per list.
        """
        return int(max(1, min(65536, 2 * math.sqrt(n), n // _TRAIN_PER_LIST)))

    def _maybe_rebuild(self) -> None:
        n = self._index.ntotal
        if self._hnsw:
            if self._dead > HNSW_DEAD_SHARE * n:
                self._rebuild_hnsw()
        elif self.hnsw_threshold is not None and n >= self.hnsw_threshold:
            self._rebuild_hnsw()
        elif not self._ivf and n >= self.ivf_threshold:
            self._rebuild_ivf()
        elif self._ivf and n >= 4 * self._trained_n:
            self._rebuild_ivf()

    def _ivf_add(self, index: faiss.Index, vectors: np.ndarray, labels: np.ndarray) -> None:
        """Add to an IVF index, remembering which list each label went to (for filter-aware probing)."""
        ivf = faiss.extract_index_ivf(index)
        for start in range(0, len(labels), 65536):
            x = np.ascontiguousarray(vectors[start : start + 65536])
            ids = np.ascontiguousarray(labels[start : start + 65536], dtype=np.int64)
            _, assign = ivf.quantizer.search(x, 1)
            assign = np.ascontiguousarray(assign[:, 0], dtype=np.int64)
            ivf.add_core(len(ids), faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(assign))
            self._list_of[ids] = assign

    def _rebuild_ivf(self) -> None:
        """Move every vector into a freshly trained IVF index (the vectors come back from the current index)."""
        started = time.perf_counter()
        labels = np.flatnonzero(self._alive[: len(self._ids)]).astype(np.int64)
        vectors = np.ascontiguousarray(self._index.reconstruct_batch(labels), dtype=np.float32)
        n = len(labels)
        nlist = self._nlist_for(n)
        index = faiss.index_factory(self.dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.spherical = True
        ivf.cp.niter = 10
        ivf.cp.min_points_per_centroid = _TRAIN_PER_LIST
        train_n = min(n, _TRAIN_PER_LIST * nlist)
        rng = np.random.default_rng(0)
        sample = vectors[np.sort(rng.choice(n, size=train_n, replace=False))] if train_n < n else vectors
        index.train(sample)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # remove_ids and reconstruct by label
        self._ivf_add(index, vectors, labels)
        self._index, self._ivf, self._trained_n = index, True, n
        log.info(
            "vector index rebuilt as IVF%d over %d vectors in %.1f s", nlist, n, time.perf_counter() - started
        )

    def _rebuild_hnsw(self) -> None:
        """Move every live vector into a new HNSW graph whose ids are the labels, renumbering the labels 0..n-1
        (entering HNSW from flat / IVF, or dropping the dead labels deletes left in the graph)."""
        started = time.perf_counter()
        high = len(self._ids)
        keep = np.flatnonzero(self._alive[:high]).astype(np.int64)
        vectors = np.ascontiguousarray(self._index.reconstruct_batch(keep), dtype=np.float32)
        n = len(keep)
        self._ids = [self._ids[label] for label in keep.tolist()]
        self._payloads = [self._payloads[label] for label in keep.tolist()]
        self._labels = {vector_id: label for label, vector_id in enumerate(self._ids)}
        self._free = []
        self._alive = self._alive[keep]
        self._codes = {name: col[keep] for name, col in self._codes.items()}
        self._price = self._price[keep]
        self._colors = np.ascontiguousarray(self._colors[:, keep])
        self._list_of = np.full(n, -1, dtype=np.int64)
        self._capacity = n
        index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.hnsw_ef_construction
        for start in range(0, n, 65536):
            index.add(vectors[start : start + 65536])
        self._index, self._ivf, self._hnsw, self._dead, self._trained_n = index, False, True, 0, n
        self._forget_derived()
        log.info("vector index rebuilt as HNSW (M=%d) over %d vectors in %.1f s", self.hnsw_m, n,
                 time.perf_counter() - started)

    # ----------------------------------------------------------------------------------------------- reads

    def __len__(self) -> int:
        return int(self._index.ntotal) - self._dead

    @property
    def index_type(self) -> str:
        """How the vectors are indexed now: "flat" (exact), "ivf" or "hnsw"."""
        return "hnsw" if self._hnsw else "ivf" if self._ivf else "flat"

    @property
    def is_ivf(self) -> bool:
        """True once the index has grown past ``ivf_threshold`` and searches are approximate without a filter."""
        return self._ivf

    def payload(self, vector_id: str) -> dict | None:
        with self._lock.reading():
            label = self._labels.get(vector_id)
            if label is None:
                return None
            stored = self._payloads[label]
            return json.loads(stored) if stored is not None else None

    def item_id_of(self, vector_id: str) -> str:
        return self.item_ids_of([vector_id])[0]

    def item_ids_of(self, vector_ids: Sequence[str]) -> list[str]:
        with self._lock.reading():
            labels, codes, values = self._labels, self._codes["item_id"], self._values["item_id"]
            out = []
            for v in vector_ids:
                label = labels.get(v)
                out.append(v if label is None else values[codes[label]])
            return out

    def ids(self) -> list[str]:
        """Every vector id held, in no particular order."""
        with self._lock.reading():
            return list(self._labels)

    def vector(self, vector_id: str) -> np.ndarray | None:
        """The stored vector of one id, or None."""
        with self._lock.reading():
            label = self._labels.get(vector_id)
            if label is None:
                return None
            return np.asarray(self._index.reconstruct(label), dtype=np.float32)

    def vectors(self, vector_ids: Sequence[str]) -> list[np.ndarray | None]:
        """The stored vectors of many ids in one read (None for unknown ids), in the order given: the dialog asks
        for a page of items' vectors every turn, and one lock and one batch cost less than a lookup each."""
        with self._lock.reading():
            labels = [self._labels.get(v) for v in vector_ids]
            known = [label for label in labels if label is not None]
            if not known:
                return [None] * len(labels)
            rows = np.asarray(self._index.reconstruct_batch(np.asarray(known, dtype=np.int64)), dtype=np.float32)
        out: list[np.ndarray | None] = []
        j = 0
        for label in labels:
            if label is None:
                out.append(None)
            else:
                out.append(rows[j].copy())
                j += 1
        return out

    def _allowed(self, name: str, values: Iterable[str | None], rows: np.ndarray | None = None) -> np.ndarray:
        """A mask over labels (or over ``rows``, an array of labels) of the rows whose coded column ``name`` holds
        one of ``values``."""
        vocab = self._vocab[name]
        wanted = {code for code in (vocab.get(v) for v in values if v is not None) if code is not None}
        codes = self._codes[name][: len(self._ids)] if rows is None else self._codes[name][rows]
        if len(wanted) <= ALLOWED_BY_COMPARISON:
            # a few values (a category, a kind, a brand or three): one comparison each, ~25x faster than the
            # table lookup below at 400k rows (which gathers through an index array)
            mask = np.zeros(len(codes), dtype=bool)
            for code in wanted:
                mask |= codes == code
            return mask
        table = np.zeros(len(vocab) + 1, dtype=bool)  # index 0 is "unknown" (code -1)
        table[[code + 1 for code in wanted]] = True
        return table.take(codes + 1)

    def _colour_mask(self, colors: Iterable[str], rows: np.ndarray | None = None) -> np.ndarray:
        """A mask over labels (or over ``rows``) of the rows having at least one of ``colors``."""
        vocab = self._vocab["colors"]
        codes = [vocab[c] for c in facet_values(list(colors)) if c in vocab]
        size = len(self._ids) if rows is None else len(rows)
        if not codes:
            return np.zeros(size, dtype=bool)
        table = self._colors[codes, : len(self._ids)] if rows is None else self._colors[np.ix_(codes, rows)]
        return table.any(axis=0)

    def _mask(self, f: Filter, rows: np.ndarray | None = None) -> np.ndarray:
        """Which labels meet every condition of ``f`` (and are alive): a mask over all labels, or over ``rows``.

        Over all labels, the part without ``kind`` is remembered for the next search (a search asks for texts,
        then pictures, under the same conditions) until the rows change."""
        if rows is not None:
            mask = self._conditions(f, rows)
            return mask & self._allowed("kind", [f.kind], rows) if f.kind is not None else mask
        key = _filter_key(f)
        with self._derived_lock:
            base = self._base_masks.get(key)
        if base is None or len(base) != len(self._ids):
            base = self._conditions(f, None)
            self._keep(self._base_masks, key, base)
        if f.kind is None:
            return base.copy()
        n = len(self._ids)
        kind = self._kind_masks.get(f.kind)
        if kind is None or len(kind) != n:
            kind = self._kind_masks[f.kind] = self._allowed("kind", [f.kind])
        return base & kind

    def _conditions(self, f: Filter, rows: np.ndarray | None) -> np.ndarray:
        """Every condition of ``f`` but ``kind``, over all labels or over ``rows``."""
        n = len(self._ids)
        at = slice(0, n) if rows is None else rows
        mask = self._alive[at].copy()
        if f.ids is not None:
            wanted = np.fromiter((self._labels[i] for i in f.ids if i in self._labels), dtype=np.int64)
            if rows is None:
                keep = np.zeros(n, dtype=bool)
                keep[wanted] = True
                mask &= keep
            else:
                mask &= np.isin(rows, wanted)
        if f.exclude_ids:
            dropped = np.fromiter((self._labels[i] for i in f.exclude_ids if i in self._labels), dtype=np.int64)
            if rows is None:
                mask[dropped] = False
            else:
                mask &= ~np.isin(rows, dropped)
        if f.item_ids is not None:
            mask &= self._allowed("item_id", f.item_ids, rows)
        if f.exclude_item_ids:
            mask &= ~self._allowed("item_id", f.exclude_item_ids, rows)
        for name, wanted in (("category", f.category), ("brand", f.brand), ("gender", f.gender)):
            if wanted is not None:
                mask &= self._allowed(name, [facet_value(w) for w in wanted], rows)
        if f.brand_none:
            mask &= ~self._allowed("brand", [facet_value(b) for b in f.brand_none], rows)
        if f.colors_any is not None:
            mask &= self._colour_mask(f.colors_any, rows)
        if f.colors_none:
            mask &= ~self._colour_mask(f.colors_none, rows)
        if f.price_min is not None or f.price_max is not None:
            price = self._price[at]
            with np.errstate(invalid="ignore"):
                if f.price_min is not None:
                    mask &= price >= float(f.price_min)
                if f.price_max is not None:
                    mask &= price <= float(f.price_max)
        return mask

    def _candidate_rows(self, f: Filter) -> np.ndarray | None:
        """The labels a filter naming a few vectors or items can keep (a superset), found without a pass over
        every row; None when the filter names no such short list."""
        if f.ids is not None and len(f.ids) <= SPARSE_ROWS:
            return np.fromiter((self._labels[i] for i in f.ids if i in self._labels), dtype=np.int64)
        if f.item_ids is not None and len(f.item_ids) <= SPARSE_ROWS:
            if self._item_rows is None:
                codes = self._codes["item_id"][: len(self._ids)]
                order = np.argsort(codes, kind="stable")
                starts = np.searchsorted(codes[order], np.arange(len(self._vocab["item_id"]) + 1))
                self._item_rows = (order, starts)
            order, starts = self._item_rows
            vocab = self._vocab["item_id"]
            codes_wanted = [vocab[i] for i in f.item_ids if i in vocab]
            if not codes_wanted:
                return np.zeros(0, dtype=np.int64)
            return np.concatenate([order[starts[c] : starts[c + 1]] for c in codes_wanted]).astype(np.int64)
        return None

    def _query(self, vector: np.ndarray) -> np.ndarray:
        query = check_vectors(vector, self.dim, what="query vector")
        if query.shape[0] != 1:
            raise InputError(f"search takes one query vector, got {query.shape[0]}; call it once per query")
        return query

    def search(self, vector: np.ndarray, k: int, filter: Filter | None = None) -> list[tuple[str, float]]:
        query = self._query(vector)
        if k <= 0:
            return []
        with self._lock.reading():
            return self._hits(*self._search_labels(query, k, filter))

    def search_items(self, vector: np.ndarray, k: int, filter: Filter | None = None, *,
                     vectors_per_item: int = 4) -> list[ItemHit]:
        """As `VectorIndex.search_items` (the same hits), with the labels found mapped to their items in place:
        no vector ids made for the vectors an item's better one already stands for, and one read lock."""
        query = self._query(vector)
        if k <= 0:
            return []
        fetch = max(max(1, int(vectors_per_item)) * k, 16)
        with self._lock.reading():
            ids, codes, values = self._ids, self._codes["item_id"], self._values["item_id"]
            while True:
                labels, scores = self._search_labels(query, fetch, filter)
                best: dict[str, ItemHit] = {}
                found = 0
                for label, score in zip(labels.tolist(), scores.tolist(), strict=True):  # best first
                    if label < 0:
                        continue
                    vector_id = ids[label]
                    if vector_id is None:
                        continue
                    found += 1
                    item_id = values[codes[label]]
                    if item_id not in best:
                        best[item_id] = ItemHit(item_id, float(score), vector_id)
                if len(best) >= k or found < fetch or fetch >= int(self._index.ntotal) - self._dead:
                    return list(best.values())[:k]
                fetch *= 4

    def _search_labels(self, query: np.ndarray, k: int, filter: Filter | None) -> tuple[np.ndarray, np.ndarray]:
        """The best ``k`` labels meeting the filter and their scores, best first (-1: none), under the read lock."""
        total = int(self._index.ntotal) - self._dead
        if total == 0:
            return _NONE
        if filter is not None and not filter.is_empty():
            rows = self._candidate_rows(filter)
            if rows is not None:
                return self._search_rows(query, k, rows[self._mask(filter, rows)])
        selector = mask = None
        selected = total
        if filter is not None and not filter.is_empty():
            mask = self._mask(filter)
            selected = int(np.count_nonzero(mask))
            if selected == 0:
                return _NONE
            bits = np.packbits(mask, bitorder="little")  # kept alive until the search returns
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        k_eff = min(int(k), selected)
        with _omp_threads(1):
            if self._hnsw:
                return self._search_hnsw(query, k_eff, selector, mask, selected, total)
            if not self._ivf:
                params = faiss.SearchParameters(sel=selector) if selector is not None else None
                scores, labels = self._index.search(query, k_eff, params=params)
            else:
                ivf = faiss.extract_index_ivf(self._index)
                nlist = ivf.nlist
                per_list = None if mask is None else self._per_list(filter, mask, nlist, selected)
                if selector is not None and selected <= self.exhaustive_below:
                    # exact: every list that holds a vector meeting the filter, and no other
                    lists = np.flatnonzero(per_list).astype(np.int64)
                    return self._search_lists(ivf, query, k_eff, lists, selector)
                if selector is None:
                    nprobe = min(nlist, self.nprobe)
                else:
                    nprobe = self._filtered_nprobe(ivf, query, mask, total, per_list)
                scores, labels = self._index.search(
                    query, k_eff, params=faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
                )
                if selector is not None and nprobe < nlist and int((labels[0] >= 0).sum()) < k_eff:
                    scores, labels = self._index.search(
                        query, k_eff, params=faiss.SearchParametersIVF(sel=selector, nprobe=nlist)
                    )
        return labels[0], scores[0]

    def _search_hnsw(self, query: np.ndarray, k: int, selector: faiss.IDSelector | None, mask: np.ndarray | None,
                     selected: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        """HNSW: the graph walk with ``hnsw_ef_search`` candidates; a filter keeping at most ``exhaustive_below``
        vectors: exact over the kept ones (the graph's flat storage under the same bitmap); a wider filter: the walk
        with more candidates the fewer vectors the filter keeps (efSearch * (total / kept) ** hnsw_filter_exponent), and exact when it
        found fewer than ``k``."""
        bits = None
        if selector is None and self._dead:
            if self._alive_bits is None:
                self._alive_bits = np.packbits(self._alive[: len(self._ids)], bitorder="little")
            bits = self._alive_bits
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
            mask = self._alive[: len(self._ids)]
        if mask is not None and selected <= self.exhaustive_below:
            return self._exact_over(query, k, mask)
        ef = self.hnsw_ef_search
        if selected < total:
            ef = int(min(HNSW_EF_MAX, math.ceil(ef * (total / selected) ** self.hnsw_filter_exponent)))
        scores, labels = self._index.search(query, k, params=faiss.SearchParametersHNSW(efSearch=max(ef, k),
                                                                                         sel=selector))
        if mask is not None and int((labels[0] >= 0).sum()) < k:
            return self._exact_over(query, k, mask)
        del bits
        return labels[0], scores[0]

    def _exact_over(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """HNSW: exact inner products with the vectors ``mask`` keeps, read in place from the graph's flat
        storage (at 1M vectors twice as fast as a scan of the storage under a bitmap: it reads only those rows)."""
        rows = np.flatnonzero(mask).astype(np.int64)
        k = min(k, len(rows))
        if k == 0:
            return _NONE
        storage = faiss.downcast_index(self._index.storage)
        scores = np.empty((1, k), dtype=np.float32)
        labels = np.empty((1, k), dtype=np.int64)
        faiss.knn_inner_products_by_idx(faiss.swig_ptr(query), storage.get_xb(), faiss.swig_ptr(rows), self.dim, 1,
                                        storage.ntotal, len(rows), k, faiss.swig_ptr(scores), faiss.swig_ptr(labels),
                                        len(rows))
        return labels[0], scores[0]

    def _search_rows(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact inner products with a few stored vectors (their labels), best first."""
        if len(rows) == 0:
            return _NONE
        vectors = np.asarray(self._index.reconstruct_batch(np.ascontiguousarray(rows, dtype=np.int64)),
                             dtype=np.float32)
        scores = vectors @ query[0]
        order = np.lexsort((rows, -scores))[: int(k)]  # ties: lower label first
        return rows[order], scores[order]

    def _hits(self, labels: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
        out = []
        for label, score in zip(labels.tolist(), scores.tolist(), strict=True):
            if label < 0:
                continue
            vector_id = self._ids[label]
            if vector_id is not None:
                out.append((vector_id, float(score)))
        return out

    def _count_per_list(self, mask: np.ndarray, nlist: int) -> np.ndarray:
        """How many of the labels in ``mask`` each IVF list holds."""
        # counted rather than sorted (np.unique): ~6x faster at 400k rows; -1 (in no list) counted apart
        return np.bincount(self._list_of[: len(mask)][mask] + 1, minlength=nlist + 1)[1 : nlist + 1]

    def _per_list(self, f: Filter, mask: np.ndarray, nlist: int, selected: int) -> np.ndarray:
        """``_count_per_list`` of a filter's mask, kept for the next searches under the same filter (a shopper's
        filter is asked again turn after turn; at 1M vectors the count costs a few ms, the search itself ~5)."""
        key = (_filter_key(f), f.kind)
        with self._derived_lock:
            counts = self._list_counts.get(key)
        if counts is None or len(counts) != nlist or int(counts.sum()) != selected:
            counts = self._count_per_list(mask, nlist)
            self._keep(self._list_counts, key, counts)
        return counts

    def _keep(self, kept: dict, key: tuple, value: np.ndarray) -> None:
        """Remember ``value`` in one of the per-filter caches (``_base_masks``, ``_list_counts``), the oldest
        forgotten past ``BASE_MASKS_KEPT`` filters."""
        with self._derived_lock:
            while len(kept) >= BASE_MASKS_KEPT:
                kept.pop(next(iter(kept)))
            kept[key] = value

    def _search_lists(self, ivf: faiss.IndexIVF, query: np.ndarray, k: int, lists: np.ndarray,
                      selector: faiss.IDSelector) -> tuple[np.ndarray, np.ndarray]:
        """Search exactly the given IVF lists (a filter's vectors all lie in them): far fewer codes scanned than
        probing every list, the same results."""
        if len(lists) == 0:
            return _NONE
        assign = np.ascontiguousarray(lists[None, :], dtype=np.int64)
        coarse = np.zeros(assign.shape, dtype=np.float32)  # unused by flat lists
        scores = np.empty((1, k), dtype=np.float32)
        labels = np.empty((1, k), dtype=np.int64)
        params = faiss.SearchParametersIVF(sel=selector, nprobe=len(lists))
        ivf.search_preassigned_c(1, faiss.swig_ptr(query), k, faiss.swig_ptr(assign), faiss.swig_ptr(coarse),
                                 faiss.swig_ptr(scores), faiss.swig_ptr(labels), False, params)
        return labels[0], scores[0]

    def _filtered_nprobe(self, ivf: faiss.IndexIVF, query: np.ndarray, mask: np.ndarray, total: int,
                         per_list: np.ndarray | None = None) -> int:
        """How many lists to probe (closest first) so that they hold as many vectors meeting the filter as the
        ``nprobe`` closest lists hold vectors (what an unfiltered search scores), times
        ``(total / kept) ** filter_probe_exponent``: a filter's 10 best lie further out than the unfiltered 10 best,
        the further the fewer it keeps. Counted against the closest lists' own sizes, not an average list: lists
        near a query in a dense region are large, and a count of average lists stopped a filter keeping 83 % after
        8-15 of them where the unfiltered search probed 32 (recall 0.76 against 0.95). Lists without such vectors
        cost only id checks, so they are passed over rather than counted: a filter whose vectors all lie far from
        the query still gets its nearest ones searched."""
        nlist = ivf.nlist
        if per_list is None:
            per_list = self._count_per_list(mask, nlist)
        _, order = ivf.quantizer.search(query, nlist)
        reached = np.cumsum(per_list[order[0]])
        kept = max(1, int(reached[-1]))
        scored = int(self._list_sizes(nlist)[order[0][: self.nprobe]].sum())
        target = max(1, scored) * (total / kept) ** self.filter_probe_exponent
        return int(min(nlist, np.searchsorted(reached, target) + 1))

    def _list_sizes(self, nlist: int) -> np.ndarray:
        """How many live vectors each IVF list holds (kept until the rows change)."""
        sizes = self._sizes
        if sizes is None or len(sizes) != nlist:
            sizes = self._sizes = self._count_per_list(self._alive[: len(self._ids)], nlist)
        return sizes

    # ----------------------------------------------------------------------------------------------- files

    def save(self) -> None:
        if self.path is None:
            raise StoreError(
                "this vector index has no path; open it with FaissIndex.open(path, dim) to save it"
            )
        with self._lock.reading():
            high = len(self._ids)
            ids_blob, ids_ends = _pack([i or "" for i in self._ids])
            payload_blob, payload_ends = _pack([p or "" for p in self._payloads])
            arrays = {
                "ids": ids_blob,
                "ids_ends": ids_ends,
                "payloads": payload_blob,
                "payloads_ends": payload_ends,
                "alive": self._alive[:high],
                "price": self._price[:high],
                "colors": self._colors[: len(self._values["colors"]), :high],
                **{f"code_{name}": self._codes[name][:high] for name in _CODED},
            }
            layout, offset = {}, 0
            for name, arr in arrays.items():
                layout[name] = {"dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset}
                offset += _aligned(arr.nbytes)
            manifest = {
                "format": FORMAT,
                "version": 2 if self._hnsw else 1,  # vidrec before HNSW refuses a file it cannot search
                "dim": self.dim,
                "ivf": self._ivf,
                "hnsw": self._hnsw,
                "trained_n": self._trained_n,
                "count": int(self._index.ntotal),
                "high": high,
                "vocab": self._values,
                "arrays": layout,
                "index_offset": offset,
            }
            head = json.dumps(manifest, ensure_ascii=False).encode("utf-8")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
            try:
                with open(tmp, "wb") as fh:
                    fh.write(_MAGIC + len(head).to_bytes(8, "little") + head)
                    for arr in arrays.values():
                        data = np.ascontiguousarray(arr).tobytes()
                        fh.write(data + b"\0" * (_aligned(len(data)) - len(data)))
                    faiss.write_index(self._index, faiss.PyCallbackIOWriter(fh.write))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise StoreError(
                    f"could not write the vector index {self.path}: {exc}; check disk space"
                ) from exc
            _fsync_dir(self.path.parent)
            self._file_signature = _signature(self.path)
            self.dirty = False

    @classmethod
    def open(cls, path: str | Path, dim: int, **options: Any) -> FaissIndex:
        """Open the index saved at ``path`` (an empty one if the file does not exist yet).

        ``options`` are the constructor's keyword arguments (``ivf_threshold``, ``nprobe``, ``exhaustive_below``,
        ``build_threads``).
        """
        index = cls(dim, path, **options)
        _remove_stale_temporaries(index.path)
        if index.path.exists():
            index._load()
        return index

    def refresh(self) -> bool:
        """Reload from disk if another process saved a newer file; True if something was reloaded."""
        if self.path is None or not self.path.exists():
            return False
        if _signature(self.path) == self._file_signature:
            return False
        self._load()
        return True

    def _load(self) -> None:
        assert self.path is not None
        path = self.path
        what_to_do = f"delete {path} and run `vidrec ingest` again to rebuild it"
        try:
            with open(path, "rb") as fh:
                signature = _signature(path)
                start = fh.read(len(_MAGIC) + 8)
                if len(start) < len(_MAGIC) + 8 or not start.startswith(_MAGIC):
                    raise StoreError(f"{path} is not a vidrec vector index; {what_to_do}")
                manifest = json.loads(fh.read(int.from_bytes(start[len(_MAGIC) :], "little")).decode("utf-8"))
                if manifest.get("format") != FORMAT:
                    raise StoreError(f"{path} is not a vidrec vector index; {what_to_do}")
                if manifest.get("version", 0) > FORMAT_VERSION:
                    raise StoreError(f"{path} was written by a newer vidrec; upgrade vidrec to read it")
                if int(manifest["dim"]) != self.dim:
                    raise StoreError(
                        f"{path} holds {manifest['dim']}-d vectors but {self.dim}-d were asked for: the store was "
                        f"built with another encoder. Use the encoder it was built with, or {what_to_do}"
                    )
                data_start = fh.tell()
                arrays = {}
                for name, spec in manifest["arrays"].items():
                    dtype = np.dtype(spec["dtype"])
                    count = int(np.prod(spec["shape"], dtype=np.int64))
                    fh.seek(data_start + spec["offset"])
                    raw = fh.read(count * dtype.itemsize)
                    if len(raw) != count * dtype.itemsize:
                        raise ValueError(f"{name} is truncated")
                    arrays[name] = np.frombuffer(raw, dtype=dtype).reshape(spec["shape"]).copy()
                fh.seek(data_start + manifest["index_offset"])
                index = faiss.read_index(faiss.PyCallbackIOReader(fh.read))
        except StoreError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, UnicodeDecodeError) as exc:
            raise StoreError(
                f"the vector index {path} is unreadable or corrupt ({exc}); {what_to_do}"
            ) from exc
        high = int(manifest["high"])
        alive = arrays["alive"].astype(bool)
        hnsw = bool(manifest.get("hnsw", False))
        held = high if hnsw else int(alive.sum())  # an HNSW graph also holds the vectors of dead labels
        if index.ntotal != int(manifest["count"]) or index.ntotal != held or index.d != self.dim:
            raise StoreError(
                f"the vector index {path} is inconsistent ({index.ntotal} vectors, "
                f"{int(alive.sum())} records); {what_to_do}"
            )
        ids = _unpack(arrays["ids"], arrays["ids_ends"])
        payloads = _unpack(arrays["payloads"], arrays["payloads_ends"])
        with self._lock.writing():
            self._reset()
            self._ids = [i if a else None for i, a in zip(ids, alive.tolist(), strict=True)]
            self._payloads = [p if a else None for p, a in zip(payloads, alive.tolist(), strict=True)]
            self._labels = {i: label for label, i in enumerate(self._ids) if i is not None}
            self._free = [] if hnsw else [label for label in range(high - 1, -1, -1) if self._ids[label] is None]
            self._values = {name: list(values) for name, values in manifest["vocab"].items()}
            self._vocab = {
                name: {v: c for c, v in enumerate(values)} for name, values in self._values.items()
            }
            self._capacity = high
            self._alive = alive
            self._price = arrays["price"]
            self._codes = {name: arrays[f"code_{name}"] for name in _CODED}
            self._forget_derived()
            self._colors = arrays["colors"].astype(bool)
            self._index = index
            self._ivf = bool(manifest["ivf"])
            self._hnsw = hnsw
            self._dead = high - int(alive.sum()) if hnsw else 0
            self._list_of = np.full(high, -1, dtype=np.int64)
            if self._ivf:
                invlists = faiss.extract_index_ivf(index).invlists
                for list_no in range(invlists.nlist):
                    size = invlists.list_size(list_no)
                    if size:
                        ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size)
                        self._list_of[ids] = list_no
            self._trained_n = int(manifest["trained_n"])
            self._file_signature = signature
            self.dirty = False


_MAGIC = b"VIDRECVX"


def _filter_key(f: Filter) -> tuple:
    """A hashable form of a filter's conditions other than ``kind``."""
    values = ((field.name, getattr(f, field.name)) for field in fields(f) if field.name != "kind")
    return tuple((name, frozenset(v) if isinstance(v, (set, frozenset, list, tuple)) else v) for name, v in values)


def _aligned(nbytes: int) -> int:
    return (nbytes + 7) // 8 * 8


def _pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array plus the end offset of each."""
    encoded = [t.encode("utf-8") for t in texts]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded else np.zeros(0, dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack(blob: np.ndarray, ends: np.ndarray) -> list[str]:
    raw = blob.tobytes()
    starts = [0, *ends[:-1].tolist()] if len(ends) else []
    return [raw[s:e].decode("utf-8") for s, e in zip(starts, ends.tolist(), strict=True)]


@contextmanager
def _omp_threads(count: int) -> Iterator[None]:
    """Run faiss on ``count`` OpenMP threads in this thread for the duration (the setting is per calling thread).

    On a busy machine OpenMP's threads spin-wait on each other: on a loaded 2-core box a 20k flat search took 80 ms
    on 2 threads and 1.8 ms on 1, and IVF training at 50k took 4.7 s on 2 threads and 1.9 s on 1. Concurrent
    searches still run in parallel, each on its own Python thread (faiss releases the GIL).
    """
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(1, count))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _signature(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files left by a save that crashed (their process is gone)."""
    if not path.parent.exists():
        return
    for tmp in path.parent.glob(f"{path.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit(".tmp-", 1)[1].split("-")[0])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except OSError:
            continue
