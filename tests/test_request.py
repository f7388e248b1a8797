"""The request registry and the one Request type: merging as the dialog does, filters, words, JSON keys; and
adding an attribute with one registry entry plus its vocabulary."""

from pathlib import Path

from vidrec.catalog import Item
from vidrec.dialog.replies import slot_name
from vidrec.nlu import Parse, parse
from vidrec.nlu.lexicon import Lexicon
from vidrec.recommend.search import Searcher
from vidrec.request import REGISTRY, Attribute, Request
from vidrec.store.vector_index import Filter
from vidrec.understand.attributes import Observations, infer_attributes
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import Taxonomy, Term, Vocabulary


def test_json_keys_stay_as_they_were():
    r = Request.model_validate({"category": "Dress", "color": ["Red"], "color_exclude": ["Black"], "brand": ["Acme"],
                                "price_max": 300, "gender": None, "size": ""})
    assert r.get("colour") == ["Red"] and r.excluded_values("colour") == ["Black"] and r.price_max == 300.0
    assert r.model_dump() == {"category": "Dress", "color": ["Red"], "color_exclude": ["Black"], "brand": ["Acme"],
                              "price_max": 300.0}
    assert Request.model_validate(r.model_dump()) == r
    # a stored session naming an attribute no longer registered still loads, without it
    assert Request.model_validate({"colour_of_the_sky": "blue", "size": "XL"}).model_dump() == {"size": "XL"}


def test_merge_replaces_values_and_accumulates_exclusions():
    r = Request().merge(parse("red dress under 300").request)
    r = r.merge(parse("in blue, no black ones").request)
    assert r.get("colour") == ["Blue"] and r.excluded_values("colour") == ["Black"] and r.get("category") == "Dresses"
    assert r.range("price") == (None, 300.0)
    r = r.merge(parse("between 100 and 200").request)
    assert r.range("price") == (100.0, 200.0)
    r = r.merge(Request().exclude("colour", ["Blue"]))
    assert r.get("colour") is None and r.excluded_values("colour") == ["Black", "Blue"]
    r = r.merge(Request().set("colour", ["Blue"]))  # wanting it again takes it off the ruled-out list
    assert r.get("colour") == ["Blue"] and r.excluded_values("colour") == ["Black"]
    assert r.without("price").range("price") == (None, None) and r.range("price") == (100.0, 200.0)
    assert r.without("colour").get("colour") is None and r.without("colour").excluded_values("colour") == ["Black"]


def test_to_filter_holds_the_hard_conditions_only():
    r = Request.model_validate({"category": "Dress", "color": ["Red"], "color_exclude": ["Black"],
                                "brand": ["Acme"], "brand_exclude": ["Bolt"], "gender": "Women", "price_min": 50,
                                "price_max": 300})
    f = r.to_filter()
    assert f.category == {"Dress"} and f.brand == {"Acme"} and f.brand_none == {"Bolt"}
    assert f.colors_none == {"Black"} and (f.price_min, f.price_max) == (50.0, 300.0)
    assert f.colors_any is None and f.gender is None  # colour and gender rank, they do not filter
    narrowed = r.to_filter(Filter(category={"Dress", "Skirt"}, price_max=200, brand_none={"Zed"}))
    assert narrowed.category == {"Dress"} and narrowed.price_max == 200 and narrowed.brand_none == {"Bolt", "Zed"}


def test_describe_in_both_languages():
    lex = Lexicon.from_catalog(["Dresses"], ["Red"], [])
    assert parse("红色连衣裙 200元以内", {"lexicon": lex}).request.describe("zh") == "红色连衣裙，200元以内"
    assert parse("red dresses under 200", {"lexicon": lex}).request.describe("en") == "red dresses under 200"
    assert parse("no black ones").request.describe("en") == "items, not black"
    assert Request().describe("zh") == "商品"


def test_the_dialog_asks_in_the_registry_words():
    assert slot_name("color", "en") == "colour" and slot_name("gender", "zh") == "男款还是女款"
    assert [a.key for a in REGISTRY.askable()] == ["category", "gender", "color", "usage", "price", "material",
                                                   "brand"]


SLEEVES = Vocabulary([
    Term("Sleeveless", ("sleeveless", "no sleeves"), ("无袖",)),
    Term("Puff Sleeve", ("puff sleeve", "puff sleeves"), ("泡泡袖",)),
])


def test_adding_an_attribute_is_one_registry_entry_plus_its_vocabulary():
    sleeve = Attribute("sleeve", "sleeve", {"en": "sleeve", "zh": "袖型"}, vocabulary=SLEEVES, ranks=True)
    with REGISTRY.added(sleeve):
        lex = Lexicon.from_catalog(["Dresses"], ["Red"], [])  # a lexicon built now reads the new vocabulary
        p = parse("a sleeveless red dress", {"lexicon": lex})
        assert p.request.get("sleeve") == "Sleeveless" and p.request.get("category") == "Dresses"
        assert p.model_dump()["slots"]["sleeve"] == "Sleeveless"
        assert Parse.model_validate(p.model_dump()).request == p.request
        assert parse("想要泡泡袖的红色连衣裙", {"lexicon": lex}).request.get("sleeve") == "Puff Sleeve"
        assert p.request.describe("en") == "red dresses, sleeve: sleeveless"
        assert p.request.describe("zh") == "红色连衣裙，袖型：无袖"
        state = Request().merge(p.request)
        assert state.model_dump()["sleeve"] == "Sleeveless"

        # ingest reads it from a title; search ranks items that have it above those that do not
        obs = Observations(item=Item(id="x", video=Path("x.mp4"), title="Sleeveless summer dress"))
        assert infer_attributes(obs, Taxonomy.default())["sleeve"].value == "Sleeveless"
        wanted = Request().set("sleeve", "Sleeveless")

        def item(value):
            return ItemProfile.model_validate({"id": value, "video": "v.mp4", "attributes": {
                "sleeve": {"value": value, "confidence": 0.9, "source": "text"}}})
        assert Searcher._attribute_score(item("Sleeveless"), wanted) == 1.0
        assert Searcher._attribute_score(item("Puff Sleeve"), wanted) == 0.0
    assert "sleeve" not in REGISTRY
    assert "sleeve" not in parse("a sleeveless red dress", {"lexicon": Lexicon.from_catalog([], [], [])}).model_dump()[
        "slots"]
