"""A linear map from image features (EfficientNet-Lite0, 1280-d) into the text-embedding space (e5, 384-d).

Trained contrastively (symmetric InfoNCE with a learned temperature) on (image, caption) pairs, so a text query can be
compared with a picture by cosine. Pairs whose captions are the same text (many photos labelled "dress") are all
treated as positives of each other rather than as negatives. The default shipped in
`vidrec/resources/projection/` is rebuilt by `bench/train_projection.py` from CC0 photos (products-cc0).
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from vidrec.encoders.prototypes import CategoryPrototypes
from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import InputError, ModelUnavailableError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_FILE = "lite0-to-e5-small.npz"


@dataclass
class FitReport:
    """What fit() did: pairs seen, epochs, final training loss and temperature."""

    pairs: int
    epochs: int
    loss: float
    temperature: float
    info: dict = field(default_factory=dict)


class ImageTextProjection:
    """`project(features)` = L2-normalise(((features - mean) / scale) @ weight + bias).

    A projection learned from a catalog may carry that catalog's `prototypes` (its categories' mean image features,
    `vidrec.encoders.prototypes`), saved in the same file.
    """

    def __init__(
        self,
        weight: np.ndarray,
        bias: np.ndarray,
        mean: np.ndarray,
        scale: np.ndarray,
        temperature: float = 0.05,
        meta: dict | None = None,
    ) -> None:
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.mean = np.asarray(mean, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.temperature = float(temperature)
        self.meta = dict(meta or {})
        self.report: FitReport | None = None  # set by fit()
        self.prototypes: CategoryPrototypes | None = None
        if self.weight.ndim != 2 or self.bias.shape != (self.weight.shape[1],):
            raise InputError(f"projection weight {self.weight.shape} and bias {self.bias.shape} do not match")
        if self.mean.shape != (self.weight.shape[0],) or self.scale.shape != (self.weight.shape[0],):
            raise InputError("projection mean/scale must have one value per input feature")

    @property
    def in_dim(self) -> int:
        return int(self.weight.shape[0])

    @property
    def out_dim(self) -> int:
        return int(self.weight.shape[1])

    def project(self, image_features: np.ndarray) -> np.ndarray:
        """(n, in_dim) image features -> (n, out_dim) L2-normalised vectors in the text-embedding space."""
        x = np.asarray(image_features, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise InputError(f"expected image features of shape (n, {self.in_dim}), got {x.shape}")
        return l2_normalise(((x - self.mean) / self.scale) @ self.weight + self.bias).astype(np.float32)

    # -- training ----------------------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        image_features: np.ndarray,
        text_embeddings: np.ndarray,
        *,
        epochs: int = 30,
        seed: int = 0,
        batch_size: int = 256,
        lr: float = 2e-3,
        weight_decay: float = 0.05,
        input_dropout: float = 0.2,
        temperature: float | None = None,
        same_text: float = 0.995,
        meta: dict | None = None,
    ) -> ImageTextProjection:
        """Learn the map from (image, text) pairs: row i of `image_features` goes with row i of `text_embeddings`.

        `temperature=None` learns it (starting at 0.07); a number fixes it. Texts whose embeddings have cosine
        >= `same_text` count as the same caption: their images are positives of each other. Deterministic for a
        given seed. Needs at least 8 pairs; a few hundred train in a few CPU-seconds.
        """
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - torch is a core dependency
            raise ModelUnavailableError("training the projection needs torch: pip install torch") from exc

        x = np.asarray(image_features, dtype=np.float32)
        t = np.asarray(text_embeddings, dtype=np.float32)
        if x.ndim != 2 or t.ndim != 2 or len(x) != len(t):
            raise InputError(f"need paired 2-D arrays, got image features {x.shape} and texts {t.shape}")
        ok = np.isfinite(x).all(axis=1) & np.isfinite(t).all(axis=1) & (np.linalg.norm(t, axis=1) > 0)
        x, t = x[ok], t[ok]
        if len(x) < 8:
            raise InputError(f"need at least 8 image-text pairs to learn a projection, got {len(x)}")
        t = l2_normalise(t)
        mean = x.mean(axis=0)
        scale = np.maximum(x.std(axis=0), 1e-3 + 0.05 * float(x.std()))

        with torch.random.fork_rng(devices=[]):  # dropout draws from torch's global RNG: keep it untouched
            torch.manual_seed(seed)
            gen = torch.Generator().manual_seed(seed)
            X = torch.from_numpy((x - mean) / scale)
            T = torch.from_numpy(t)
            lin = torch.nn.Linear(x.shape[1], t.shape[1])
            with torch.no_grad():
                torch.nn.init.normal_(lin.weight, std=1.0 / np.sqrt(x.shape[1]), generator=gen)
                lin.bias.zero_()
            log_scale = torch.nn.Parameter(torch.tensor(float(np.log(1 / (temperature or 0.07)))))
            params = [*lin.parameters()] + ([log_scale] if temperature is None else [])
            opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
            n = len(X)
            bs = min(batch_size, n)
            steps_per_epoch = max(1, int(np.ceil(n / bs)))
            sched = torch.optim.lr_scheduler.OneCycleLR(
                opt, max_lr=lr, total_steps=max(1, epochs * steps_per_epoch), pct_start=0.1
            )
            dropout = torch.nn.Dropout(input_dropout)
            last = float("nan")
            for _ in range(max(1, epochs)):
                order = torch.randperm(n, generator=gen)
                losses = []
                for start in range(0, n, bs):
                    idx = order[start : start + bs]
                    if len(idx) < 2:
                        continue
                    xb, tb = X[idx], T[idx]
                    same = (tb @ tb.T >= same_text).float()
                    p = torch.nn.functional.normalize(lin(dropout(xb)), dim=1)
                    logits = (p @ tb.T) * log_scale.clamp(max=float(np.log(100.0))).exp()
                    target = same / same.sum(dim=1, keepdim=True)
                    loss = 0.5 * (
                        -(target * logits.log_softmax(dim=1)).sum(dim=1).mean()
                        - (target * logits.T.log_softmax(dim=1)).sum(dim=1).mean()
                    )
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    losses.append(float(loss.detach()))
                last = float(np.mean(losses)) if losses else last
        temp = float(1.0 / log_scale.detach().clamp(max=float(np.log(100.0))).exp())
        report = FitReport(pairs=n, epochs=epochs, loss=last, temperature=temp)
        log.info("projection fitted on %d pairs: loss %.3f, temperature %.3f", n, last, temp)
        model = cls(
            lin.weight.detach().numpy().T.copy(),
            lin.bias.detach().numpy().copy(),
            mean,
            scale,
            temperature=temp,
            meta={**(meta or {}), "pairs": n, "epochs": epochs, "seed": seed, "loss": round(last, 4)},
        )
        model.report = report
        return model

    # -- files -------------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write a float16 .npz (atomically). Metadata is kept as JSON inside."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format": FORMAT_VERSION, "temperature": self.temperature}
        extra = {}
        if self.prototypes is not None:
            meta["prototypes"] = {"labels": self.prototypes.labels, "temperature": self.prototypes.temperature}
            extra["prototype_centroids"] = self.prototypes.centroids.astype(np.float16)
        else:
            meta.pop("prototypes", None)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(
                    f,
                    weight=self.weight.astype(np.float16),
                    bias=self.bias.astype(np.float32),
                    mean=self.mean.astype(np.float32),
                    scale=self.scale.astype(np.float32),
                    meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                    **extra,
                )
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved model is an ordinary file
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike | io.BytesIO) -> ImageTextProjection:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                if int(meta.get("format", 0)) > FORMAT_VERSION:
                    raise ModelUnavailableError(
                        f"{path}: projection format {meta.get('format')} is newer than this vidrec understands; "
                        "upgrade vidrec"
                    )
                projection = cls(
                    data["weight"].astype(np.float32),
                    data["bias"],
                    data["mean"],
                    data["scale"],
                    temperature=float(meta.get("temperature", 0.05)),
                    meta=meta,
                )
                proto = meta.get("prototypes")
                if proto and "prototype_centroids" in data:
                    projection.prototypes = CategoryPrototypes(
                        proto["labels"], data["prototype_centroids"].astype(np.float32),
                        float(proto.get("temperature", 0.02)))
                return projection
        except (OSError, KeyError, ValueError) as exc:
            raise ModelUnavailableError(
                f"cannot read the image-text projection {path} ({exc}); rebuild it (bench/train_projection.py) "
                "or reinstall vidrec"
            ) from exc

    @classmethod
    def default(cls) -> ImageTextProjection:
        """The projection shipped with vidrec (EfficientNet-Lite0 -> multilingual-e5-small, trained on CC0 photos)."""
        global _default
        with _default_lock:
            if _default is None:
                ref = resources.files("vidrec").joinpath(f"resources/projection/{DEFAULT_FILE}")
                try:
                    data = ref.read_bytes()
                except (FileNotFoundError, OSError) as exc:
                    raise ModelUnavailableError(
                        f"the default projection resources/projection/{DEFAULT_FILE} is missing; reinstall vidrec "
                        "or rebuild it with bench/train_projection.py"
                    ) from exc
                _default = cls.load(io.BytesIO(data))
            return _default


_default: ImageTextProjection | None = None
_default_lock = threading.Lock()
