"""bench/build_eval_catalog.py: every item's split is the hashed split of its photo, names are the real display names,
a larger catalog keeps every item of a smaller one, and bare catalogs carry no title."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
_spec = importlib.util.spec_from_file_location("build_eval_catalog", REPO / "bench" / "build_eval_catalog.py")
bec = importlib.util.module_from_spec(_spec)
sys.modules["build_eval_catalog"] = bec
_spec.loader.exec_module(bec)

from bench.splits import split_of  # noqa: E402

# Real Myntra product display names (id, articleType, baseColour, gender, productDisplayName).
REAL = [
    ("Casual Shoes", "Brown", "Men", "ADIDAS Men Anzo Breeze Brown Casual Shoes"),
    ("Watches", "Black", "Women", "Puma Women Flux-M Black Watch"),
    ("Shirts", "Navy Blue", "Men", "Levis Men Check Navy Blue Shirts"),
    ("Sandals", "Black", "Men", "Lotto Men Riot Black Sandals"),
    ("Wallets", "Brown", "Men", "Newhide Vintage Wallet"),
    ("Casual Shoes", "Black", "Men", "Rockport Men Cape Noble Black Casual Shoes"),
    ("Tshirts", "Blue", "Men", "U.S. Polo Assn. Men Solid Blue Tshirt"),
    ("Tshirts", "Grey", "Men", "Doodle Boy Road Trip Grey Tshirts"),
]


def test_brand_and_model_drops_gender_colour_and_type_words_but_keeps_the_brand():
    assert bec.brand_and_model("ADIDAS Men Anzo Breeze Brown Casual Shoes", "Brown") == "ADIDAS Anzo Breeze"
    assert bec.brand_and_model("Puma Women Flux-M Black Watch", "Black") == "Puma Flux-M"
    assert bec.brand_and_model("Newhide Vintage Wallet", "Brown") == "Newhide Vintage"
    # a brand that starts with a colour word stays whole: "Red Tape" is a brand, the shoe is brown
    assert bec.brand_and_model("Red Tape Men Brown Casual Shoes", "Brown") == "Red Tape"
    assert bec.brand_and_model("Doodle Boy Road Trip Grey Tshirts", "Grey") == "Doodle Boy Road Trip"


def test_parse_per_type():
    assert bec.parse_per_type("8", ["tune", "heldout"]) == {"tune": 8, "heldout": 8}
    assert bec.parse_per_type("tune=4,heldout=12", ["tune", "heldout"]) == {"tune": 4, "heldout": 12}
    with pytest.raises(ValueError, match="no count for split"):
        bec.parse_per_type("tune=4", ["tune", "heldout"])
    with pytest.raises(ValueError, match="expected N or split=N"):
        bec.parse_per_type("test=4", ["heldout"])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A small products-myntra folder: the real names above, under many ids, so every split has enough of each."""
    root = tmp_path / "myntra"
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (12, 16), (120, 80, 40)).save(root / "images" / "x.jpg")
    photo = (root / "images" / "x.jpg").read_bytes()
    with (root / "styles.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "year",
                    "usage", "productDisplayName"])
        for k in range(400):
            atype, colour, gender, name = REAL[k % len(REAL)]
            pid = 20000 + k
            w.writerow([pid, gender, "Apparel", "x", atype, colour, "Summer", 2012, "Casual", name])
            (root / "images" / f"{pid}.jpg").write_bytes(photo)
    return root


def test_every_item_is_in_its_photos_hashed_split_and_growing_keeps_the_smaller_catalog(source: Path):
    small = bec.select_items(source, 3, {"tune": 2, "heldout": 3}, seed=13)
    big = bec.select_items(source, 3, {"tune": 4, "heldout": 6}, seed=13)
    assert len(small) == 3 * (2 + 3) and len(big) == 3 * (4 + 6)
    for it in big:
        assert it.split == split_of(it.id)
    by_id = {it.id: it for it in big}
    for it in small:  # the same item, the same texts and video
        assert by_id[it.id] == it
    assert {it.split for it in bec.select_items(source, 3, {"dev": 2}, seed=13)} == {"dev"}


def test_texts_use_the_real_display_name_and_shares_name_brand_only_or_nothing(source: Path):
    items = bec.select_items(source, 3, {"heldout": 8}, seed=13)
    namings = [it.naming for it in items]
    assert namings.count("full") == 12 and namings.count("brand_model") == 6 and namings.count("none") == 6
    for it in items:
        said = it.narration + " " + it.caption_text
        if it.naming == "none":
            assert (it.narration, it.caption_text, it.stated_price, it.spoken_lang, it.caption) == ("", "", "", "none",
                                                                                                    "no")
        else:
            assert it.named_text in said and it.stated_price == str(it.price)
        if it.naming == "full":
            assert it.named_text == it.productDisplayName
        if it.naming == "brand_model":
            assert it.named_text != it.productDisplayName
            assert it.articleType.lower() not in it.named_text.lower()


def test_written_catalogs_bare_has_no_title_meta_has_the_real_title(source: Path, tmp_path: Path):
    items = bec.select_items(source, 3, {"tune": 2, "heldout": 2}, seed=13)
    out = tmp_path / "out"
    out.mkdir()
    bec.write_catalog_files(out, items)
    for split in ("tune", "heldout"):
        with (out / f"catalog_bare_{split}.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == ["id", "video"]
        assert {r["id"] for r in rows} == {it.id for it in items if it.split == split}
        with (out / f"catalog_meta_{split}.csv").open(encoding="utf-8") as f:
            meta = {r["id"]: r["title"] for r in csv.DictReader(f)}
        assert meta == {it.id: it.productDisplayName for it in items if it.split == split}


def test_an_item_in_another_split_is_refused():
    row = {"id": "20001", "articleType": "Tshirts", "baseColour": "Blue", "gender": "Men", "usage": "Casual",
           "season": "Summer", "productDisplayName": "U.S. Polo Assn. Men Solid Blue Tshirt"}
    wrong = next(s for s in ("tune", "dev", "heldout") if s != split_of("20001"))
    with pytest.raises(AssertionError, match="not " + wrong):
        bec._make_item(row, wrong, 0, 13)


def test_excluded_photo_ids_are_never_drawn_and_their_places_are_filled(source: Path, tmp_path: Path):
    first = bec.select_items(source, 3, {"heldout": 3}, seed=13)
    used = tmp_path / "ground_truth.csv"
    bec.write_catalog_files(tmp_path, first)
    fresh = bec.select_items(source, 3, {"heldout": 3}, seed=13, exclude=bec.read_excluded([used]))
    assert len(fresh) == len(first)
    assert not {it.id for it in fresh} & {it.id for it in first}
    assert {it.articleType for it in fresh} == {it.articleType for it in first}
    with pytest.raises(SystemExit, match="no id column"):
        (tmp_path / "bad.csv").write_text("photo,x\n1,2\n", encoding="utf-8")
        bec.read_excluded([tmp_path / "bad.csv"])
    with pytest.raises(SystemExit, match="does not exist"):
        bec.read_excluded([tmp_path / "missing.csv"])


def test_a_type_short_of_photos_stops_the_build_unless_short_is_taken(source: Path):
    counts = Counter(it.articleType for it in bec.select_items(source, 3, {"heldout": 10_000}, seed=13,
                                                                take_short=True))
    assert len(counts) == 3 and all(0 < n < 10_000 for n in counts.values())
    with pytest.raises(SystemExit, match="--take-short"):
        bec.select_items(source, 3, {"heldout": 10_000}, seed=13)
