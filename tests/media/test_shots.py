from __future__ import annotations

import numpy as np
import pytest
from clips import SHARED_MICROLENS, Segment, photo, slow_zoom, solid, write_video
from PIL import Image, ImageDraw

from tools.compose import compose_product_video
from vidrec.media import Frame, Shot, analyze
from vidrec.media.shots import detect_shots

SIZE = (160, 96)


def _frames(painters: list[tuple[float, object]], fps: float = 2.0) -> list[Frame]:
    """Sampled frames straight from painters (no encoding): [(seconds, paint), ...] at `fps`."""
    frames: list[Frame] = []
    t0 = 0.0
    for seconds, paint in painters:
        for k in range(round(seconds * fps)):
            frames.append(Frame(time=t0 + k / fps, image=paint(k / fps)))
        t0 += seconds
    return frames


def _check_tiling(shots: list[Shot], end: float) -> None:
    assert shots[0].start == 0.0
    assert shots[-1].end == pytest.approx(end)
    for a, b in zip(shots, shots[1:], strict=False):
        assert a.end == b.start
    for k, s in enumerate(shots):
        assert s.index == k
        assert s.start <= s.keyframe_time <= s.end
        assert s.keyframe.dtype == np.uint8 and s.keyframe.ndim == 3


def test_hard_cut_gives_two_shots(cut_clip):
    result = analyze(cut_clip)
    assert len(result.shots) == 2
    _check_tiling(result.shots, result.analysed_seconds)
    assert result.shots[1].start == pytest.approx(2.0, abs=0.3)
    red, blue = (s.keyframe.reshape(-1, 3).mean(axis=0) for s in result.shots)
    assert red[0] > red[2] + 100 and blue[2] > blue[0] + 100


def test_slow_zoom_on_one_photo_is_one_shot():
    pic = photo(SIZE, seed=7)
    frames = _frames([(8.0, slow_zoom(pic, 8.0, zoom=1.4))])
    shots, _ = detect_shots(frames, end=8.0)
    assert len(shots) == 1
    _check_tiling(shots, 8.0)


def test_zoom_then_cut_to_another_photo():
    a, b = photo(SIZE, seed=1), photo(SIZE, seed=2)
    frames = _frames([(4.0, slow_zoom(a, 4.0)), (4.0, slow_zoom(b, 4.0))])
    shots, _ = detect_shots(frames, end=8.0)
    assert [round(s.start, 2) for s in shots] == [0.0, 3.75]


def test_encoded_zoom_is_one_shot(tmp_path):
    pic = photo(SIZE, seed=3)
    path = write_video(tmp_path / "zoom.mp4", [Segment(6.0, slow_zoom(pic, 6.0, zoom=1.3))], size=SIZE, fps=10)
    assert len(analyze(path).shots) == 1


def test_flash_frame_is_not_a_cut():
    red = solid((200, 30, 30), SIZE, seed=1)
    white = solid((255, 255, 255), SIZE, noise=0)
    frames = _frames([(2.0, red), (0.5, white), (2.0, red)])
    shots, _ = detect_shots(frames, end=4.5)
    assert len(shots) == 1


def test_fade_to_black_is_not_a_cut():
    pic = photo(SIZE, seed=4).astype(np.float32)

    def fade(t: float) -> np.ndarray:
        level = 1.0 if t < 2.0 else max(0.0, 1.0 - (t - 2.0) / 3.0)
        return (pic * level).astype(np.uint8)

    frames = _frames([(6.0, fade)])
    shots, _ = detect_shots(frames, end=6.0)
    assert len(shots) == 1
    assert shots[0].keyframe.mean() > 0.8 * pic.mean()  # the keyframe is a visible picture, not black


def test_black_gap_between_scenes_is_folded_into_a_shot():
    red = solid((200, 30, 30), SIZE, seed=1)
    black = solid((0, 0, 0), SIZE, noise=0)
    blue = solid((30, 40, 200), SIZE, seed=2)
    frames = _frames([(3.0, red), (1.5, black), (3.0, blue)])
    shots, _ = detect_shots(frames, end=7.5)
    assert len(shots) == 2
    assert all(s.keyframe.mean() > 40 for s in shots)


def test_many_cuts_are_merged_down_to_max_shots():
    colours = [(200, 30, 30), (30, 200, 30), (30, 40, 200), (220, 220, 40), (200, 40, 200), (40, 200, 200)]
    lengths = [1.0, 3.0, 1.0, 2.0, 1.0, 3.0]
    frames = _frames([(n, solid(c, SIZE, seed=i)) for i, (n, c) in enumerate(zip(lengths, colours, strict=True))])
    end = sum(lengths)
    shots, _ = detect_shots(frames, end=end, max_shots=40)
    assert len(shots) == 6
    merged, _ = detect_shots(frames, end=end, max_shots=3)
    assert len(merged) == 3
    _check_tiling(merged, end)
    # the cuts kept are cuts that were found, and the short shots were the ones folded away
    assert {s.start for s in merged} <= {s.start for s in shots}
    assert min(s.end - s.start for s in merged) >= 2.0


