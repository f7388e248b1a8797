"""Build the demo catalog the repo ships: 36 short product videos made from CC0 photos, with a catalog CSV.

    .venv/bin/python examples/build_demo.py                       # ../shared/data/products-cc0 -> examples/demo
    .venv/bin/python examples/build_demo.py --source DIR --out DIR --workers 2

The photos are amateur pictures of clothes from the CC0 "clothing dataset" (images.csv + images/<id>.jpg).
Each item below was picked by looking at its photo: its true colour and a plausible material were written
down by hand; photos whose colour is ambiguous, whose background is cluttered, that show people or a
well-known logo were left out. Titles are half Chinese, half English; the narration speaks in the title's
language and says colour, material and price; the burnt-in caption shows the price. One item in four has
neither caption nor narration (a silent, text-free video), so the demo also exercises the visual path.

Outputs (under --out): catalog.csv, videos/<id>.mp4 and narration.csv (what each video says and shows, for
checking the ingest; not part of the catalog).
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `tools`

from tools.compose import compose_product_video, speak

log = logging.getLogger("build_demo")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "products-cc0"
DEFAULT_OUT = REPO / "examples" / "demo"

# Invented brands (no real trademarks).
BRANDS = ("Loomwell", "Northfold", "Pebblepine", "Saltmere", "云织坊", "青禾衣舍", "Kestrow", "Marlane")


@dataclass(frozen=True)
class Pick:
    """One hand-labelled photo: what it shows, and how the item is sold."""

    image: str  # file stem in products-cc0/images
    category: str  # the CC0 label
    color: str  # canonical English colour name (looked at the photo)
    material: str  # plausible material (looked at the photo)
    noun_en: str
    noun_zh: str
    lang: str  # language of title, description and narration
    usage: str
    price: int  # CNY
    plural: bool = False  # English noun is plural ("jeans", "shorts", "flats")


# The hand-made table. Order: by category; ids follow this order.
PICKS: tuple[Pick, ...] = (
    Pick("7fb91502-720d-46de-a701-76a04aa5279f", "T-Shirt", "Black", "Cotton",
         "T-shirt", "T恤", "zh", "casual", 59),
    Pick("773cca6b-e062-42c9-90e4-53e7f3ff9697", "T-Shirt", "Blue", "Cotton",
         "T-shirt", "T恤", "en", "casual", 79),
    Pick("4ab46ac8-9031-4a33-8930-c6fdaafb420b", "T-Shirt", "Blue", "Polyester",
         "sports T-shirt", "运动T恤", "zh", "sports", 99),
    Pick("dd0ff00d-5ce3-4150-b4ee-05da2c0a6555", "Dress", "Black", "Chiffon",
         "party dress", "连衣裙", "en", "party", 399),
    Pick("de82880e-fdaf-46cf-80d5-07df9ca46611", "Dress", "Red", "Cotton",
         "dress", "连衣裙", "zh", "casual", 199),
    Pick("6b779a54-4cdc-4205-ba1f-9597c779a683", "Dress", "Blue", "Polyester",
         "slip dress", "吊带连衣裙", "en", "party", 259),
    Pick("d69ce5a6-460e-4493-b50e-5eadf3f90ac5", "Dress", "Olive", "Linen",
         "shift dress", "直筒连衣裙", "zh", "casual", 329),
    Pick("2126322b-b4eb-4410-988a-9261155c017a", "Pants", "Blue", "Denim",
         "jeans", "牛仔裤", "en", "casual", 189, plural=True),
    Pick("0e27351a-13d0-41a6-b731-4090b368d656", "Pants", "Navy Blue", "Cotton",
         "joggers", "束脚运动裤", "zh", "sports", 129, plural=True),
    Pick("f9bb0310-c4eb-44df-90d3-ec7f78659d46", "Pants", "Purple", "Cotton",
         "trousers", "休闲长裤", "en", "casual", 229, plural=True),
    Pick("1caba263-088a-448a-be6d-30072c29af09", "Pants", "Black", "Polyester",
         "trousers", "西裤", "zh", "formal", 269, plural=True),
    Pick("b7ac9688-55a5-4da2-b4f4-375dcc911760", "Shoes", "Brown", "Suede",
         "flats", "平底鞋", "en", "casual", 159, plural=True),
    Pick("2d77ba82-6ebd-4cb0-8e3b-338414051968", "Shoes", "Black", "Leather",
         "lace-up shoes", "系带皮鞋", "zh", "formal", 499, plural=True),
    Pick("ff5b1764-1272-41bf-a324-98f1b9f13fae", "Shoes", "Magenta", "Leather",
         "high heels", "高跟鞋", "en", "party", 459, plural=True),
    Pick("593a08cf-2594-4704-8ca9-1c35cfb7a1ca", "Shirt", "White", "Cotton",
         "shirt", "衬衫", "zh", "formal", 169),
    Pick("b4516e07-fbcf-4373-b8a3-354316fd3581", "Shirt", "Beige", "Cotton",
         "shirt", "衬衫", "en", "casual", 219),
    Pick("a9cd6ecb-525c-478b-9cd9-d3bda76c51d8", "Shirt", "Yellow", "Cotton",
         "short-sleeve shirt", "短袖衬衫", "zh", "casual", 139),
    Pick("c1f00ac4-8af7-4aa3-be68-2f4879e9f738", "Shirt", "Navy Blue", "Cotton",
         "shirt", "衬衫", "en", "formal", 249),
    Pick("18ed7f47-b091-4eb0-ae81-89f2ef139a9b", "Outwear", "Red", "Wool",
         "coat", "短款大衣", "zh", "winter", 699),
    Pick("2160a577-406a-4812-ada2-2a3cb30c2ba8", "Outwear", "Olive", "Nylon",
         "bomber jacket", "飞行员夹克", "en", "casual", 399),
    Pick("66d29c71-268b-45b8-9ee9-67b280d5f52e", "Outwear", "Black", "Down",
         "hooded down coat", "连帽羽绒服", "zh", "winter", 899),
    Pick("de9cb15f-6aa5-4674-8b59-32370338dcef", "Shorts", "Blue", "Denim",
         "shorts", "短裤", "en", "casual", 129, plural=True),
    Pick("74222128-e39b-4787-afb2-f88a92b8e537", "Shorts", "Pink", "Polyester",
         "running shorts", "运动短裤", "zh", "sports", 69, plural=True),
    Pick("5d1b42d2-2434-41b8-824b-357053d04395", "Shorts", "Black", "Denim",
         "shorts", "短裤", "en", "casual", 149, plural=True),
    Pick("a2269708-5c90-4c6c-8f1a-f75d99280f5a", "Hat", "Black", "Wool",
         "beanie", "针织帽", "zh", "winter", 49),
    Pick("6bf2943b-8632-4133-8072-2f5106d09aa9", "Hat", "White", "Cotton",
         "knit beanie", "针织帽", "en", "casual", 39),
    Pick("8ede80c5-5604-4d69-9c1a-4aa7711a02ec", "Skirt", "Blue", "Silk",
         "midi skirt", "半身裙", "zh", "party", 359),
    Pick("84b4da94-65c0-471e-a7ad-2ba6360f45bb", "Skirt", "Red", "Cotton",
         "cargo mini skirt", "工装短裙", "en", "casual", 119),
    Pick("6da4653c-905d-4257-aa82-824afda0c0a5", "Skirt", "Black", "Polyester",
         "pencil skirt", "包臀裙", "zh", "formal", 149),
    Pick("e2b0031c-9917-4043-8dde-63bee7e4495b", "Longsleeve", "Navy Blue", "Wool",
         "turtleneck sweater", "高领毛衣", "en", "casual", 289),
    Pick("2d2b50e7-cf87-49fb-9981-c0e364005332", "Longsleeve", "Black", "Cotton",
         "turtleneck top", "高领打底衫", "zh", "casual", 89),
    Pick("357fd0d6-e474-4a40-a8fe-e80a6d5082f7", "Longsleeve", "White", "Wool",
         "cardigan", "开衫", "en", "casual", 239),
    Pick("db1908f6-a882-43e2-b199-d1541957d377", "Hoodie", "Pink", "Cotton",
         "hoodie", "连帽卫衣", "zh", "casual", 179),
    Pick("e2d5c118-6989-4682-b822-3171074af425", "Hoodie", "Navy Blue", "Cotton",
         "hoodie", "连帽卫衣", "en", "casual", 199),
    Pick("16356499-195f-453c-907a-595872f78f06", "Hoodie", "Orange", "Polyester",
         "zip hoodie", "拉链卫衣", "zh", "sports", 159),
    Pick("d5964c78-8b77-4622-80f3-66e0c6c5e90e", "Hoodie", "Grey", "Cotton",
         "zip hoodie", "拉链卫衣", "en", "casual", 169),
)

COLOR_ZH = {
    "Black": "黑色", "White": "白色", "Grey": "灰色", "Red": "红色", "Pink": "粉色", "Magenta": "玫红色",
    "Orange": "橙色", "Yellow": "黄色", "Beige": "米色", "Brown": "棕色", "Olive": "军绿色", "Blue": "蓝色",
    "Navy Blue": "藏青色", "Purple": "紫色",
}
MATERIAL_ZH = {
    "Cotton": "纯棉", "Polyester": "涤纶", "Denim": "牛仔", "Chiffon": "雪纺", "Wool": "羊毛", "Suede": "麂皮",
    "Leather": "真皮", "Nylon": "尼龙", "Down": "羽绒", "Linen": "亚麻", "Silk": "真丝",
}
USAGE_ZH = {"casual": "日常休闲", "formal": "通勤上班", "sports": "运动健身", "party": "约会聚会", "winter": "冬天出门"}
USAGE_EN = {"casual": "everyday outfits", "formal": "the office", "sports": "workouts", "party": "parties and dates",
            "winter": "cold winter days"}


@dataclass(frozen=True)
class DemoItem:
    id: str
    pick: Pick
    title: str
    description: str
    brand: str
    tags: list[str]
    narration: str | None
    caption: str | None
    price_caption: str | None
    seed: int


def _material_phrase_zh(material: str) -> str:
    return "羽绒填充" if material == "Down" else f"{MATERIAL_ZH[material]}面料"


def _material_phrase_en(material: str) -> str:
    return "filled with down" if material == "Down" else f"made of {material.lower()}"


def plan_items(picks: tuple[Pick, ...] = PICKS) -> list[DemoItem]:
    """Titles, descriptions, narration and captions for every pick, deterministic."""
    items: list[DemoItem] = []
    brands = [BRANDS[k % len(BRANDS)] for k in range(len(picks))]
    random.Random(7).shuffle(brands)
    # One item in four has no caption and no narration, spread over both languages and the categories.
    zh = [i for i, p in enumerate(picks) if p.lang == "zh"]
    en = [i for i, p in enumerate(picks) if p.lang == "en"]
    bare_items = set(zh[1::4]) | set(en[2::4])
    for i, p in enumerate(picks):
        rng = random.Random(1000 + i)
        item_id = f"d{i + 1:03d}"
        brand = brands[i]
        bare = i in bare_items
        colour_zh, material_zh = COLOR_ZH[p.color], MATERIAL_ZH[p.material]
        if p.lang == "zh":
            # Down coats are named by their filling alone ("黑色羽绒服"), other items by colour + material + noun.
            title = f"{colour_zh}{p.noun_zh}" if p.material == "Down" else f"{colour_zh}{material_zh}{p.noun_zh}"
            description = f"{brand}出品的{title}，适合{USAGE_ZH[p.usage]}，版型简洁，百搭好穿。"
            narration = rng.choice((
                f"这款{colour_zh}{p.noun_zh}采用{_material_phrase_zh(p.material)}，只要{p.price}元。",
                f"今天推荐一款{colour_zh}{p.noun_zh}，{_material_phrase_zh(p.material)}，{USAGE_ZH[p.usage]}都合适，"
                f"现在只要{p.price}元。",
                f"{colour_zh}{material_zh}{p.noun_zh}，穿着舒适，到手价只要{p.price}元。",
            ))
            price_caption = rng.choice((f"¥{p.price}", f"只要{p.price}元"))
            tags = [p.category, colour_zh, material_zh, USAGE_ZH[p.usage]]
        else:
            colour_en = p.color.lower()
            title = (f"{colour_en} {p.noun_en}" if p.material == "Down"
                     else f"{colour_en} {p.material.lower()} {p.noun_en}")
            title = title[0].upper() + title[1:]
            be = "are" if p.plural else "is"
            this = "These" if p.plural else "This"
            description = f"{title} from {brand}: a simple, easy-to-wear piece for {USAGE_EN[p.usage]}."
            narration = rng.choice((
                f"{this} {colour_en} {p.noun_en} {be} {_material_phrase_en(p.material)}, now only {p.price} yuan.",
                f"Meet our {colour_en} {p.material.lower()} {p.noun_en}, perfect for {USAGE_EN[p.usage]}. "
                f"Only {p.price} yuan.",
                f"Check out {this.lower()} {colour_en} {p.noun_en}, {_material_phrase_en(p.material)}. "
                f"Just {p.price} yuan today.",
            ))
            price_caption = rng.choice((f"now only {p.price}", f"¥{p.price}"))
            tags = [p.category, colour_en, p.material.lower(), p.usage]
        items.append(DemoItem(
            id=item_id, pick=p, title=title, description=description, brand=brand, tags=tags,
            narration=None if bare else narration,
            caption=None if bare else title,
            price_caption=None if bare else price_caption,
            seed=20240 + i,
        ))
    return items


def _build_one(args: tuple[DemoItem, Path, Path]) -> tuple[str, float, int]:
    item, source, out = args
    photo = source / "images" / f"{item.pick.image}.jpg"
    video = out / "videos" / f"{item.id}.mp4"
    seconds = random.Random(item.seed).uniform(6.0, 8.0)
    with tempfile.TemporaryDirectory(prefix="vidrec-demo-") as tmp:
        wav = None
        if item.narration:
            wav = speak(item.narration, item.pick.lang, Path(tmp) / "narration.wav")
        result = compose_product_video(
            photo, video, seconds=seconds, caption=item.caption, price_caption=item.price_caption,
            narration_wav=wav, seed=item.seed,
        )
    return item.id, result.duration, video.stat().st_size


def build(source: Path, out: Path, workers: int = 2) -> list[DemoItem]:
    if not (source / "images.csv").is_file():
        sys.exit(f"error: {source} has no images.csv; pass --source pointing at products-cc0")
    labels = {row["image"]: row["label"] for row in csv.DictReader((source / "images.csv").open(encoding="utf-8"))}
    items = plan_items()
    for item in items:
        if labels.get(item.pick.image) != item.pick.category:
            sys.exit(f"error: {item.pick.image} is not labelled {item.pick.category} in {source}/images.csv")
    (out / "videos").mkdir(parents=True, exist_ok=True)
    for old in (out / "videos").glob("*.mp4"):
        if old.stem not in {i.id for i in items}:
            old.unlink()
    started = time.perf_counter()
    total_bytes = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for item_id, duration, size in pool.map(_build_one, [(i, source, out) for i in items]):
            total_bytes += size
            log.info("%s  %.1fs  %d KB", item_id, duration, size // 1024)
    with (out / "catalog.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "title", "description", "price", "currency", "category", "brand", "tags",
                    "color", "material"])
        for i in items:
            w.writerow([i.id, f"videos/{i.id}.mp4", i.title, i.description, i.pick.price, "CNY", i.pick.category,
                        i.brand, ",".join(i.tags), i.pick.color, i.pick.material])
    with (out / "narration.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "source_image", "spoken_lang", "narration", "caption", "price_caption"])
        for i in items:
            w.writerow([i.id, f"{i.pick.image}.jpg", i.pick.lang if i.narration else "none", i.narration or "",
                        i.caption or "", i.price_caption or ""])
    log.info("built %d videos, %.1f MB, in %.0f s", len(items), total_bytes / 1e6, time.perf_counter() - started)
    return items


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the products-cc0 folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where catalog.csv and videos/ go")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.source, args.out, args.workers)


if __name__ == "__main__":
    main()
