"""Optional CLIP backend for users who have CLIP weights locally: images and texts in one shared space.

Selected by configuration (`IngestSettings.image_backend = "clip"`, `clip_model = ...`):

- a folder saved by Hugging Face transformers (`CLIPModel.save_pretrained`, with its tokenizer and, optionally,
  image processor), or a model name already in the local Hugging Face cache;
- `open_clip:ARCH` or `open_clip:ARCH@/path/to/checkpoint.bin` for open_clip (`pip install open_clip_torch`).

No CLIP weights ship with vidrec and nothing is downloaded unless the user lets transformers/open_clip go online
(`VIDREC_CLIP_ALLOW_DOWNLOAD=1`). Install the extra with `pip install 'vidrec[clip]'`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from vidrec.config import IngestSettings
from vidrec.encoders.image import ImageEncoder, ImageFeatures, as_rgb, default_image_encoder
from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
OPEN_CLIP_PREFIX = "open_clip:"


def _normalise(x: np.ndarray) -> np.ndarray:
    return l2_normalise(np.asarray(x, dtype=np.float32))


def _allow_download() -> bool:
    return os.environ.get("VIDREC_CLIP_ALLOW_DOWNLOAD", "") in ("1", "true", "yes")


def clip_pixels(images: Sequence[np.ndarray], size: int, mean=CLIP_MEAN, std=CLIP_STD) -> np.ndarray:
    """CLIP's preprocessing: shorter side to `size` (bicubic), centre crop, scale to [0, 1], normalise; NCHW."""
    out = np.empty((len(images), 3, size, size), dtype=np.float32)
    m = np.asarray(mean, np.float32)[:, None, None]
    s = np.asarray(std, np.float32)[:, None, None]
    for i, image in enumerate(images):
        im = Image.fromarray(as_rgb(image))
        w, h = im.size
        scale = size / min(w, h)
        im = im.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BICUBIC)
        left, top = (im.width - size) // 2, (im.height - size) // 2
        im = im.crop((left, top, left + size, top + size))
        out[i] = (np.asarray(im, np.float32).transpose(2, 0, 1) / 255.0 - m) / s
    return out


