"""BM25 keyword search over item texts (zh + en) with tantivy, on jieba tokens.

tantivy has no Chinese tokenizer, so texts and queries are tokenised here with ``jieba.cut_for_search`` (which also
emits the words inside longer words: "红色纯棉连衣裙" gives 红色 / 纯棉 / 连衣 / 衣裙 / 连衣裙), after NFKC
normalisation (full-width letters and digits become ASCII) and lower-casing; punctuation is dropped and English
plurals are folded ("dresses" -> "dress", "watches" -> "watch"). The tokens are indexed with tantivy's whitespace
tokenizer, and a query is a BM25 OR over its tokens.

jieba's dictionary takes 0.5-0.7 s to load (a marshal file of 350k words). A short-lived process that only searches
(`vidrec search`) calls :func:`use_small_dictionary`: a query is then segmented by a jieba Tokenizer that holds only
the dictionary entries of the query's own substrings, read from an SQLite copy of the dictionary in
`vidrec.config.cache_dir()` (built once). jieba only ever looks up substrings of the text it segments (the DAG,
the route, the HMM fallback's check and the search sub-words), and the total frequency is kept, so the tokens are
exactly those of the full dictionary (tests/cli/test_search_fast.py).

Changes are visible to searches after :meth:`LexicalIndex.commit` (a search on the writing instance commits pending
changes first). Readers in other processes see a writer's commits after :meth:`LexicalIndex.refresh`.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba
import tantivy

from vidrec.errors import InputError, StoreError

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading to stderr at DEBUG otherwise

_ES_ENDINGS = ("ches", "shes", "xes", "zes")


def fold_plural(token: str) -> str:
    """A light English plural folding for ASCII words (Porter step 1a, plus -ies -> -y and -ches -> -ch)."""
    if len(token) <= 3 or not token.isascii() or not token.isalpha():
        return token
    if token.endswith("sses"):
        return token[:-2]
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(_ES_ENDINGS):
        return token[:-2]
    if token.endswith(("ss", "us", "is")):
        return token
    if token.endswith("s"):
        return token[:-1]
    return token


DICTIONARY_VERSION = "1"
_small: dict = {"on": False, "db": None, "total": 0, "longest": 0}
_small_lock = threading.Lock()


def use_small_dictionary(on: bool = True) -> None:
    """Segment with per-text dictionary slices from disk instead of loading jieba's whole dictionary (for
    processes that tokenise a few queries and exit). Once jieba's own dictionary is loaded, it is used."""
    _small["on"] = on


def _dictionary_db(path=None) -> sqlite3.Connection:
    """The SQLite copy of jieba's dictionary (word -> frequency, prefixes with 0 as jieba keeps them)."""
    if path is None:
        from vidrec.config import cache_dir

        path = cache_dir() / f"jieba-dictionary-v{DICTIONARY_VERSION}-{jieba.__version__}.sqlite"
    if not os.path.isfile(path):
        full = jieba.dt if jieba.dt.initialized else jieba.Tokenizer()  # not the global one: it stays unloaded
        full.check_initialized()
        tmp = f"{path}.{os.getpid()}.tmp"
        if os.path.exists(tmp):  # left by a process with this id that died while building
            os.unlink(tmp)
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
            db.executemany("INSERT INTO freq VALUES (?, ?)", full.FREQ.items())
            db.execute("CREATE TABLE meta (total INTEGER, longest INTEGER)")
            db.execute("INSERT INTO meta VALUES (?, ?)", (full.total, max(map(len, full.FREQ))))
            db.commit()
        finally:
            db.close()
        os.replace(tmp, path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    _small["total"], _small["longest"] = db.execute("SELECT total, longest FROM meta").fetchone()
    return db


def _small_tokenizer(text: str) -> jieba.Tokenizer:
    """A jieba Tokenizer that knows the dictionary entries of `text`'s substrings, and jieba's total."""
    with _small_lock:
        if _small["db"] is None:
            _small["db"] = _dictionary_db()
        db, longest = _small["db"], _small["longest"]
        grams = sorted({text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)})
        freq: dict[str, int] = {}
        for start in range(0, len(grams), 500):
            chunk = grams[start : start + 500]
            marks = ",".join("?" * len(chunk))
            freq.update(db.execute(f"SELECT word, n FROM freq WHERE word IN ({marks})", chunk).fetchall())
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total, tk.initialized = freq, _small["total"], True
    return tk


def tokens(text: str) -> list[str]:
    """The search tokens of a text, in order: jieba words (and sub-words), lower-cased, no punctuation."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    small = _small["on"] and not jieba.dt.initialized and len(text) <= 200
    return _tokens(text, small)


def _tokens(text: str, small: bool) -> list[str]:
    out: list[str] = []
    for token in (_small_tokenizer(text) if small else jieba.dt).cut_for_search(text):
        token = token.strip()
        if token and any(ch.isalnum() for ch in token):
            out.append(fold_plural(token))
    return out


QUERY_TERMS_CACHED = 1024


def query_terms(query: str) -> list[str]:
    """A query's distinct search tokens, in order. The last QUERY_TERMS_CACHED queries' are remembered: a chat
    turn searches with the same text several times (a replacement, close matches with one condition dropped
    each), and segmenting it was 8 % of a turn's CPU on the demo store (BENCHMARKS, issue 20, NAME=speed,
    2026-12-06). jieba's global dictionary never changes in vidrec (the NLU adds its words to a tokenizer of its
    own), so a text's tokens are fixed; which segmenter made them (the small dictionary or jieba's whole one,
    the same tokens) is part of the key all the same."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    small = _small["on"] and not jieba.dt.initialized and len(text) <= 200
    return list(_query_terms(text, small))


