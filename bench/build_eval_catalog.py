"""Build the evaluation catalog: product videos with known ground truth, made from Myntra studio photos.

    .venv/bin/python bench/build_eval_catalog.py --splits heldout --per-type 8          # -> /work/eval-catalog
    .venv/bin/python bench/build_eval_catalog.py --out DIR --splits tune,heldout --per-type tune=4,heldout=12 \
        --types 20 --seed 13 --workers 2

The Myntra "Fashion Product Images" photos carry no licence: the output is for local evaluation only and is
never committed. What it writes under --out:

- ``videos/<id>-<spec>.mp4``: one video per product (zoom/pan, hard cut to a close-up, closing card), made with
  ``tools.compose``; narration from espeak-ng in zh or en, burnt-in captions with the price. ``<spec>`` is a hash
  of everything the video shows and says, so a video made with other texts is never reused;
- ``ground_truth.csv``: id, video, articleType, baseColour, gender, usage, season, productDisplayName, price,
  rank (position in its type's seeded order: the first N of each type are a smaller catalog), naming (full / brand_model / none), named_text, spoken_lang (zh/en/none), caption (yes/no), caption_lang,
  stated_price (the price said and/or shown; empty when neither), split (tune/dev/heldout), narration,
  caption_text, price_caption, source_image;
- ``catalog_meta_<split>.csv``: id, video, title, category, price, currency (what a platform knows: the real
  product display name as the title) and ``catalog_bare_<split>.csv``: id, video only, per split built;
- ``build_info.json``: the settings, counts and time taken.

Split: every photo's split is `bench.splits.split_of(photo id)` (SHA-256 of the id: tune 50 %, dev 20 %,
held-out 30 %); ``--splits`` chooses which splits to build; an item is never moved to another split.
Selection: the `--types` most common articleTypes among photos with a usable colour (not "Multi"/"NA"); within
each type and split, photos are taken in a seeded hash order, so a larger ``--per-type`` keeps every item of a
smaller one (grow a catalog by re-running with a larger count).
Presentation: captions and narration use the photo's real productDisplayName ("Red Tape Semi Casual Men's
Shoe"); in each type's order, two items in four name the full display name, one in four names only its brand
and model (the name without its gender, colour and type words), one in four has neither caption nor narration.
Named items are spoken and captioned, spoken only or captioned only, framed in Chinese or English (half each).
Prices are invented per type, seeded. The held-out split is for reporting only: never tune on it.

Re-running with the same settings keeps the videos already built (a video is written under a temporary name
and renamed when complete), so an interrupted run picks up where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `tools`

from bench.splits import SPLITS, split_of
from tools.compose import DEFAULT_WPM, compose_product_video, speak

log = logging.getLogger("build_eval_catalog")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "products-myntra"
DEFAULT_OUT = Path("/work/eval-catalog")
UNUSABLE_COLOURS = {"", "NA", "Multi"}
# Part of every video's spec: a video drawn by an older composer is not reused. 2: a long caption is set in smaller
# type instead of being cut after two lines (the cut dropped the last words of a display name, often its type word:
# "Catwalk Women Ballerina Brown Casual [Shoe]").
COMPOSER_VERSION = 2

# articleType -> (Chinese name, English noun, English noun is plural, price range in CNY)
CATEGORY_WORDS: dict[str, tuple[str, str, bool, tuple[int, int]]] = {
    "Tshirts": ("T恤", "T-shirt", False, (49, 299)),
    "Shirts": ("衬衫", "shirt", False, (99, 499)),
    "Casual Shoes": ("休闲鞋", "casual shoes", True, (199, 899)),
    "Tops": ("上衣", "top", False, (59, 299)),
    "Sports Shoes": ("运动鞋", "sports shoes", True, (199, 999)),
    "Kurtas": ("印度长衫", "kurta", False, (99, 399)),
    "Watches": ("手表", "watch", False, (199, 2999)),
    "Handbags": ("手提包", "handbag", False, (149, 1299)),
    "Sunglasses": ("太阳镜", "sunglasses", True, (99, 899)),
    "Heels": ("高跟鞋", "heels", True, (149, 799)),
    "Sweaters": ("毛衣", "sweater", False, (129, 599)),
    "Wallets": ("钱包", "wallet", False, (59, 399)),
    "Sandals": ("凉鞋", "sandals", True, (79, 399)),
    "Flip Flops": ("人字拖", "flip flops", True, (29, 129)),
    "Sweatshirts": ("卫衣", "sweatshirt", False, (99, 399)),
    "Belts": ("皮带", "belt", False, (49, 299)),
    "Trousers": ("长裤", "trousers", True, (99, 499)),
    "Formal Shoes": ("皮鞋", "formal shoes", True, (249, 999)),
    "Jeans": ("牛仔裤", "jeans", True, (129, 599)),
    "Socks": ("袜子", "socks", True, (19, 89)),
    "Jackets": ("夹克", "jacket", False, (199, 999)),
    "Flats": ("平底鞋", "flats", True, (99, 399)),
    "Shorts": ("短裤", "shorts", True, (59, 259)),
    "Dresses": ("连衣裙", "dress", False, (129, 699)),
    "Track Pants": ("运动裤", "track pants", True, (99, 399)),
    "Backpacks": ("双肩包", "backpack", False, (129, 599)),
    "Briefs": ("内裤", "briefs", True, (29, 149)),
}

COLOUR_ZH = {
    "Black": "黑色", "White": "白色", "Blue": "蓝色", "Brown": "棕色", "Grey": "灰色", "Red": "红色",
    "Green": "绿色", "Navy Blue": "藏青色", "Purple": "紫色", "Pink": "粉色", "Beige": "米色", "Maroon": "酒红色",
    "Yellow": "黄色", "Olive": "橄榄绿", "Silver": "银色", "Steel": "钢灰色", "Orange": "橙色", "Gold": "金色",
    "Cream": "奶油色", "Tan": "驼色", "Charcoal": "炭灰色", "Magenta": "玫红色", "Khaki": "卡其色",
    "Off White": "米白色", "Copper": "古铜色", "Peach": "桃粉色", "Lavender": "淡紫色", "Mustard": "芥末黄",
    "Teal": "蓝绿色", "Rust": "铁锈红", "Turquoise Blue": "湖蓝色", "Coffee Brown": "咖啡色", "Bronze": "青铜色",
    "Taupe": "灰褐色", "Burgundy": "勃艮第红", "Fluorescent Green": "荧光绿", "Grey Melange": "麻灰色",
    "Metallic": "金属色", "Mauve": "藕荷色", "Nude": "裸色", "Sea Green": "海绿色", "Skin": "肤色",
}
# Words that say who a product is for, in Myntra display names ("Puma Men Grey T-shirt", "Arrow Woman ... Shirt").
GENDER_WORDS = {"men", "women", "men's", "women's", "man", "woman", "boys", "girls", "boy's", "girl's", "boys'",
                "girls'", "unisex", "kids", "kid's"}
# Words that name the article type in display names: removed from the brand-and-model share's text.
TYPE_WORDS = {"tshirt", "tshirts", "t-shirt", "t-shirts", "tee", "shirt", "shirts", "shoe", "shoes", "top", "tops",
              "kurta", "kurtas", "kurti", "watch", "watches", "handbag", "handbags", "bag", "bags", "sunglasses",
              "sunglass", "heels", "heel", "sweater", "sweaters", "wallet", "wallets", "sandals", "sandal", "flip",
              "flops", "flop", "sweatshirt", "sweatshirts", "belt", "belts", "trousers", "trouser", "jeans", "socks",
              "sock", "jacket", "jackets", "flats", "flat", "shorts", "dress", "dresses", "pants", "track",
              "backpack", "backpacks", "polo", "casual", "formal", "sports", "sport"}
NAMING_CYCLE = ("full", "full", "brand_model", "none")  # by position in each type's seeded order


@dataclass
class EvalItem:
    id: str
    video: str
    articleType: str
    baseColour: str
    gender: str
    usage: str
    season: str
    productDisplayName: str
    price: int
    rank: int
    naming: str
    named_text: str
    spoken_lang: str
    caption: str
    caption_lang: str
    stated_price: str
    split: str
    narration: str
    caption_text: str
    price_caption: str
    source_image: str
    seed: int


def _price(rng: random.Random, low: int, high: int) -> int:
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    price = int(value) // 10 * 10 + (9 if rng.random() < 0.75 else 0)
    return max(low, min(high, price)) if price > 0 else low


def _colour_tokens() -> set[str]:
    return {w.lower() for c in COLOUR_ZH for w in c.split()}


def brand_and_model(name: str, base_colour: str) -> str:
    """The display name without its gender, colour and type words: "ADIDAS Men Anzo Breeze Brown Casual Shoes" ->
    "ADIDAS Anzo Breeze". Words before the gender word are the brand and stay as they are ("Red Tape"); after it,
    the text stops at the first colour word. Without a gender word it stops at the product's own colour."""
    words = name.split()
    lower = [w.lower().strip(",.") for w in words]
    colours = _colour_tokens()
    gender_at = next((i for i, w in enumerate(lower) if w in GENDER_WORDS), None)
    if gender_at is not None:
        stop = next((i for i in range(gender_at + 1, len(words)) if lower[i] in colours), len(words))
        kept = words[:gender_at] + [w for w, lw in zip(words[gender_at + 1:stop], lower[gender_at + 1:stop],
                                                        strict=True) if lw not in TYPE_WORDS]
    else:
        own = base_colour.lower().split()
        stop = len(words)
        for i in range(len(words) - len(own), 0, -1):  # the last place the product's own colour is named
            if lower[i:i + len(own)] == own:
                stop = i
                break
        kept = words[:1] + [w for w, lw in zip(words[1:stop], lower[1:stop], strict=True) if lw not in TYPE_WORDS]
    return " ".join(kept).strip() or words[0]


