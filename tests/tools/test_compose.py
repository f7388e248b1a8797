"""The product-video builder: real H.264/AAC files that decode, with the planned shots, captions and audio."""

from __future__ import annotations

import hashlib
import math
import shutil
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tools.compose import ComposedVideo, compose_product_video, find_cjk_font, speak
from vidrec.errors import InputError, MediaError, ModelUnavailableError

SIZE = (256, 448)


def _needs_cjk_font() -> None:
    try:
        find_cjk_font()
    except ModelUnavailableError as exc:
        pytest.skip(f"no CJK font installed: {exc}")


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A product-like photo: a textured red garment on a light, slightly graded background."""
    w, h = 300, 400
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    bg = (np.array([235, 232, 226], np.float32) * (1 - 0.15 * y)).repeat(w, axis=1)
    im = Image.fromarray(bg.astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.polygon([(90, 60), (210, 60), (270, 130), (235, 160), (215, 140), (215, 350), (85, 350), (85, 140),
               (65, 160), (30, 130)], fill=(200, 30, 40))
    for x in range(95, 210, 12):  # texture, so motion shows in the pixels
        d.line([(x, 70), (x, 345)], fill=(170, 20, 30), width=3)
    d.ellipse((130, 52, 170, 80), fill=(235, 232, 226))
    path = tmp_path_factory.mktemp("photo") / "shirt.jpg"
    im.save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3.2 s 16-bit mono WAV (a voice-like warbling tone), so muxing is tested without espeak-ng."""
    rate = 22050
    t = np.arange(int(3.2 * rate)) / rate
    signal = 0.4 * np.sin(2 * math.pi * (220 + 40 * np.sin(2 * math.pi * 3 * t)) * t)
    path = tmp_path_factory.mktemp("wav") / "tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((signal * 32767).astype("<i2").tobytes())
    return path


def _decode(path: Path) -> tuple[list[np.ndarray], dict]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {
            "codec": v.codec_context.name,
            "pix_fmt": v.codec_context.pix_fmt,
            "size": (v.codec_context.width, v.codec_context.height),
            "duration": float(c.duration) / 1e6,
            "audio": [(a.codec_context.name, a.sample_rate) for a in c.streams.audio],
        }
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    return frames, info


def _audio_rms(path: Path, start: float, end: float) -> float:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().mean(axis=0) for f in c.decode(audio=0)]
        rate = c.streams.audio[0].sample_rate
    pcm = np.concatenate(chunks)
    part = pcm[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(part**2))) if part.size else 0.0


def _frame_index(result: ComposedVideo, t: float) -> int:
    return int(round(t * result.fps))


def test_narrated_captioned_video_decodes_with_shots_audio_and_duration(photo, tone_wav, tmp_path):
    _needs_cjk_font()
    out = tmp_path / "v.mp4"
    result = compose_product_video(photo, out, size=SIZE, seconds=2.5, caption="红色纯棉T恤",
                                   price_caption="只要199元", narration_wav=tone_wav, seed=1)
    frames, info = _decode(out)

    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["size"] == SIZE
    # The narration (3.2 s from 0.4 s) is longer than the 2.5 s asked for: the video stretches to hold it.
    assert result.duration == pytest.approx(3.2 + 0.4 + 0.5, abs=0.1)
    assert info["duration"] == pytest.approx(result.duration, abs=0.15)
    assert len(frames) == round(result.duration * result.fps)
    assert info["audio"] and info["audio"][0][0] == "aac"
    assert result.has_audio
    # Sound where the narration is, silence before it starts.
    assert _audio_rms(out, 1.0, 3.0) > 0.1
    assert _audio_rms(out, 0.0, 0.3) < 0.01

    assert [s.kind for s in result.shots] == ["zoom", "closeup", "card"]
    assert result.shots[0].start == 0 and result.shots[-1].end == pytest.approx(result.duration)
    diffs = [float(np.abs(a - b).mean()) for a, b in zip(frames, frames[1:], strict=False)]
    cuts = {_frame_index(result, s.start) - 1 for s in result.shots[1:]}
    within = [d for i, d in enumerate(diffs) if i not in cuts]
    # Hard cuts are far bigger changes than anything inside a shot ...
    assert min(diffs[i] for i in cuts) > 4 * max(within)
    # ... and the zoom shot really moves.
    zoom_end = _frame_index(result, result.shots[0].end) - 1
    assert np.abs(frames[0] - frames[zoom_end]).mean() > 3