@functools.lru_cache(maxsize=QUERY_TERMS_CACHED)
def _query_terms(text: str, small: bool) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_tokens(text, small)))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    return builder.build()


class LexicalIndex:
    """BM25 over item texts. ``path=None`` keeps the index in memory (tests, one-off searches)."""

    def __init__(
        self, path: str | Path | None = None, *, readonly: bool = False, heap_bytes: int = 50_000_000
    ):
        self.path = Path(path) if path is not None else None
        self.readonly = readonly
        self._heap_bytes = heap_bytes
        self._schema = _schema()
        self._writer: tantivy.IndexWriter | None = None
        self._pending = False
        self._lock = threading.Lock()
        try:
            if self.path is None:
                self._index = tantivy.Index(self._schema)
            else:
                if readonly and not tantivy.Index.exists(str(self.path)):
                    raise StoreError(
                        f"no keyword index at {self.path}; rebuild it from the store with `vidrec doctor --store "
                        f"{self.path.parent} --repair` (running `vidrec ingest` again rebuilds it too)"
                    )
                self.path.mkdir(parents=True, exist_ok=True)
                self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except StoreError:
            raise
        except (ValueError, OSError) as exc:
            raise StoreError(
                f"the keyword index at {self.path} cannot be opened ({exc}); delete that folder and run "
                f"`vidrec doctor --store {self.path.parent} --repair` (or `vidrec ingest` again) to rebuild it"
            ) from exc

    @staticmethod
    def exists(path: str | Path) -> bool:
        """Whether ``path`` holds a keyword index."""
        return Path(path).is_dir() and tantivy.Index.exists(str(path))

    def _writer_or_raise(self) -> tantivy.IndexWriter:
        if self.readonly:
            raise StoreError(
                "this keyword index was opened read-only; open the store for writing to change it"
            )
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=self._heap_bytes, num_threads=1)
            except ValueError as exc:
                raise StoreError(
                    f"the keyword index at {self.path} is locked by another writer ({exc}); wait for the other "
                    f"vidrec process to finish"
                ) from exc
        return self._writer

    def add(self, ids: list[str], texts: list[str]) -> None:
        """Insert or replace the text of each id (one text per id; several texts: join them first)."""
        if len(ids) != len(texts):
            raise InputError(f"got {len(texts)} texts for {len(ids)} ids; pass one text per id")
        docs = [(str(i), " ".join(tokens(t))) for i, t in zip(ids, texts, strict=True)]
        with self._lock:
            writer = self._writer_or_raise()
            for item_id, body in docs:
                writer.delete_documents_by_term("id", item_id)
                writer.add_document(tantivy.Document(id=item_id, body=body))
            self._pending = True

    def delete(self, ids: Iterable[str]) -> None:
        """Remove these ids; unknown ids are ignored."""
        with self._lock:
            writer = self._writer_or_raise()
            for item_id in ids:
                writer.delete_documents_by_term("id", str(item_id))
                self._pending = True

    def commit(self) -> None:
        """Make added and deleted texts durable and visible."""
        with self._lock:
            self._commit_locked()

    def _commit_locked(self) -> None:
        if self._writer is None or not self._pending:
            return
        self._writer.commit()
        self._pending = False
        self._index.reload()

    def refresh(self) -> None:
        """See what another process committed since this index was opened."""
        self._index.reload()

    def __len__(self) -> int:
        with self._lock:
            self._commit_locked()
        return int(self._index.searcher().num_docs)

    def ids(self) -> set[str]:
        """Every id that has a text (what a consistency check compares with the items)."""
        with self._lock:
            self._commit_locked()
        searcher = self._index.searcher()
        total = int(searcher.num_docs)
        if total == 0:
            return set()
        result = searcher.search(tantivy.Query.all_query(), total, count=False)
        return {searcher.doc(address)["id"][0] for _, address in result.hits}

    def search(self, query: str, k: int = 10, ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best ids by BM25 for ``query``, optionally only among ``ids``; best first."""
        terms = query_terms(query)
        if not terms or k <= 0:
            return []
        wanted = None
        if ids is not None:
            wanted = sorted({str(i) for i in ids})
            if not wanted:
                return []
        with self._lock:
            self._commit_locked()
        searcher = self._index.searcher()
        should = [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", t)) for t in terms]
        query_obj = tantivy.Query.boolean_query(should)
        if wanted is not None:
            only = tantivy.Query.const_score_query(
                tantivy.Query.term_set_query(self._schema, "id", wanted), 0.0
            )
            query_obj = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query_obj), (tantivy.Occur.Must, only)]
            )
        result = searcher.search(query_obj, int(k), count=False)
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in result.hits]

    def close(self) -> None:
        """Commit what is pending and release the writer's lock."""
        with self._lock:
            self._commit_locked()
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None