def _narration(rng: random.Random, lang: str, named: str, price: int) -> str:
    if lang == "zh":
        return rng.choice((f"这款{named}，现在只要{price}元。", f"今天给大家推荐{named}，到手价{price}元。",
                           f"{named}，质感很好，只要{price}元。"))
    return rng.choice((f"Take a look at the {named}. Only {price} yuan.", f"This is the {named}, now just {price} yuan.",
                       f"Here is the {named}, only {price} yuan."))


def _price_caption(rng: random.Random, lang: str, price: int) -> str:
    if lang == "zh":
        return rng.choice((f"¥{price}", f"只要{price}元", f"到手价{price}元"))
    return rng.choice((f"¥{price}", f"now only {price}", f"only {price} yuan"))


def parse_per_type(text: str, splits: list[str]) -> dict[str, int]:
    """ "8" (every split) or "tune=4,heldout=12" -> {split: count}."""
    text = text.strip()
    if text.isdigit():
        return {s: int(text) for s in splits}
    counts: dict[str, int] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in SPLITS or not value.strip().isdigit():
            raise ValueError(f"--per-type {text!r}: expected N or split=N pairs like tune=4,heldout=12 "
                             f"(splits: {', '.join(SPLITS)})")
        counts[name] = int(value)
    missing = [s for s in splits if s not in counts]
    if missing:
        raise ValueError(f"--per-type {text!r} gives no count for split(s) {', '.join(missing)}")
    return counts


