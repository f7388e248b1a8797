"""The trained part of intent recognition: a multinomial logistic regression over hashed features.

Trained by `tools.nlu_train` (run `python bench/nlu_train.py`); the weights ship in
`vidrec/resources/nlu/intent_model.npz` with a JSON card beside them saying what they were trained on.
Inference is a dictionary lookup per feature and one small matrix sum: well under a millisecond per message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from vidrec.errors import ModelUnavailableError
from vidrec.nlu.schema import INTENTS

log = logging.getLogger(__name__)

MODEL_FILE = "intent_model.npz"
CARD_FILE = "intent_model.json"


def default_model_path() -> Path:
    return Path(str(resources.files("vidrec") / "resources" / "nlu" / MODEL_FILE))


class IntentModel:
    """Softmax over intents; `predict(ids, values)` -> probabilities in INTENTS order."""

    def __init__(self, feature_ids: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                 labels: Sequence[str] = INTENTS, card: dict | None = None):
        if weights.shape != (len(feature_ids), len(labels)) or bias.shape != (len(labels),):
            raise ValueError("weights must be (n_features, n_labels) and bias (n_labels,)")
        self.labels = tuple(labels)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.card = card or {}
        self._row = {int(h): i for i, h in enumerate(np.asarray(feature_ids).tolist())}

    def predict(self, ids: Sequence[int], values: Sequence[float]) -> np.ndarray:
        rows = []
        vals = []
        for h, v in zip(ids, values, strict=True):
            r = self._row.get(h)
            if r is not None:
                rows.append(r)
                vals.append(v)
        scores = self.bias.copy()
        if rows:
            scores += np.asarray(vals, dtype=np.float32) @ self.weights[rows]
        scores -= scores.max()
        p = np.exp(scores)
        return p / p.sum()

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = np.array(sorted(self._row, key=self._row.get), dtype=np.uint32)
        np.savez_compressed(path, feature_ids=ids, weights=self.weights.astype(np.float16),
                            bias=self.bias.astype(np.float32), labels=np.array(self.labels))
        path.with_suffix(".json").write_text(json.dumps(self.card, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> IntentModel:
        path = Path(path) if path is not None else default_model_path()
        if not path.exists():
            raise ModelUnavailableError(
                f"intent model {path} is missing; reinstall vidrec or rebuild it with `python bench/nlu_train.py`"
            )
        with np.load(path, allow_pickle=False) as z:
            ids, w, b, labels = z["feature_ids"], z["weights"], z["bias"], [str(x) for x in z["labels"]]
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
        return cls(ids, w.astype(np.float32), b, labels, card)


_DEFAULT: IntentModel | None = None
_LOCK = threading.Lock()


def default_model() -> IntentModel:
    """The shipped model, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = IntentModel.load()
    return _DEFAULT


def fit(rows: Sequence[tuple[Sequence[int], Sequence[float]]], labels: Sequence[str],
        sample_weight: Sequence[float] | None = None, l2: float = 1e-4, min_count: int = 2,
        max_iter: int = 300, label_set: Sequence[str] = INTENTS) -> IntentModel:
    """Multinomial logistic regression with L2, by L-BFGS (scipy). Deterministic for the same input.

    Features seen in fewer than `min_count` examples are dropped.
    """
    from scipy import optimize, sparse

    index = {lab: i for i, lab in enumerate(label_set)}
    y = np.array([index[lab] for lab in labels])
    counts: dict[int, int] = {}
    for ids, _ in rows:
        for h in set(ids):
            counts[h] = counts.get(h, 0) + 1
    kept = sorted(h for h, c in counts.items() if c >= min_count)
    col = {h: i for i, h in enumerate(kept)}
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for ids, vals in rows:
        for h, v in zip(ids, vals, strict=True):
            c = col.get(h)
            if c is not None:
                indices.append(c)
                data.append(v)
        indptr.append(len(indices))
    n, f, k = len(rows), len(kept), len(label_set)
    x = sparse.csr_matrix((np.array(data, dtype=np.float64), np.array(indices), np.array(indptr)), shape=(n, f))
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    sw = sw / sw.sum()
    y_onehot = np.zeros((n, k))
    y_onehot[np.arange(n), y] = 1.0
    xt = x.T.tocsr()

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: f * k].reshape(f, k)
        b = theta[f * k:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(sw * (logp * y_onehot).sum(axis=1)).sum() + 0.5 * l2 * (w * w).sum()
        g = (np.exp(logp) - y_onehot) * sw[:, None]
        gw = xt @ g + l2 * w
        gb = g.sum(axis=0)
        return float(loss), np.concatenate([gw.ravel(), gb])

    theta0 = np.zeros(f * k + k)
    res = optimize.minimize(loss_grad, theta0, jac=True, method="L-BFGS-B",
                            options={"maxiter": max_iter, "maxfun": max_iter * 2})
    log.info("intent model: %d examples, %d features, loss %.4f after %d iterations (%s)", n, f, res.fun,
             res.nit, res.message)
    w = res.x[: f * k].reshape(f, k)
    b = res.x[f * k:]
    return IntentModel(np.array(kept, dtype=np.uint32), w.astype(np.float32), b.astype(np.float32), label_set,
                       {"examples": n, "features": f, "l2": l2, "min_count": min_count, "iterations": int(res.nit),
                        "final_loss": float(res.fun)})
