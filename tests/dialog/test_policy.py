from vidrec.dialog.policy import choose_question, information_gain, price_option_range
from vidrec.understand.profile import Attribute, ItemProfile


def item(i, **attrs) -> ItemProfile:
    return ItemProfile(id=str(i), video="v.mp4", attributes={
        k: Attribute(value=v, confidence=1.0, source="metadata") for k, v in attrs.items()})


def test_information_gain_is_entropy_times_known_share():
    gain, mass = information_gain(["a", "b", "a", "b"], [1, 1, 1, 1])
    assert abs(gain - 1.0) < 1e-9 and mass == {"a": 2, "b": 2}
    gain, _ = information_gain(["a", "b", None, None], [1, 1, 1, 1])
    assert abs(gain - 0.5) < 1e-9
    assert information_gain(["a", "a", "a"], [1, 1, 1])[0] == 0.0


def test_asks_the_attribute_that_splits_best_and_never_a_known_one():
    colours = ["Red", "Blue", "Black", "White"]
    cands = [item(i, category="Dress", color=colours[i % 4], gender="Women", price=50 + 30 * i) for i in range(16)]
    w = [1.0] * 16
    q = choose_question(cands, w, known={"gender"}, asked=[], last_turn_asked=False)
    assert q.slot == "color" and set(q.options) == set(colours)
    q2 = choose_question(cands, w, known={"gender", "color"}, asked=[], last_turn_asked=False)
    assert q2.slot == "price" and len(q2.options) == 3
    assert choose_question(cands, w, known={"gender", "color", "price"}, asked=[], last_turn_asked=False) is None
    assert choose_question(cands, w, known={"gender"}, asked=["color"], last_turn_asked=False, min_gain=9.0) is None


def test_once_the_category_is_named_a_question_must_gain_its_fitted_bits():
    colours = ["Red", "Blue", "Black", "White"]
    cands = [item(i, category="Dress", color=colours[i % 4], price=50 + 30 * i) for i in range(16)]
    assert choose_question(cands, [1.0] * 16, known={"category"}, asked=[], last_turn_asked=False).slot == "color"
    two = [item(i, category="Dress", color=colours[i % 2], price=50) for i in range(16)]  # 1 bit: red or blue
    assert choose_question(two, [1.0] * 16, known={"category"}, asked=[], last_turn_asked=False,
                           min_gain=1.5) is None
    assert choose_question(two, [1.0] * 16, known={"category"}, asked=[], last_turn_asked=False).slot == "color"


def test_no_question_when_few_candidates_or_just_asked():
    cands = [item(i, color=["Red", "Blue"][i % 2]) for i in range(6)]
    assert choose_question(cands, [1.0] * 6, set(), [], False) is None
    many = [item(i, color=["Red", "Blue", "Green", "Black"][i % 4]) for i in range(20)]
    assert choose_question(many, [1.0] * 20, set(), [], last_turn_asked=True) is None
    assert choose_question(many, [1.0] * 20, set(), ["color"], False) is None


def test_price_options_round_trip():
    assert price_option_range("<100") == (None, 100.0)
    assert price_option_range("100-300") == (100.0, 300.0)
    assert price_option_range(">300") == (300.0, None)
