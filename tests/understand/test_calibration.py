"""Calibrated probabilities on inferred categories and colours, and the "unsure" mark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidrec.catalog import Item
from vidrec.errors import ConfigError
from vidrec.understand.attributes import Observations, infer_attributes
from vidrec.understand.calibration import (
    UNSURE_BELOW,
    Calibration,
    PlattCurve,
    default_calibration,
    evidence_group,
    is_unsure,
)
from vidrec.understand.profile import Attribute, Evidence, ScreenText, TranscriptLine
from vidrec.vocabulary import Taxonomy


def test_platt_fit_recovers_a_known_curve():
    rng = np.random.default_rng(3)
    raw = rng.uniform(0.03, 0.97, 4000)
    true_p = 1 / (1 + np.exp(-(1.7 * np.log(raw / (1 - raw)) - 0.8)))
    correct = rng.uniform(size=raw.size) < true_p
    curve = PlattCurve.fit(raw, correct)
    assert curve.a == pytest.approx(1.7, abs=0.15) and curve.b == pytest.approx(-0.8, abs=0.15)
    assert curve.n == 4000


def test_platt_fit_stays_finite_on_one_class_data():
    curve = PlattCurve.fit([0.9, 0.95, 0.99], [True, True, True])
    assert np.isfinite(curve.a) and np.isfinite(curve.b) and 0.5 < curve(0.95) < 1.0


def test_the_shipped_calibration_covers_both_attributes_and_rises_with_confidence():
    cal = default_calibration()
    for name in ("category", "color"):
        for group in ("named", "visual"):
            curve = cal.curves[name][group]
            assert curve.n >= 20, (name, group)  # fitted on real examples, not set by hand
            assert curve.a > 0 and curve(0.9) > curve(0.3), (name, group)
    assert "tune" in cal.fitted_on


def _visual(value: str, confidence: float) -> Attribute:
    return Attribute(value=value, confidence=confidence, source="visual",
                     evidence=[Evidence(modality="visual", text=f"looks like {value}")])


def test_unsure_is_a_calibrated_probability_below_one_half():
    cal = Calibration({"category": {"visual": PlattCurve(1.0, 0.0), "named": PlattCurve(1.0, 2.0)}})
    low = cal.apply("category", _visual("Heels", 0.3))
    high = cal.apply("category", _visual("Heels", 0.8))
    assert low.probability == pytest.approx(0.3, abs=1e-3) and low.unsure
    assert high.probability == pytest.approx(0.8, abs=1e-3) and not high.unsure
    named = Attribute(value="Heels", confidence=0.3, source="ocr", evidence=[Evidence(modality="ocr", text="heels")])
    assert evidence_group(named) == "named" and not cal.apply("category", named).unsure  # sigmoid(logit .3 + 2)
    meta = Attribute(value="Heels", confidence=1.0, source="metadata")
    assert cal.apply("category", meta).probability is None and not cal.apply("category", meta).unsure
    assert UNSURE_BELOW == 0.5


def test_profiles_stored_before_calibration_fall_back_on_their_raw_confidence():
    old = _visual("Heels", 0.4)
    assert old.probability is None
    assert is_unsure(old, 0.6) and not is_unsure(old, 0.3)
    assert not is_unsure(Attribute(value="Heels", confidence=0.1, source="metadata"), 0.6)
    assert not is_unsure(None, 0.6)
    # unsure with no probability (pictures outside the calibrated range) is unsure whatever its raw confidence
    assert is_unsure(_visual("Heels", 0.97).model_copy(update={"unsure": True}), 0.6)


def test_a_bad_calibration_file_is_a_clear_error():
    with pytest.raises(ConfigError, match="not a calibration file"):
        Calibration.from_json({"curves": {"category": {"named": {"a": "x"}}}})


def test_inferred_attributes_carry_probabilities(tmp_path):
    path = tmp_path / "categories.txt"
    path.write_text("Heels\nSports Shoes\nTshirts\n", encoding="utf-8")
    taxonomy = Taxonomy.from_file(path)
    item = Item(id="x", video=tmp_path / "x.mp4")
    # a real product display name (Myntra) on screen and in speech: named twice, and the pixels agree
    named = Observations(item=item, ocr=[ScreenText(start=5, end=7, text="Catwalk Women Lifestyle Black Heels")],
                         transcript=[TranscriptLine(start=1, end=3, text="Catwalk women lifestyle black heels", lang="en")],
                         visual_category=[("Heels", 0.6), ("Sports Shoes", 0.3)],
                         visual_colours=[("Black", 0.7)])
    attrs = infer_attributes(named, taxonomy)
    assert attrs["category"].value == "Heels" and not attrs["category"].unsure
    assert attrs["category"].probability > 0.8
    assert attrs["color"].probability is not None and attrs["colors"].probability == attrs["color"].probability
    # pixels alone, and they hesitate: a calibrated guess that is more likely wrong than right
    silent = Observations(item=item, visual_category=[("Heels", 0.22), ("Sports Shoes", 0.2), ("Tshirts", 0.19)])
    cat = infer_attributes(silent, taxonomy)["category"]
    assert cat.source == "visual" and cat.unsure and cat.probability < UNSURE_BELOW


def test_pictures_outside_the_calibrated_range_leave_pixel_guesses_unsure():
    from PIL import Image

    from vidrec.understand.calibration import PictureRange, picture_quality

    photo = np.asarray(Image.open(Path(__file__).resolve().parents[1] / "fixtures" / "images" / "cc0-tshirt.jpg")
                       .convert("RGB"))
    normal = picture_quality([photo])
    dark = picture_quality([(photo * 0.05).astype(np.uint8)])
    flat = picture_quality([np.full_like(photo, 128)])
    assert dark["lightness"] < 5 < normal["lightness"] and flat["contrast"] == pytest.approx(0, abs=0.01)
    cal = Calibration({"category": {"visual": PlattCurve(1.0, 3.0), "named": PlattCurve(1.0, 3.0)}},
                      pictures=PictureRange(min_lightness=40, max_lightness=95, min_contrast=8))
    assert cal.pictures.problem(normal) is None
    assert "dark" in cal.pictures.problem(dark) and "flat" in cal.pictures.problem(flat)
    guess = cal.apply("category", _visual("Tshirts", 0.6), dark)
    assert guess.unsure and guess.probability is None
    assert not cal.apply("category", _visual("Tshirts", 0.6), normal).unsure
    named = Attribute(value="Tshirts", confidence=0.6, source="ocr", evidence=[Evidence(modality="ocr", text="tee")])
    assert not cal.apply("category", named, dark).unsure  # a caption is read, not seen: darkness does not matter
    assert default_calibration().pictures is not None  # the shipped file carries the range it was fitted on
