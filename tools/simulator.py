"""A simulated shopper, to measure the conversational loop end to end.

It has a hidden target item (its true attributes), opens with a vague request (only the category) in Chinese or
English, answers questions truthfully from the target's attributes, critiques the items it is shown toward the
target ("cheaper", "in blue", "not this one"), and succeeds when the target is shown. It sees only what the system
showed: the items' titles, prices and what their videos show (their true attributes), never the ranking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from vidrec.vocabulary import COLOUR_VOCABULARY, USAGE_VOCABULARY, Taxonomy


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
    success_turn: int | None
    turns: list[dict] = field(default_factory=list)


OPENERS = {
    "zh": ["我想买{cat}", "有没有{cat}", "推荐几款{cat}", "想看看{cat}", "帮我找一下{cat}"],
    "en": ["I'm looking for {cat}", "show me some {cat}", "do you have any {cat}?", "I want to buy {cat}",
           "recommend me {cat}"],
}
COLOUR_SAY = {"zh": ["要{c}的", "{c}的", "我想要{c}"], "en": ["in {c}", "{c} please", "I'd like it in {c}"]}
CHEAPER = {"zh": ["便宜一点", "太贵了，有便宜点的吗", "再便宜些"], "en": ["cheaper", "something cheaper please",
                                                               "too expensive"]}
PRICIER = {"zh": ["有没有贵一点的", "想要更好一点的，贵点没关系"], "en": ["something more premium",
                                                              "show me pricier ones"]}
REJECT = {"zh": ["不喜欢第{n}个", "第{n}个不要", "不要第{n}个"], "en": ["not the {ord} one", "I don't like number {n}",
                                                             "no to the {ord} one"]}
MORE = {"zh": ["还有别的吗", "换一批", "再看看别的"], "en": ["show me more", "anything else?", "more please"]}
ANY = {"zh": ["都可以", "随便"], "en": ["any is fine", "no preference"]}
ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
GENDER_SAY = {"Men": ("男款", "men's"), "Women": ("女款", "women's"), "Boys": ("男童的", "boys'"),
              "Girls": ("女童的", "girls'"), "Unisex": ("男女同款", "unisex")}


class SimulatedShopper:
    """One shopper per episode; `truth` gives the true attributes of any item it is shown."""

    def __init__(self, target: Target, truth: dict[str, Target], taxonomy: Taxonomy, lang: str, seed: int):
        self.target = target
        self.truth = truth
        self.taxonomy = taxonomy
        self.lang = lang
        self.rng = random.Random(seed)
        self.said_colour = False

    def _pick(self, options: list[str], **kw) -> str:
        return self.rng.choice(options).format(**kw)

    def _cat(self) -> str:
        term = self.taxonomy.lookup(self.target.category)
        if term is None:
            return self.target.category
        if self.lang == "zh":
            return self.rng.choice(term.zh[:2] or (term.canonical,))
        return self.rng.choice(term.en[:2] or (term.canonical.lower(),))

    def _colour(self, name: str) -> str:
        term = COLOUR_VOCABULARY.lookup(name)
        if term is None:
            return name
        return term.zh_name if self.lang == "zh" else term.canonical.lower()

    def opening(self) -> str:
        return self._pick(OPENERS[self.lang], cat=self._cat())

    def answer(self, question: dict) -> str:
        slot, options = question.get("slot"), question.get("options") or []
        t = self.target
        if slot == "color" and t.colour:
            self.said_colour = True
            return self._pick(COLOUR_SAY[self.lang], c=self._colour(t.colour))
        if slot == "gender" and t.gender in GENDER_SAY:
            zh, en = GENDER_SAY[t.gender]
            return zh if self.lang == "zh" else en
        if slot == "price" and t.price is not None:
            from vidrec.dialog.policy import price_option_range

            for opt in options:
                lo, hi = price_option_range(opt)
                if (lo is None or t.price >= lo) and (hi is None or t.price < hi):
                    return opt
        if slot == "usage" and t.usage:
            term = USAGE_VOCABULARY.lookup(t.usage)
            if term:
                return (term.zh[0] if self.lang == "zh" else term.en[0]) if (term.zh and term.en) else t.usage
        if slot == "category":
            return self._cat()
        return self._pick(ANY[self.lang])

    def critique(self, shown: list[str]) -> str:
        """React to a list that lacks the target, using only what the shown items show."""
        t = self.target
        seen = [self.truth.get(i) for i in shown]
        if t.colour and not self.said_colour and any(s and s.colour != t.colour for s in seen):
            self.said_colour = True
            return self._pick(COLOUR_SAY[self.lang], c=self._colour(t.colour))
        prices = [s.price for s in seen if s and s.price is not None]
        if t.price is not None and prices and min(prices) > t.price * 1.05:
            return self._pick(CHEAPER[self.lang])
        if t.price is not None and prices and max(prices) < t.price * 0.95:
            return self._pick(PRICIER[self.lang])
        if t.gender and any(s and s.gender and s.gender != t.gender for s in seen) and self.rng.random() < 0.5:
            zh, en = GENDER_SAY.get(t.gender, (t.gender, t.gender))
            return f"要{zh}" if self.lang == "zh" else f"{en} please"
        wrong = [n for n, s in enumerate(seen, 1) if s and (s.colour != t.colour or s.category != t.category)]
        if wrong and self.rng.random() < 0.6:
            n = wrong[0]
            return self._pick(REJECT[self.lang], n=n, ord=ORD.get(n, str(n)))
        return self._pick(MORE[self.lang])


def run_episode(engine, shopper: SimulatedShopper, session_id: str, max_turns: int = 10) -> Episode:
    ep = Episode(target=shopper.target.id, lang=shopper.lang, success_turn=None)
    text = shopper.opening()
    for turn_no in range(1, max_turns + 1):
        turn = engine.respond(session_id, text)
        shown = [i.id for i in turn.items]
        ep.turns.append({"say": text, "intent": turn.intent, "question": turn.question, "shown": shown})
        if shopper.target.id in shown:
            ep.success_turn = turn_no
            break
        text = shopper.answer(turn.question) if turn.question else shopper.critique(shown)
    return ep
