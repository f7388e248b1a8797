"""The simulated shopper: speaks only the blind phrase bank, answers from its target, critiques what it is shown,
changes its mind, repeats with its seed, and never reads the parser's templates or training data."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools.simulator import PHRASEBANK, PhraseBank, Shopper, Target, budget_for, ordinal, run_episode
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy

REPO = Path(__file__).resolve().parents[2]
BANK = PhraseBank.load()
TARGET = Target(id="t1", category="Tshirts", colour="Navy Blue", gender="Women", usage="Casual", price=120.0)
TRUTH = {
    "t1": TARGET,
    "red": Target(id="red", category="Tshirts", colour="Red", gender="Women", price=110.0),
    "dear": Target(id="dear", category="Tshirts", colour="Navy Blue", gender="Women", price=400.0),
    "jeans": Target(id="jeans", category="Jeans", colour="Navy Blue", gender="Women", price=150.0),
}


def _shopper(lang: str, seed: int = 0, **kw) -> Shopper:
    kw.setdefault("change_mind", 0.0)
    kw.setdefault("greet", 0.0)
    return Shopper(TARGET, TRUTH, Taxonomy.default(), lang, seed=seed, bank=BANK, **kw)


def _renderings(situation: str, lang: str, **kw) -> set[str]:
    """Every way the bank's `situation` phrasings can be filled with these values."""
    return {p.format(**kw) for p in BANK.phrasings(situation, lang)}


def _said(situation: str, lang: str, colour: str = "Navy Blue", **kw) -> set[str]:
    """The bank's `situation` phrasings filled with any of the colour's first two names in `lang`."""
    term = COLOUR_VOCABULARY.lookup(colour)
    names = [n for n in (term.zh if lang == "zh" else term.en) if not n.endswith("的")][:2]
    return {r for n in names for r in _renderings(situation, lang, colour=n, **kw)}


ZH_CATS = Taxonomy.default().lookup("Tshirts").zh[:2]
EN_CATS = Taxonomy.default().lookup("Tshirts").en[:2]


class ScriptedEngine:
    """Shows the given id lists turn by turn (asking the given questions) and records what it was told."""

    def __init__(self, script: list[tuple[list[str], dict | None]]):
        self.script = script
        self.heard: list[tuple[str, str]] = []

    def respond(self, session_id: str, text: str, user_id: str | None = None) -> SimpleNamespace:
        self.heard.append((session_id, text))
        shown, question = self.script[min(len(self.heard), len(self.script)) - 1]
        return SimpleNamespace(items=[SimpleNamespace(id=i) for i in shown], intent="recommend", question=question,
                               reply="")


def test_the_bank_is_the_blind_one_with_every_situation_the_simulator_uses():
    data = json.loads(PHRASEBANK.read_text(encoding="utf-8"))["situations"]
    assert len(data) == 24
    assert all(len(v["zh"]) == 25 and len(v["en"]) == 25 for v in data.values())
    src = (REPO / "tools" / "simulator.py").read_text(encoding="utf-8")
    used = {n.value for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Constant) and n.value in data}
    assert {"open_vague", "open_category", "open_precise", "open_precise_budget", "answer_category",
            "answer_colour", "answer_budget", "answer_any", "want_colour", "cheaper", "reject_one", "reject_all",
            "wrong_kind", "more", "like_one", "relax_colour"} <= used


def test_openings_come_from_the_bank_filled_with_the_target():
    zh_cat = {s: _shopper("zh", seed=s, opening="category").opening() for s in range(6)}
    assert set(zh_cat.values()) <= {r for c in ZH_CATS for r in _renderings("open_category", "zh", category=c)}
    assert len(set(zh_cat.values())) > 1  # the seed varies the phrasing
    en = _shopper("en", seed=3, opening="precise").opening()
    assert en in {r for c in EN_CATS for r in _said("open_precise", "en", category=c)}
    budget = _shopper("zh", seed=1, opening="precise_budget").opening()
    assert "150" in budget  # 120 -> the next round 50
    assert _shopper("en", opening="vague").opening() in BANK.phrasings("open_vague", "en")


