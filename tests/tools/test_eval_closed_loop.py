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


def test_a_style_taste_takes_the_kinds_with_most_items_of_the_users_colour():
    items = {f"j{k}": Target(id=f"j{k}", category="Jeans", colour=("Navy Blue", "Blue")[k % 2], price=float(100 + k))
             for k in range(6)}
    items |= {f"s{k}": Target(id=f"s{k}", category="Socks", colour="Blue", price=float(50 + k)) for k in range(4)}
    items |= {f"h{k}": Target(id=f"h{k}", category="Shirts", colour="Red", price=float(50 + k)) for k in range(8)}
    items["w0"] = Target(id="w0", category="Watches", colour="Blue", price=900.0)  # one blue watch: not a style
    taste = cl.Taste("u", "Blue", "low", "en", {"Jeans": 102.5, "Socks": 51.5})
    cl.give_kinds([taste], items, 1, random.Random(0))
    assert taste.kinds == ("Jeans",)  # navy counts as blue: 6 jeans against 4 socks; red shirts are not theirs
    assert taste.kind_fits(items["j0"]) and not taste.kind_fits(items["s0"]) and not taste.kind_fits(None)
    assert cl.kind_pool(taste, items) == ["j0", "j1", "j2"]  # the cheap half of the jeans
    cl.give_kinds([taste], items, 3, random.Random(0))
    assert taste.kinds == ("Jeans", "Socks") and taste.as_dict()["kinds"] == ["Jeans", "Socks"]


def test_the_pool_of_a_style_keeps_the_colour_when_the_band_leaves_nothing():
    items = {f"s{k}": Target(id=f"s{k}", category="Socks", colour="Blue", price=float(50 + k)) for k in range(4)}
    taste = cl.Taste("u", "Blue", "high", "en", {"Socks": 100.0}, kinds=("Socks",))  # every sock is cheap
    assert cl.kind_pool(taste, items) == ["s0", "s1", "s2", "s3"]


def test_openings_are_a_weighted_mix_drawn_from_the_sessions_own_seed():
    assert cl.parse_openings("category") == {"category": 1.0}
    mix = cl.parse_openings("category:2, vague:1,precise:1")
    assert mix == {"category": 2.0, "vague": 1.0, "precise": 1.0}
    with pytest.raises(ValueError):
        cl.parse_openings("mumble:1")
    with pytest.raises(ValueError):
        cl.parse_openings("vague:0")
    assert {cl.opening_for({"category": 1.0}, s) for s in range(50)} == {"category"}
    drawn = [cl.opening_for(mix, s) for s in range(400)]
    assert drawn == [cl.opening_for(mix, s) for s in range(400)]  # the same seed, the same opening in every arm
    assert 150 < drawn.count("category") < 250 and drawn.count("vague") > 60 and drawn.count("precise") > 60
