"""Build a short product video from one photo: shots with motion, burnt-in captions, spoken narration.

Used to make the demo catalog the repo ships (`examples/build_demo.py`) and the evaluation catalog
(`bench/build_eval_catalog.py`), and by tests that need a real product video with known content.

A video is 2-3 shots cut hard from one to the next:

- ``"zoom"``: the whole photo on a blurred copy of itself, slowly zooming and panning (Ken Burns);
- ``"closeup"``: a crop of the product's centre, drifting slowly;
- ``"card"``: a plain card with the photo small and the caption text under it.

Captions are drawn with PIL in a CJK font (Debian's fonts-wqy-microhei), narration comes from a WAV file
(``speak`` makes one with espeak-ng) and is muxed as AAC. Output is H.264 yuv420p + AAC in .mp4, small
(CRF ~31, 15 fps, 64 kbps mono audio).

Determinism: the frames are a pure function of the photo, the texts, the narration and the seed. The encoded
bytes are identical between runs at the default 384x640 (and e.g. 256x448); at some other sizes (360x640,
320x576) x264's SIMD code reads uninitialised padding and files differ by encoder noise between runs.
"""

from __future__ import annotations

import logging
import math
import os
import random
import shutil
import subprocess
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from vidrec.errors import InputError, MediaError, ModelUnavailableError

log = logging.getLogger(__name__)

SHOT_KINDS = ("zoom", "closeup", "card")
DEFAULT_SHOTS = ("zoom", "closeup", "card")
# Share of the running time each kind of shot gets before normalising.
_SHOT_WEIGHT = {"zoom": 0.42, "closeup": 0.30, "card": 0.28}

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

# Card backgrounds and accent (price) colours, picked per video from the seed.
_CARD_COLOURS = ((246, 244, 240), (236, 240, 244), (34, 36, 40), (250, 246, 236), (28, 40, 56))
_ACCENT_COLOURS = ((214, 40, 40), (232, 86, 20), (200, 20, 90))

# espeak-ng voices. English uses the Klatt synthesiser: with the default one, whisper-base heard "239 yuan" as
# "230 I knew him" in most sentences here; with Klatt it got the price right in 12 of 16 sentences (vs 2 of 16).
# Mandarin: espeak-ng's cmn-latn-pinyin reads Chinese characters, but whisper-base transcribes it poorly.
VOICES = {"en": "en-us+klatt", "zh": "cmn-latn-pinyin"}
DEFAULT_WPM = {"en": 150, "zh": 160}


@dataclass(frozen=True)
class ShotSpan:
    """One shot of the built video: its kind and where it starts and ends, in seconds."""

    kind: str
    start: float
    end: float


@dataclass
class ComposedVideo:
    """What was built: the file, its running time, its shots and when captions are on screen."""

    path: Path
    duration: float
    size: tuple[int, int]
    fps: int
    shots: list[ShotSpan] = field(default_factory=list)
    has_audio: bool = False
    narration_start: float | None = None
    narration_end: float | None = None
    caption_spans: list[tuple[float, float, str]] = field(default_factory=list)


def find_cjk_font(candidates: Sequence[str | os.PathLike] = CJK_FONT_CANDIDATES) -> Path:
    """The first CJK-capable font file found; $VIDREC_CJK_FONT wins when set."""
    env = os.environ.get("VIDREC_CJK_FONT")
    paths = [Path(env)] if env else []
    paths += [Path(c) for c in candidates]
    for p in paths:
        if p.is_file():
            return p
    raise ModelUnavailableError(
        "no font with Chinese glyphs found for burnt-in captions (looked for "
        + ", ".join(str(p) for p in paths[:3])
        + ", ...); install one with `sudo apt-get install fonts-wqy-microhei` "
        "or point $VIDREC_CJK_FONT at a .ttf/.ttc file"
    )


