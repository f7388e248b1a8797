"""A simulated shopper, to measure the conversational loop end to end.

A `Shopper` has a hidden target item (its true attributes). It opens vaguely ("any ideas for my dad?"), with only
the category, or precisely (colour and category, sometimes a budget), in Chinese or English; answers the system's
questions from the target; critiques what it is shown ("cheaper", "in blue", "not the second one", "none of
these", "I asked for jeans"); sometimes likes a near miss; sometimes changes its mind (it first asks for another
colour, then switches to the one it really wants); and succeeds when the target is shown.

Every message is drawn from a phrase bank written blind (by someone who never read the parser; see
``tools/data/README.md``): the simulator fills the bank's placeholders ({category}, {colour}, {price}, {n}) and
adds no wording of its own except the gender words prefixed to a category when asked for a gender (the bank has no
gender situation). It never reads the parser's templates, lexicon or training data. It sees only what the system
showed: the shown items' true attributes (as a shopper sees them in the video), never the ranking or the reply's
fields.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy

PHRASEBANK = Path(__file__).resolve().parent / "data" / "phrasebank.json"
OPENINGS = ("vague", "category", "precise", "precise_budget")
VAGUE_OPENINGS = ("vague", "category")
PRECISE_OPENINGS = ("precise", "precise_budget")

# How a shopper refers to the n-th card ({n} in the bank): a few everyday forms per language.
_ZH_NUM = "零一二三四五六七八九十"
ORDINAL_FORMS = {
    "zh": ("第{zh}个", "第{d}个", "{d}号"),
    "en": ("the {ord} one", "the {nth} one", "number {d}", "#{d}"),
}
_EN_ORD = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
GENDER_SAY = {"Men": ("男款", "men's"), "Women": ("女款", "women's"), "Boys": ("男童", "boys'"),
              "Girls": ("女童", "girls'"), "Unisex": ("男女同款", "unisex")}


@dataclass
class Target:
    """What the shopper wants: an item and its true attributes (catalog labels; colour as a canonical name)."""

    id: str
    category: str
    colour: str | None = None
    gender: str | None = None
    usage: str | None = None
    price: float | None = None


@dataclass
class Episode:
    target: str
    lang: str
    opening: str
    success_turn: int | None
    turns: list[dict] = field(default_factory=list)


class PhraseBank:
    """The blind phrase bank: situation -> language -> phrasings with placeholders."""

    def __init__(self, situations: dict[str, dict[str, list[str]]]):
        self.situations = situations

    @classmethod
    def load(cls, path: str | Path = PHRASEBANK) -> PhraseBank:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SystemExit(f"error: phrase bank {p} not found") from exc
        situations = data.get("situations") if isinstance(data, dict) else None
        if not isinstance(situations, dict) or not situations:
            raise SystemExit(f"error: {p} has no 'situations' object")
        return cls(situations)

    def phrasings(self, situation: str, lang: str) -> list[str]:
        try:
            out = self.situations[situation][lang]
        except KeyError as exc:
            raise KeyError(f"the phrase bank has no {situation!r} phrasings in {lang!r}") from exc
        if not out:
            raise KeyError(f"the phrase bank's {situation!r}/{lang!r} list is empty")
        return out


def ordinal(n: int, lang: str, rng: random.Random) -> str:
    """The n-th card (1-based) in one of a few everyday forms: 第二个 / 第2个 / 2号; the second one / number 2."""
    form = rng.choice(ORDINAL_FORMS[lang])
    nth = f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"
    return form.format(d=n, zh=_ZH_NUM[n] if n <= 10 else str(n), ord=_EN_ORD[n] if n <= 10 else nth, nth=nth)


def budget_for(price: float) -> int:
    """The round budget a shopper names for an item of this price: the next multiple of 50 (100 above 1,000)."""
    step = 100 if price >= 1000 else 50
    return int(math.ceil(price / step) * step)


class Shopper:
    """One shopper per episode; `truth` gives the true attributes of any item it is shown.

    opening: "vague" (no category), "category" (only the category), "precise" (colour and category) or
    "precise_budget" (colour, category and a budget). change_mind: the chance that it first asks for a colour it
    does not want, and switches to the target's colour after seeing the first list.
    """

    def __init__(self, target: Target, truth: dict[str, Target], taxonomy: Taxonomy, lang: str, seed: int,
                 bank: PhraseBank, opening: str = "category", change_mind: float = 0.15, like_near_miss: float = 0.3,
                 greet: float = 0.05):
        if opening not in OPENINGS:
            raise ValueError(f"opening must be one of {', '.join(OPENINGS)}")
        if lang not in ("zh", "en"):
            raise ValueError("lang must be zh or en")
        self.target, self.truth, self.taxonomy, self.lang, self.bank = target, truth, taxonomy, lang, bank
        self.opening_kind = opening
        self.last_situation: str | None = None  # the bank situation of the last message
        self.last_template = ""  # ... and its phrasing before the placeholders were filled
        self.complained_unnamed = False  # complained about the kind in words that did not name it
        self._last_kw: dict = {}  # ... and the values it was filled with
        self.rng = random.Random(seed)
        self.said_category = False
        self.said_colour = False
        self.said_budget = False
        self.asked_other_colour = False
        self.relaxed_colour = False
        self.liked: set[str] = set()
        colours = sorted({t.colour for t in truth.values() if t.colour and t.colour != target.colour})
        self.decoy = self.rng.choice(colours) if target.colour and colours and self.rng.random() < change_mind \
            else None
        self.changed_mind = False
        self.like_near_miss = like_near_miss
        self.greets = self.rng.random() < greet

    # ------------------------------------------------------------------------------------------------ words
    def _say(self, situation: str, **kw) -> str:
        text = self.rng.choice(self.bank.phrasings(situation, self.lang))
        self.last_situation = situation
        self.last_template = text
        self._last_kw = dict(kw)
        if "{n}" in text and "n" in kw:
            kw = dict(kw, n=ordinal(int(kw["n"]), self.lang, self.rng))
        return text.format(**kw)

    def _cat(self, gendered: bool = False) -> str:
        term = self.taxonomy.lookup(self.target.category)
        names = (term.zh if self.lang == "zh" else term.en) if term is not None else ()
        name = self.rng.choice(names[:2]) if names else self.target.category
        if gendered and self.target.gender in GENDER_SAY:
            zh, en = GENDER_SAY[self.target.gender]
            return zh + name if self.lang == "zh" else f"{en} {name}"
        return name

    def _colour(self, canonical: str) -> str:
        term = COLOUR_VOCABULARY.lookup(canonical)
        if term is None:
            return canonical.lower()
        names = [n for n in (term.zh if self.lang == "zh" else term.en) if not n.endswith("的")]
        return self.rng.choice(names[:2]) if names else canonical.lower()

    def _wanted_colour(self) -> str | None:
        """The colour the shopper asks for now: the decoy until it changes its mind."""
        return self.decoy if self.decoy and not self.changed_mind else self.target.colour

    def _budget(self) -> str:
        self.said_budget = True
        return str(budget_for(self.target.price or 0.0))

    # ------------------------------------------------------------------------------------------------ turns
    def greeting(self) -> str | None:
        return self._say("greeting") if self.greets else None

    def opening(self) -> str:
        kind = self.opening_kind
        colour = self._wanted_colour()
        if kind in ("precise", "precise_budget") and colour is None:
            kind = "category"
        if kind == "precise_budget" and self.target.price is None:
            kind = "precise"
        if kind == "vague":
            return self._say("open_vague")
        self.said_category = True
        if kind == "category":
            return self._say("open_category", category=self._cat())
        self.said_colour = True
        if kind == "precise":
            return self._say("open_precise", category=self._cat(), colour=self._colour(colour))
        return self._say("open_precise_budget", category=self._cat(), colour=self._colour(colour),
                         price=self._budget())

    def answer(self, question: dict) -> str:
        """Answer the system's question from the target (what the bank has no words for gets "any is fine").

        A yes/no question about what the shopper just asked for ("是要把第三个去掉吗？", slot "confirm") is answered
        by saying again, in other words of the same bank situation, what it meant: the bank has no yes or no, and
        "any is fine" would answer nothing."""
        slot = question.get("slot")
        t = self.target
        if slot == "confirm" and self.last_situation is not None:
            return self._say(self.last_situation, **self._last_kw)
        if slot == "category":
            self.said_category = True
            return self._say("answer_category", category=self._cat())
        if slot in ("color", "colour") and self._wanted_colour():
            self.said_colour = True
            return self._say("answer_colour", colour=self._colour(self._wanted_colour()))
        if slot == "price" and t.price is not None:
            return self._say("answer_budget", price=self._budget())
        if slot == "gender" and t.gender in GENDER_SAY:
            self.said_category = True
            return self._say("answer_category", category=self._cat(gendered=True))
        return self._say("answer_any")

    def buy(self, n: int) -> str:
        """Put the n-th card (1-based) in the cart, in the bank's words."""
        return self._say("buy_one", n=n)

    def react(self, shown: list[str]) -> str:
        """React to a list (possibly empty) that lacks the target, using only what the shown items show."""
        t = self.target
        seen = [self.truth.get(i) for i in shown]
        if not shown:
            if not self.said_category:
                self.said_category = True
                return self._say("answer_category", category=self._cat())
            if self.decoy and not self.changed_mind:
                self.changed_mind = True
                return self._say("want_colour", colour=self._colour(t.colour))
            if self.said_budget and self.rng.random() < 0.5:
                self.said_budget = False
                return self._say("relax_budget")
            if self.said_colour and not self.relaxed_colour and self.rng.random() < 0.5:
                self.relaxed_colour = True  # nothing in its colour (as the system sees colours): lets it go
                return self._say("relax_colour")
            return self._say("more")
        if self.decoy and not self.changed_mind:  # saw the first list in the decoy colour: changes its mind
            self.changed_mind = True
            self.said_colour = True
            if self.rng.random() < 0.3:
                return self._say("relax_colour")
            return self._say("want_colour", colour=self._colour(t.colour))
        off_kind = [n for n, s in enumerate(seen, 1) if s is None or s.category != t.category]
        if off_kind and (not self.said_category or len(off_kind) * 2 > len(shown)):
            if self.complained_unnamed and not self.said_category:
                # its complaint did not say the kind ("that's not what I asked for") and the kind is still wrong:
                # now it says what it wants, as it would answer "what kind of item?"
                self.said_category = True
                return self._say("answer_category", category=self._cat())
            text = self._say("wrong_kind", category=self._cat())
            if "{category}" in self.last_template:
                self.said_category = True
            else:
                self.complained_unnamed = True
            return text
        if t.colour and not self.said_colour and any(s and s.colour != t.colour for s in seen):
            if not self.asked_other_colour and self.rng.random() < 0.2:
                self.asked_other_colour = True
                return self._say("another_colour")
            self.said_colour = True
            return self._say("want_colour", colour=self._colour(t.colour))
        prices = [s.price for s in seen if s and s.price is not None]
        if t.price is not None and prices and min(prices) > t.price * 1.05:
            return self._say("cheaper")
        if self.said_budget and t.price is not None and prices and max(prices) < t.price * 0.95:
            self.said_budget = False
            return self._say("relax_budget")
        near = [n for n, s in enumerate(seen, 1) if s and s.id not in self.liked and s.category == t.category
                and s.colour == t.colour]
        if near and self.rng.random() < self.like_near_miss:
            self.liked.add(shown[near[0] - 1])
            return self._say("like_one", n=near[0])
        wrong = [n for n, s in enumerate(seen, 1) if s is None or s.colour != t.colour or s.category != t.category]
        if wrong and len(wrong) == len(shown) and self.rng.random() < 0.3:
            return self._say("reject_all")
        if wrong and self.rng.random() < 0.6:
            return self._say("reject_one", n=self.rng.choice(wrong))
        return self._say("more")


def run_episode(engine, shopper: Shopper, session_id: str, max_turns: int = 10, user_id: str | None = None,
                on_turn=None) -> Episode:
    """Talk until the target is shown or `max_turns` messages were sent. `on_turn(text, turn)` sees each turn."""
    ep = Episode(target=shopper.target.id, lang=shopper.lang, opening=shopper.opening_kind, success_turn=None)
    hello = shopper.greeting()
    text, opened = (hello, False) if hello else (shopper.opening(), True)
    for turn_no in range(1, max_turns + 1):
        situation = shopper.last_situation
        turn = engine.respond(session_id, text, user_id) if user_id else engine.respond(session_id, text)
        shown = [i.id for i in turn.items]
        ep.turns.append({"say": text, "situation": situation, "intent": turn.intent, "question": turn.question, "shown": shown,
                         "reply": getattr(turn, "reply", "")})
        if on_turn is not None:
            on_turn(text, turn)
        if shopper.target.id in shown:
            ep.success_turn = turn_no
            break
        if not opened:
            text, opened = shopper.opening(), True
        elif turn.question:
            text = shopper.answer(turn.question)
        else:
            text = shopper.react(shown)
    return ep
