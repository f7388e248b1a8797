"""The simulated shopper: opens vaguely, answers questions from its target, critiques what it is shown."""

from __future__ import annotations

from types import SimpleNamespace

from tools.simulator import CHEAPER, COLOUR_SAY, OPENERS, PRICIER, SimulatedShopper, Target, run_episode
from vidrec.vocabulary import Taxonomy

TARGET = Target(id="t1", category="Tshirts", colour="Navy Blue", gender="Women", usage="Casual", price=120.0)
TRUTH = {
    "t1": TARGET,
    "red": Target(id="red", category="Tshirts", colour="Red", gender="Women", price=110.0),
    "dear": Target(id="dear", category="Tshirts", colour="Navy Blue", gender="Women", price=400.0),
}


def _shopper(lang: str, seed: int = 0) -> SimulatedShopper:
    return SimulatedShopper(TARGET, TRUTH, Taxonomy.default(), lang, seed=seed)


class ScriptedEngine:
    """Shows the given id lists turn by turn (asking the given questions) and records what it was told."""

    def __init__(self, script: list[tuple[list[str], dict | None]]):
        self.script = script
        self.heard: list[tuple[str, str]] = []

    def respond(self, session_id: str, text: str) -> SimpleNamespace:
        self.heard.append((session_id, text))
        shown, question = self.script[min(len(self.heard), len(self.script)) - 1]
        return SimpleNamespace(items=[SimpleNamespace(id=i) for i in shown], intent="recommend", question=question)


def test_opening_names_only_the_category_in_the_shoppers_language():
    zh, en = _shopper("zh").opening(), _shopper("en").opening()
    zh_names = Taxonomy.default().lookup("Tshirts").zh[:2]
    en_names = Taxonomy.default().lookup("Tshirts").en[:2]
    assert zh in {t.format(cat=c) for t in OPENERS["zh"] for c in zh_names}
    assert en in {t.format(cat=c) for t in OPENERS["en"] for c in en_names}


def test_answers_come_from_the_target():
    zh = _shopper("zh")
    assert zh.answer({"slot": "color"}) in {t.format(c="藏青色") for t in COLOUR_SAY["zh"]}
    assert zh.said_colour
    assert zh.answer({"slot": "gender"}) == "女款"
    assert _shopper("en").answer({"slot": "gender"}) == "women's"
    assert _shopper("en").answer({"slot": "price", "options": ["<100", "100-300", ">300"]}) == "100-300"


def test_critique_asks_for_the_colour_first_then_for_cheaper_items():
    shopper = _shopper("en")
    assert shopper.critique(["red"]) in {t.format(c="navy blue") for t in COLOUR_SAY["en"]}
    assert shopper.critique(["dear"]) in CHEAPER["en"]


def test_episode_ends_when_the_target_is_shown():
    engine = ScriptedEngine([(["red"], {"slot": "color"}), (["dear"], None), (["dear", "t1"], None)])
    episode = run_episode(engine, _shopper("en", seed=4), "s1", max_turns=10)
    assert episode.success_turn == 3 and len(episode.turns) == 3
    assert [t["shown"] for t in episode.turns] == [["red"], ["dear"], ["dear", "t1"]]
    assert {sid for sid, _ in engine.heard} == {"s1"}
    assert engine.heard[2][1] in CHEAPER["en"]  # after the colour was said, the dear navy shirt draws "cheaper"


def test_episode_without_the_target_stops_at_max_turns_and_repeats_with_its_seed():
    def run(seed: int):
        engine = ScriptedEngine([(["red"], None)])
        return run_episode(engine, _shopper("zh", seed=seed), "s", max_turns=4), engine.heard

    episode, heard = run(7)
    assert episode.success_turn is None and len(episode.turns) == 4
    assert all(t["shown"] == ["red"] for t in episode.turns)
    assert run(7)[1] == heard
    assert heard[1][1] in {t.format(c="藏青色") for t in COLOUR_SAY["zh"]}
    assert heard[2][1] in PRICIER["zh"] and heard[3][1] in PRICIER["zh"]  # red at 110 is under 95 % of 120