def _order_key(seed: int, photo_id: str) -> str:
    return hashlib.sha256(f"{seed}:{photo_id}".encode()).hexdigest()


def read_excluded(paths: list[Path]) -> set[str]:
    """The photo ids listed in earlier builds' ground_truth.csv files (their `id` column): photos whose videos were
    already evaluated (and their errors read), never drawn again."""
    ids: set[str] = set()
    for path in paths:
        try:
            with path.open(encoding="utf-8", newline="") as f:
                reader = csv.DictReader(f)
                if "id" not in (reader.fieldnames or []):
                    sys.exit(f"error: --exclude {path} has no id column; pass an earlier build's ground_truth.csv")
                ids |= {r["id"] for r in reader}
        except FileNotFoundError:
            sys.exit(f"error: --exclude {path} does not exist; pass an earlier build's ground_truth.csv")
    return ids


def select_items(source: Path, n_types: int, per_type: dict[str, int], seed: int,
                 exclude: set[str] | frozenset[str] = frozenset(), take_short: bool = False) -> list[EvalItem]:
    """The seeded selection, per split and type, with its presentation, language, price and texts.

    Each item's split is `split_of(photo id)`: a photo can only ever be in one split. Within a type and split the
    photos are ordered by a seeded hash, and the first `per_type[split]` are taken, so the selection grows by
    appending; presentation (NAMING_CYCLE) follows the position in that order and the rest comes from a per-item
    random generator, so an item looks the same whatever else is selected. Photo ids in `exclude` are never taken
    (the article types are still the most common ones over every usable photo, so a catalog drawn with exclusions
    covers the same types). A type with fewer usable photos than asked stops the build, unless `take_short`: then
    all of them are taken and the shortfall is logged."""
    images = source / "images"
    with (source / "styles.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["baseColour"] not in UNUSABLE_COLOURS and (images / f"{r['id']}.jpg").is_file()]
    counts = Counter(r["articleType"] for r in rows)
    types = [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_types]]
    missing = [t for t in types if t not in CATEGORY_WORDS]
    if missing:
        sys.exit(f"error: no zh/en words for article types {missing}; add them to CATEGORY_WORDS")
    missing_colours = {r["baseColour"] for r in rows if r["articleType"] in types} - set(COLOUR_ZH)
    if missing_colours:
        sys.exit(f"error: no Chinese name for colours {sorted(missing_colours)}; add them to COLOUR_ZH")
    pools: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if r["articleType"] in types and r["id"] not in exclude:
            pools[(split_of(r["id"]), r["articleType"])].append(r)
    items: list[EvalItem] = []
    for split, n in per_type.items():
        for t in types:
            pool = sorted(pools[(split, t)], key=lambda r: _order_key(seed, r["id"]))
            if len(pool) < n and not take_short:
                sys.exit(f"error: only {len(pool)} usable {split} photos of {t}; lower --per-type or pass --take-short")
            if len(pool) < n:
                log.warning("only %d usable %s photos of %s (asked %d): taking them all", len(pool), split, t, n)
            for k, row in enumerate(pool[:n]):
                items.append(_make_item(row, split, k, seed))
    items.sort(key=lambda it: (it.split, it.articleType, int(it.id)))
    return items