def speak(text: str, lang: str, out_wav: str | os.PathLike, *, wpm: int | None = None) -> Path:
    """Synthesise `text` with espeak-ng into a 16-bit mono WAV file.

    `lang` "en" (American English) or "zh" (Mandarin, reading Chinese characters); `wpm` is the speaking rate
    (default 150 for en, 160 for zh).
    """
    voice = VOICES.get(lang)
    if voice is None:
        raise InputError(f"no narration voice for language {lang!r}; use one of {sorted(VOICES)}")
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise ModelUnavailableError("espeak-ng is needed for narration; install it with `sudo apt-get install espeak-ng`")
    out = Path(out_wav)
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, "-v", voice, "-s", str(int(wpm or DEFAULT_WPM[lang])), "-w", str(out), "--", text],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        raise MediaError(f"espeak-ng failed for voice {voice}: {proc.stderr.strip() or 'no audio written'}")
    return out


def compose_product_video(
    photo: str | os.PathLike | Image.Image,
    out_path: str | os.PathLike,
    *,
    size: tuple[int, int] = (384, 640),
    seconds: float = 7.0,
    shots: Sequence[str] = DEFAULT_SHOTS,
    caption: str | None = None,
    price_caption: str | None = None,
    narration_wav: str | os.PathLike | None = None,
    seed: int = 0,
    fps: int = 15,
    crf: int = 31,
    audio_bitrate: int = 64_000,
    narration_offset: float = 0.4,
    font_path: str | os.PathLike | None = None,
) -> ComposedVideo:
    """Write an H.264/AAC .mp4 product video built from one photo.

    `size` is (width, height), rounded down to even numbers. The running time is `seconds`, stretched when the
    narration (starting `narration_offset` s in) needs longer. `caption` is drawn on the closing card (or in a
    banner on the close-up when there is no card); `price_caption` (e.g. "¥199", "只要199元", "now only 129")
    is a banner on the close-up (the zoom shot when there is no close-up) and is repeated on the card.
    Without captions no text is drawn; without `narration_wav` the file has no audio stream.
    """
    width, height = int(size[0]) // 2 * 2, int(size[1]) // 2 * 2
    if width < 64 or height < 64:
        raise InputError(f"video size {size} is too small; use at least 64x64")
    if not shots or len(shots) > 4:
        raise InputError("give 1 to 4 shots, e.g. ('zoom', 'closeup', 'card')")
    unknown = [s for s in shots if s not in SHOT_KINDS]
    if unknown:
        raise InputError(f"unknown shot kinds {unknown}; use {SHOT_KINDS}")
    if fps < 1 or seconds <= 0:
        raise InputError("fps and seconds must be positive")

    image = _load_photo(photo)
    rng = random.Random(seed)
    audio = _read_wav(Path(narration_wav)) if narration_wav is not None else None

    duration = float(seconds)
    narration_start = narration_end = None
    if audio is not None:
        samples, rate = audio
        narration_start = narration_offset
        narration_end = narration_offset + len(samples) / rate
        duration = max(duration, narration_end + 0.5)
    n_frames = max(1, round(duration * fps))
    duration = n_frames / fps

    spans = _plan_shots(shots, duration, fps)
    font_file = Path(font_path) if font_path else (find_cjk_font() if (caption or price_caption) else None)
    style = _Style.pick(rng)
    kinds = [s.kind for s in spans]
    # The card shows caption + price; moving shots carry the price as a banner (and the caption when no card).
    banner = [t for t in ((None if "card" in kinds else caption), price_caption) if t]
    banner_shot = "closeup" if "closeup" in kinds else "zoom"
    renderers = [
        _ShotRenderer(span, image, (width, height), rng, style, caption, price_caption,
                      banner if span.kind == banner_shot else [], font_file)
        for span in spans
    ]

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    caption_spans: list[tuple[float, float, str]] = []
    for r in renderers:
        for text in r.texts:
            caption_spans.append((r.span.start, r.span.end, text))
    try:
        _encode(tmp, renderers, n_frames, fps, (width, height), crf, audio, narration_offset, duration, audio_bitrate)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    log.debug("built %s: %.2fs, %d shots, audio=%s", out, duration, len(spans), audio is not None)
    return ComposedVideo(
        path=out,
        duration=duration,
        size=(width, height),
        fps=fps,
        shots=spans,
        has_audio=audio is not None,
        narration_start=narration_start,
        narration_end=narration_end,
        caption_spans=caption_spans,
    )


