import pytest

from vidrec.nlu.lexicon import Lexicon, fold
from vidrec.nlu.references import find_item_refs
from vidrec.nlu.slots import extract, find_attribute, find_price_direction, find_size


@pytest.fixture(scope="module")
def lex():
    return Lexicon.default()


@pytest.mark.parametrize(
    "text, include, exclude",
    [
        ("不要黑色的", [], ["Black"]),
        ("no black ones", [], ["Black"]),
        ("anything but red", [], ["Red"]),
        ("黑色的不要，来点亮色", [], ["Black"]),
        ("不要红色也不要粉色", [], ["Red", "Pink"]),
        ("要black的，不要white", ["Black"], ["White"]),
        ("除了白色别的颜色都行", [], ["White"]),
        ("black or grey is fine", ["Black", "Grey"], []),
        ("I don't want black, I want white", ["White"], ["Black"]),
        ("not only red", ["Red"], []),
    ],
)
def test_negated_colours_are_excluded(lex, text, include, exclude):
    slots = extract(text, lex).slots
    assert slots.get("color", []) == include
    assert slots.get("color_exclude", []) == exclude


@pytest.mark.parametrize(
    "text, size",
    [("有L码的吗", "L"), ("要42码", "42"), ("size M", "M"), ("looking for boots, size 42", "42"), ("in XL", "XL"),
     ("均码", "Free Size"), ("do u have this in a size 10", "10"), ("small hoodies", "S"), ("she wears a medium", "M"),
     ("2XL", "XXL"), ("I'm looking for a dress", None), ("第2号", None), ("a small bag of chips", None)],
)
def test_sizes(text, size):
    assert find_size(fold(text), text)[0] == size


@pytest.mark.parametrize(
    "text, positions",
    [("第二个", [2]), ("the 2nd one", [2]), ("number 2", [2]), ("#3", [3]), ("option 3", [3]), ("2号", [2]),
     ("最后一个", [-1]), ("the last one", [-1]), ("倒数第二个", [-2]), ("比较一下第二个和第三个", [2, 3]),
     ("2 vs 3?", [2, 3]), ("which is better, 1 or 2?", [1, 2]), ("compare the first and the third", [1, 3]),
     ("这个", [0]), ("what is it made of", [0]), ("make it cotton", []), ("wait a second", []),
     ("first of all, hi", []), ("between 100 and 150", []), ("第一次来", [])],
)
def test_item_references(text, positions):
    assert [r.position for r in find_item_refs(fold(text))] == positions


def test_last_one_becomes_a_position_when_we_know_how_many_were_shown(lex):
    assert [r.position for r in extract("最后一个", lex, shown=4).refs] == [4]
    assert [r.position for r in extract("the second to last", lex, shown=4).refs] == [3]
    assert [r.position for r in extract("the fifth one", lex, shown=3).refs] == [5]  # the dialog decides


@pytest.mark.parametrize(
    "text, attribute",
    [("第二个是什么材质的", "material"), ("第一个多少钱", "price"), ("what brand is it", "brand"), ("包邮吗", "shipping"),
     ("能退货吗", "returns"), ("is it machine washable", "care"), ("what sizes are available", "size"),
     ("any reviews?", "rating"), ("tell me more about option 3", "details"), ("有现货吗", "stock"), ("hello", None)],
)
def test_attribute(text, attribute):
    assert find_attribute(fold(text)) == attribute


@pytest.mark.parametrize(
    "text, direction",
    [("便宜一点的", "lower"), ("太贵了", "lower"), ("cheaper", "lower"), ("too expensive", "lower"),
     ("太expensive了", "lower"), ("something more premium", "higher"), ("有没有贵一点的", "higher"),
     ("哪个便宜", None), ("便宜吗", None), ("which one is cheaper", None), ("red dress", None)],
)
def test_price_direction(text, direction):
    assert find_price_direction(fold(text)) == direction


def test_vague_amounts_are_not_prices(lex):
    slots = extract("学生党，想买个几百块的笔记本电脑", lex).slots
    assert "price_max" not in slots and slots["category"] == "Laptops"


@pytest.mark.parametrize(("text", "direction"), [
    ("something like the brown one but higher in price", "higher"),
    ("any higher priced ones?", "higher"),
    ("lower priced ones please", "lower"),
    ("anything a bit lower in cost?", "lower"),
])
def test_price_said_as_higher_or_lower(text, direction):
    assert find_price_direction(fold(text)) == direction
