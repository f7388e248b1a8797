"""Vocabularies match in simplified and traditional Chinese; the shipped character table is the one OpenCC gives."""

from vidrec.vocabulary import (
    COLOUR_VOCABULARY,
    TRADITIONAL_TABLE,
    Taxonomy,
    Term,
    build_traditional_table,
    colours_match,
    fold_text,
)


def test_traditional_characters_match_the_simplified_names():
    tax = Taxonomy.default()
    assert [t.canonical for t, _, _ in tax.find_all("男士黑色涼鞋")] == ["Sandals"]  # 涼 = 凉
    assert [t.canonical for t, _, _ in COLOUR_VOCABULARY.find_all("藍色")] == ["Blue"]
    text = "女士衛衣 Navy"
    ((term, s, e),) = tax.find_all(text)
    assert term.canonical == "Sweatshirts" and text[s:e] == "衛衣"  # positions are the original text's
    assert tax.lookup("涼鞋").canonical == "Sandals"


def test_a_platform_taxonomy_in_traditional_characters_matches_either():
    tax = Taxonomy([Term("Sandals", en=("sandals",), zh=("涼鞋",))])
    assert tax.lookup("凉鞋").canonical == "Sandals"
    assert [t.canonical for t, _, _ in tax.find_all("黑色凉鞋")] == ["Sandals"]


def test_fold_keeps_length_and_latin():
    assert fold_text("Red 紅色") == "red 红色"
    assert len(fold_text("衛衣涼鞋")) == 4


def test_shipped_table_is_current():
    traditional, simplified = TRADITIONAL_TABLE.read_text(encoding="utf-8").split("\n")[:2]
    assert (traditional, simplified) == build_traditional_table(), (
        "regenerate it: python -m vidrec.vocabulary"
    )
    assert len(traditional) == len(simplified) > 3000


def test_colours_match_by_name_or_family():
    assert colours_match(["Navy Blue"], ["Blue"])  # a navy item is blue
    assert colours_match(["Blue"], ["Navy Blue"])  # and a blue one is close enough for "navy"
    assert colours_match(["maroon", "White"], ["Red"])
    assert not colours_match(["Brown"], ["Black"])
    assert not colours_match([], ["Black"])
    assert not colours_match(["Grey"], ["Navy Blue"])