# ----------------------------------------------------------------------------------------------------------------
# planning and drawing


@dataclass(frozen=True)
class _Style:
    card_bg: tuple[int, int, int]
    accent: tuple[int, int, int]

    @classmethod
    def pick(cls, rng: random.Random) -> _Style:
        return cls(card_bg=rng.choice(_CARD_COLOURS), accent=rng.choice(_ACCENT_COLOURS))

    @property
    def card_text(self) -> tuple[int, int, int]:
        return (245, 245, 245) if sum(self.card_bg) < 300 else (30, 30, 32)


def _plan_shots(kinds: Sequence[str], duration: float, fps: int) -> list[ShotSpan]:
    """Split the running time over the shots (cut points on frame boundaries)."""
    weights = [_SHOT_WEIGHT[k] for k in kinds]
    total = sum(weights)
    n_frames = round(duration * fps)
    spans: list[ShotSpan] = []
    start_frame = 0
    acc = 0.0
    for i, (kind, w) in enumerate(zip(kinds, weights, strict=True)):
        acc += w
        end_frame = n_frames if i == len(kinds) - 1 else round(n_frames * acc / total)
        end_frame = max(end_frame, start_frame + 1)
        spans.append(ShotSpan(kind, start_frame / fps, end_frame / fps))
        start_frame = end_frame
    return spans


def _load_photo(photo: str | os.PathLike | Image.Image) -> Image.Image:
    if isinstance(photo, Image.Image):
        return photo.convert("RGB")
    p = Path(photo)
    try:
        with Image.open(p) as im:
            return im.convert("RGB")
    except FileNotFoundError as exc:
        raise MediaError(f"photo {p} does not exist; check the path") from exc
    except OSError as exc:
        raise MediaError(f"photo {p} cannot be read as an image ({exc}); use a JPEG or PNG file") from exc


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except FileNotFoundError as exc:
        raise MediaError(f"narration {path} does not exist; make it with tools.compose.speak") from exc
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"narration {path} is not a PCM WAV file ({exc})") from exc
    if width != 2:
        raise MediaError(f"narration {path} has {8 * width}-bit samples; give 16-bit PCM")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    if data.size == 0:
        raise MediaError(f"narration {path} is empty")
    return data, rate


def _fit(im: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(box[0] / im.width, box[1] / im.height)
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)


def _cover(im: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = max(box[0] / im.width, box[1] / im.height)
    resized = im.resize((max(box[0], math.ceil(im.width * scale)), max(box[1], math.ceil(im.height * scale))),
                        Image.Resampling.BILINEAR)
    x = (resized.width - box[0]) // 2
    y = (resized.height - box[1]) // 2
    return resized.crop((x, y, x + box[0], y + box[1]))


def _ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, t)))


