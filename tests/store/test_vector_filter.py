"""Filter.matches is the reference the backends are tested against, so it is pinned down by hand here."""

from __future__ import annotations

import pytest

from vidrec.errors import InputError
from vidrec.store.vector_index import Filter, facet_values

DRESS = {"category": "Dresses", "colors": ["Red", "white"], "price": 199, "brand": "Acme", "gender": "women"}
SHOT = {"item_id": "7", "kind": "shot", "category": "dresses"}


@pytest.mark.parametrize(
    ("f", "vector_id", "payload", "expected"),
    [
        (Filter(), "1", {}, True),
        (Filter(ids={"1"}), "1", {}, True),
        (Filter(ids={"2"}), "1", {}, False),
        (Filter(exclude_ids={"1"}), "1", {}, False),
        (Filter(item_ids={"7"}), "7#shot1", SHOT, True),
        (Filter(item_ids={"7#shot1"}), "7#shot1", SHOT, False),
        (Filter(exclude_item_ids={"7"}), "7#shot1", SHOT, False),
        (Filter(kind="shot"), "7#shot1", SHOT, True),
        (Filter(kind="item"), "7#shot1", SHOT, False),
        (Filter(kind="item"), "1", {}, True),  # kind defaults to "item"
        (Filter(category={"dresses"}), "1", DRESS, True),
        (Filter(category={"DRESSES "}), "1", DRESS, True),
        (Filter(category={"shoes"}), "1", DRESS, False),
        (Filter(category=set()), "1", DRESS, False),
        (Filter(category={"dresses"}), "1", {}, False),
        (Filter(colors_any={"red", "blue"}), "1", DRESS, True),
        (Filter(colors_any={"blue"}), "1", DRESS, False),
        (Filter(colors_any={"blue"}), "1", {}, False),
        (Filter(colors_none={"white"}), "1", DRESS, False),
        (Filter(colors_none={"blue"}), "1", DRESS, True),
        (Filter(colors_none={"blue"}), "1", {}, True),
        (Filter(brand={"acme"}), "1", DRESS, True),
        (Filter(brand_none={"ACME"}), "1", DRESS, False),
        (Filter(brand_none={"acme"}), "1", {}, True),
        (Filter(gender={"men"}), "1", DRESS, False),
        (Filter(price_min=199), "1", DRESS, True),
        (Filter(price_max=199), "1", DRESS, True),
        (Filter(price_max=198.99), "1", DRESS, False),
        (Filter(price_min=100, price_max=300), "1", DRESS, True),
        (Filter(price_max=300), "1", {}, False),
        (Filter(price_max=300), "1", {"price": "150"}, True),
        (Filter(category={"dresses"}, colors_any={"red"}, price_max=100), "1", DRESS, False),
    ],
)
def test_matches(f, vector_id, payload, expected):
    assert f.matches(vector_id, payload) is expected


def test_is_empty():
    assert Filter().is_empty()
    assert not Filter(price_max=0).is_empty()
    assert not Filter(category=set()).is_empty()


def test_facet_values_normalise_and_deduplicate():
    assert facet_values(" Red ") == ["red"]
    assert facet_values(["Red", "red", "", None, "Blue"]) == ["red", "blue"]
    assert facet_values(None) == []


def test_a_price_that_is_not_a_number_is_an_input_error():
    with pytest.raises(InputError, match="not a number"):
        Filter(price_max=10).matches("1", {"price": "cheap"})
