from __future__ import annotations

import logging

import numpy as np
import pytest
from clips import Segment, has_decoder, has_encoder, photo, solid, write_video

from vidrec.errors import MediaError
from vidrec.media import Frame, MediaAnalysis, analyze, decode
from vidrec.media.probe import open_video

RED, BLUE = (200, 30, 30), (30, 40, 200)


def _dominant(image: np.ndarray) -> str:
    r, g, b = image.reshape(-1, 3).mean(axis=0)
    return "red" if r > b + 50 else "blue" if b > r + 50 else "other"


def test_frames_are_sampled_on_a_time_grid(cut_clip):
    result = analyze(cut_clip)
    assert isinstance(result, MediaAnalysis)
    times = [f.time for f in result.frames]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], abs=0.01)
    for f in result.frames:
        assert isinstance(f, Frame)
        assert f.image.dtype == np.uint8 and f.image.shape == (96, 160, 3)
        assert f.image.flags["C_CONTIGUOUS"]
    colours = [_dominant(f.image) for f in result.frames]
    assert colours == ["red"] * 4 + ["blue"] * 4
    assert result.analysed_seconds == pytest.approx(4.0, abs=0.15)
    assert result.warnings == []


def test_sample_fps_controls_the_number_of_frames(cut_clip):
    assert len(analyze(cut_clip, sample_fps=1.0).frames) == 4
    assert len(analyze(cut_clip, sample_fps=5.0).frames) == 20
    # asking for more than the video has gives every frame once
    assert len(analyze(cut_clip, sample_fps=50.0).frames) == 40


def test_frames_are_downscaled_to_max_side(fixture_video):
    result = analyze(fixture_video("moviepy_smpte-2997.mp4"), max_side=480)
    assert result.info.width == 1920
    assert {f.image.shape for f in result.frames} == {(270, 480, 3)}
    assert len(result.frames) == pytest.approx(20, abs=1)
    small = analyze(fixture_video("moviepy_smpte-2997.mp4"), max_side=200, max_seconds=2.0)
    assert {f.image.shape for f in small.frames} == {(112, 200, 3)}


def test_small_video_is_not_upscaled(fixture_video):
    result = analyze(fixture_video("ffmpeg-python_in.mp4"), max_side=480)
    assert {f.image.shape for f in result.frames} == {(240, 320, 3)}


def test_vp8_webm_fixture(fixture_video):
    result = analyze(fixture_video("moviepy_big_buck_bunny_432_433.webm"))
    assert [f.time for f in result.frames] == pytest.approx([0.0, 0.5], abs=0.05)
    assert result.frames[0].image.shape == (270, 480, 3)
    assert result.frames[0].image.std() > 10  # real picture, not a blank buffer


def test_uhd_video_is_decoded_small(tmp_path):
    pic = np.repeat(np.repeat(photo((480, 270)), 8, axis=0), 8, axis=1)  # 3840x2160
    path = write_video(tmp_path / "uhd.mp4", [Segment(1.0, lambda t: pic)], size=(3840, 2160), fps=2)
    result = analyze(path)
    assert (result.info.width, result.info.height) == (3840, 2160)
    assert {f.image.shape for f in result.frames} == {(270, 480, 3)}
    # the downscaled frame still looks like the picture
    expected = pic[::8, ::8].astype(np.float32)
    assert np.abs(result.frames[0].image.astype(np.float32) - expected).mean() < 25


def test_rotation_metadata_turns_frames_upright(tmp_path):
    w, h = 160, 96
    coded = np.zeros((h, w, 3), np.uint8)
    coded[:24, :40] = (255, 255, 255)  # marker in the top-left corner of the stored picture
    path = write_video(tmp_path / "rotated.mp4", [Segment(1.0, lambda t: coded)], rotation=-90)
    result = analyze(path)
    assert result.info.rotation == -90
    assert (result.info.width, result.info.height) == (96, 160)
    img = result.frames[0].image
    assert img.shape == (160, 96, 3)
    # a player turns it 90 degrees clockwise: the marker ends up top-right
    assert img[:30, -20:].mean() > 200
    assert img[:30, :20].mean() < 50


CODECS = [
    ("libvpx-vp9", "vp9", "webm", ".webm"),
    ("libx265", "hevc", "mp4", ".mp4"),
    ("libsvtav1", "av1", "mp4", ".mp4"),
]


@pytest.mark.parametrize("encoder,decoder,fmt,ext", CODECS, ids=[c[1] for c in CODECS])
def test_other_codecs(tmp_path, encoder, decoder, fmt, ext):
    if not has_encoder(encoder):
        pytest.skip(f"this PyAV build has no {encoder} encoder to make the clip")
    if not (has_decoder(decoder) or (decoder == "av1" and has_decoder("libdav1d"))):
        pytest.skip(f"this PyAV build cannot decode {decoder}")
    size = (160, 96)
    path = write_video(
        tmp_path / f"clip{ext}",
        [Segment(1.5, solid(RED, size, seed=3)), Segment(1.5, solid(BLUE, size, seed=4))],
        size=size,
        codec=encoder,
        container_format=fmt,
    )
    result = analyze(path)
    assert result.info.video_codec in (decoder, "libdav1d")
    colours = [_dominant(f.image) for f in result.frames]
    assert colours == ["red"] * 3 + ["blue"] * 3
    assert len(result.shots) == 2