class ClipEncoder:
    """CLIP through transformers or open_clip: `encode(images)` (ImageEncoder) and `encode_text(texts)`.

    Both give L2-normalised vectors in the same space, so texts and pictures compare by cosine directly (no
    projection needed). Loads lazily once; calls are serialised.
    """

    def __init__(self, model: str | os.PathLike, batch_size: int = 16, threads: int | None = None) -> None:
        spec = str(model).strip()
        if not spec:
            raise ConfigError("clip_model is empty: set it to a local CLIP folder or 'open_clip:ARCH@checkpoint'")
        self.spec = spec
        self.name_or_path = spec  # for embedding caches keyed by encoder
        self.backend = "open_clip" if spec.startswith(OPEN_CLIP_PREFIX) else "transformers"
        self._batch_size = batch_size
        self._threads = threads
        self._model = None
        self._tokenizer = None
        self._image_size = 224
        self._mean, self._std = CLIP_MEAN, CLIP_STD
        self._dim: int | None = None
        self._lock = threading.RLock()

    # -- loading -------------------------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        self._load()
        assert self._dim is not None
        return self._dim

    def _load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
            except ImportError as exc:  # pragma: no cover - torch is a core dependency
                raise ModelUnavailableError("the CLIP backend needs torch") from exc
            if self._threads:
                torch.set_num_threads(self._threads)
            if self.backend == "open_clip":
                self._load_open_clip()
            else:
                self._load_transformers()

    def _load_transformers(self) -> None:
        try:
            from transformers import AutoTokenizer, CLIPModel
        except ImportError as exc:
            raise ModelUnavailableError(
                "the CLIP backend needs transformers: pip install 'vidrec[clip]' (or pip install transformers)"
            ) from exc
        path = Path(self.spec).expanduser()
        local = path.exists()
        if not local and self.spec.startswith((".", "/", "~")):
            raise ModelUnavailableError(
                f"CLIP model folder {self.spec!r} not found; set clip_model to a folder saved with "
                "CLIPModel.save_pretrained (with its tokenizer)"
            )
        source = str(path) if local else self.spec
        offline = local or not _allow_download()
        try:
            model = CLIPModel.from_pretrained(source, local_files_only=offline).eval()
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=offline)
        except (OSError, ValueError) as exc:
            hint = "" if local else " (not in the local Hugging Face cache; set VIDREC_CLIP_ALLOW_DOWNLOAD=1 to fetch it)"
            raise ModelUnavailableError(f"cannot load CLIP model {self.spec!r}{hint}: {exc}") from exc
        self._image_size = int(model.config.vision_config.image_size)
        if local and (path / "preprocessor_config.json").is_file():
            cfg = json.loads((path / "preprocessor_config.json").read_text(encoding="utf-8"))
            self._mean = tuple(cfg.get("image_mean", CLIP_MEAN))
            self._std = tuple(cfg.get("image_std", CLIP_STD))
            crop = cfg.get("crop_size")
            if isinstance(crop, dict) and "height" in crop:
                self._image_size = int(crop["height"])
            elif isinstance(crop, int):
                self._image_size = crop
        self._tokenizer = tokenizer
        self._dim = int(model.config.projection_dim)
        self._model = model
        log.info("loaded CLIP (transformers) from %s: dim %d, %d px", source, self._dim, self._image_size)

    def _load_open_clip(self) -> None:
        try:
            import open_clip
        except ImportError as exc:
            raise ModelUnavailableError(
                "the open_clip CLIP backend needs open_clip: pip install open_clip_torch"
            ) from exc
        arch, _, checkpoint = self.spec[len(OPEN_CLIP_PREFIX) :].partition("@")
        if not arch:
            raise ConfigError(f"clip_model {self.spec!r}: write it as 'open_clip:ARCH@/path/to/checkpoint'")
        if checkpoint and not Path(checkpoint).expanduser().is_file():
            raise ModelUnavailableError(f"open_clip checkpoint {checkpoint!r} not found")
        if not checkpoint and not _allow_download():
            raise ModelUnavailableError(
                f"{self.spec!r} names no local checkpoint; add '@/path/to/weights' or set VIDREC_CLIP_ALLOW_DOWNLOAD=1"
            )
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=str(Path(checkpoint).expanduser()) if checkpoint else None
            )
            tokenizer = open_clip.get_tokenizer(arch)
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot load open_clip model {self.spec!r}: {exc}") from exc
        model.eval()
        size = getattr(model.visual, "image_size", 224)
        self._image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        self._mean = tuple(getattr(model.visual, "image_mean", None) or CLIP_MEAN)
        self._std = tuple(getattr(model.visual, "image_std", None) or CLIP_STD)
        self._tokenizer = tokenizer
        import torch

        with torch.no_grad():
            self._dim = int(model.encode_text(tokenizer(["a"])).shape[-1])
        self._model = model
        log.info("loaded CLIP (open_clip) %s: dim %d", self.spec, self._dim)

    # -- encoding ------------------------------------------------------------------------------------------------
    def encode(self, images: Sequence[np.ndarray]) -> ImageFeatures:
        """L2-normalised CLIP image embeddings (n, dim); no ImageNet logits."""
        import torch

        self._load()
        if len(images) == 0:
            return ImageFeatures(np.zeros((0, self.dim), np.float32), None)
        out = []
        with self._lock, torch.no_grad():
            for start in range(0, len(images), self._batch_size):
                pixels = torch.from_numpy(
                    clip_pixels(images[start : start + self._batch_size], self._image_size, self._mean, self._std)
                )
                if self.backend == "open_clip":
                    emb = self._model.encode_image(pixels)
                else:
                    pooled = self._model.vision_model(pixel_values=pixels).pooler_output
                    emb = self._model.visual_projection(pooled)
                out.append(emb.float().numpy())
        return ImageFeatures(_normalise(np.concatenate(out)), None)

    def encode_text(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        """L2-normalised CLIP text embeddings (n, dim). `kind` is accepted for TextEncoder compatibility."""
        import torch

        self._load()
        texts = [t if t and t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = []
        with self._lock, torch.no_grad():
            for start in range(0, len(texts), 64):
                batch = texts[start : start + 64]
                if self.backend == "open_clip":
                    emb = self._model.encode_text(self._tokenizer(batch))
                else:
                    max_len = int(self._model.config.text_config.max_position_embeddings)
                    tok = self._tokenizer(batch, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
                    pooled = self._model.text_model(
                        input_ids=tok["input_ids"], attention_mask=tok.get("attention_mask")
                    ).pooler_output
                    emb = self._model.text_projection(pooled)
                out.append(emb.float().numpy())
        return _normalise(np.concatenate(out))

    # TextEncoder protocol: encode(texts, kind) would clash with ImageEncoder.encode, so expose an adapter.
    def text_encoder(self) -> ClipTextEncoder:
        return ClipTextEncoder(self)


class ClipTextEncoder:
    """The text half of a ClipEncoder behind the TextEncoder interface (`encode(texts, kind)`)."""

    def __init__(self, clip: ClipEncoder) -> None:
        self._clip = clip
        self.name_or_path = clip.spec

    @property
    def dim(self) -> int:
        return self._clip.dim

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        return self._clip.encode_text(texts, kind=kind)


_clip_cache: dict[str, ClipEncoder] = {}
_clip_lock = threading.Lock()


def image_encoder_from_settings(settings: IngestSettings) -> ImageEncoder:
    """The image encoder the settings ask for: "lite0" (bundled, default) or "clip" (needs `clip_model`)."""
    backend = (settings.image_backend or "lite0").lower()
    if backend == "lite0":
        return default_image_encoder()
    if backend == "clip":
        if not settings.clip_model:
            raise ConfigError(
                "image_backend = 'clip' needs clip_model: a local CLIP folder (transformers) or "
                "'open_clip:ARCH@/path/to/checkpoint'"
            )
        with _clip_lock:
            key = str(settings.clip_model)
            if key not in _clip_cache:
                _clip_cache[key] = ClipEncoder(key)
            return _clip_cache[key]
    raise ConfigError(f"unknown image_backend {settings.image_backend!r}: use 'lite0' or 'clip'")
