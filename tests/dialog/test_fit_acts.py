"""What a shown item meets of a request, and the acts read from a message in context (no models)."""

import pytest

from vidrec.dialog import acts
from vidrec.dialog.fit import claimable, differs_text, fit, to_relax
from vidrec.request import Request
from vidrec.understand.profile import Attribute, ItemProfile


def _item(id_, category, colour, price):
    attrs = {"category": Attribute(value=category, confidence=1.0, source="metadata"),
             "colors": Attribute(value=[colour], confidence=1.0, source="metadata"),
             "price": Attribute(value=price, confidence=1.0, source="metadata")}
    return ItemProfile(id=id_, video=f"{id_}.mp4", attributes=attrs)


RED_DRESS_UNDER_200 = Request.model_validate({"category": "Dress", "color": ["Red"], "price_max": 200})


def test_fit_names_what_an_item_misses():
    navy = fit(_item("a", "Dress", "Navy Blue", 150), Request.model_validate({"color": ["Blue"]}))
    assert navy.match  # navy blue is a blue
    blue = fit(_item("b", "Dress", "Blue", 259), RED_DRESS_UNDER_200)
    assert blue.missed == ["colour", "price"] and not blue.match
    assert differs_text(blue, RED_DRESS_UNDER_200, "zh") == "蓝色，不是红色；¥259，超出200的预算"
    assert differs_text(blue, RED_DRESS_UNDER_200, "en") == "blue, not red; ¥259, over your 200"


def test_an_unknown_value_is_not_a_miss_and_not_claimed():
    bare = ItemProfile(id="c", video="c.mp4",
                       attributes={"category": Attribute(value="Dress", confidence=0.9, source="visual")})
    f = fit(bare, RED_DRESS_UNDER_200)
    assert f.match and f.conditions == {"category": "met", "colour": "unknown", "price": "unknown"}
    red = fit(_item("d", "Dress", "Red", 199), RED_DRESS_UNDER_200)
    claim = claimable(RED_DRESS_UNDER_200, [f, red])
    assert claim.to_json() == {"category": "Dress"}  # the headline may say "dresses", not "red dresses under 200"


def test_a_colour_shown_only_besides_the_main_one_is_not_claimed():
    coat = _item("k", "Outwear", "Grey", 300)
    coat.attributes["colors"] = coat.attributes["colors"].model_copy(update={"value": ["Grey", "Black"]})
    coat.attributes["color"] = coat.attributes["colors"].model_copy(update={"value": "Grey"})
    black = Request.model_validate({"color": ["Black"]})
    f = fit(coat, black)
    assert f.match and f.conditions["colour"] == "unknown" and claimable(black, [f]).to_json() == {}
    assert fit(coat, Request.model_validate({"color": ["Grey"]})).conditions["colour"] == "met"


def test_ruled_out_values_are_misses():
    request = Request.model_validate({"category": "Hat", "color_exclude": ["White"]})
    assert fit(_item("e", "Hat", "White", 39), request).missed == ["colour"]
    assert fit(_item("f", "Hat", "Black", 49), request).match


def test_the_condition_to_relax_is_the_one_most_items_miss_alone_and_not_the_newest():
    fits = [fit(_item("g", "Dress", "Red", 259), RED_DRESS_UNDER_200),
            fit(_item("h", "Dress", "Blue", 150), RED_DRESS_UNDER_200),
            fit(_item("i", "Dress", "Black", 120), RED_DRESS_UNDER_200)]
    assert to_relax(RED_DRESS_UNDER_200, fits) == "colour"
    assert to_relax(RED_DRESS_UNDER_200, fits, keep=["colour"]) == "price"


@pytest.mark.parametrize(("text", "sort"), [("which one costs the least? the cheapest please", "price_asc"),
                                            ("来个最便宜的", "price_asc"), ("show me the priciest", "price_desc"),
                                            ("红色的就好", None)])
def test_superlatives(text, sort):
    assert acts.sort_wanted(text) == sort


@pytest.mark.parametrize(("text", "dropped"), [
    ("颜色无所谓", ["colour"]), ("预算不限", ["price"]), ("the price doesn't matter to me", ["price"]),
    ("I don't care about the brand", ["brand"]), ("any colour will do", ["colour"]), ("红色的，便宜点", []),
])
def test_relaxing(text, dropped):
    assert acts.relaxed(text) == dropped


@pytest.mark.parametrize(("text", "answer"), [("是的", True), ("yes please", True), ("不是", False), ("nope", False),
                                              ("不要", False), ("换个蓝色的", None)])
def test_yes_or_no(text, answer):
    assert acts.yes_or_no(text) is answer


def test_play_and_other_colour():
    assert acts.wants_play("can I watch the second one's clip? the video") and acts.wants_play("播放第三个")
    assert not acts.wants_play("remove the third one")
    assert acts.wants_other_colour("这款有没有其他颜色") and acts.wants_other_colour("in a different colour?")
    assert not acts.wants_other_colour("I like this colour")


def test_an_occasion_steers_but_an_item_for_another_is_no_miss():
    """"下周去旅游" / "going to a party" asks for an occasion, not for items whose videos name none: a shoe whose
    video says "Semi Casual" is a match for a travel request, unknown on the occasion (never claimed for it), while
    one for travel meets it. As a miss it went behind every item that names no occasion."""
    travel = Request.model_validate({"category": "Casual Shoes", "usage": "Travel"})
    casual = _item("s1", "Casual Shoes", "Black", 300)
    casual.attributes["usage"] = Attribute(value="Casual", confidence=0.9, source="ocr")
    for_travel = _item("s2", "Casual Shoes", "Black", 300)
    for_travel.attributes["usage"] = Attribute(value="Travel", confidence=0.9, source="ocr")
    other = fit(casual, travel)
    assert other.match and other.conditions == {"category": "met", "usage": "unknown"}
    same = fit(for_travel, travel)
    assert same.met("usage")
    assert claimable(travel, [other, same]).to_json() == {"category": "Casual Shoes"}
    assert claimable(travel, [same]).get("usage") == "Travel"
    # a kind or colour stays a condition: another kind is still a miss
    assert fit(_item("s3", "Heels", "Black", 300), travel).missed == ["category"]
