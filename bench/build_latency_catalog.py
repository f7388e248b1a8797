"""A 1,000-item product-video catalog for latency measurements (search and dialog turns at 1k real items).

    .venv/bin/python bench/build_latency_catalog.py --out /work/eval-1k     # then: vidrec ingest OUT/catalog_meta.csv

The same seeded Myntra selection as `build_eval_catalog.py` (20 article types x 50 = 1,000 products, never
committed), but each video is short and cheap to build and ingest: 3 s, a zoom shot and a closing card with the
caption and price burnt in, 240x400, 10 fps, no narration. Ingested with its metadata (title, category, price),
it is a platform's catalog of the size the latency targets name; accuracy is measured on the evaluation catalog.
Writes ground_truth.csv (same columns as the evaluation catalog, so bench/eval_dialog.py can simulate shoppers),
catalog_meta.csv and catalog_bare.csv. Re-running keeps the videos already built.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_eval_catalog import (  # noqa: E402
    DEFAULT_SOURCE,
    EvalItem,
    _captions,
    select_items,
    write_catalog_files,
)

from tools.compose import compose_product_video  # noqa: E402

log = logging.getLogger("build_latency_catalog")


def _build_one(args: tuple[EvalItem, str, str]) -> tuple[str, bool]:
    item, source, out = args
    video = Path(out) / item.video
    if video.is_file() and video.stat().st_size > 0:
        return item.id, False
    compose_product_video(Path(source) / item.source_image, video, size=(240, 400), seconds=3.0,
                          shots=("zoom", "card"), caption=item.caption_text or None,
                          price_caption=item.price_caption or None, seed=item.seed, fps=10)
    return item.id, True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the products-myntra folder")
    ap.add_argument("--out", type=Path, default=Path("/work/eval-1k"), help="output folder (never commit it)")
    ap.add_argument("--types", type=int, default=20)
    ap.add_argument("--per-type", type=int, default=50)
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    import random

    items = []
    for it in select_items(args.source, args.types, args.per_type, args.seed):
        rng = random.Random(f"latency:{it.id}")
        lang = rng.choice(("zh", "en"))
        text, price_text = _captions(rng, lang, {"articleType": it.articleType, "baseColour": it.baseColour,
                                                 "gender": it.gender}, it.price)
        items.append(replace(it, narration="", spoken_lang="none", caption="yes", caption_lang=lang,
                             caption_text=text, price_caption=price_text, stated_price=str(it.price)))
    (args.out / "videos").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    built = 0
    with Pool(args.workers) as pool:
        jobs = [(it, str(args.source), str(args.out)) for it in items]
        for k, (_id, new) in enumerate(pool.imap_unordered(_build_one, jobs), start=1):
            built += new
            if k % 50 == 0 or k == len(items):
                log.info("%d/%d videos (%d new), %.0f s", k, len(items), built, time.perf_counter() - started)
    write_catalog_files(args.out, items)
    info = {"items": len(items), "built_now": built, "seconds": round(time.perf_counter() - started, 1),
            "article_types": dict(Counter(it.articleType for it in items))}
    (args.out / "build_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log.info("done: %s", info)


if __name__ == "__main__":
    main()