class _ShotRenderer:
    """Draws the frames of one shot. Static layers are built once; per frame only the moving part is resampled."""

    def __init__(self, span: ShotSpan, photo: Image.Image, size: tuple[int, int], rng: random.Random, style: _Style,
                 caption: str | None, price_caption: str | None, banner: list[str], font_file: Path | None):
        self.span = span
        self.size = size
        self.photo = photo
        self.texts: list[str] = []
        w, h = size
        self.overlay: Image.Image | None = None
        self.background: Image.Image | None = None
        if span.kind == "zoom":
            self.background = _cover(photo, size).filter(ImageFilter.GaussianBlur(radius=max(4, w // 30)))
            self.background = Image.blend(self.background, Image.new("RGB", size, (0, 0, 0)), 0.15)
            # Frame at t: a window over the canvas (photo fitted + margin), moving from start to end window.
            self.canvas = self.background.copy()
            fitted = _fit(photo, (w, h))
            self.canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
            z1 = rng.uniform(1.18, 1.32)
            if rng.random() < 0.5:  # zoom in or out
                self.z = (1.0, z1)
            else:
                self.z = (z1, 1.0)
            self.focus = (rng.uniform(0.38, 0.62), rng.uniform(0.38, 0.62))
            self._add_banner(banner, style, font_file)
        elif span.kind == "closeup":
            frac = rng.uniform(0.50, 0.62)
            cw = photo.width * frac
            ch = min(photo.height, cw * h / w)
            cw = ch * w / h
            cx = photo.width / 2 + rng.uniform(-0.06, 0.06) * photo.width
            cy = photo.height / 2 + rng.uniform(-0.06, 0.06) * photo.height
            drift = (rng.choice((-1, 1)) * 0.08 * cw, rng.choice((-1, 1)) * 0.05 * ch)
            self.crop_start = (cx - cw / 2 - drift[0] / 2, cy - ch / 2 - drift[1] / 2, cw, ch)
            self.crop_drift = drift
            self._add_banner(banner, style, font_file)
        else:  # card
            card = Image.new("RGB", size, style.card_bg)
            small = _fit(photo, (int(w * 0.72), int(h * 0.46)))
            top = int(h * 0.10)
            card.paste(small, ((w - small.width) // 2, top))
            draw = ImageDraw.Draw(card)
            y = top + small.height + int(h * 0.05)
            if font_file is not None:
                if caption:
                    y = _draw_centered(draw, caption, font_file, int(h * 0.05), style.card_text, y, w)
                    self.texts.append(caption)
                if price_caption:
                    y += int(h * 0.02)
                    _draw_centered(draw, price_caption, font_file, int(h * 0.06), style.accent, y, w)
                    self.texts.append(price_caption)
            self.background = card
            self.pop = (rng.uniform(1.0, 1.04), rng.uniform(-0.02, 0.02))

    def _add_banner(self, texts: list[str], style: _Style, font_file: Path | None) -> None:
        if not texts or font_file is None:
            return
        self.texts = list(texts)
        w, h = self.size
        layer = Image.new("RGBA", self.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        size = int(h * 0.055)
        y = int(h * 0.76)
        for text in reversed(texts):
            font = _font(font_file, size, text, int(w * 0.86))
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            tw, th = right - left, bottom - top
            pad = int(size * 0.35)
            x = (w - tw) // 2
            draw.rounded_rectangle((x - pad, y - pad, x + tw + pad, y + th + pad), radius=pad,
                                   fill=(*style.accent, 230))
            draw.text((x - left, y - top), text, font=font, fill=(255, 255, 255, 255))
            y -= th + 3 * pad
            size = int(h * 0.04)
        self.overlay = layer

    def _with_overlay(self, im: Image.Image) -> Image.Image:
        if self.overlay is None:
            return im
        return Image.alpha_composite(im.convert("RGBA"), self.overlay).convert("RGB")

    def frame(self, t: float) -> Image.Image:
        """The frame at time `t` (seconds from the video start)."""
        span = self.span
        u = (t - span.start) / max(1e-6, span.end - span.start)
        w, h = self.size
        if span.kind == "zoom":
            z = self.z[0] + (self.z[1] - self.z[0]) * _ease(u)
            vw, vh = w / z, h / z
            fx, fy = self.focus
            x0 = (w - vw) * fx
            y0 = (h - vh) * fy
            im = self.canvas.resize(self.size, Image.Resampling.BILINEAR, box=(x0, y0, x0 + vw, y0 + vh))
            return self._with_overlay(im)
        if span.kind == "closeup":
            x, y, cw, ch = self.crop_start
            e = _ease(u)
            x += self.crop_drift[0] * e
            y += self.crop_drift[1] * e
            x = min(max(0.0, x), self.photo.width - cw)
            y = min(max(0.0, y), self.photo.height - ch)
            im = self.photo.resize(self.size, Image.Resampling.BILINEAR, box=(x, y, x + cw, y + ch))
            return self._with_overlay(im)
        assert self.background is not None
        scale, shift = self.pop
        z = 1.0 + (scale - 1.0) * _ease(u)
        if z <= 1.0001:
            return self.background
        vw, vh = w / z, h / z
        x0 = (w - vw) / 2 + shift * w * _ease(u)
        x0 = min(max(0.0, x0), w - vw)
        return self.background.resize(self.size, Image.Resampling.BILINEAR, box=(x0, (h - vh) / 2, x0 + vw,
                                                                                 (h + vh) / 2))


def _font(font_file: Path, size: int, text: str, max_width: int) -> ImageFont.FreeTypeFont:
    while True:
        font = ImageFont.truetype(str(font_file), size)
        if size <= 10 or font.getlength(text) <= max_width:
            return font
        size = int(size * 0.9)


def _draw_centered(draw: ImageDraw.ImageDraw, text: str, font_file: Path, size: int, fill: tuple[int, int, int],
                   y: int, width: int) -> int:
    """Draw `text` centred (wrapped to at most two lines); the y below it."""
    max_w = int(width * 0.88)
    font = ImageFont.truetype(str(font_file), size)
    lines = [text]
    if font.getlength(text) > max_w:
        lines = _wrap(text, font, max_w)
        while len(lines) > 2 and size > 10:  # smaller type until every word fits on two lines: none is cut off
            size = int(size * 0.9)
            font = ImageFont.truetype(str(font_file), size)
            lines = _wrap(text, font, max_w)
    for line in lines:
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (right - left)) // 2 - left, y - top), line, font=font, fill=fill)
        y += (bottom - top) + int(size * 0.35)
    return y


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Greedy wrap: on spaces for Latin text, anywhere for Chinese."""
    tokens = text.split(" ") if " " in text else list(text)
    sep = " " if " " in text else ""
    lines: list[str] = []
    line = ""
    for tok in tokens:
        cand = f"{line}{sep}{tok}" if line else tok
        if font.getlength(cand) <= max_w or not line:
            line = cand
        else:
            lines.append(line)
            line = tok
    if line:
        lines.append(line)
    return lines


# ----------------------------------------------------------------------------------------------------------------
# encoding


def _encode(path: Path, renderers: list[_ShotRenderer], n_frames: int, fps: int, size: tuple[int, int], crf: int,
            audio: tuple[np.ndarray, int] | None, narration_offset: float, duration: float,
            audio_bitrate: int) -> None:
    w, h = size
    try:
        container = av.open(str(path), mode="w", format="mp4")
    except OSError as exc:
        raise MediaError(f"cannot write {path} ({exc}); check the folder exists and is writable") from exc
    with container:
        vstream = container.add_stream("libx264", rate=fps)
        vstream.width, vstream.height = w, h
        vstream.pix_fmt = "yuv420p"
        vstream.codec_context.time_base = Fraction(1, fps)
        # One thread: identical bytes for identical inputs, and callers parallelise over videos anyway.
        vstream.options = {"crf": str(crf), "preset": "medium", "threads": "1", "g": str(fps * 2),
                           "sc_threshold": "40"}
        astream = None
        if audio is not None:
            samples, rate = audio
            astream = container.add_stream("aac", rate=rate)
            astream.layout = "mono"
            astream.bit_rate = audio_bitrate

        shot_i = 0
        for i in range(n_frames):
            t = i / fps
            while shot_i < len(renderers) - 1 and t >= renderers[shot_i].span.end - 1e-9:
                shot_i += 1
            image = renderers[shot_i].frame(t)
            frame = av.VideoFrame.from_ndarray(np.asarray(image, dtype=np.uint8), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vstream.encode(frame):
                container.mux(packet)
        for packet in vstream.encode():
            container.mux(packet)

        if astream is not None and audio is not None:
            samples, rate = audio
            total = int(round(duration * rate))
            track = np.zeros(total, dtype=np.float32)
            start = int(round(narration_offset * rate))
            n = max(0, min(len(samples), total - start))
            track[start:start + n] = samples[:n]
            chunk = 1024
            for s in range(0, total, chunk):
                block = track[s:s + chunk]
                aframe = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="fltp", layout="mono")
                aframe.sample_rate = rate
                aframe.pts = s
                aframe.time_base = Fraction(1, rate)
                for packet in astream.encode(aframe):
                    container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
