"""bench/eval_ingest.py's statistics and judging: bootstrap intervals, the paired ratio, confusion tables, and who
"names" a product (a caption, or narration whose heard transcript has a type word of the display name)."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
_spec = importlib.util.spec_from_file_location("eval_ingest", REPO / "bench" / "eval_ingest.py")
ev = importlib.util.module_from_spec(_spec)
sys.modules["eval_ingest"] = ev
_spec.loader.exec_module(ev)

from bench.splits import split_of  # noqa: E402


def test_bootstrap_interval_contains_the_mean_and_narrows_with_more_items():
    few = ev.bootstrap([1.0, 0.0] * 10)
    many = ev.bootstrap([1.0, 0.0] * 500)
    assert few["value"] == many["value"] == 0.5
    assert few["ci95"][0] < 0.5 < few["ci95"][1]
    assert many["ci95"][1] - many["ci95"][0] < few["ci95"][1] - few["ci95"][0]
    assert (few["n"], many["n"]) == (20, 1000)
    assert ev.bootstrap([]) == {"value": None, "ci95": None, "n": 0}
    assert ev.bootstrap([1.0] * 7)["ci95"] == [1.0, 1.0]


def test_paired_ratio_is_the_ratio_of_means_with_an_interval_around_it():
    ours = [0.9, 0.5, 0.7, 1.0, 0.2, 0.6] * 5
    base = [1.0, 0.5, 0.8, 1.0, 0.4, 0.6] * 5
    r = ev.paired_ratio(ours, base)
    assert r["value"] == round(sum(ours) / sum(base), 3)
    assert r["ci95"][0] <= r["value"] <= r["ci95"][1] and r["ci95"][1] <= 1.0
    with pytest.raises(ValueError):
        ev.paired_ratio([1.0], [1.0, 0.5])


def test_ndcg_recall():
    assert ev.ndcg_recall(["a", "b"], {"a"}) == (1.0, 1.0)
    ndcg, recall = ev.ndcg_recall(["x", "a"], {"a", "b"})
    assert recall == 0.5 and 0.3 < ndcg < 0.5


def test_confusion_table_and_its_markdown():
    table = ev.confusion([("Tshirts", "Tshirts"), ("Tshirts", "Shirts"), ("Tshirts", "Shirts"), ("Heels", None)])
    assert table == {"Heels": {"(none)": 1}, "Tshirts": {"Shirts": 2, "Tshirts": 1}}
    md = ev.confusion_markdown(table)
    assert "| Tshirts | 3 | 1 | Shirts ×2 |" in md and "| Heels | 1 | 0 | (none) ×1 |" in md


def _profile(*lines: str):
    return SimpleNamespace(transcript=[SimpleNamespace(text=t) for t in lines])


def test_named_only_by_a_caption_or_a_heard_type_word():
    # real Myntra display names; what the ASR "heard" is written as a transcript would be
    full = {"caption": "no", "named_text": "Rockport Men Cape Noble Black Casual Shoes"}
    assert ev.named_where_heard(full, _profile("take a look at the rockport men cape noble black casual shoes"))
    assert not ev.named_where_heard(full, _profile("look at the rock port man cape noble"))  # the type unheard
    assert not ev.named_where_heard(full, _profile())
    brand = {"caption": "no", "named_text": "ADIDAS Anzo Breeze"}
    assert not ev.named_where_heard(brand, _profile("adidas anzo breeze only 300 yuan"))
    tee = {"caption": "no", "named_text": "U.S. Polo Assn. Men Solid Blue T-shirt"}
    assert ev.named_where_heard(tee, _profile("the u.s. polo men solid blue t shirt"))
    assert ev.named_where_heard({"caption": "yes", "named_text": "ADIDAS Anzo Breeze"}, _profile())


def test_a_catalog_whose_split_column_disagrees_with_the_hash_is_refused(tmp_path: Path):
    pid = "20001"
    wrong = next(s for s in ("tune", "dev", "heldout") if s != split_of(pid))
    with (tmp_path / "ground_truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "split", "rank"])
        w.writerow([pid, "videos/x.mp4", wrong, 0])
    with pytest.raises(SystemExit, match="marked " + wrong):
        ev.load_truth(tmp_path, None)


def test_paired_difference_is_the_mean_difference_over_the_same_items():
    ours = [1.0] * 30 + [0.0] * 10
    base = [1.0] * 20 + [0.0] * 20
    d = ev.paired_difference(ours, base)
    assert d["value"] == 0.25 and d["n"] == 40
    assert d["ci95"][0] > 0 and d["ci95"][0] <= 0.25 <= d["ci95"][1]
    assert ev.paired_difference(base, base)["ci95"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="equally long"):
        ev.paired_difference(ours, base[:-1])


def _coloured(colour: str, colours: list[str], source: str):
    from vidrec.understand.profile import Attribute, ItemProfile

    return ItemProfile(id="17651", video="v.mp4", attributes={
        "color": Attribute(value=colour, confidence=0.6, source=source),
        "colors": Attribute(value=colours, confidence=0.6, source=source)})


def test_colour_outcome_scores_exact_and_family_and_reports_the_colour_list_and_source_apart():
    # Myntra 17651 "Converse Unisex Blue Flip Flops" (baseColour Blue), read from its pixels as Navy Blue then Blue
    truth = {"baseColour": "Blue"}
    navy = ev.colour_outcome(truth, _coloured("Navy Blue", ["Navy Blue", "Blue"], "visual"))
    assert (navy["exact"], navy["family"], navy["among_colours"], navy["source"]) == (0.0, 1.0, 1.0, "pixels")
    assert navy["pair"] == ("Blue", "Navy Blue")
    named = ev.colour_outcome(truth, _coloured("Blue", ["Blue"], "ocr"))
    assert (named["exact"], named["family"], named["among_colours"], named["source"]) == (1.0, 1.0, 1.0, "named")
    # a colour outside the family and outside the list is wrong on every count
    grey = ev.colour_outcome(truth, _coloured("Grey", ["Grey", "Black"], "visual"))
    assert (grey["exact"], grey["family"], grey["among_colours"]) == (0.0, 0.0, 0.0)