def test_n_renders_as_an_ordinal_phrase():
    import random

    rng = random.Random(0)
    zh = {ordinal(2, "zh", rng) for _ in range(40)}
    en = {ordinal(2, "en", rng) for _ in range(40)}
    assert zh == {"第二个", "第2个", "2号"}
    assert en == {"the second one", "the 2nd one", "number 2", "#2"}
    shopper = _shopper("en", seed=5, like_near_miss=1.0)
    shopper.said_colour = True
    assert shopper.react(["red", "dear"]) in {r for n in ("the second one", "the 2nd one", "number 2", "#2")
                                              for r in _renderings("like_one", "en", n=n)}
    assert shopper.liked == {"dear"}


def test_answers_come_from_the_target():
    zh = _shopper("zh")
    assert zh.answer({"slot": "color"}) in _said("answer_colour", "zh")
    assert zh.said_colour
    assert zh.answer({"slot": "price"}) in _renderings("answer_budget", "zh", price="150")
    assert _shopper("en").answer({"slot": "gender"}) in {
        r for c in EN_CATS for r in _renderings("answer_category", "en", category=f"women's {c}")}
    assert _shopper("en").answer({"slot": "material"}) in BANK.phrasings("answer_any", "en")
    assert budget_for(120) == 150 and budget_for(150) == 150 and budget_for(1210) == 1300


def test_critique_names_the_kind_then_the_colour_then_the_price():
    shopper = _shopper("en", seed=2, opening="vague")
    kinds = {r for c in EN_CATS for r in _renderings("wrong_kind", "en", category=c)}
    said = [shopper.react(["jeans"]), shopper.react(["red"]), shopper.react(["red"]), shopper.react(["dear"])]
    assert said[0] in kinds
    assert said[1] in BANK.phrasings("another_colour", "en")  # this seed first asks for "another colour" (p = 0.2)
    assert said[2] in _said("want_colour", "en")
    assert said[3] in BANK.phrasings("cheaper", "en")


def test_a_shopper_that_changes_its_mind_asks_for_the_decoy_first():
    shopper = _shopper("zh", seed=0, opening="precise", change_mind=1.0)
    assert shopper.decoy == "Red"  # the only other colour in the truth table
    assert "红" in shopper.opening()
    switch = shopper.react(["red"])
    assert switch in set(BANK.phrasings("relax_colour", "zh")) | _said("want_colour", "zh")
    assert shopper.changed_mind and shopper.answer({"slot": "color"}) not in _said("answer_colour", "zh", "Red")


def test_episode_ends_when_the_target_is_shown():
    engine = ScriptedEngine([(["red"], {"slot": "color"}), (["dear"], None), (["dear", "t1"], None)])
    episode = run_episode(engine, _shopper("en", seed=4), "s1", max_turns=10)
    assert episode.success_turn == 3 and len(episode.turns) == 3
    assert [t["shown"] for t in episode.turns] == [["red"], ["dear"], ["dear", "t1"]]
    assert {sid for sid, _ in engine.heard} == {"s1"}
    assert engine.heard[2][1] in BANK.phrasings("cheaper", "en")  # the colour was said; the dear navy one is dear


def test_episode_without_the_target_stops_at_max_turns_and_repeats_with_its_seed():
    def run(seed: int):
        engine = ScriptedEngine([(["red"], None)])
        return run_episode(engine, _shopper("zh", seed=seed, greet=1.0), "s", max_turns=5), engine.heard

    episode, heard = run(7)
    assert episode.success_turn is None and len(episode.turns) == 5
    assert heard[0][1] in BANK.phrasings("greeting", "zh")
    assert heard[1][1] in {r for c in ZH_CATS for r in _renderings("open_category", "zh", category=c)}
    assert run(7)[1] == heard
    assert [h for _, h in run(8)[1]] != [h for _, h in heard]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="opening must be one of"):
        _shopper("en", opening="shouting")
    with pytest.raises(ValueError, match="lang must be"):
        _shopper("fr")
    with pytest.raises(KeyError, match="no 'sing' phrasings"):
        BANK.phrasings("sing", "en")


# ---------------------------------------------------------------------------------------------- blindness
PARSER_SOURCES = ("tools.nlu_templates", "tools.nlu_train", "tools.nlu_corpora", "vidrec.nlu")


