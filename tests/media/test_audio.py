from __future__ import annotations

import logging

import numpy as np
import pytest
from clips import Segment, has_encoder, solid, write_garbage_audio, write_video

from vidrec.errors import MediaError
from vidrec.media import analyze, extract_audio


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1.0 / rate)[int(np.argmax(spectrum))])


def test_tone_comes_back_mono_16k(cut_clip):
    audio = extract_audio(cut_clip)
    assert audio is not None
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == pytest.approx(4.0 * 16000, abs=0.1 * 16000)
    assert float(np.abs(audio).max()) <= 1.0
    assert float(np.sqrt(np.mean(audio[8000:-8000] ** 2))) == pytest.approx(0.5 / np.sqrt(2), rel=0.15)
    assert _peak_hz(audio[8000:40000], 16000) == pytest.approx(440.0, abs=3.0)


def test_audio_that_starts_late_keeps_the_video_clock(tmp_path):
    size = (64, 48)
    path = write_video(
        tmp_path / "late.mp4", [Segment(3.0, solid((200, 0, 0), size))], size=size, audio_tone=440.0, audio_start=1.0
    )
    audio = extract_audio(path)
    assert audio is not None
    assert audio.size == pytest.approx(48000, abs=1600)
    assert float(np.abs(audio[: 16000 - 800]).max()) < 1e-3  # silence until the track starts at 1 s
    assert float(np.abs(audio[16000 + 1600 :]).max()) > 0.3


def test_sample_rate_and_max_seconds(cut_clip):
    audio = extract_audio(cut_clip, sample_rate=8000, max_seconds=1.5)
    assert audio is not None
    assert audio.size == 12000
    assert _peak_hz(audio[2000:], 8000) == pytest.approx(440.0, abs=5.0)


def test_opus_in_webm(tmp_path):
    if not (has_encoder("libvpx-vp9") and has_encoder("libopus")):
        pytest.skip("no VP9/Opus encoders in this PyAV build")
    size = (64, 48)
    path = write_video(
        tmp_path / "tone.webm", [Segment(2.0, solid((0, 200, 0), size))], size=size, codec="libvpx-vp9",
        container_format="webm", audio_tone=1000.0,
    )
    audio = extract_audio(path)
    assert audio is not None and audio.size == pytest.approx(32000, abs=1600)
    assert _peak_hz(audio[4000:28000], 16000) == pytest.approx(1000.0, abs=5.0)


def test_vorbis_fixture(fixture_video):
    audio = extract_audio(fixture_video("moviepy_big_buck_bunny_432_433.webm"))
    assert audio is not None
    assert audio.size == pytest.approx(16000, abs=400)
    assert float(np.abs(audio).max()) > 0.05


def test_silent_track_is_silence_not_none(fixture_video):
    audio = extract_audio(fixture_video("ffmpeg-python_in.mp4"))
    assert audio is not None
    assert audio.size == pytest.approx(7.0 * 16000, abs=0.1 * 16000)
    assert float(np.abs(audio).max()) < 1e-3


def test_moviepy_failing_audio_fixture_never_raises(fixture_video):
    """moviepy's ffmpeg reader failed on this file's MP3 track; PyAV decodes it, and either way nothing raises."""
    audio = extract_audio(fixture_video("moviepy_video_with_failing_audio.mp4"))
    assert audio is not None
    assert audio.size == pytest.approx(11.2 * 16000, abs=0.2 * 16000)
    assert float(np.abs(audio).max()) > 0.01


def test_video_without_audio_gives_none(tmp_path):
    path = write_video(tmp_path / "mute.mp4", [Segment(1.0, solid((0, 0, 200), (64, 48)))], size=(64, 48))
    assert extract_audio(path) is None
    result = analyze(path, audio=True)
    assert result.audio is None and result.warnings == []


def test_audio_that_fails_to_decode_gives_none_and_a_warning(tmp_path, caplog):
    path = write_garbage_audio(tmp_path / "broken_audio.mp4")
    with caplog.at_level(logging.WARNING, logger="vidrec.media.audio"):
        assert extract_audio(path) is None
    assert "audio stream failed to decode" in caplog.text
    assert "broken_audio.mp4" in caplog.text
    # the pictures are still analysed, and analyze reports the audio failure among its warnings
    result = analyze(path, audio=True)
    assert result.frames and result.audio is None
    assert any(w.startswith("audio stream failed to decode") for w in result.warnings)


def test_analyze_can_return_the_audio(cut_clip):
    result = analyze(cut_clip, audio=True)
    assert result.audio is not None and result.audio_sample_rate == 16000
    assert result.audio.size == pytest.approx(64000, abs=1600)
    assert analyze(cut_clip).audio is None  # not decoded unless asked


def test_audio_of_a_bad_path_is_a_media_error(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        extract_audio(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        extract_audio(empty)
