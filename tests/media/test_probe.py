from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from clips import Segment, photo, solid, write_audio_only, write_video
from PIL import Image

from vidrec.errors import MediaError
from vidrec.media import VideoInfo, probe


def test_probe_h264_with_silent_aac(fixture_video):
    info = probe(fixture_video("ffmpeg-python_in.mp4"))
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (320, 240)
    assert info.video_codec == "h264"
    assert info.has_audio and info.audio_codec == "aac"
    assert info.duration == pytest.approx(7.0, abs=0.1)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.rotation == 0
    assert info.size_bytes == os.path.getsize(fixture_video("ffmpeg-python_in.mp4"))
    assert info.path.endswith("ffmpeg-python_in.mp4")


def test_probe_vp8_webm(fixture_video):
    info = probe(fixture_video("moviepy_big_buck_bunny_432_433.webm"))
    assert (info.width, info.height, info.video_codec) == (1280, 720, "vp8")
    assert info.audio_codec == "vorbis"
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert "webm" in info.container


def test_probe_full_hd_and_mp3_in_mp4(fixture_video):
    hd = probe(fixture_video("moviepy_smpte-2997.mp4"))
    assert (hd.width, hd.height) == (1920, 1080)
    info = probe(fixture_video("moviepy_video_with_failing_audio.mp4"))
    assert info.audio_codec and info.audio_codec.startswith("mp3")
    assert info.duration == pytest.approx(11.2, abs=0.1)


def test_probe_video_without_audio(tmp_path):
    path = write_video(tmp_path / "mute.mp4", [Segment(1.0, solid((10, 200, 10), (160, 96)))])
    info = probe(path)
    assert not info.has_audio and info.audio_codec is None
    assert info.duration == pytest.approx(1.0, abs=0.15)
    assert info.fps == pytest.approx(10.0)


def test_probe_reports_display_size_of_rotated_video(tmp_path):
    pic = photo((160, 96))
    path = write_video(tmp_path / "portrait.mp4", [Segment(1.0, lambda t: pic)], rotation=-90)
    info = probe(path)
    assert info.rotation == -90
    assert (info.width, info.height) == (96, 160)


# --- bad input: every failure is a MediaError that names the file -------------------------------------------------


def _raises_naming(path: Path, *words: str) -> str:
    with pytest.raises(MediaError) as exc:
        probe(path)
    msg = str(exc.value)
    assert str(path.name) in msg, msg
    for w in words:
        assert w in msg.lower(), msg
    return msg


def test_missing_file(tmp_path):
    _raises_naming(tmp_path / "nope.mp4", "no such file")


def test_directory(tmp_path):
    d = tmp_path / "folder.mp4"
    d.mkdir()
    _raises_naming(d, "directory")


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    _raises_naming(p, "empty")


def test_random_bytes(tmp_path):
    p = tmp_path / "noise.mp4"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    _raises_naming(p, "not a readable video")


def test_text_renamed_mp4(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is a shopping list, not a video\n" * 20)
    _raises_naming(p, "not a")


def test_text_file_that_ffmpeg_opens_as_tty(tmp_path):
    p = tmp_path / "readme.txt"
    p.write_text("FFmpeg would show this text as an 'ansi' video\n" * 5)
    _raises_naming(p, "not a video")


def test_jpeg_renamed_mp4(tmp_path):
    p = tmp_path / "photo.mp4"
    Image.fromarray(photo((120, 80))).save(p, format="JPEG")
    _raises_naming(p, "still image")


def test_audio_only_file(tmp_path):
    p = write_audio_only(tmp_path / "voice.m4a")
    _raises_naming(p, "no video stream", "audio-only")


def test_corrupt_header(tmp_path):
    src = write_video(tmp_path / "ok.mp4", [Segment(1.0, solid((0, 0, 255), (160, 96)))], faststart=True)
    data = bytearray(src.read_bytes())
    data[:256] = np.random.default_rng(1).integers(0, 256, 256, dtype=np.uint8).tobytes()
    p = tmp_path / "bad_header.mp4"
    p.write_bytes(bytes(data))
    _raises_naming(p)


def test_mp4_cut_off_before_its_index(tmp_path):
    src = write_video(tmp_path / "ok.mp4", [Segment(2.0, solid((0, 0, 255), (160, 96)))])  # index at the end
    p = tmp_path / "cut.mp4"
    p.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    _raises_naming(p, "cut off")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path, fixture_video, copy_of):
    p = copy_of(fixture_video("ffmpeg-python_in.mp4"), "locked.mp4")
    p.chmod(0)
    try:
        _raises_naming(p, "permission denied")
    finally:
        p.chmod(0o644)


def test_unreadable_file_message(monkeypatch, tmp_path, fixture_video, copy_of):
    """Same check without needing a non-root user: the path is reported unreadable by the OS."""
    p = copy_of(fixture_video("ffmpeg-python_in.mp4"), "locked.mp4")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == p else real_access(path, mode))
    _raises_naming(p, "permission denied", "chmod")
