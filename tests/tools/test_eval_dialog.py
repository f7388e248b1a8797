"""bench/eval_dialog.py's judging: what a headline claims, which listed items lack it, and the paired statistics."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from vidrec.vocabulary import Taxonomy

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("eval_dialog", REPO / "bench" / "eval_dialog.py")
ev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ev)
TAX = Taxonomy.default()


@pytest.mark.parametrize(("reply", "claims"), [
    ("为你找到这些红色T恤：", {"colour": ["Red"], "category": ["Tshirts"]}),
    ("Here are some navy blue jeans for you:", {"colour": ["Navy Blue"], "category": ["Jeans"]}),
    ("I found no red dresses that fit; these dresses are the closest:", {"category": ["Dresses"]}),
    ("没有找到符合条件的红色连衣裙，这些连衣裙最接近：", {"category": ["Dresses"]}),
    ("Here are some shirts under 300 for you:", {"category": ["Shirts"], "price": (None, 300.0)}),
    ("推荐这几款黑色运动鞋 200元以内：", {"colour": ["Black"], "category": ["Sports Shoes"], "price": (None, 200.0)}),
    ("Sorry, nothing matches all of those. Try another colour or budget?", {}),
    ("Here are a few more:", {}),
])
def test_headline_claims(reply, claims):
    assert ev.headline_claims(reply, TAX) == claims


def test_an_item_lacks_what_it_does_not_have_and_an_unknown_value_lacks_a_named_constraint():
    claims = {"colour": ["Blue"], "category": ["Jeans"], "price": (None, 300.0)}
    assert ev.lacks(claims, "Jeans", ["Navy Blue"], 250.0) == []  # navy is blue
    assert ev.lacks(claims, "Shirts", ["Red"], 301.0) == ["category", "colour", "price"]
    assert ev.lacks(claims, None, [], None) == ["category", "colour", "price"]


def test_the_plan_rotates_openings_over_targets_and_languages():
    p = ev.plan(["a", "b"], ["zh", "en"], ["vague", "category", "precise", "precise_budget"])
    assert p == [("a", "zh", "vague"), ("a", "en", "category"), ("b", "zh", "precise"),
                 ("b", "en", "precise_budget")]


def _ep(target, opening, success_turn, turns=5, false_claims=0):
    return {"target": target, "lang": "en", "opening": opening, "success_turn": success_turn, "turns": turns,
            "false_claims": false_claims, "false_claims_truth": false_claims}


def test_metrics_and_the_paired_difference():
    a = [_ep("t1", "vague", 2, 2), _ep("t2", "vague", 7, 7, 1), _ep("t3", "vague", None, 10)]
    b = [_ep("t1", "vague", None, 10), _ep("t2", "vague", 3, 3), _ep("t3", "vague", None, 10)]
    m = ev.metrics(a, 10)
    assert m["success@5"] == pytest.approx(1 / 3) and m["success@10"] == pytest.approx(2 / 3)
    assert m["mean_turns_to_success"] == 4.5 and m["false_claim_rate"] == pytest.approx(1 / 19)
    d = ev.paired_difference(a, b, "success@10", 10, 200, random.Random(0))
    assert d[0] == pytest.approx(1 / 3, abs=1e-4)
    assert d[1] <= d[0] <= d[2] and d[1] < d[2]
    ci = ev.with_intervals(a, 10, 200, random.Random(0))
    assert ci["success@10"][0] == pytest.approx(0.6667, abs=1e-4) and ci["success@10"][1] < ci["success@10"][2]


@pytest.mark.parametrize("reply, apart", [
    ("Here are some black items under 300 for you:\nClose matches (not all you asked for): #4: brown/white, not black",
     {4}),
    ("看看这几款棕色腰带：\n相近（不完全符合）：第3个蓝色、红色，不是棕色；第4个紫色，不是棕色", {3, 4}),
    ("看看这几款棕色腰带：", set()),
    ("Here are 4 blue shorts: #1 is ¥99", set()),  # a position outside a close-matches section is not set apart
])
def test_items_the_reply_sets_apart_are_not_claimed(reply, apart):
    assert ev.set_apart(reply) == apart


def test_this_code_minus_a_baseline_run_is_paired_by_episode():
    mine = [dict(_ep("t1", "vague", 2, 2), system="vidrec"), dict(_ep("t2", "precise", 3, 3), system="vidrec"),
            dict(_ep("t3", "vague", None, 10), system="vidrec")]
    base = [dict(_ep("t1", "vague", None, 10), system="vidrec"), dict(_ep("t2", "precise", 3, 3), system="vidrec"),
            dict(_ep("t3", "vague", None, 10), system="vidrec"), dict(_ep("t1", "vague", 1, 1), system="no_questions")]
    out = ev.against_baseline({"vidrec": mine}, base, 10, 200, 0)
    assert set(out) == {"vidrec"}  # the baseline's other system is not compared with this one
    r = out["vidrec"]
    assert r["all_success@10"][0] == pytest.approx(1 / 3, abs=1e-4)
    assert r["vague_success@10"][0] == pytest.approx(0.5, abs=1e-4) and r["precise_success@10"][0] == 0
    assert r["all_mean_episode_turns"][0] == pytest.approx(-8 / 3, abs=1e-4)
    assert r["baseline"]["all"]["success@10"] == pytest.approx(1 / 3)
