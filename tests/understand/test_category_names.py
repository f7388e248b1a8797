"""Named products mapped to a platform's own taxonomy (issue 15): the forms real product names use, the head noun,
generic and family words, and words the speech recogniser got one letter wrong. Names are real Myntra display names
and real transcripts of the evaluation's narration (bench/eval_named.py), not vidrec's wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidrec.catalog import Item
from vidrec.understand.attributes import (
    NEAR_MISS_WEIGHT,
    NOT_HEAD_WEIGHT,
    Observations,
    category_mentions,
    infer_attributes,
)
from vidrec.understand.profile import ScreenText, ShotSummary, TranscriptLine
from vidrec.vocabulary import Taxonomy, Term, name_variants

# the evaluation's 20 article types with their Chinese names, as a platform's taxonomy file lists them
TYPES = {"Belts": "皮带", "Casual Shoes": "休闲鞋", "Flip Flops": "人字拖", "Formal Shoes": "皮鞋", "Handbags": "手提包",
         "Heels": "高跟鞋", "Jeans": "牛仔裤", "Kurtas": "印度长衫", "Sandals": "凉鞋", "Shirts": "衬衫", "Socks": "袜子",
         "Sports Shoes": "运动鞋", "Sunglasses": "太阳镜", "Sweaters": "毛衣", "Sweatshirts": "卫衣", "Tops": "上衣",
         "Trousers": "长裤", "Tshirts": "T恤", "Wallets": "钱包", "Watches": "手表"}


@pytest.fixture(scope="module")
def tax(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path = tmp_path_factory.mktemp("tax") / "categories.txt"
    path.write_text("".join(f"{k}\t{v}\n" for k, v in TYPES.items()), encoding="utf-8")
    return Taxonomy.from_file(path)


def strongest(text: str, tax: Taxonomy, heard: bool = False) -> list[str]:
    weights: dict[str, float] = {}
    for term, _, _, w in category_mentions(text, tax, heard=heard):
        weights[term.canonical] = max(weights.get(term.canonical, 0.0), w)
    top = max(weights.values(), default=0.0)
    return sorted(c for c, w in weights.items() if w == top)


@pytest.mark.parametrize("name, want", [
    ("Ganuchi Men Brown Sandal", "Sandals"),                       # singular of a listed plural
    ("Genesis Men Black Solid Trouser", "Trousers"),
    ("ADIDAS Silver Astar ride 3M Sports Shoe", "Sports Shoes"),   # singular last word of a two-word name
    ("Playboy Men Black Flip Flop", "Flip Flops"),
    ("Puma Men Ferrari Logo Black Tshirt", "Tshirts"),
    ("Nike Men Blue Manchester United Jersey", "Tshirts"),         # a synonym read off the tune split's names
    ("Clarks Women Black Leather Wedges", "Heels"),
])
def test_the_forms_real_names_use_find_their_category(tax: Taxonomy, name: str, want: str):
    assert Taxonomy.lookup(tax, want) is not None
    assert strongest(name, tax) == [want]


def test_variants_spacing_hyphen_number_and_no_singular_that_is_another_word():
    assert {"flip-flop", "flip flop", "flipflops", "flipflop"} <= name_variants("flip flops")
    assert {"t shirt", "tshirts", "t-shirts"} <= name_variants("t-shirt")
    assert "watch" in name_variants("watches") and "sandal" in name_variants("sandals")
    assert "short" not in name_variants("shorts") and "glass" not in name_variants("glasses")


def test_a_material_is_not_read_as_the_singular_of_a_category(tax: Taxonomy):
    # "denims" is a built-in synonym of Jeans; "denim" stays a material
    assert strongest("Puma Men Lifestyle Knitted Dark Denim Sweaters", tax) == ["Sweaters"]
    assert [t.canonical for t, *_ in category_mentions("Knitted Dark Denim", tax)] == []


def test_the_head_noun_wins_over_a_category_word_in_the_brand(tax: Taxonomy):
    m = {t.canonical: w for t, _, _, w in category_mentions("Pepe Jeans Men Casual Sunglasses", tax)}
    assert m == {"Sunglasses": 1.0, "Jeans": NOT_HEAD_WEIGHT}


def test_a_generic_word_counts_less_than_a_full_name_elsewhere(tax: Taxonomy):
    # a real transcript of "Franco Leone Men Formal Maroon Formal Shoes" (the ASR lost "Formal" before "shoes")
    heard = [TranscriptLine(start=0.5, end=4.0, lang="en",
                            text="Here is the Franco-Leon man-farmal maroon-farmal shoes, only 890 new and...")]
    read = [ScreenText(start=6.0, end=9.0, text="Maroon Formal Shoes")]
    obs = Observations(item=Item(id="x", video=Path("x.mp4")), transcript=heard, ocr=read,
                       shots=[ShotSummary(start=0, end=9, category="Sports Shoes")],
                       visual_category=[("Sports Shoes", 0.40), ("Casual Shoes", 0.23), ("Formal Shoes", 0.08)])
    assert infer_attributes(obs, tax)["category"].value == "Formal Shoes"
    assert strongest("Rockport Men Espresso Brown Shoes", tax) == ["Casual Shoes"]  # alone, it still names one


def test_a_family_word_no_category_lists_leaves_the_choice_to_the_pictures():
    tax = Taxonomy([Term("Running Shoes"), Term("Dress Shoes"), Term("Boat Shoes"), Term("Socks")])
    assert {t.canonical for t in tax.family("shoe")} == {"Running Shoes", "Dress Shoes", "Boat Shoes"}
    assert strongest("Rockport Men Espresso Brown Shoe", tax) == ["Boat Shoes", "Dress Shoes", "Running Shoes"]
    obs = Observations(item=Item(id="x", video=Path("x.mp4")),
                       ocr=[ScreenText(start=0, end=3, text="Rockport Men Espresso Brown Shoe")],
                       visual_category=[("Dress Shoes", 0.5), ("Socks", 0.3), ("Running Shoes", 0.1)])
    assert infer_attributes(obs, tax)["category"].value == "Dress Shoes"


def test_a_word_the_recogniser_got_one_letter_wrong_counts_less(tax: Taxonomy):
    # real transcript of "Aurelia Women Solid Navy Blue Kurtas" (en narration)
    text = "Take a look at the Orwell Eyewomen's Alid Navy Blue Curtis."
    assert [(t.canonical, w) for t, _, _, w in category_mentions(text, tax, heard=True)] == \
        [("Kurtas", NEAR_MISS_WEIGHT)]
    assert category_mentions(text, tax) == []  # a title typed by the seller is not misheard
    # a real word of another category, or a short word, is no near miss
    assert category_mentions("Nike Men Shorts", tax, heard=True) == []
    assert category_mentions("a perfect match", tax, heard=True) == []
