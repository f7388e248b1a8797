"""Writers for synthetic clips and broken files, made with PyAV (no ffmpeg binary), and where fixtures live."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

VIDEOS = Path(__file__).resolve().parents[1] / "fixtures" / "videos"
SHARED_MICROLENS = Path(__file__).resolve().parents[3] / "shared" / "data" / "videos" / "microlens"

Painter = Callable[[float], np.ndarray]  # time in the segment (s) -> RGB uint8 (H, W, 3)


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


def has_decoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "r")
    except Exception:
        return False
    return True


@dataclass
class Segment:
    seconds: float
    paint: Painter


def solid(colour: tuple[int, int, int], size: tuple[int, int], *, noise: int = 12, seed: int = 0) -> Painter:
    """A flat colour with fresh noise in every frame (so the encoder has something to code)."""
    w, h = size
    rng = np.random.default_rng(seed)

    def paint(t: float) -> np.ndarray:
        base = np.empty((h, w, 3), np.int16)
        base[:] = colour
        base += rng.integers(-noise, noise + 1, size=(h, w, 3), dtype=np.int16)
        return np.clip(base, 0, 255).astype(np.uint8)

    return paint


def photo(size: tuple[int, int], *, seed: int = 1) -> np.ndarray:
    """A synthetic 'product photo': smooth background, a few coloured shapes with edges."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(0.5, 3), rng.uniform(0.5, 3), rng.uniform(0, 6)
        img[..., c] = 128 + 60 * np.sin(2 * math.pi * (fx * x / w + fy * y / h) + ph)
    for _ in range(6):
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        r = rng.uniform(0.05, 0.15) * min(w, h)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[mask] = rng.integers(0, 256, 3)
        img[int(cy) : int(cy + r), int(cx - 2 * r) : int(cx + 2 * r)] = rng.integers(0, 256, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def slow_zoom(picture: np.ndarray, seconds: float, *, zoom: float = 1.25) -> Painter:
    """Ken Burns: crop a slowly shrinking centre window of `picture` and scale it back up."""
    h, w = picture.shape[:2]
    from PIL import Image

    im = Image.fromarray(picture)

    def paint(t: float) -> np.ndarray:
        s = 1.0 + (zoom - 1.0) * min(1.0, t / max(seconds, 1e-6))
        cw, ch = w / s, h / s
        box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
        return np.asarray(im.resize((w, h), Image.BILINEAR, box=box))

    return paint


def write_video(
    path: Path,
    segments: Sequence[Segment],
    *,
    size: tuple[int, int] = (160, 96),
    fps: int = 10,
    codec: str = "libx264",
    container_format: str | None = None,
    audio_tone: float | None = None,
    audio_rate: int = 44100,
    audio_start: float = 0.0,
    rotation: int | None = None,
    options: dict | None = None,
    faststart: bool = False,
) -> Path:
    """Encode segments of painted frames (and optionally a sine tone as AAC/Opus) into `path`."""
    w, h = size
    cont_opts = {"movflags": "faststart"} if faststart else {}
    out = av.open(str(path), "w", format=container_format, options=cont_opts)
    opts = {"preset": "ultrafast"} if codec in ("libx264", "libx265") else {}
    if codec == "libx265":
        opts["x265-params"] = "log-level=error"
    if codec == "libsvtav1":
        opts = {"preset": "12"}
    if codec == "libvpx-vp9":
        opts = {"deadline": "realtime", "cpu-used": "8"}
    opts.update(options or {})
    stream = out.add_stream(codec, rate=fps, options=opts)
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    if rotation is not None:
        stream.set_display_rotation(rotation)
    astream = None
    if audio_tone is not None:
        acodec = "libopus" if (container_format == "webm" or str(path).endswith(".webm")) else "aac"
        rate = 48000 if acodec == "libopus" else audio_rate
        astream = out.add_stream(acodec, rate=rate)
        astream.layout = "stereo"
    n = 0
    for seg in segments:
        for k in range(round(seg.seconds * fps)):
            frame = av.VideoFrame.from_ndarray(seg.paint(k / fps), format="rgb24")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            n += 1
            for packet in stream.encode(frame):
                out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    if astream is not None:
        rate = astream.codec_context.sample_rate
        offset = int(audio_start * rate)
        total = int(n / fps * rate) - offset
        t = np.arange(total) / rate
        tone = (0.5 * np.sin(2 * math.pi * audio_tone * t)).astype(np.float32)
        chunk = 1024
        for i in range(0, total, chunk):
            block = tone[i : i + chunk]
            stereo = np.ascontiguousarray(np.stack([block, block]))
            frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
            frame.sample_rate = rate
            frame.pts = offset + i
            frame.time_base = Fraction(1, rate)
            for packet in astream.encode(frame):
                out.mux(packet)
        for packet in astream.encode():
            out.mux(packet)
    out.close()
    return path


def write_audio_only(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    out = av.open(str(path), "w")
    stream = out.add_stream("aac", rate=rate)
    stream.layout = "mono"
    total = int(seconds * rate)
    tone = (0.3 * np.sin(2 * math.pi * 440 * np.arange(total) / rate)).astype(np.float32)
    for i in range(0, total, 1024):
        frame = av.AudioFrame.from_ndarray(tone[None, i : i + 1024].copy(), format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return path


def write_garbage_audio(path: Path, seconds: float = 2.0) -> Path:
    """A playable H.264 video whose AAC stream holds random bytes: every audio packet fails to decode."""
    fps = 10
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    audio = out.add_stream("aac", rate=16000)
    audio.layout = "mono"
    rng = np.random.default_rng(0)
    paint = solid((200, 40, 40), (64, 48))
    for i in range(int(seconds * fps)):
        frame = av.VideoFrame.from_ndarray(paint(i / fps), format="rgb24")
        frame.pts = i
        for packet in video.encode(frame):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    for i in range(int(seconds * 16000 / 1024)):
        packet = av.Packet(rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
        packet.stream = audio
        packet.pts = packet.dts = i * 1024
        packet.time_base = Fraction(1, 16000)
        out.mux(packet)
    out.close()
    return path
