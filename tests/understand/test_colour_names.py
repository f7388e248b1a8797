"""Brand and model names are not read as colours (real Myntra product display names, and the issue's own example)."""

from pathlib import Path

import pytest

from vidrec.catalog import Item
from vidrec.understand.attributes import Observations, colour_mentions, infer_attributes
from vidrec.understand.profile import ScreenText
from vidrec.vocabulary import Taxonomy

TAXONOMY = Taxonomy.default()


def colour_of(caption: str, pixels=(), brands=()) -> str | None:
    obs = Observations(item=Item(id="x", video=Path("x.mp4")), ocr=[ScreenText(start=0, end=2, text=caption)],
                       visual_colours=list(pixels))
    attr = infer_attributes(obs, TAXONOMY, known_brands=brands).get("color")
    return attr.value if attr else None


@pytest.mark.parametrize("caption, colour", [
    ("Red Tape Men Brown Casual Shoes", "Brown"),
    ("Red Tape Men Formal Black Formal Shoes", "Black"),
    ("Wrangler Women's Blouson Tank Mauve Top", "Mauve"),
    ("Nike Men Black Solid Tshirt", "Black"),
    ("Basics Men Blue Slim Fit Shirt", "Blue"),
    ("红色纯棉连衣裙", "Red"),
])
def test_caption_colour(caption, colour):
    assert colour_of(caption) == colour


def test_a_lone_colour_leading_a_name_lets_the_pixels_decide():
    # "Red" leads the maker's name; the photo is a black shoe.
    assert colour_of("Red Tape Semi Casual Men's Shoe", pixels=[("Black", 0.8), ("Grey", 0.1)]) == "Black"
    # Without pixels the name is all there is, and it still counts (less).
    assert colour_of("Red Tape Semi Casual Men's Shoe") == "Red"


def test_a_known_brand_is_never_a_colour():
    # Written in lower case the maker's name looks like a colour and a word; only the catalog's brands tell.
    assert colour_of("Black coffee Men George White Shirts") == "Black"
    assert colour_of("Black coffee Men George White Shirts", brands=["Black Coffee"]) == "White"
    assert colour_of("Black coffee Men Micheal Blue Slim Fit Shirt", brands=["Black Coffee"]) == "Blue"


def test_mentions_carry_their_weight():
    mentions = colour_mentions("Red Tape Men Brown Casual Shoes", TAXONOMY)
    assert [(t.canonical, w) for t, _, _, w in mentions] == [("Brown", 1.0)]
    lone = colour_mentions("Red Tape Semi Casual Men's Shoe", TAXONOMY)
    assert [t.canonical for t, _, _, _ in lone] == ["Red"] and lone[0][3] < 1.0
