"""bench/eval_closed_loop.py's tastes, users and paired statistics."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from tools.simulator import Target

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
_spec = importlib.util.spec_from_file_location("eval_closed_loop", REPO / "bench" / "eval_closed_loop.py")
cl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cl)


def _catalog() -> dict[str, Target]:
    out = {}
    for k in range(60):
        colour = ("Navy Blue", "Blue", "Black", "Red", "Green", "White")[k % 6]
        cat = ("Jeans", "Shirts")[k % 2]
        out[f"i{k}"] = Target(id=f"i{k}", category=cat, colour=colour, price=float(100 + k))
    return out


def test_a_taste_is_a_colour_family_and_a_price_half_per_category():
    taste = cl.Taste("u", "Blue", "low", "en", {"Jeans": 130.0, "Shirts": 200.0})
    assert taste.fits(Target("a", "Jeans", "Navy Blue", price=120.0))  # navy is blue, 120 is the cheap half
    assert not taste.fits(Target("b", "Jeans", "Navy Blue", price=140.0))
    assert taste.fits(Target("c", "Shirts", "Blue", price=140.0))  # the half is per category
    assert not taste.fits(Target("d", "Shirts", "Red", price=100.0)) and not taste.fits(None)
    assert not taste.fits(Target("e", "Shirts", "Blue"))  # no price: no band


def test_users_get_common_colours_both_bands_and_both_languages():
    users = cl.make_users(_catalog(), 6, random.Random(0))
    assert len({u.user for u in users}) == 6
    assert {u.colour for u in users} <= {"Blue", "Black", "Red", "Green", "White"}
    assert {u.band for u in users} == {"low", "high"} and {u.lang for u in users} == {"zh", "en"}
    assert cl.base_colours(_catalog(), 8)[0] == "Blue"  # navy blue + blue: 20 items


def test_paired_interval_brackets_the_point():
    a = [{"success_turn": t} for t in (1, 2, 3, None, 2, 8)]
    b = [{"success_turn": t} for t in (4, None, 3, None, 6, 9)]
    d = cl.paired_ci(a, b, "success@3", 10, 300, random.Random(1))
    assert d[0] == pytest.approx(0.5) and d[1] <= d[0] <= d[2]
    assert cl.success_stats(a, 10)["mean_turns_capped"] == pytest.approx((1 + 2 + 3 + 11 + 2 + 8) / 6, abs=1e-3)
