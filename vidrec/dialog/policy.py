"""Ask or recommend: ask one clarifying question when the candidates are many and one attribute splits them well.

The attribute is chosen by expected information gain over the candidates (the entropy of its values, weighted by
each candidate's relevance, times the share of candidates whose value is known). Known slots are never asked,
and never two questions in a row unless the last one was answered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from vidrec.request import REGISTRY
from vidrec.understand.profile import ItemProfile

MIN_CANDIDATES = 8  # fewer than this: just show them
# A question always comes with a list beside it (vidrec.dialog.engine.Engine._recommend), so it costs the shopper no
# turn; it must still be worth the shopper's attention. Both thresholds fitted on the tune store (80 bare tune-split
# videos, the first, spent phrase bank, 160 episodes; BENCHMARKS.md "Questions that pay ... NAME=dialog"): vague /
# precise gains 1.0 / 1.0 bits gave success@10 0.900, 1.0 / 2.0 0.900, 0.5 / 1.0 0.900, 1.0 / 0.5 0.900, and
# 1.0 / never (the previous setting) 0.894; 1.0 / 1.0 kept (best success@5, 0.713).
MIN_GAIN_BITS = 1.0  # a question must at least halve the candidates (in expectation)
MIN_GAIN_BITS_PRECISE = 1.0  # ... also once the shopper has named the kind of item
MAX_OPTIONS = 4


def askable() -> dict[str, str]:
    """Question slot (the attribute's JSON key) -> the item-profile attribute it splits the candidates on: the
    registry's askable attributes, in its order."""
    return {a.key: a.key for a in REGISTRY.askable()}


@dataclass
class Question:
    slot: str  # the attribute's JSON key ("color"): it is shown in the API and kept in the session
    options: list[str]
    gain: float

    def to_dict(self) -> dict:
        return {"slot": self.slot, "options": self.options}


def _price_buckets(prices: list[float]) -> list[tuple[float | None, float | None, str]]:
    qs = np.quantile(np.asarray(prices), [1 / 3, 2 / 3])
    lo, hi = (float(round(q, -1)) if q >= 100 else float(round(q)) for q in qs)
    if hi <= lo:
        return []
    return [(None, lo, f"<{lo:g}"), (lo, hi, f"{lo:g}-{hi:g}"), (hi, None, f">{hi:g}")]


def _value(profile: ItemProfile, attr: str) -> str | None:
    v = profile.value(attr)
    if v is None or v == "":
        return None
    return str(v)


def information_gain(values: list[str | None], weights: list[float]) -> tuple[float, dict[str, float]]:
    """Expected bits learned by asking: entropy of the known values' weighted distribution × known share."""
    mass: dict[str, float] = defaultdict(float)
    known = 0.0
    total = sum(weights) or 1.0
    for v, w in zip(values, weights, strict=True):
        if v is not None:
            mass[v] += w
            known += w
    if known <= 0 or len(mass) < 2:
        return 0.0, dict(mass)
    h = -sum((m / known) * math.log2(m / known) for m in mass.values() if m > 0)
    return h * (known / total), dict(mass)


def choose_question(candidates: list[ItemProfile], weights: list[float], known: set[str], asked: list[str],
                    last_turn_asked: bool, min_gain: float | None = None) -> Question | None:
    """The best question to ask now, or None (recommend instead). `min_gain` defaults to MIN_GAIN_BITS, or to
    MIN_GAIN_BITS_PRECISE when the category is known."""
    if min_gain is None:
        min_gain = MIN_GAIN_BITS_PRECISE if "category" in known else MIN_GAIN_BITS
    if last_turn_asked or len(candidates) < MIN_CANDIDATES:
        return None
    best: Question | None = None
    for slot, attr in askable().items():
        is_range = REGISTRY.get(slot).compare == "range"
        if slot in asked or slot in known or (is_range and ({f"{slot}_min", f"{slot}_max"} & known)):
            continue
        if is_range:
            prices = [p.value(attr) for p in candidates]
            numeric = [float(x) for x in prices if isinstance(x, (int, float))]
            if len(numeric) < MIN_CANDIDATES:
                continue
            buckets = _price_buckets(numeric)
            if not buckets:
                continue
            values = []
            for x in prices:
                if not isinstance(x, (int, float)):
                    values.append(None)
                    continue
                values.append(next(label for lo, hi, label in buckets
                                   if (lo is None or x >= lo) and (hi is None or x < hi)))
            gain, mass = information_gain(values, weights)
            options = [label for _, _, label in buckets]
        else:
            values = [_value(p, attr) for p in candidates]
            gain, mass = information_gain(values, weights)
            options = [v for v, _ in sorted(mass.items(), key=lambda kv: -kv[1])][:MAX_OPTIONS]
        if gain >= min_gain and (best is None or gain > best.gain):
            best = Question(slot=slot, options=options, gain=round(gain, 3))
    return best


def price_option_range(option: str) -> tuple[float | None, float | None]:
    """"<100" → (None, 100); "100-300" → (100, 300); ">300" → (300, None)."""
    option = option.strip()
    if option.startswith("<"):
        return None, float(option[1:])
    if option.startswith(">"):
        return float(option[1:]), None
    lo, _, hi = option.partition("-")
    return float(lo), float(hi)
