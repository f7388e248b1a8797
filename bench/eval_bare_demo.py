"""What vidrec infers from the demo's videos when they come bare: no title, price, category or colour, only the
platform's taxonomy (the demo's own categories), checked against the demo's truth file (examples/demo/catalog.csv).

    .venv/bin/python bench/eval_bare_demo.py [--workers 2] [--json]

Category and colour are scored on every video; price only where a caption or the narration shows or says one
(narration.csv), since a silent video without a price card carries none; the silent videos (neither caption nor
narration) are also scored apart. tests/ingest/test_bare_demo.py checks
nine of these videos on every CI run.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vidrec.ingest import ingest  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.vocabulary import Taxonomy  # noqa: E402

DEMO = REPO / "examples" / "demo"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    truth = {r["id"]: r for r in csv.DictReader((DEMO / "catalog.csv").open(encoding="utf-8"))}
    said = list(csv.DictReader((DEMO / "narration.csv").open(encoding="utf-8")))
    shown = {r["id"]: bool(r["narration"] or r["price_caption"]) for r in said}
    silent_ids = {r["id"] for r in said if not (r["narration"] or r["caption"] or r["price_caption"])}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        catalog = root / "catalog.csv"
        with catalog.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "video"])
            for i, r in truth.items():
                w.writerow([i, str((DEMO / r["video"]).resolve())])
        (root / "categories.txt").write_text("\n".join(sorted({r["category"] for r in truth.values()})) + "\n",
                                             encoding="utf-8")
        summary = ingest(catalog, root / "store", workers=args.workers,
                         taxonomy=Taxonomy.from_file(root / "categories.txt"))
        lib = Library.open(root / "store")
        profiles = {p.id: p for p in lib.profiles()}
        lib.close()

    def value(p, key):
        a = p.attributes.get(key)
        return a.value if a is not None else None

    rows = []
    for i, t in truth.items():
        p = profiles[i]
        price = value(p, "price")
        rows.append({"id": i, "category": value(p, "category") == t["category"],
                     "colour": value(p, "color") == t["color"],
                     "price": None if not shown[i] else price is not None and abs(float(price) - float(t["price"])) < 0.01,
                     "got": {"category": value(p, "category"), "colour": value(p, "color"), "price": price}})
    priced = [r["price"] for r in rows if r["price"] is not None]
    result = {"videos": len(rows), "failed": len(summary.failed),
              "category": f"{sum(r['category'] for r in rows)}/{len(rows)}",
              "colour": f"{sum(r['colour'] for r in rows)}/{len(rows)}",
              "price_where_shown_or_said": f"{sum(priced)}/{len(priced)}"}
    silent = [r for r in rows if r["id"] in silent_ids]  # neither caption nor narration: only the pictures
    result["silent_videos"] = {"category": f"{sum(r['category'] for r in silent)}/{len(silent)}",
                               "colour": f"{sum(r['colour'] for r in silent)}/{len(silent)}"}
    print(json.dumps({**result, "rows": rows} if args.json else result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
