"""Build the evaluation catalog: product videos with known ground truth, made from Myntra studio photos.

    .venv/bin/python bench/build_eval_catalog.py                      # -> /work/eval-catalog
    .venv/bin/python bench/build_eval_catalog.py --out DIR --types 20 --per-type 16 --seed 13 --workers 2

The Myntra "Fashion Product Images" photos carry no licence: the output is for local evaluation only and is
never committed. What it writes under --out:

- ``videos/<id>.mp4``: one video per product (zoom/pan, hard cut to a close-up, closing card), made with
  ``tools.compose``; narration from espeak-ng in zh or en, burnt-in captions with the price;
- ``ground_truth.csv``: id, video, articleType, baseColour, gender, usage, season, productDisplayName, price,
  spoken_lang (zh/en/none), caption (yes/no), caption_lang, stated_price (the price said and/or shown; empty
  when neither), split (dev/heldout), narration, caption_text, price_caption, source_image;
- ``catalog_meta.csv``: id, video, title, category, price, currency: the metadata baseline's catalog;
- ``catalog_bare.csv``: id, video only: what "video only" ingestion sees;
- ``build_info.json``: the settings, counts and time taken.

Selection: the `--types` most common articleTypes among photos with a usable colour (not "Multi"/"NA"),
`--per-type` items each drawn with the seed, split half dev / half held-out within each type. Within each
split, one video in four has neither caption nor narration; the others are spoken and captioned, spoken
only, or captioned only, in Chinese or English (half each). Prices are invented per type, seeded.
The held-out split is for reporting only: never tune on it.

Re-running with the same settings keeps the videos already built (a video is written under a temporary name
and renamed when complete), so an interrupted run picks up where it stopped.
"""

from __future__ import annotations

import argparse
import csv
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

from tools.compose import DEFAULT_WPM, compose_product_video, speak

log = logging.getLogger("build_eval_catalog")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "products-myntra"
DEFAULT_OUT = Path("/work/eval-catalog")
UNUSABLE_COLOURS = {"", "NA", "Multi"}

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
GENDER_ZH = {"Men": "男士", "Women": "女士", "Boys": "男童", "Girls": "女童", "Unisex": "男女同款"}
GENDER_EN = {"Men": "men", "Women": "women", "Boys": "boys", "Girls": "girls", "Unisex": "everyone"}
GENDER_TITLE_EN = {"Men": "Men's", "Women": "Women's", "Boys": "Boys'", "Girls": "Girls'", "Unisex": "Unisex"}
USAGE_ZH = {"Casual": "日常休闲", "Formal": "正式场合", "Sports": "运动健身", "Ethnic": "节日盛装",
            "Smart Casual": "商务休闲", "Travel": "出门旅行"}
USAGE_EN = {"Casual": "everyday", "Formal": "formal", "Sports": "sports", "Ethnic": "festive",
            "Smart Casual": "smart casual", "Travel": "travel"}
SEASON_ZH = {"Summer": "夏天", "Winter": "冬天", "Fall": "秋天", "Spring": "春天"}
SEASON_EN = {"Summer": "summer", "Winter": "winter", "Fall": "autumn", "Spring": "spring"}


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


def _narration(rng: random.Random, lang: str, row: dict[str, str], price: int) -> str:
    zh_cat, en_cat, plural, _ = CATEGORY_WORDS[row["articleType"]]
    colour = row["baseColour"]
    usage, season, gender = row["usage"], row["season"], row["gender"]
    if lang == "zh":
        c = COLOUR_ZH[colour]
        options = [f"这款{GENDER_ZH.get(gender, '')}{c}{zh_cat}，现在只要{price}元。",
                   f"{c}{zh_cat}，质感很好，到手价{price}元。"]
        if usage in USAGE_ZH:
            options.append(f"今天给大家推荐一款{c}{zh_cat}，{USAGE_ZH[usage]}都很合适，只要{price}元。")
        if season in SEASON_ZH:
            options.append(f"{SEASON_ZH[season]}必备的{c}{zh_cat}，只要{price}元。")
        return rng.choice(options)
    c = colour.lower()
    this = "These" if plural else "This"
    be = "are" if plural else "is"
    options = [f"{this} {c} {en_cat} for {GENDER_EN.get(gender, 'everyone')}, now only {price} yuan.",
               f"Take a look at {this.lower()} {c} {en_cat}. Only {price} yuan."]
    if usage in USAGE_EN:
        options.append(f"{this} {c} {en_cat} {be} great for {USAGE_EN[usage]} wear, just {price} yuan.")
    if season in SEASON_EN:
        options.append(f"Get ready for {SEASON_EN[season]} with {this.lower()} {c} {en_cat}, only {price} yuan.")
    return rng.choice(options)


def _captions(rng: random.Random, lang: str, row: dict[str, str], price: int) -> tuple[str, str]:
    zh_cat, en_cat, _, _ = CATEGORY_WORDS[row["articleType"]]
    colour, gender = row["baseColour"], row["gender"]
    if lang == "zh":
        text = f"{GENDER_ZH.get(gender, '')}{COLOUR_ZH[colour]}{zh_cat}"
        price_text = rng.choice((f"¥{price}", f"只要{price}元", f"到手价{price}元"))
    else:
        text = f"{GENDER_TITLE_EN.get(gender, '')} {colour.lower()} {en_cat}".strip()
        price_text = rng.choice((f"¥{price}", f"now only {price}", f"only {price} yuan"))
    return text, price_text