def test_the_simulator_imports_nothing_from_the_parser_or_its_templates():
    tree = ast.parse((REPO / "tools" / "simulator.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported, "the import scan found nothing"
    assert not {m for m in imported if m.startswith(PARSER_SOURCES)}


def test_a_simulated_episode_reads_no_parser_template_or_lexicon_at_run_time():
    """In a fresh interpreter, watch every file opened and module imported while shoppers of every opening talk."""
    code = f"""
import sys
opened = []
sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == "open" and args and isinstance(args[0], str)
                 else None)
sys.path.insert(0, {str(REPO)!r})
from types import SimpleNamespace
from tools.simulator import PhraseBank, Shopper, Target, run_episode
from vidrec.vocabulary import Taxonomy
t = Target(id="a", category="Jeans", colour="Blue", gender="Men", price=300.0)
truth = {{"a": t, "b": Target(id="b", category="Shirts", colour="Red", price=99.0)}}
class E:
    def respond(self, sid, text, user_id=None):
        return SimpleNamespace(items=[SimpleNamespace(id="b")], intent="recommend", question={{"slot": "price"}},
                               reply="")
bank = PhraseBank.load()
for k, o in enumerate(("vague", "category", "precise", "precise_budget")):
    run_episode(E(), Shopper(t, truth, Taxonomy.default(), "zh" if k % 2 else "en", k, bank, opening=o), "s", 6)
mods = sorted(m for m in sys.modules if m.startswith({PARSER_SOURCES!r}))
print(repr((mods, [p for p in opened if p.endswith((".json", ".txt", ".jsonl", ".tsv", ".csv"))])))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    mods, data_files = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert mods == []
    # the bank, and the vocabulary's traditional-to-simplified table (colour names); no lexicon, template or model
    assert sorted({Path(p).name for p in data_files}) == ["phrasebank.json", "traditional_to_simplified.txt"]


def test_the_nlu_training_never_reads_the_phrase_bank(tmp_path):
    """The bank is evaluation material: the NLU trainer's sources do not name it, and generating its training data
    (templates and real dialogs, with the bank's own folder offered as the data folder) opens no bank file."""
    for name in ("nlu_train.py", "nlu_corpora.py", "nlu_templates.py"):
        assert "phrasebank" not in (REPO / "tools" / name).read_text(encoding="utf-8").lower()
    code = f"""
import sys
opened = []
sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == "open" and args and isinstance(args[0], str)
                 else None)
sys.path.insert(0, {str(REPO)!r})
from tools.nlu_train import real_examples
from tools.nlu_templates import generate
examples = generate(30, 13) + real_examples({str(PHRASEBANK.parent)!r})
print(repr((len(examples), [e.text for e in examples], [p for p in opened if "phrasebank" in p])))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    n, texts, bank_opens = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert n > 100 and bank_opens == []
    raw = {p for v in BANK.situations.values() for lang in ("zh", "en") for p in v[lang] if "{" not in p}
    assert len(raw) > 100
    assert len(raw & set(texts)) <= 0.02 * len(raw), sorted(raw & set(texts))


def test_a_yes_no_question_about_what_it_just_said_is_answered_by_saying_it_again():
    # "是要把第三个去掉吗？" (slot "confirm"): the bank has no yes or no, so the shopper says its reject again in
    # other words of the same situation, never "any is fine"
    shopper = _shopper("zh", seed=3)
    shopper._say("reject_one", n=3)
    again = shopper.answer({"slot": "confirm", "options": ["yes", "no"]})
    assert shopper.last_situation == "reject_one"
    assert again in {p.format(n=o) for p in BANK.phrasings("reject_one", "zh") for o in ("第三个", "第3个", "3号")}
    assert again not in BANK.phrasings("answer_any", "zh")


def test_a_complaint_that_did_not_name_the_kind_is_followed_by_the_kind():
    # the third bank's wrong_kind phrasings name no kind ("wrong category", "这不是我要的"): a shopper who said one has
    # not said what it wants, so while the kind stays wrong it next says it (in the bank's answer_category words)
    bank3 = PhraseBank.load(PHRASEBANK.with_name("phrasebank3.json"))
    assert not any("{category}" in p for lang in ("zh", "en") for p in bank3.phrasings("wrong_kind", lang))
    shopper = Shopper(TARGET, TRUTH, Taxonomy.default(), "en", seed=0, bank=bank3, opening="vague", change_mind=0.0,
                      greet=0.0)
    first = shopper.react(["jeans"])
    assert first in bank3.phrasings("wrong_kind", "en") and not shopper.said_category
    second = shopper.react(["jeans"])
    assert second in {p.format(category=c) for c in EN_CATS for p in bank3.phrasings("answer_category", "en")}
    assert shopper.said_category
    # a bank whose complaints name the kind has said it with the complaint
    named = _shopper("en", seed=2, opening="vague")
    named.react(["jeans"])
    assert named.said_category