def test_video_longer_than_max_seconds_is_capped(tmp_path):
    size = (64, 48)
    path = write_video(
        tmp_path / "long.mp4",
        [Segment(3.0, solid(RED, size)), Segment(3.0, solid(BLUE, size))],
        size=size,
        fps=5,
    )
    result = analyze(path, max_seconds=2.0)
    assert max(f.time for f in result.frames) <= 2.0
    assert len(result.frames) >= 4
    assert any("longer than 2 s" in w and "first 2 s" in w for w in result.warnings)
    assert result.shots[-1].end == pytest.approx(2.0)
    assert result.info.duration == pytest.approx(6.0, abs=0.3)


def test_truncated_mp4_keeps_what_decodes(tmp_path):
    size = (160, 96)
    src = write_video(
        tmp_path / "full.mp4",
        [Segment(2.0, solid(RED, size)), Segment(2.0, solid(BLUE, size))],
        size=size,
        faststart=True,  # index first, as in web-ready files; the cut removes the second half of the pictures
    )
    cut = tmp_path / "cut.mp4"
    data = src.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.55)])
    result = analyze(cut)
    assert result.frames, "the first half must decode"
    last = result.frames[-1].time
    assert 0.5 <= last < 3.5
    assert any(w.startswith("truncated: decoded up to") for w in result.warnings), result.warnings
    assert result.shots[-1].end <= last + 0.5


def test_truncated_webm(tmp_path):
    if not has_encoder("libvpx-vp9"):
        pytest.skip("no VP9 encoder in this PyAV build")
    size = (160, 96)
    src = write_video(
        tmp_path / "full.webm",
        [Segment(2.0, solid(RED, size)), Segment(2.0, solid(BLUE, size))],
        size=size,
        codec="libvpx-vp9",
        container_format="webm",
    )
    cut = tmp_path / "cut.webm"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    result = analyze(cut)
    assert result.frames and result.frames[-1].time < 3.5
    assert any(w.startswith("truncated") for w in result.warnings), result.warnings


def test_short_webm_fixture_cut_in_half_still_decodes(fixture_video, tmp_path):
    data = fixture_video("moviepy_big_buck_bunny_432_433.webm").read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) // 2])
    assert analyze(cut).frames


def test_corrupt_bytes_in_the_middle_do_not_stop_the_decode(tmp_path):
    size = (160, 96)
    src = write_video(tmp_path / "ok.mp4", [Segment(4.0, solid(RED, size))], size=size, faststart=True)
    data = bytearray(src.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 2000] = np.random.default_rng(5).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    result = analyze(bad)
    assert result.frames[0].time == 0.0
    assert len(result.frames) >= 4


def test_nothing_decodes_is_an_error(tmp_path):
    size = (160, 96)
    src = write_video(tmp_path / "ok.mp4", [Segment(1.0, solid(RED, size))], size=size, faststart=True)
    data = src.read_bytes()
    # keep the header and index, drop every picture
    cut = tmp_path / "header_only.mp4"
    cut.write_bytes(data[: data.index(b"mdat") + 8])
    with pytest.raises(MediaError, match="header_only.mp4"):
        analyze(cut)


def test_audio_only_file_is_an_error_in_analyze(tmp_path):
    from clips import write_audio_only

    p = write_audio_only(tmp_path / "song.mp4")
    with pytest.raises(MediaError, match="no video stream"):
        analyze(p)


def test_decoder_stops_skipping_when_it_starves_the_sampler(tmp_path, monkeypatch, caplog):
    """If skipping frames leaves long gaps (here forced with key-frames-only), decoding falls back to every frame."""
    size = (64, 48)
    path = write_video(
        tmp_path / "gop.mp4",
        [Segment(6.0, solid(RED, size))],
        size=size,
        fps=10,
        options={"g": "20", "keyint_min": "20", "sc_threshold": "0", "bf": "0"},  # a key frame every 2 s
    )
    monkeypatch.setattr(decode, "SKIP_MODE", "NONKEY")
    caplog.set_level(logging.INFO, logger="vidrec.media.decode")
    with open_video(path) as container:
        result = decode.sample_frames(path, container, sample_fps=2.0)
    times = [f.time for f in result.frames]
    # key frames alone would give 0, 2, 4; after the switch (from the next key frame on) every grid point is hit
    assert len(times) >= 8, times
    assert times[-1] == pytest.approx(5.5, abs=0.11)
    assert "decoding every frame" in caplog.text


def test_skipping_non_reference_frames_keeps_every_grid_point(fixture_video, monkeypatch):
    path = fixture_video("moviepy_smpte-2997.mp4")
    with open_video(path) as container:
        skipped = decode.sample_frames(path, container, sample_fps=2.0)
    monkeypatch.setattr(decode, "SKIP_MODE", "DEFAULT")
    with open_video(path) as container:
        full = decode.sample_frames(path, container, sample_fps=2.0)
    assert skipped.decoded < full.decoded  # B-frames were not decoded...
    assert len(skipped.frames) == len(full.frames)  # ...yet every grid point got a frame
    gaps = np.diff([f.time for f in skipped.frames])
    assert gaps.max() <= 0.5 + 3 / 25


def test_bad_arguments(cut_clip):
    with pytest.raises(ValueError):
        analyze(cut_clip, sample_fps=0)
    with pytest.raises(ValueError):
        analyze(cut_clip, max_seconds=0)
