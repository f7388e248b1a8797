import numpy as np

from vidrec.nlu.lexicon import Lexicon
from vidrec.recommend.explain import clock, explain
from vidrec.recommend.search import Searcher, dense_text, expansion, parsed_json
from vidrec.understand.profile import Attribute, Evidence, ItemProfile
from vidrec.vocabulary import Taxonomy

TAX = Taxonomy.default()
CATEGORIES = ["Dress", "T-Shirt", "Shoes", "Hat"]
BRANDS = ["Lumi", "Orbit"]


class CatalogOnly:
    """A store with a catalog's labels and nothing to search: what one-shot search understands."""

    taxonomy = TAX

    def distinct(self, facet):
        return {"category": CATEGORIES, "brand": BRANDS}.get(facet, [])

    def lexicon(self):
        return Lexicon.from_catalog(CATEGORIES, [], BRANDS)


class NoEncoder:
    def encode(self, texts, kind="passage"):
        return np.zeros((len(texts), 4), np.float32)


def searcher():
    return Searcher(CatalogOnly(), text_encoder=NoEncoder(), warm_up=False)


def understood(query):
    s = searcher()
    p = s.parse(query)
    request = s.grounded(p.request)
    return parsed_json(request, "zh" if p.lang == "zh" else "en"), s.terms(request)


def test_query_maps_to_catalog_labels():
    q, _ = understood("我想买一个红色的连衣裙 300元以内")
    assert q["lang"] == "zh" and q["categories"] == ["Dress"] and q["colors"] == ["Red"] and q["price_max"] == 300
    q, _ = understood("blue tee from lumi, not black, under 200")
    assert q["categories"] == ["T-Shirt"] and q["colors"] == ["Blue"] and q["colors_exclude"] == ["Black"]
    assert q["brands"] == ["Lumi"] and q["price_max"] == 200 and q["lang"] == "en"
    assert "连衣裙" in expansion(understood("red dress")[1])


def test_search_understands_what_the_chat_understands():
    q, _ = understood("a gift for my husband")
    assert q["gender"] == "Men"
    q, _ = understood("给我老婆买条裙子")
    assert q["gender"] == "Women" and q["categories"] == ["Dress"]


def test_dense_text_adds_each_missing_name_once():
    q = "red dress under 300"
    dense = dense_text(q, understood(q)[1])
    assert dense.startswith(q) and "连衣裙" in dense and "红色" in dense
    assert dense.lower().count("dress") == 1 and dense.lower().count("red") == 1  # nothing repeated
    zh = "红色连衣裙 300元以内"
    terms = understood(zh)[1]
    dense = dense_text(zh, terms)
    assert dense.count("连衣裙") == 1 and "dress" in dense and "red" in dense.lower()
    assert len(dense) < len(f"{zh} {expansion(terms)}")


def test_category_not_in_catalog_is_not_a_filter():
    q, _ = understood("red handbag")
    assert "categories" not in q
    assert searcher().grounded(searcher().parse("red handbag").request).to_filter().category is None
    assert searcher().grounded(searcher().parse("a red dress").request).to_filter().category == {"Dress"}


def test_brand_not_in_catalog_is_not_a_filter():
    assert searcher().grounded(searcher().parse("nike shoes").request).to_filter().brand is None
    assert searcher().grounded(searcher().parse("orbit shoes").request).to_filter().brand == {"Orbit"}


def test_explain_cites_evidence_with_times():
    p = ItemProfile(id="1", video="v.mp4", attributes={
        "color": Attribute(value="Red", confidence=0.9, source="visual",
                           evidence=[Evidence(modality="visual", start=2, end=5, text="Red")]),
        "material": Attribute(value="Cotton", confidence=0.8, source="speech",
                              evidence=[Evidence(modality="speech", start=7, end=9, text="纯棉")]),
    })
    why, start = explain(p, {"color": "Red", "material": "Cotton"}, TAX, "en")
    assert why == "Red seen in frames 0:02–0:05; '纯棉' said at 0:07" and start == 2
    why_zh, _ = explain(p, {"color": "Red"}, TAX, "zh")
    assert why_zh == "画面0:02–0:05可见红色"
    assert clock(67.4) == "1:07"


def test_one_caption_naming_colour_and_category_is_cited_once():
    caption = Evidence(modality="ocr", start=10, end=11, text="红色纯棉连衣裙")
    p = ItemProfile(id="1", video="v.mp4", attributes={
        "category": Attribute(value="Dress", confidence=0.9, source="ocr", evidence=[caption]),
        "color": Attribute(value="Red", confidence=0.9, source="ocr", evidence=[caption]),
        "material": Attribute(value="Cotton", confidence=0.8, source="speech",
                              evidence=[Evidence(modality="speech", start=7, end=9, text="纯棉")]),
    })
    why, start = explain(p, {"category": "Dress", "color": "Red", "material": "Cotton"}, TAX, "zh")
    assert why == "字幕0:10显示“红色纯棉连衣裙”；视频第0:07提到“纯棉”" and start == 10
