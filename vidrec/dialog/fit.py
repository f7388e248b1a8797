"""How a shown item fits the request: which stated conditions it meets, which it misses, which it cannot tell.

A reply may name a condition in its headline ("红色连衣裙") only when every item listed as a match meets it; items
that miss a condition are listed apart, as close matches, with what differs ("蓝色，不是红色", "¥259, over your 200").
Each condition is compared as the attribute registry says (`Attribute.compare`): equal values, colour families, or
a price range. A value the item's profile does not have is unknown: not a miss, but not claimed either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vidrec.request import REGISTRY, Request, _empty
from vidrec.understand.calibration import is_unsure, runner_ups
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import Taxonomy

MET, MISSED, UNKNOWN = "met", "missed", "unknown"
# A headline names an inferred category or colour of its matches only when each was inferred with at least this
# calibrated probability (vidrec.understand.calibration): on a catalog of bare videos about half the inferred
# categories are wrong, and "为你找到这些手表" over a belt filed as a watch is a false claim. Fitted on the tune and dev
# stores (BENCHMARKS.md, "A conversation that tells the truth ... NAME=dialog").
CLAIM_SURE = 0.9
GUESSED = {"category": "category", "colour": "color"}  # request attribute -> the profile attribute it is read from
# Conditions that steer the ranking but never make an item a miss: an occasion ("下周去旅游", "going to a party") is
# read from a vague opening, and an item whose video names another one ("Semi Casual Men's Shoe") is no worse a
# travel shoe for it. As misses they put every item with a stated usage behind all those without one (on the tune
# 1k catalog, vague openings naming an occasion failed 9 times in 13, two of them on a target whose video names
# another: BENCHMARKS, issue 17 at 1k, NAME=dialog). An item with the occasion asked for meets it (and may be
# claimed), one with another is unknown on it.
STEERS = ("usage",)


@dataclass
class Fit:
    """One item against one request: attribute name -> met / missed / unknown, and the item's own value for each
    missed one."""

    item_id: str
    conditions: dict[str, str] = field(default_factory=dict)
    have: dict[str, Any] = field(default_factory=dict)
    # met conditions whose value the item has only by an inference less sure than CLAIM_SURE: a match, but not
    # something a headline may say of it
    guessed: set[str] = field(default_factory=set)

    @property
    def missed(self) -> list[str]:
        return [n for n, v in self.conditions.items() if v == MISSED]

    @property
    def match(self) -> bool:
        return not self.missed

    def met(self, name: str) -> bool:
        return self.conditions.get(name) == MET


def conditions(request: Request) -> list[str]:
    """Attribute names the request states something about (a value, a range end, or values ruled out), in
    registry order."""
    out = []
    values, excluded = request.values, request.excluded  # read directly: this runs for every item of every list
    for a in REGISTRY:
        if a.name == "size":  # sizes are not in the profiles: never claimed, never a miss
            continue
        if not _empty(values.get(a.name)) or values.get(a.name + "_min") is not None \
                or values.get(a.name + "_max") is not None or excluded.get(a.name):
            out.append(a.name)
    return out


def fit(profile: ItemProfile, request: Request, unsure_category: float = 0.0) -> Fit:
    """Which of the request's conditions the item meets. A category inferred (not given) with confidence below
    `unsure_category` whose runner-ups include the one asked for is unknown, not a miss."""
    out = Fit(profile.id)
    for name in conditions(request):
        a = REGISTRY.get(name)
        if name == "category" and _unsure_runner_up(profile, request.all("category"), unsure_category):
            out.conditions[name] = UNKNOWN
            continue
        if name == "colour" and _unsure_colour(profile, request.all("colour")):
            out.conditions[name] = UNKNOWN
            continue
        have = profile.value(a.profile_key)
        if have is None and a.profile_key != a.key:
            have = profile.value(a.key)
        if have in (None, "", []):
            out.conditions[name] = UNKNOWN
            continue
        verdict = MET
        if a.compare == "range":
            lo, hi = request.range(name)
            try:
                x = float(have)
            except (TypeError, ValueError):
                out.conditions[name] = UNKNOWN
                continue
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                verdict = MISSED
        else:
            wanted = request.all(name)
            # colours: the item's main colour decides; one it only shows besides (a black trim on a grey coat)
            # keeps it a match but is not claimed for it
            main = profile.value("color") if name == "colour" else None
            main = main if main not in (None, "") else (have[0] if name == "colour" and isinstance(have, list) else have)
            if wanted and not (a.matches(have, wanted) or a.matches(have, a.universal)):
                verdict = MISSED
            elif wanted and name == "colour" and not a.matches(main, wanted):
                verdict = UNKNOWN
            ruled_out = request.excluded_values(name)
            if ruled_out and a.matches(main if name == "colour" else have, ruled_out):
                verdict = MISSED
        if verdict == MISSED and name in STEERS:
            verdict = UNKNOWN
        out.conditions[name] = verdict
        if verdict == MISSED:
            out.have[name] = have
        elif verdict == MET and name in GUESSED and not _sure(profile.attributes.get(GUESSED[name])):
            out.guessed.add(name)
    return out


def _sure(attr) -> bool:
    """Whether an inferred value is sure enough to be named as a fact: metadata always; a calibrated inference with
    probability at least CLAIM_SURE; a profile stored before calibration, unless marked unsure."""
    if attr is None:
        return False
    if attr.source == "metadata":
        return True
    if attr.probability is None:
        return not attr.unsure
    return attr.probability >= CLAIM_SURE


def _unsure_runner_up(profile: ItemProfile, wanted: list, below: float) -> bool:
    cat = profile.attributes.get("category")
    if not is_unsure(cat, below):  # the calibrated mark; a raw confidence bound for profiles stored before it
        return False
    return any(str(c.get("value")) in [str(w) for w in wanted] for c in cat.conflicts)


def _unsure_colour(profile: ItemProfile, wanted: list) -> bool:
    """The item's colour is an unsure guess (calibrated) that names a wanted colour as a runner-up or a second
    colour: neither met nor missed."""
    col = profile.attributes.get("color")
    if not is_unsure(col):
        return False
    candidates = {str(v) for v in [*runner_ups(col), *(profile.value("colors") or [])]}
    return any(str(w) in candidates for w in wanted)


def differs_text(f: Fit, request: Request, lang: str, taxonomy: Taxonomy | None = None) -> str:
    """What a close match misses, in words: "蓝色，不是红色" / "blue, not red"; "¥259，超出预算200" / "¥259, over
    your 200"."""
    zh = lang == "zh"
    parts = []
    for name in f.missed:
        a = REGISTRY.get(name)
        have = f.have.get(name)
        if a.compare == "range":
            lo, hi = request.range(name)
            x = float(have)
            if hi is not None and x > hi:
                parts.append(f"¥{x:g}，超出{hi:g}的预算" if zh else f"¥{x:g}, over your {hi:g}")
            else:
                parts.append(f"¥{x:g}，低于{lo:g}" if zh else f"¥{x:g}, under your {lo:g}")
            continue
        mine = _name(name, have, lang, taxonomy)
        wanted = request.all(name)
        if wanted:
            theirs = ("或" if zh else " or ").join(_name(name, w, lang, taxonomy) for w in wanted)
            parts.append(f"{mine}，不是{theirs}" if zh else f"{mine}, not {theirs}")
        else:
            parts.append(f"是{mine}的" if zh else f"it is {mine}")
    return ("；" if zh else "; ").join(parts)


def _name(name: str, value: Any, lang: str, taxonomy: Taxonomy | None) -> str:
    if isinstance(value, list):
        return ("、" if lang == "zh" else "/").join(_name(name, v, lang, taxonomy) for v in value[:2])
    if name == "category":
        t = (taxonomy or Taxonomy.default()).lookup(str(value))
        if t is not None:
            return t.zh_name if lang == "zh" else t.en_name
        return str(value)
    return REGISTRY.get(name).term_name(value, lang)


def claimable(request: Request, fits: list[Fit]) -> Request:
    """The part of the request that every listed match meets, each by a value it surely has (not a guess below
    CLAIM_SURE): what a headline may name."""
    names = [n for n in conditions(request) if fits and all(f.met(n) and n not in f.guessed for f in fits)]
    return request.keep(*names)


def to_relax(request: Request, fits: list[Fit], keep: list[str] = ()) -> str | None:
    """The one condition whose dropping would let most of these items fit (the category, and what was just asked
    for, `keep`, last): what to offer to relax when nothing fits."""
    counts: dict[str, int] = {}
    for f in fits:
        if len(f.missed) == 1:
            counts[f.missed[0]] = counts.get(f.missed[0], 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda n: (n != "category", n not in keep, counts[n]))
