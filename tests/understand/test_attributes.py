from pathlib import Path

from vidrec.catalog import Item
from vidrec.nlu.numbers import find_prices
from vidrec.understand.attributes import Observations, describe, infer_attributes, search_text
from vidrec.understand.profile import ScreenText, ShotSummary, TranscriptLine
from vidrec.vocabulary import Taxonomy

TAX = Taxonomy.default()


def bare(**kw) -> Item:
    return Item(id="x", video=Path("x.mp4"), **kw)


def test_bare_video_attributes_come_from_speech_captions_and_pixels():
    obs = Observations(
        item=bare(),
        transcript=[TranscriptLine(start=6.5, end=9.0, text="这款红色连衣裙采用纯棉面料，只要199元", lang="zh")],
        ocr=[ScreenText(start=1.0, end=4.0, text="只要199元")],
        shots=[ShotSummary(start=0, end=3, colors=["Red"], category="Dresses")],
        visual_category=[("Dresses", 0.6), ("Skirts", 0.3)],
        visual_colours=[("Red", 0.7), ("White", 0.2)],
    )
    a = infer_attributes(obs, TAX, find_prices=find_prices)
    assert a["category"].value == "Dresses" and a["category"].source in ("visual", "speech")
    assert a["color"].value == "Red" and a["colors"].value[0] == "Red"
    assert a["price"].value == 199 and a["price"].source in ("ocr", "speech")
    assert {e.modality for e in a["price"].evidence} == {"ocr", "speech"}
    speech = [e for e in a["price"].evidence if e.modality == "speech"][0]
    assert speech.start == 6.5 and "199" in speech.text
    assert a["material"].value == "Cotton" and a["material"].evidence[0].start == 6.5
    assert 0 < a["category"].confidence <= 1
    assert describe(a, TAX) == "Red Dresses · 红色连衣裙"


def test_a_named_colour_beats_pixels_that_see_the_background():
    # a thin brown belt on a white card: most "product" pixels are the card; the caption names the colour
    obs = Observations(
        item=bare(),
        ocr=[ScreenText(start=1.0, end=4.0, text="棕色皮带 ¥120")],
        visual_colours=[("White", 0.9), ("Brown", 0.05)],
    )
    a = infer_attributes(obs, TAX, find_prices=find_prices)
    assert a["color"].value == "Brown" and a["color"].source == "ocr"
    assert "White" in [c["value"] for c in a["color"].conflicts]
    # pixels alone still decide when nothing names a colour
    alone = infer_attributes(Observations(item=bare(), visual_colours=[("White", 0.9), ("Brown", 0.05)]), TAX)
    assert alone["color"].value == "White" and alone["color"].source == "visual"
    # and choose among named colours
    two = Observations(item=bare(), transcript=[TranscriptLine(start=0, end=2, text="black or red", lang="en")],
                       visual_colours=[("Red", 0.8), ("Grey", 0.1)])
    assert infer_attributes(two, TAX)["color"].value == "Red"


def test_a_named_category_beats_pixels_and_traditional_captions_count():
    # a caption in traditional characters names sandals; the pixels lean to casual shoes
    obs = Observations(item=bare(), ocr=[ScreenText(start=0, end=2, text="男士黑色涼鞋")],
                       visual_category=[("Casual Shoes", 0.7), ("Sandals", 0.2)])
    assert infer_attributes(obs, TAX)["category"].value == "Sandals"
    alone = Observations(item=bare(), visual_category=[("Casual Shoes", 0.7), ("Sandals", 0.2)])
    assert infer_attributes(alone, TAX)["category"].value == "Casual Shoes"


def test_metadata_wins_and_conflicts_are_recorded():
    obs = Observations(
        item=bare(title="Blue denim shorts", price=129.0, category="Shorts", extra={"color": "Blue"}),
        ocr=[ScreenText(start=2.0, end=3.0, text="now only 99")],
        visual_colours=[("Black", 0.9)],
    )
    a = infer_attributes(obs, TAX, find_prices=find_prices)
    assert a["price"].value == 129.0 and a["price"].source == "metadata"
    assert a["price"].conflicts and a["price"].conflicts[0]["value"] == 99
    assert a["color"].value == "Blue" and any(c["value"] == "Black" for c in a["color"].conflicts)
    assert a["category"].value == "Shorts" and a["category"].confidence == 1.0
    assert a["material"].value == "Denim"


def test_brand_found_from_known_brands_and_nothing_invented():
    obs = Observations(item=bare(), ocr=[ScreenText(start=0, end=1, text="LUMI 新款")])
    a = infer_attributes(obs, TAX, known_brands=["Lumi", "Orbit"], find_prices=find_prices)
    assert a["brand"].value == "Lumi" and a["brand"].source == "ocr"
    assert "price" not in a and "category" not in a and "color" not in a


def test_search_text_has_both_languages():
    obs = Observations(item=bare(), visual_category=[("Dresses", 0.9)], visual_colours=[("Red", 0.8)])
    a = infer_attributes(obs, TAX, find_prices=find_prices)
    text = search_text(a, obs.item, [], [], TAX)
    assert "连衣裙" in text and "dress" in text.lower() and "红色" in text and "Red" in text