def test_keyframe_is_the_sharpest_frame():
    pic = photo(SIZE, seed=5)
    blurred = np.asarray(Image.fromarray(pic).resize((40, 24)).resize(SIZE))
    sharp_at = 2.5

    def paint(t: float) -> np.ndarray:
        return pic if abs(t - sharp_at) < 1e-6 else blurred

    frames = _frames([(5.0, paint)])
    shots, _ = detect_shots(frames, end=5.0)
    assert len(shots) == 1
    assert shots[0].keyframe_time == pytest.approx(sharp_at)


def _caption(text_seed: int | None) -> np.ndarray:
    """A flat product card; when text_seed is given, a caption of block 'glyphs' drawn from that seed."""
    im = Image.new("RGB", (320, 192), (240, 240, 235))
    d = ImageDraw.Draw(im)
    d.rectangle((110, 20, 210, 120), fill=(180, 60, 60))
    if text_seed is not None:
        rng = np.random.default_rng(text_seed)
        x = 40
        while x < 280:
            w = int(rng.integers(6, 16))
            for _ in range(3):
                yy = 140 + int(rng.integers(0, 30))
                d.rectangle((x, yy, x + w, yy + int(rng.integers(3, 10))), fill=(20, 20, 20))
            x += w + 6
    return np.asarray(im)


def test_ocr_frames_follow_text_changes_within_a_shot():
    first, second = _caption(1), _caption(2)
    frames = _frames([(3.0, lambda t: first), (3.0, lambda t: second)])
    shots, ocr = detect_shots(frames, end=6.0, ocr_frames_per_shot=2)
    assert len(shots) == 1  # same card, only the caption changes
    assert len(ocr) == 2
    times = sorted(f.time for f in ocr)
    assert times[0] < 3.0 <= times[1]


def test_static_shot_gives_one_ocr_frame_and_the_limit_holds():
    card = _caption(3)
    frames = _frames([(6.0, lambda t: card)])
    _, ocr = detect_shots(frames, end=6.0, ocr_frames_per_shot=3)
    assert len(ocr) == 1
    captions = [_caption(s) for s in range(6)]
    frames = _frames([(6.0, lambda t: captions[int(t)])])
    _, ocr = detect_shots(frames, end=6.0, ocr_frames_per_shot=2)
    assert len(ocr) == 2
    _, none = detect_shots(frames, end=6.0, ocr_frames_per_shot=0)
    assert none == []


def test_ocr_frames_are_in_time_order_and_come_from_the_frames(fixture_video):
    result = analyze(fixture_video("moviepy_video_with_failing_audio.mp4"))
    times = [f.time for f in result.ocr_frames]
    assert times == sorted(times)
    assert set(times) <= {f.time for f in result.frames}
    assert len(result.ocr_frames) <= 2 * len(result.shots)


def test_real_clip_cut_and_fade(fixture_video):
    """A plane in the sky, a hard cut to a field at 3.5 s, then a slow fade to dark that is not a cut."""
    result = analyze(fixture_video("moviepy_video_with_failing_audio.mp4"))
    assert len(result.shots) == 2
    assert 3.0 <= result.shots[1].start <= 3.8


def test_one_scene_fixture_is_one_shot(fixture_video):
    assert len(analyze(fixture_video("moviepy_smpte-2997.mp4")).shots) == 1


def test_empty_and_single_frame():
    assert detect_shots([]) == ([], [])
    one = [Frame(time=0.0, image=photo(SIZE))]
    shots, ocr = detect_shots(one, end=0.5)
    assert len(shots) == 1 and shots[0].end == 0.5 and len(ocr) == 1


def test_composed_product_video_shots(tmp_path):
    """The repo's own product-video builder (3 shots: zoom, close-up, card). Without a caption it needs no font
    and no voice, so every error it raises is a failure here."""
    pic = Image.fromarray(photo((320, 400), seed=9))
    built = compose_product_video(pic, tmp_path / "p.mp4", size=(192, 320), seconds=6.0, seed=3)
    result = analyze(built.path)
    starts = [s.start for s in result.shots]
    truth = [s.start for s in built.shots]
    assert len(starts) == len(truth)
    assert starts == pytest.approx(truth, abs=0.5)


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MICROLENS.is_dir(), reason="MicroLens clips not present (../shared/data)")
def test_microlens_hevc_clip_with_many_cuts():
    result = analyze(SHARED_MICROLENS / "10040.mp4")
    assert result.info.video_codec == "hevc"
    assert result.warnings == []
    assert 8 <= len(result.shots) <= 14  # 10 clear cuts by eye at 2 fps
