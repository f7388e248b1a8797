import pytest

from vidrec.nlu.lexicon import Lexicon


@pytest.fixture(scope="module")
def catalog():
    return Lexicon.from_catalog(["Dress", "Shoes", "T-Shirt", "Saree"], ["Red", "Blue", "Black"],
                                ["Nike", "Brain Puzzles", "Pedals & Gears"], extra={"Saree": ["纱丽"]})


def found(lex, text):
    return [(m.slot, m.value) for m in lex.find(text)]


def test_catalog_labels_are_canonical_and_answer_to_synonyms(catalog):
    for text in ("连衣裙", "dress", "dresses", "裙子"):
        assert found(catalog, text) == [("category", "Dress")], text
    for text in ("红", "红色", "red", "Red"):
        assert found(catalog, text) == [("color", "Red")], text
    assert found(catalog, "耐克") == [("brand", "Nike")]
    assert found(catalog, "NIKE") == [("brand", "Nike")]
    assert found(catalog, "纱丽") == [("category", "Saree")]
    assert found(catalog, "sarees") == [("category", "Saree")]
    assert found(catalog, "have any pedals & gears pants") == [("brand", "Pedals & Gears"), ("category", "Trousers")]


def test_shades_missing_from_catalog_map_to_their_family(catalog):
    assert found(catalog, "maroon") == [("color", "Red")]
    assert found(catalog, "navy") == [("color", "Blue")]
    assert found(catalog, "粉色") == [("color", "Pink")]  # no family in the catalog: the built-in label


def test_narrower_builtin_category_maps_to_broader_catalog_label(catalog):
    assert found(catalog, "运动鞋") == [("category", "Shoes")]
    assert found(catalog, "running shoes") == [("category", "Shoes")]


def test_default_lexicon():
    lex = Lexicon.default()
    assert found(lex, "我想买一条红色的连衣裙") == [("color", "Red"), ("category", "Dresses")]
    assert found(lex, "有没有red的dress") == [("color", "Red"), ("category", "Dresses")]
    assert found(lex, "给我老公挑双跑鞋") == [("gender", "Men"), ("category", "Sports Shoes")]
    assert lex.lookup("color", "藏青色") == "Navy Blue"
    assert "Dresses" in lex.values("category")


@pytest.mark.parametrize("text", ["网红款", "蓝牙耳机", "明白了", "美女你好", "麻烦你", "红包", "粉丝"])
def test_one_character_words_inside_other_words_are_not_slots(text):
    values = [v for _, v in found(Lexicon.default(), text)]
    assert not {"Red", "Blue", "White", "Women", "Pink", "Linen"} & set(values), values


def test_english_guards_and_typos():
    lex = Lexicon.default()
    assert found(lex, "does it suit me") == []
    assert found(lex, "check it out") == []
    assert found(lex, "a checked shirt") == [("pattern", "Checked"), ("category", "Shirts")]
    assert found(lex, "none of these work for me") == []
    assert found(lex, "lookin for a blck dress") == [("color", "Black"), ("category", "Dresses")]
    assert found(lex, "sneekers") == [("category", "Casual Shoes")]
    assert found(lex, "what's the weather like") == []  # not "leather"
    assert found(lex, "sold!") == []  # not "solid"


def test_compound_words_fill_two_slots():
    assert found(Lexicon.default(), "想要一双小白鞋") == [("category", "Casual Shoes"), ("color", "White")]


def test_tokenizer_is_our_own_instance():
    import jieba

    lex = Lexicon.default()
    assert "连衣裙" in lex.tokenize("红色连衣裙")
    assert lex._jieba() is not jieba.dt
