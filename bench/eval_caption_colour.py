"""How often the colour a caption names is the product's colour, on real product display names.

Each Myntra photo's productDisplayName ("Red Tape Men Brown Casual Shoes") is shown as on-screen text of a video
with no pixels and no metadata, and vidrec's attribute fusion names its colour. A prediction is right when it is the
photo's baseColour (the colour vocabulary's canonical name). Only names that mention a colour word are scored.

    .venv/bin/python bench/eval_caption_colour.py --split tune           # while changing the rules
    .venv/bin/python bench/eval_caption_colour.py --split heldout --json # once, for the report

`--baseline` scores every colour word as a colour (the rule before brand and proper-name filtering);
`--brands` lets the fusion know the catalog's brand names (scenario C: a catalog with a brand column).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.splits import SPLITS, select  # noqa: E402
from vidrec.catalog import Item  # noqa: E402
from vidrec.understand import attributes  # noqa: E402
from vidrec.understand.attributes import Observations, infer_attributes  # noqa: E402
from vidrec.understand.profile import ScreenText  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "products-myntra"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="products-myntra folder (styles.csv)")
    ap.add_argument("--split", choices=SPLITS, required=True)
    ap.add_argument("--baseline", action="store_true", help="every colour word counts (no name filtering)")
    ap.add_argument("--brands", action="store_true", help="tell the fusion the catalog's brand names")
    ap.add_argument("--pixels", action="store_true", help="add the photo's colours as the video's pixels would")
    ap.add_argument("--fit", action="store_true",
                    help="score each candidate PROPER_NAME_COLOUR_WEIGHT (tune split only) and print them")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    styles = args.data / "styles.csv"
    if not styles.exists():
        print(f"eval_caption_colour: {styles} not found (pass --data)", file=sys.stderr)
        return 2
    rows = list(csv.DictReader(styles.open(encoding="utf-8")))
    rows = select(rows, args.split)
    if args.fit and args.split != "tune":
        print("eval_caption_colour: --fit only on --split tune", file=sys.stderr)
        return 2
    # Brand names as a catalog would list them: the words before the gender word of each display name.
    brands = sorted({_brand_of(r["productDisplayName"]) for r in rows} - {""}) if args.brands else []
    cases = []
    for r in rows:
        truth = COLOUR_VOCABULARY.lookup(r["baseColour"] or "")
        name = r["productDisplayName"] or ""
        if truth is None or not COLOUR_VOCABULARY.find_all(name):
            continue
        pixels = _pixels(args.data / "images" / f"{r['id']}.jpg") if args.pixels else []
        cases.append((r["id"], name, truth.canonical, pixels))
    if args.fit:
        original = attributes.colour_mentions
        for w in (1.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0):
            attributes.colour_mentions = (lambda text, taxonomy, brands=(), _w=w:
                                          original(text, taxonomy, brands, name_weight=_w))
            outcomes, _ = _score(cases, brands)
            print(json.dumps({"name_weight": w, "accuracy": round(sum(outcomes) / max(len(outcomes), 1), 4)}))
        return 0
    if args.baseline:
        attributes.colour_mentions = (lambda text, taxonomy, brands=():
                                      [(t, s, e, 1.0) for t, s, e in COLOUR_VOCABULARY.find_all(text)])
    outcomes, errors = _score(cases, brands)
    lo, hi = _bootstrap(outcomes)
    result = {"split": args.split, "baseline": args.baseline, "brands_known": args.brands, "pixels": args.pixels,
              "scored": len(outcomes), "accuracy": round(sum(outcomes) / max(len(outcomes), 1), 4),
              "ci95": [lo, hi]}
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
        if args.split != "heldout":  # held-out errors are not read
            for (got, truth), n in errors.most_common(15):
                print(f"{n:4d}  said {got}, is {truth}")
    return 0


def _score(cases, brands) -> tuple[list[bool], Counter]:
    taxonomy = Taxonomy.default()
    outcomes: list[bool] = []
    errors: Counter = Counter()
    for item_id, name, truth, pixels in cases:
        obs = Observations(item=Item(id=item_id, video=Path("none.mp4")),
                           ocr=[ScreenText(start=0, end=1, text=name)], visual_colours=pixels)
        got = infer_attributes(obs, taxonomy, known_brands=brands).get("color")
        ok = got is not None and got.value == truth
        outcomes.append(ok)
        if not ok:
            errors[(got.value if got else None, truth)] += 1
    return outcomes, errors


def _pixels(path: Path) -> list[tuple[str, float]]:
    if not path.exists():
        return []
    from PIL import Image

    from vidrec.understand.colour import name_colours

    with Image.open(path) as im:
        return name_colours(np.asarray(im.convert("RGB")))


def _brand_of(name: str) -> str:
    words = name.split()
    for i, w in enumerate(words):
        if w in ("Men", "Women", "Boys", "Girls", "Unisex", "Kids"):
            return " ".join(words[:i])
    return ""


def _bootstrap(outcomes: list[bool], rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    if not outcomes:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(outcomes)
    means = sorted(sum(rng.choices(outcomes, k=n)) / n for _ in range(rounds))
    return (round(means[int(0.025 * rounds)], 4), round(means[int(0.975 * rounds) - 1], 4))


if __name__ == "__main__":
    raise SystemExit(main())