def _make_item(row: dict[str, str], split: str, rank: int, seed: int) -> EvalItem:
    naming = NAMING_CYCLE[rank % len(NAMING_CYCLE)]
    if split_of(row["id"]) != split:  # the one rule this catalog must never break
        raise AssertionError(f"photo {row['id']} is in {split_of(row['id'])}, not {split}")
    rng = random.Random(f"{seed}:{row['id']}")
    price = _price(rng, *CATEGORY_WORDS[row["articleType"]][3])
    name = " ".join(row["productDisplayName"].split())
    named = {"full": name, "brand_model": brand_and_model(name, row["baseColour"]), "none": ""}[naming]
    channel = rng.choices(("both", "speech", "caption"), weights=(45, 27.5, 27.5))[0] if named else "none"
    lang = rng.choice(("zh", "en")) if named else ""
    narration = _narration(rng, lang, named, price) if channel in ("both", "speech") else ""
    caption_text = named if channel in ("both", "caption") else ""
    price_caption = _price_caption(rng, lang, price) if caption_text else ""
    item_seed = rng.randrange(2**31)
    spec = hashlib.sha256(json.dumps([row["id"], narration, caption_text, price_caption, lang, item_seed,
                                      COMPOSER_VERSION], ensure_ascii=False).encode()).hexdigest()[:8]
    return EvalItem(
        id=row["id"], video=f"videos/{row['id']}-{spec}.mp4", articleType=row["articleType"],
        baseColour=row["baseColour"], gender=row["gender"], usage=row["usage"], season=row["season"],
        productDisplayName=name, price=price, rank=rank, naming=naming, named_text=named,
        spoken_lang=lang if narration else "none", caption="yes" if caption_text else "no",
        caption_lang=lang if caption_text else "", stated_price=str(price) if named else "",
        split=split, narration=narration, caption_text=caption_text, price_caption=price_caption,
        source_image=f"images/{row['id']}.jpg", seed=item_seed,
    )


def _build_one(args: tuple[EvalItem, str, str]) -> tuple[str, float, int, bool]:
    item, source, out = args
    video = Path(out) / item.video
    if video.is_file() and video.stat().st_size > 0:
        return item.id, 0.0, video.stat().st_size, False
    rng = random.Random(item.seed)
    seconds = rng.uniform(6.0, 8.0)
    shots = ("zoom", "closeup", "card") if rng.random() < 0.8 else ("zoom", "card")
    with tempfile.TemporaryDirectory(prefix="vidrec-eval-") as tmp:
        pace = rng.choice((-5, 5))  # a little variety in speaking rate
        wav = speak(item.narration, item.spoken_lang, Path(tmp) / "n.wav", wpm=DEFAULT_WPM[item.spoken_lang] + pace) \
            if item.narration else None
        result = compose_product_video(
            Path(source) / item.source_image, video, seconds=seconds, shots=shots,
            caption=item.caption_text or None, price_caption=item.price_caption or None,
            narration_wav=wav, seed=item.seed,
        )
    return item.id, result.duration, video.stat().st_size, True


