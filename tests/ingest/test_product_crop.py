"""The image features look at the product, not the frame (issue 15 §3): each keyframe is cut to the box around what
the colour namer keeps (background, caption strips, skin removed) before the image model sees it.

Real video files are made here with the repo's video tool (tools/compose.py) from the CC0 test photos
(tests/fixtures/images), decoded with vidrec's own media path, and the crops are checked against the photo itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools.compose import compose_product_video
from vidrec.config import IngestSettings
from vidrec.encoders.image import default_image_encoder
from vidrec.encoders.vectors import l2_normalise
from vidrec.media import analyze
from vidrec.understand.colour import default_namer, product_crops

IMAGES = Path(__file__).resolve().parents[1] / "fixtures" / "images"


def _photo(name: str) -> Image.Image:
    return Image.open(IMAGES / f"cc0-{name}.jpg").convert("RGB")


def _keyframes(path: Path) -> list[np.ndarray]:
    s = IngestSettings()
    media = analyze(path, max_seconds=s.max_seconds, sample_fps=s.sample_fps, max_side=s.max_side,
                    max_shots=s.max_shots, audio=False, threads=1)
    return [shot.keyframe for shot in media.shots]


@pytest.fixture(scope="module")
def card_video(tmp_path_factory):
    """A video whose only shot is a dark card with the shoe photo small in it and a caption under it."""
    root = tmp_path_factory.mktemp("crop")
    made = compose_product_video(_photo("shoe"), root / "card.mp4", size=(256, 448), seconds=3.0,
                                 shots=("card",), caption="Trainers for the weekend", seed=3)
    frames = _keyframes(made.path)
    assert frames, "the composed video decoded to no keyframe"
    return frames[0]


def test_card_crop_is_the_small_photo_not_the_card(card_video):
    frame = card_video
    box = default_namer().product_box(frame)
    assert box is not None
    top, bottom, left, right = box
    h, w = frame.shape[:2]
    share = (bottom - top) * (right - left) / (h * w)
    assert share < 0.35, f"the crop keeps {share:.0%} of the card frame"
    # the caption strip under the photo is left out: the box ends above the frame's lower third
    assert bottom < 0.75 * h


def test_crop_looks_more_like_the_photo_than_the_whole_frame(card_video):
    """What the crop is for: the image model sees the product as in its own photo, not a card around it."""
    enc = default_image_encoder()
    photo = np.asarray(_photo("shoe"))
    crop = product_crops([card_video])[0]
    f = l2_normalise(enc.encode([photo, card_video, crop]).features)
    whole, cropped = float(f[0] @ f[1]), float(f[0] @ f[2])
    assert cropped > whole + 0.05, f"cosine to the photo: whole card frame {whole:.3f}, crop {cropped:.3f}"


@pytest.mark.parametrize("name", ["tshirt", "pants"])
def test_zoom_shot_crop_keeps_the_product(tmp_path, name):
    """A product photo filling the frame: the crop stays (nearly) the whole product, never a sliver of it."""
    made = compose_product_video(_photo(name), tmp_path / f"{name}.mp4", size=(256, 448), seconds=2.0,
                                 shots=("zoom",), seed=1)
    frame = _keyframes(made.path)[0]
    crop = product_crops([frame])[0]
    assert crop.shape[0] >= 0.4 * frame.shape[0] and crop.shape[1] >= 0.4 * frame.shape[1]


def test_blank_and_tiny_pictures_are_not_cropped():
    grey = np.full((120, 90, 3), 128, np.uint8)
    assert default_namer().product_box(grey) is None
    assert product_crops([grey])[0].shape == grey.shape
    speck = np.full((200, 200, 3), 250, np.uint8)
    speck[100:102, 100:102] = (200, 0, 0)  # 4 pixels: no product the image model could look at
    assert default_namer().product_box(speck) is None


def test_crops_accept_grey_and_rgba():
    grey = np.full((64, 64), 255, np.uint8)
    grey[16:48, 20:44] = 30
    rgba = np.dstack([np.repeat(grey[:, :, None], 3, axis=2), np.full((64, 64), 255, np.uint8)])
    a, b = product_crops([grey, rgba])
    assert a.ndim == 3 and a.shape[2] == 3 and a.shape == b.shape
    assert a.shape[0] < 64 and a.shape[1] < 64
