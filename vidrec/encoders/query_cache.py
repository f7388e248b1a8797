"""Query embeddings, remembered: shoppers repeat themselves ("more", "cheaper", the same request with the same
constraints), and embedding a query is most of a turn's CPU time.

A thread-safe LRU of (kind, text) → vector in front of any text encoder; 4,096 entries of 384 floats are 6 MB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np


class CachedTextEncoder:
    """Wraps a TextEncoder (``encode(texts, kind)``); identical texts of one kind are embedded once."""

    def __init__(self, inner, size: int = 4096):
        self.inner = inner
        self.dim = inner.dim
        self.size = size
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        texts = list(texts)
        out: list[np.ndarray | None] = [None] * len(texts)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                vec = self._cache.get((kind, text))
                if vec is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end((kind, text))
                    out[i] = vec
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        if missing:
            fresh = np.asarray(self.inner.encode([texts[i] for i in missing], kind=kind), dtype=np.float32)
            with self._lock:
                for row, i in enumerate(missing):
                    vec = fresh[row].copy()
                    vec.setflags(write=False)
                    out[i] = vec
                    self._cache[(kind, texts[i])] = vec
                    self._cache.move_to_end((kind, texts[i]))
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(out)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._cache), "hits": self.hits, "misses": self.misses}


class DiskQueryCache:
    """Query vectors kept on disk between processes (`vidrec search` runs once per call): an SQLite file of
    (model, kind, text) -> float32 vector, at most `size` rows (the oldest go first). The wrapped encoder is only
    touched on a miss, so a repeated query loads no model at all. `model` names the encoder whose vectors these
    are: a file never serves another engine's vectors."""

    def __init__(self, inner, path, model: str, size: int = 20000):
        import sqlite3

        self.inner = inner
        self.dim = inner.dim
        self.model = model
        self.size = size
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=5, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS q (model TEXT, kind TEXT, text TEXT, vec BLOB, "
                         "PRIMARY KEY (model, kind, text))")

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in dict.fromkeys(texts):
                row = self._db.execute("SELECT vec FROM q WHERE model=? AND kind=? AND text=?",
                                       (self.model, kind, text)).fetchone()
                if row is not None and len(row[0]) == 4 * self.dim:
                    found[text] = np.frombuffer(row[0], dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        self.hits += len(texts) - sum(t in missing for t in texts)
        self.misses += sum(t in missing for t in texts)
        if missing:
            fresh = np.asarray(self.inner.encode(missing, kind=kind), dtype=np.float32)
            with self._lock:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO q VALUES (?, ?, ?, ?)",
                                     [(self.model, kind, t, fresh[i].tobytes()) for i, t in enumerate(missing)])
                self._db.execute("DELETE FROM q WHERE rowid <= (SELECT max(rowid) FROM q) - ?", (self.size,))
                self._db.execute("COMMIT")
            found.update({t: fresh[i] for i, t in enumerate(missing)})
        return np.stack([found[t] for t in texts])

    def close(self) -> None:
        with self._lock:
            self._db.close()
