from vidrec.recommend.explain import clock, explain
from vidrec.recommend.query import QueryReader
from vidrec.understand.profile import Attribute, Evidence, ItemProfile
from vidrec.vocabulary import Taxonomy

TAX = Taxonomy.default()


def reader():
    return QueryReader(TAX, categories=["Dress", "T-Shirt", "Shoes", "Hat"], brands=["Lumi", "Orbit"])


def test_query_maps_to_catalog_labels():
    q = reader().read("我想买一个红色的连衣裙 300元以内")
    assert q.lang == "zh" and q.categories == ["Dress"] and q.colors == ["Red"] and q.price_max == 300
    q = reader().read("blue tee from lumi, not black, under 200")
    assert q.categories == ["T-Shirt"] and q.colors == ["Blue"] and q.colors_exclude == ["Black"]
    assert q.brands == ["Lumi"] and q.price_max == 200 and q.lang == "en"
    assert "连衣裙" in reader().read("red dress").expansion()


def test_dense_text_adds_each_missing_name_once():
    q = "red dress under 300"
    dense = reader().read(q).dense_text(q)
    assert dense.startswith(q) and "连衣裙" in dense and "红色" in dense
    assert dense.lower().count("dress") == 1 and dense.lower().count("red") == 1  # nothing repeated
    zh = "红色连衣裙 300元以内"
    dense = reader().read(zh).dense_text(zh)
    assert dense.count("连衣裙") == 1 and "dress" in dense and "red" in dense.lower()
    assert len(dense) < len(f"{zh} {reader().read(zh).expansion()}")


def test_category_not_in_catalog_is_not_a_filter():
    assert reader().read("red handbag").categories == []


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