def select_items(source: Path, n_types: int, per_type: int, seed: int) -> list[EvalItem]:
    """The balanced, seeded selection with its split, presentation, language, price and texts."""
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
    rng = random.Random(seed)
    by_type: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: int(r["id"])):
        by_type[r["articleType"]].append(r)
    chosen: list[tuple[dict[str, str], str]] = []
    for t in types:
        pool = by_type[t]
        if len(pool) < per_type:
            sys.exit(f"error: only {len(pool)} usable photos of {t}; lower --per-type")
        picked = rng.sample(pool, per_type)
        half = per_type // 2
        chosen += [(r, "dev") for r in picked[:half]] + [(r, "heldout") for r in picked[half:]]

    items: list[EvalItem] = []
    for split in ("dev", "heldout"):
        group = [r for r, s in chosen if s == split]
        n = len(group)
        n_none = round(n / 4)
        n_both = round(n * 0.45)
        n_speech = (n - n_none - n_both) // 2
        modes = (["none"] * n_none + ["both"] * n_both + ["speech"] * n_speech
                 + ["caption"] * (n - n_none - n_both - n_speech))
        rng.shuffle(modes)
        with_text = [i for i, m in enumerate(modes) if m != "none"]
        langs = ["zh" if k % 2 == 0 else "en" for k in range(len(with_text))]
        rng.shuffle(langs)
        lang_of = dict(zip(with_text, langs, strict=True))
        for i, (row, mode) in enumerate(zip(group, modes, strict=True)):
            item_rng = random.Random(f"{seed}:{row['id']}")
            price = _price(item_rng, *CATEGORY_WORDS[row["articleType"]][3])
            lang = lang_of.get(i, "")
            narration = _narration(item_rng, lang, row, price) if mode in ("both", "speech") else ""
            caption_text, price_caption = (_captions(item_rng, lang, row, price) if mode in ("both", "caption")
                                           else ("", ""))
            items.append(EvalItem(
                id=row["id"], video=f"videos/{row['id']}.mp4", articleType=row["articleType"],
                baseColour=row["baseColour"], gender=row["gender"], usage=row["usage"], season=row["season"],
                productDisplayName=row["productDisplayName"], price=price,
                spoken_lang=lang if narration else "none", caption="yes" if caption_text else "no",
                caption_lang=lang if caption_text else "", stated_price=str(price) if mode != "none" else "",
                split=split, narration=narration, caption_text=caption_text, price_caption=price_caption,
                source_image=f"images/{row['id']}.jpg", seed=item_rng.randrange(2**31),
            ))
    items.sort(key=lambda it: (it.split, it.articleType, int(it.id)))
    return items


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
    """ground_truth.csv (every field but the seed), catalog_meta.csv (what a platform knows) and catalog_bare.csv."""
    fields = [f for f in EvalItem.__dataclass_fields__ if f != "seed"]
    with (out / "ground_truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for it in items:
            row = asdict(it)
            row.pop("seed")
            w.writerow(row)
    with (out / "catalog_meta.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "title", "category", "price", "currency"])
        for it in items:
            w.writerow([it.id, it.video, it.productDisplayName, it.articleType, it.price, "CNY"])
    with (out / "catalog_bare.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "video"])
        for it in items:
            w.writerow([it.id, it.video])


def build(source: Path, out: Path, n_types: int, per_type: int, seed: int, workers: int,
          limit: int | None = None) -> dict:
    if not (source / "styles.csv").is_file():
        sys.exit(f"error: {source} has no styles.csv; pass --source pointing at products-myntra")
    items = select_items(source, n_types, per_type, seed)
    if limit:
        items = items[:limit]
    (out / "videos").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    built = 0
    total_seconds = 0.0
    total_bytes = 0
    with Pool(processes=workers) as pool:
        jobs = [(it, str(source), str(out)) for it in items]
        for k, (_item_id, duration, size, new) in enumerate(pool.imap_unordered(_build_one, jobs), start=1):
            built += new
            total_seconds += duration
            total_bytes += size
            if k % 20 == 0 or k == len(items):
                log.info("%d/%d videos (%d new), %.0f s elapsed", k, len(items), built,
                         time.perf_counter() - started)
    elapsed = time.perf_counter() - started

    write_catalog_files(out, items)
    info = {
        "source": str(source), "seed": seed, "types": n_types, "per_type": per_type, "items": len(items),
        "splits": dict(Counter(it.split for it in items)),
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
    ap.add_argument("--types", type=int, default=20, help="how many of the most common article types")
    ap.add_argument("--per-type", type=int, default=16, help="items per article type (half dev, half held-out)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="build only the first N items (a quick check)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    build(args.source, args.out, args.types, args.per_type, args.seed, args.workers, args.limit)


if __name__ == "__main__":
    main()