def write_catalog_files(out: Path, items: list[EvalItem]) -> None:
    """ground_truth.csv (every field but the seed); per split, catalog_meta_<split>.csv (what a platform knows) and
    catalog_bare_<split>.csv (id and video only: no title, category or price)."""
    fields = [f for f in EvalItem.__dataclass_fields__ if f != "seed"]
    with (out / "ground_truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for it in items:
            row = asdict(it)
            row.pop("seed")
            w.writerow(row)
    for split in sorted({it.split for it in items}):
        group = [it for it in items if it.split == split]
        with (out / f"catalog_meta_{split}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "video", "title", "category", "price", "currency"])
            for it in group:
                w.writerow([it.id, it.video, it.productDisplayName, it.articleType, it.price, "CNY"])
        with (out / f"catalog_bare_{split}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "video"])
            for it in group:
                w.writerow([it.id, it.video])


def build(source: Path, out: Path, n_types: int, per_type: dict[str, int], seed: int, workers: int,
          limit: int | None = None, exclude: set[str] | frozenset[str] = frozenset(), take_short: bool = False) -> dict:
    if not (source / "styles.csv").is_file():
        sys.exit(f"error: {source} has no styles.csv; pass --source pointing at products-myntra")
    items = select_items(source, n_types, per_type, seed, exclude, take_short)
    if limit:
        items = items[:limit]
    (out / "videos").mkdir(parents=True, exist_ok=True)
    write_catalog_files(out, items)  # first, so a partly built catalog can be inspected
    started = time.perf_counter()
    built = 0
    total_seconds = 0.0
    total_bytes = 0
    # held-out first, then the rest, each in its type order: an interrupted build has whole types of one split
    order = sorted(items, key=lambda it: (it.split != "heldout", it.split, it.articleType, int(it.id)))
    with Pool(processes=workers) as pool:
        jobs = [(it, str(source), str(out)) for it in order]
        for k, (_item_id, duration, size, new) in enumerate(pool.imap(_build_one, jobs), start=1):
            built += new
            total_seconds += duration
            total_bytes += size
            if k % 20 == 0 or k == len(items):
                log.info("%d/%d videos (%d new), %.0f s elapsed", k, len(items), built,
                         time.perf_counter() - started)
    elapsed = time.perf_counter() - started

    info = {
        "source": str(source), "seed": seed, "types": n_types, "per_type": per_type, "items": len(items),
        "excluded_photo_ids": len(exclude),
        "splits": dict(Counter(it.split for it in items)),
        "naming": dict(Counter(it.naming for it in items)),
        "spoken_lang": dict(Counter(it.spoken_lang for it in items)),
        "caption": dict(Counter(it.caption for it in items)),
        "neither": sum(1 for it in items if it.spoken_lang == "none" and it.caption == "no"),
        "article_types": dict(Counter(it.articleType for it in items)),
        "built_now": built, "build_seconds": round(elapsed, 1), "workers": workers,
        "video_seconds_built_now": round(total_seconds, 1), "megabytes": round(total_bytes / 1e6, 1),
    }
    (out / "build_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("done: %d items (%d built now) in %.0f s -> %s", len(items), built, elapsed, out)
    return info


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the products-myntra folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (never commit it)")
    ap.add_argument("--splits", default="heldout",
                    help=f"comma-separated splits to build, of {', '.join(SPLITS)} (by SHA-256 of the photo id)")
    ap.add_argument("--types", type=int, default=20, help="how many of the most common article types")
    ap.add_argument("--per-type", default="8", help="items per article type and split: N, or e.g. tune=4,heldout=12")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="build only the first N items (a quick check)")
    ap.add_argument("--exclude", type=Path, nargs="*", default=[],
                    help="earlier builds' ground_truth.csv: their photo ids are never drawn (a fresh held-out set)")
    ap.add_argument("--take-short", action="store_true",
                    help="a type with fewer usable photos than --per-type gives all it has instead of stopping the build")
    args = ap.parse_args(argv)
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        ap.error(f"--splits {args.splits!r}: expected a comma-separated list of {', '.join(SPLITS)}")
    try:
        per_type = parse_per_type(args.per_type, splits)
    except ValueError as exc:
        ap.error(str(exc))
    per_type = {s: per_type[s] for s in splits}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    build(args.source, args.out, args.types, per_type, args.seed, args.workers, args.limit,
          read_excluded(args.exclude), args.take_short)


if __name__ == "__main__":
    main()
