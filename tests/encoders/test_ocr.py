"""On-screen text with rapidocr's bundled PP-OCR models."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from vidrec.encoders.ocr import Line, TextReader, default_text_reader

from .conftest import CJK_FONT

PRICE_LINE = "只要199元 ¥199 now only 199"


def caption_frame(width: int = 1280, height: int = 720) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A video-like frame: coloured background, a 'product', a title and a price caption; returns the frame and
    the price caption's pixel box."""
    if not CJK_FONT.exists():
        pytest.skip(f"CJK font {CJK_FONT} not installed")
    im = Image.new("RGB", (width, height), (40, 60, 90))
    draw = ImageDraw.Draw(im)
    draw.ellipse([width * 0.55, height * 0.15, width * 0.85, height * 0.7], fill=(200, 50, 50))
    draw.text((60, 50), "纯棉连衣裙 Cotton Dress", font=ImageFont.truetype(str(CJK_FONT), 40), fill=(255, 255, 0))
    font = ImageFont.truetype(str(CJK_FONT), 52)
    box = draw.textbbox((60, height - 130), PRICE_LINE, font=font)
    draw.text((60, height - 130), PRICE_LINE, font=font, fill=(255, 255, 255))
    return np.asarray(im), box


def test_line_bounds():
    line = Line("x", ((1, 2), (10, 2), (10, 8), (1, 8)), 0.9)
    assert line.bounds == (1, 2, 10, 8)


@pytest.mark.slow
def test_reads_chinese_english_and_price_with_boxes_in_frame_pixels():
    frame, (left, top, right, bottom) = caption_frame()
    lines = default_text_reader().read(frame)
    texts = [line.text for line in lines]
    joined = " ".join(texts)
    assert "只要199元" in joined and "¥199" in joined and "now only 199" in joined, texts
    assert "连衣裙" in joined and "Cotton Dress" in joined, texts
    assert texts.index(next(t for t in texts if "连衣裙" in t)) < texts.index(next(t for t in texts if "199" in t))
    price = next(line for line in lines if "199" in line.text)
    x0, y0, x1, y1 = price.bounds  # the frame was downscaled for OCR; boxes are back in its own pixels
    assert abs(x0 - left) < 25 and abs(y0 - top) < 25 and abs(x1 - right) < 40 and abs(y1 - bottom) < 25
    assert all(0.7 <= line.score <= 1.0 for line in lines)


@pytest.mark.slow
def test_small_frames_and_portrait_frames():
    frame, _ = caption_frame(640, 360)
    assert any("199" in line.text for line in TextReader(max_side=640).read(frame))
    portrait, _ = caption_frame(720, 1280)
    assert any("199" in line.text for line in default_text_reader().read(portrait))


@pytest.mark.slow
def test_frames_without_text_give_nothing():
    reader = default_text_reader()
    assert reader.read(np.full((720, 1280, 3), 128, np.uint8)) == []
    gradient = np.tile(np.linspace(0, 255, 1280, dtype=np.uint8)[None, :, None], (720, 1, 3))
    assert reader.read(gradient) == []
    assert reader.read(np.zeros((4, 4, 3), np.uint8)) == []


@pytest.mark.slow
def test_the_text_gate_passes_frames_with_text_and_stops_plain_ones():
    reader = default_text_reader()
    frame, _ = caption_frame(854, 480)  # the size the ingest decodes frames at
    assert reader.may_hold_text(frame)
    # a small brand word, as on a product (the gate's threshold was set so that such a logo is not lost)
    im = Image.new("RGB", (854, 480), (235, 235, 235))
    draw = ImageDraw.Draw(im)
    draw.rectangle([300, 120, 560, 420], fill=(30, 60, 160))
    draw.text((395, 250), "FILA", font=ImageFont.truetype(str(CJK_FONT), 22), fill=(255, 255, 255))
    logo = np.asarray(im)
    assert any("FILA" in line.text for line in reader.read(logo))
    assert reader.may_hold_text(logo)
    assert not reader.may_hold_text(np.full((480, 854, 3), 128, np.uint8))
    gradient = np.tile(np.linspace(0, 255, 854, dtype=np.uint8)[None, :, None], (480, 1, 3))
    assert not reader.may_hold_text(gradient)
    assert not reader.may_hold_text(np.zeros((4, 4, 3), np.uint8))


@pytest.mark.slow
def test_the_gate_leaves_the_full_reader_as_it_was():
    reader = TextReader()
    frame, _ = caption_frame(854, 480)
    before = reader.read(frame)
    kept = reader._load()._load_det_model().postprocess_op.box_thresh
    assert reader.may_hold_text(frame)
    assert reader._load()._load_det_model().postprocess_op.box_thresh == kept
    assert reader.read(frame) == before