def test_caption_pixels_are_burnt_in_where_planned(photo, tmp_path):
    _needs_cjk_font()
    plain = compose_product_video(photo, tmp_path / "plain.mp4", size=SIZE, seconds=3.0, seed=7)
    captioned = compose_product_video(photo, tmp_path / "cap.mp4", size=SIZE, seconds=3.0, seed=7,
                                      caption="Red cotton tee", price_caption="now only 129")
    a, _ = _decode(plain.path)
    b, _ = _decode(captioned.path)
    assert len(a) == len(b)
    w, h = SIZE
    zoom, closeup, card = captioned.shots

    def diff(i: int, rows: slice = slice(None), cols: slice = slice(None)) -> float:
        return float(np.abs(a[i][rows, cols] - b[i][rows, cols]).mean())

    mid = _frame_index(captioned, (closeup.start + closeup.end) / 2)
    # The price banner sits in the lower part of the close-up; the top of that frame is untouched.
    assert diff(mid, slice(int(0.74 * h), int(0.84 * h)), slice(w // 4, 3 * w // 4)) > 15
    assert diff(mid, slice(0, int(0.5 * h))) < 3
    # The card carries the caption text under the photo, and leaves the photo alone.
    last = len(b) - 1
    strong = np.abs(a[last] - b[last]).max(axis=2) > 60
    assert strong[int(0.6 * h):int(0.8 * h)].mean() > 0.05
    assert strong[:int(0.56 * h)].mean() < 0.005
    # The opening zoom shot has no text.
    assert diff(_frame_index(captioned, zoom.end / 2)) < 3
    assert [t for _, _, t in captioned.caption_spans] == ["now only 129", "Red cotton tee", "now only 129"]
    assert plain.caption_spans == []


def test_silent_uncaptioned_video_has_no_audio_stream(photo, tmp_path):
    result = compose_product_video(photo, tmp_path / "bare.mp4", size=SIZE, seconds=2.0, seed=3,
                                   shots=("zoom", "closeup"))
    frames, info = _decode(result.path)
    assert info["audio"] == []
    assert not result.has_audio
    assert result.duration == pytest.approx(2.0)
    assert len(frames) == 30
    assert [s.kind for s in result.shots] == ["zoom", "closeup"]


def test_same_seed_gives_same_file_and_other_seed_another(photo, tmp_path):
    def build(name: str, seed: int) -> str:
        path = compose_product_video(photo, tmp_path / name, seconds=2.0, seed=seed).path
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert build("a.mp4", 11) == build("b.mp4", 11)
    assert build("c.mp4", 12) != build("a.mp4", 11)


def test_odd_size_is_rounded_to_even(photo, tmp_path):
    result = compose_product_video(photo, tmp_path / "odd.mp4", size=(201, 355), seconds=1.0, seed=0)
    _, info = _decode(result.path)
    assert info["size"] == (200, 354) == result.size


def test_bad_inputs_raise_clear_errors(photo, tmp_path):
    with pytest.raises(MediaError, match="does not exist"):
        compose_product_video(tmp_path / "missing.jpg", tmp_path / "x.mp4")
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("not a picture")
    with pytest.raises(MediaError, match="cannot be read"):
        compose_product_video(not_image, tmp_path / "x.mp4")
    with pytest.raises(InputError, match="unknown shot"):
        compose_product_video(photo, tmp_path / "x.mp4", shots=("zoom", "spin"))
    with pytest.raises(InputError, match="too small"):
        compose_product_video(photo, tmp_path / "x.mp4", size=(32, 32))
    bad_wav = tmp_path / "bad.wav"
    bad_wav.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(MediaError, match="not a PCM WAV"):
        compose_product_video(photo, tmp_path / "x.mp4", narration_wav=bad_wav)
    assert not (tmp_path / "x.mp4").exists()
    assert not list(tmp_path.glob("*.part"))


def test_missing_cjk_font_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("VIDREC_CJK_FONT", raising=False)
    with pytest.raises(ModelUnavailableError, match="fonts-wqy-microhei"):
        find_cjk_font([tmp_path / "nope.ttc"])
    font = tmp_path / "mine.ttf"
    font.write_bytes(b"x")
    monkeypatch.setenv("VIDREC_CJK_FONT", str(font))
    assert find_cjk_font([]) == font


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.parametrize(("lang", "text"), [("zh", "这款红色连衣裙只要199元"), ("en", "Blue denim shorts, now only 129 yuan")])
def test_speak_writes_a_wav_that_is_muxed_as_aac(photo, tmp_path, lang, text):
    wav = speak(text, lang, tmp_path / f"{lang}.wav", wpm=165)
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.0 < seconds < 8.0
    result = compose_product_video(photo, tmp_path / f"{lang}.mp4", size=SIZE, seconds=2.0, narration_wav=wav)
    assert result.duration >= seconds + 0.4
    assert _audio_rms(result.path, 0.5, 0.4 + seconds) > 0.01


def test_speak_rejects_unknown_language(tmp_path):
    with pytest.raises(InputError, match="no narration voice"):
        speak("bonjour", "fr", tmp_path / "fr.wav")


def test_a_long_caption_is_set_smaller_never_cut():
    # a real display name whose last word (its type) the old two-line cut dropped on a 384 px wide card
    _needs_cjk_font()
    from tools.compose import _draw_centered

    name = "Catwalk Women Ballerina Brown Casual Shoe"
    drawn: list[str] = []
    im = Image.new("RGB", (384, 640), (250, 245, 235))
    draw = ImageDraw.Draw(im)
    real_text = draw.text
    draw.text = lambda xy, text, **kw: (drawn.append(text), real_text(xy, text, **kw))  # type: ignore[method-assign]
    _draw_centered(draw, name, find_cjk_font(), int(640 * 0.05), (0, 0, 0), 400, 384)
    assert 1 <= len(drawn) <= 2 and " ".join(drawn) == name
