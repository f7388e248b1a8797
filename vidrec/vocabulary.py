"""Built-in product vocabulary in English and Chinese: colours, product categories, materials, usage, gender...

Canonical values are English labels (the ones a catalog and the NLU slots use: "Red", "Dresses", "Cotton").
Each term carries synonyms in both languages. A platform's own categories replace the built-in taxonomy
(`Taxonomy.from_file`), one category per line, optional synonyms after a tab: ``Dresses<TAB>dress, 连衣裙``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vidrec.errors import CatalogError


@dataclass(frozen=True)
class Term:
    """A canonical label with its English and Chinese synonyms (all lower-case for English)."""

    canonical: str
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every surface form: the canonical label, English and Chinese synonyms (deduplicated, in order)."""
        seen: dict[str, None] = {}
        for n in (self.canonical, *self.en, *self.zh):
            seen.setdefault(n, None)
        return tuple(seen)

    @property
    def zh_name(self) -> str:
        return self.zh[0] if self.zh else self.canonical

    @property
    def en_name(self) -> str:
        return self.en[0] if self.en else self.canonical.lower()


@dataclass(frozen=True)
class Colour(Term):
    """A named colour with a typical sRGB value (used to name colours seen in pixels)."""

    rgb: tuple[int, int, int] = (0, 0, 0)
    family: str = ""  # the broader colour it belongs to ("Navy Blue" -> "Blue"); "" for a base colour


def _c(canonical: str, rgb: tuple[int, int, int], en: str, zh: str, family: str = "") -> Colour:
    return Colour(canonical, tuple(s.strip() for s in en.split(",") if s.strip()),
                  tuple(s.strip() for s in zh.split(",") if s.strip()), rgb, family)


# Canonical names follow common e-commerce catalogs (e.g. Myntra's baseColour labels).
COLOURS: tuple[Colour, ...] = (
    _c("Black", (20, 20, 22), "black, jet black", "黑色, 黑, 纯黑, 黑色的"),
    _c("White", (245, 245, 245), "white, pure white", "白色, 白, 纯白, 白色的"),
    _c("Grey", (128, 128, 128), "grey, gray, light grey", "灰色, 灰, 浅灰, 灰色的"),
    _c("Charcoal", (60, 62, 66), "charcoal, dark grey, dark gray", "深灰色, 深灰, 炭灰", "Grey"),
    _c("Grey Melange", (150, 150, 152), "grey melange, heather grey", "麻灰色, 麻灰", "Grey"),
    _c("Silver", (192, 192, 196), "silver", "银色, 银"),
    _c("Steel", (110, 120, 130), "steel, steel grey", "钢色, 钢灰色", "Grey"),
    _c("Red", (200, 30, 35), "red, bright red, scarlet", "红色, 红, 大红, 红色的, 正红"),
    _c("Maroon", (110, 20, 35), "maroon, wine, wine red", "酒红色, 酒红, 枣红色, 枣红", "Red"),
    _c("Burgundy", (128, 0, 32), "burgundy", "勃艮第红, 酒红", "Red"),
    _c("Pink", (240, 150, 180), "pink, light pink, rose", "粉色, 粉红色, 粉红, 粉, 粉色的"),
    _c("Magenta", (200, 30, 140), "magenta, fuchsia, hot pink", "玫红色, 玫红, 洋红色, 紫红色", "Pink"),
    _c("Peach", (250, 190, 160), "peach", "桃色, 蜜桃色, 桃粉色", "Pink"),
    _c("Orange", (240, 120, 30), "orange", "橙色, 橘色, 橙, 橘黄色"),
    _c("Rust", (170, 70, 30), "rust", "铁锈红, 锈红色", "Orange"),
    _c("Yellow", (245, 210, 40), "yellow", "黄色, 黄, 明黄色, 黄色的"),
    _c("Mustard", (205, 160, 40), "mustard", "芥末黄, 姜黄色", "Yellow"),
    _c("Gold", (212, 175, 55), "gold, golden", "金色, 金, 香槟金"),
    _c("Green", (40, 140, 60), "green", "绿色, 绿, 绿色的"),
    _c("Olive", (110, 110, 50), "olive, olive green, army green", "橄榄绿, 军绿色, 军绿", "Green"),
    _c("Sea Green", (46, 139, 87), "sea green", "海绿色", "Green"),
    _c("Fluorescent Green", (120, 240, 60), "fluorescent green, neon green", "荧光绿", "Green"),
    _c("Teal", (0, 128, 128), "teal", "墨绿色, 青色, 蓝绿色", "Green"),
    _c("Blue", (40, 90, 190), "blue, royal blue, light blue, sky blue", "蓝色, 蓝, 天蓝色, 宝蓝色, 浅蓝色, 蓝色的"),
    _c("Navy Blue", (25, 35, 80), "navy blue, navy, dark blue", "藏青色, 藏蓝色, 深蓝色, 海军蓝, 藏青, 深蓝", "Blue"),
    _c("Turquoise Blue", (64, 200, 200), "turquoise, turquoise blue, aqua", "湖蓝色, 松石蓝, 绿松石色", "Blue"),
    _c("Purple", (110, 50, 150), "purple, violet", "紫色, 紫, 紫色的"),
    _c("Lavender", (190, 160, 220), "lavender, lilac", "薰衣草紫, 浅紫色, 淡紫色", "Purple"),
    _c("Mauve", (190, 140, 170), "mauve", "藕荷色, 淡紫红", "Purple"),
    _c("Brown", (120, 75, 40), "brown", "棕色, 褐色, 咖啡色, 棕, 咖色"),
    _c("Coffee Brown", (90, 60, 40), "coffee brown, chocolate, dark brown", "深咖色, 深棕色, 巧克力色", "Brown"),
    _c("Tan", (200, 160, 110), "tan, camel", "驼色, 浅棕色, 棕黄色", "Brown"),
    _c("Khaki", (190, 175, 130), "khaki", "卡其色, 卡其", "Brown"),
    _c("Taupe", (140, 125, 110), "taupe", "灰褐色", "Brown"),
    _c("Copper", (184, 115, 51), "copper", "铜色, 古铜色", "Brown"),
    _c("Bronze", (165, 115, 60), "bronze", "青铜色", "Brown"),
    _c("Beige", (225, 205, 170), "beige, sand", "米色, 米黄色, 杏色"),
    _c("Cream", (250, 240, 210), "cream, ivory", "奶油色, 奶白色, 象牙白", "Beige"),
    _c("Off White", (240, 235, 222), "off white, off-white", "米白色, 米白", "White"),
    _c("Nude", (225, 185, 160), "nude", "裸色", "Beige"),
    _c("Skin", (230, 190, 165), "skin, skin tone", "肤色", "Beige"),
    _c("Multi", (128, 128, 128), "multi, multicolor, multicolour, multi-colour, colourful, colorful", "多色, 彩色, 拼色, 花色"),
)


def _t(canonical: str, en: str, zh: str) -> Term:
    return Term(canonical, tuple(s.strip() for s in en.split(",") if s.strip()),
                tuple(s.strip() for s in zh.split(",") if s.strip()))


# Built-in taxonomy of common product types. Canonical names follow common fashion catalogs where they exist.
DEFAULT_CATEGORIES: tuple[Term, ...] = (
    _t("Tshirts", "t-shirt, t-shirts, tshirt, tshirts, tee, tees, t shirt, jersey, jerseys", "T恤, t恤, 短袖, 体恤, T恤衫, 短袖T恤"),
    _t("Shirts", "shirt, shirts, button-down, dress shirt", "衬衫, 衬衣"),
    _t("Tops", "top, tops, blouse, blouses", "上衣, 女士上衣, 雪纺衫, 小衫"),
    _t("Longsleeve", "long sleeve, long-sleeve, longsleeve, long sleeve t-shirt", "长袖, 长袖T恤, 长袖上衣"),
    _t("Polo", "polo, polo shirt, polos", "polo衫, POLO衫, 保罗衫"),
    _t("Sweaters", "sweater, sweaters, jumper, pullover, cardigan, knitwear", "毛衣, 针织衫, 开衫, 羊毛衫"),
    _t("Sweatshirts", "sweatshirt, sweatshirts, hoodie, hoodies, hooded sweatshirt", "卫衣, 连帽衫, 帽衫"),
    _t("Jackets", "jacket, jackets, coat, coats, outerwear, outwear, windbreaker, parka", "夹克, 外套, 大衣, 风衣, 羽绒服"),
    _t("Blazers", "blazer, blazers, suit jacket", "西装, 西服, 西装外套"),
    _t("Dresses", "dress, dresses, gown, frock", "连衣裙, 裙子, 长裙, 礼服"),
    _t("Skirts", "skirt, skirts, miniskirt", "半身裙, 短裙, 裙"),
    _t("Kurtas", "kurta, kurtas, kurti, kurtis", "库尔塔, 印度长衫"),
    _t("Jeans", "jeans, denim jeans, denims", "牛仔裤"),
    _t("Trousers", "trousers, pants, slacks, chinos, cargos, cargo pants", "裤子, 长裤, 西裤, 休闲裤"),
    _t("Track Pants", "track pants, joggers, sweatpants", "运动裤, 卫裤"),
    _t("Shorts", "shorts, short pants", "短裤"),
    _t("Leggings", "leggings, tights", "打底裤, 紧身裤"),
    _t("Innerwear", "innerwear, undershirt, vest, briefs, underwear, bra", "内衣, 背心, 内裤"),
    _t("Bodysuits", "body, bodysuit, onesie, romper", "连体衣, 连身衣, 婴儿连体衣"),
    _t("Casual Shoes", "casual shoes, sneakers, shoes, loafers", "休闲鞋, 板鞋, 鞋子, 鞋"),
    _t("Sports Shoes", "sports shoes, running shoes, trainers, athletic shoes", "运动鞋, 跑鞋, 跑步鞋"),
    _t("Formal Shoes", "formal shoes, dress shoes, oxfords, leather shoes, brogues", "皮鞋, 正装鞋"),
    _t("Heels", "heels, high heels, pumps, stilettos, wedges", "高跟鞋"),
    _t("Flats", "flats, ballet flats", "平底鞋"),
    _t("Sandals", "sandals", "凉鞋"),
    _t("Flip Flops", "flip flops, flip-flops, slippers, slides", "人字拖, 拖鞋"),
    _t("Boots", "boots, ankle boots", "靴子, 短靴, 长靴"),
    _t("Socks", "socks", "袜子"),
    _t("Caps", "cap, caps, hat, hats, baseball cap, beanie", "帽子, 棒球帽, 鸭舌帽"),
    _t("Watches", "watch, watches, wristwatch", "手表, 腕表"),
    _t("Sunglasses", "sunglasses, shades", "太阳镜, 墨镜"),
    _t("Handbags", "handbag, handbags, bag, purse, tote", "手提包, 包包, 女包, 托特包"),
    _t("Backpacks", "backpack, backpacks, rucksack, school bag", "双肩包, 背包, 书包"),
    _t("Wallets", "wallet, wallets, purse, card holder", "钱包, 钱夹, 卡包"),
    _t("Belts", "belt, belts", "腰带, 皮带"),
    _t("Ties", "tie, ties, necktie", "领带"),
    _t("Scarves", "scarf, scarves, stole", "围巾, 丝巾"),
    _t("Jewellery", "jewellery, jewelry, necklace, earrings, bracelet, ring", "首饰, 项链, 耳环, 手链, 戒指"),
    _t("Perfumes", "perfume, perfumes, fragrance, deodorant", "香水"),
    _t("Lipstick", "lipstick, lip gloss", "口红, 唇膏"),
    _t("Phones", "phone, phones, smartphone, mobile phone", "手机"),
    _t("Headphones", "headphones, earphones, earbuds, headset", "耳机"),
    _t("Laptops", "laptop, laptops, notebook computer", "笔记本电脑, 电脑"),
    _t("Cups", "cup, cups, mug, mugs, tumbler, water bottle", "杯子, 水杯, 马克杯, 保温杯"),
    _t("Toys", "toy, toys", "玩具"),
)

MATERIALS: tuple[Term, ...] = (
    _t("Cotton", "cotton, pure cotton, 100% cotton", "纯棉, 棉, 全棉, 棉质"),
    _t("Linen", "linen, flax", "亚麻, 麻"),
    _t("Silk", "silk, satin", "真丝, 丝绸, 蚕丝, 缎面"),
    _t("Wool", "wool, merino, cashmere", "羊毛, 羊绒, 毛呢"),
    _t("Denim", "denim", "牛仔, 牛仔布"),
    _t("Leather", "leather, genuine leather, faux leather, pu leather", "皮革, 真皮, 牛皮, 皮质, PU皮"),
    _t("Polyester", "polyester", "涤纶, 聚酯纤维"),
    _t("Nylon", "nylon", "尼龙, 锦纶"),
    _t("Chiffon", "chiffon", "雪纺"),
    _t("Knit", "knit, knitted", "针织"),
    _t("Canvas", "canvas", "帆布"),
    _t("Down", "down, down-filled", "羽绒"),
    _t("Mesh", "mesh", "网面, 网布"),
    _t("Suede", "suede", "麂皮, 翻毛皮"),
    _t("Velvet", "velvet, corduroy", "丝绒, 天鹅绒, 灯芯绒"),
    _t("Rubber", "rubber", "橡胶"),
    _t("Plastic", "plastic", "塑料"),
    _t("Metal", "metal, stainless steel, steel, alloy", "金属, 不锈钢, 合金"),
)

USAGES: tuple[Term, ...] = (
    _t("Casual", "casual, everyday, daily, weekend", "休闲, 日常, 日常穿, 平时穿, 逛街"),
    _t("Formal", "formal, office, work, business, interview", "正式, 正装, 上班, 上班穿, 通勤, 商务, 面试, 职场"),
    _t("Sports", "sports, sport, running, gym, workout, training, yoga, athletic", "运动, 跑步, 健身, 训练, 瑜伽, 打球"),
    _t("Party", "party, wedding, evening, date night, club", "派对, 聚会, 婚礼, 晚宴, 约会, 宴会"),
    _t("Ethnic", "ethnic, traditional, festive", "民族风, 传统, 节日"),
    _t("Travel", "travel, trip, vacation, holiday, beach", "旅行, 旅游, 度假, 出游, 海边"),
)

GENDERS: tuple[Term, ...] = (
    _t("Men", "men, men's, mens, man, male, for him, gentlemen", "男, 男士, 男款, 男装, 男式, 男生, 男性"),
    _t("Women", "women, women's, womens, woman, female, ladies, for her", "女, 女士, 女款, 女装, 女式, 女生, 女性"),
    _t("Boys", "boys, boy, boy's", "男童, 男孩"),
    _t("Girls", "girls, girl, girl's", "女童, 女孩"),
    _t("Unisex", "unisex, for everyone", "男女同款, 中性, 男女通用"),
)

SEASONS: tuple[Term, ...] = (
    _t("Summer", "summer", "夏天, 夏季, 夏装, 夏款"),
    _t("Winter", "winter", "冬天, 冬季, 冬装, 冬款"),
    _t("Spring", "spring", "春天, 春季, 春款"),
    _t("Fall", "fall, autumn", "秋天, 秋季, 秋款"),
)

PATTERNS: tuple[Term, ...] = (
    _t("Solid", "solid, plain", "纯色, 素色"),
    _t("Striped", "striped, stripes, stripe", "条纹"),
    _t("Checked", "checked, plaid, check, checks", "格子, 格纹"),
    _t("Floral", "floral, flowers, flower print", "碎花, 花朵, 印花"),
    _t("Printed", "printed, print, graphic", "印花, 图案"),
    _t("Polka Dots", "polka dots, dotted, dots", "波点, 圆点"),
)


TRADITIONAL_TABLE = Path(__file__).parent / "resources" / "chinese" / "traditional_to_simplified.txt"


def build_traditional_table() -> tuple[str, str]:
    """(traditional, simplified): every character U+3400-U+9FFF that OpenCC's t2s maps to one other character.
    Written to TRADITIONAL_TABLE by `python -m vidrec.vocabulary` (a test checks the shipped file is current)."""
    from opencc import OpenCC

    cc = OpenCC("t2s")
    pairs = [(chr(cp), cc.convert(chr(cp))) for cp in range(0x3400, 0xA000)]
    pairs = [(t, s) for t, s in pairs if s != t and len(s) == 1]
    return "".join(t for t, _ in pairs), "".join(s for _, s in pairs)


@functools.cache
def _traditional_to_simplified() -> dict[int, int]:
    try:
        traditional, simplified = TRADITIONAL_TABLE.read_text(encoding="utf-8").split("\n")[:2]
    except (OSError, ValueError):  # a source checkout without the shipped file: build it (~0.3 s)
        traditional, simplified = build_traditional_table()
    return str.maketrans(traditional, simplified)


def fold(text: str) -> str:
    """What the NLU matches against: ASCII letters in lower case, full-width ASCII as ASCII ("ＸＬ" -> "xl"), the
    ideographic space as a space, "￥" as "¥"; one character for one, so offsets stay valid. The full-width comma
    is kept: "199，299" is a list, not 199299."""
    out = []
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E and ch != "，":
            ch = chr(o - 0xFEE0)
        elif ch == "\u3000":
            ch = " "
        elif ch == "￥":
            ch = "¥"
        if "A" <= ch <= "Z":
            ch = chr(ord(ch) + 32)
        out.append(ch)
    return "".join(out)


def fold_text(text: str) -> str:
    """What vocabularies match against: `fold`, every letter in lower case, and traditional Chinese characters as
    simplified ("涼鞋" -> "凉鞋"); one character for one, so positions in the folded text are positions in the
    original."""
    return fold(text).lower().translate(_traditional_to_simplified())


class Vocabulary:
    """A set of terms with fast lookup of every synonym (case-insensitive for Latin script, traditional Chinese
    characters read as simplified)."""

    def __init__(self, terms: Iterable[Term]):
        self.terms: tuple[Term, ...] = tuple(terms)
        self._by_name: dict[str, Term] = {}
        for term in self.terms:
            for name in term.names:
                self._by_name.setdefault(fold_text(name), term)
        self._longest_first = [n for n in sorted(self._by_name, key=len, reverse=True) if n]

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, canonical: str) -> Term | None:
        for t in self.terms:
            if t.canonical == canonical:
                return t
        return None

    def names(self) -> list[str]:
        """Every surface form this vocabulary finds, folded (lower case), longest first."""
        return list(self._longest_first)

    def lookup(self, name: str) -> Term | None:
        """The term whose canonical label or synonym equals `name` (case-insensitive)."""
        return self._by_name.get(fold_text(name.strip()))

    def find_all(self, text: str) -> list[tuple[Term, int, int]]:
        """Every non-overlapping mention in `text`, longest synonyms first: [(term, start, end)].

        Latin-script names match on word boundaries; Chinese names match anywhere, in simplified or traditional
        characters.
        """
        lowered = fold_text(text)
        taken = [False] * len(text)
        found: list[tuple[Term, int, int]] = []
        for name in self._longest_first:
            if name not in lowered:  # cheap test first: most names are absent
                continue
            if _is_latin(name):
                pattern = re.compile(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])")
                spans = [(m.start(), m.end()) for m in pattern.finditer(lowered)]
            else:
                spans = []
                start = lowered.find(name)
                while start >= 0:
                    spans.append((start, start + len(name)))
                    start = lowered.find(name, start + 1)
            for s, e in spans:
                if any(taken[s:e]):
                    continue
                for i in range(s, e):
                    taken[i] = True
                found.append((self._by_name[name], s, e))
        found.sort(key=lambda x: x[1])
        return found


def _is_latin(name: str) -> bool:
    return all(ord(ch) < 0x2E80 for ch in name)


# Plural words whose singular is another, common word ("Shorts" is not "short"): never read in the singular.
_NO_SINGULAR = frozenset({"shorts", "tights", "briefs", "glasses", "jeans", "pants", "trunks", "clothes", "leggings"})


def _number_forms(word: str) -> set[str]:
    """A Latin-script noun in the singular and the plural ("sandals" <-> "sandal", "watches" <-> "watch")."""
    forms = {word}
    if len(word) < 3 or not word.isalpha() or word in _NO_SINGULAR:
        return forms
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    elif word.endswith(("ses", "xes", "ches", "shes")):
        forms.add(word[:-2])
    elif word.endswith("s") and not word.endswith("ss"):
        if len(word) > 4:
            forms.add(word[:-1])
    elif word.endswith("y") and word[-2:-1] not in "aeiou":
        forms.add(word[:-1] + "ies")
    elif word.endswith(("s", "x", "ch", "sh")):
        forms.add(word + "es")
    else:
        forms.add(word + "s")
    return forms


def name_variants(name: str) -> set[str]:
    """The ways a Latin-script category name is written in real product names and transcripts: singular or plural
    of its last word, words joined by a space, a hyphen or nothing ("flip flops": "flip-flop", "flipflops";
    "t-shirt": "t shirt", "tshirts"). `name` folded (lower case); the result excludes `name` itself."""
    words = [w for w in re.split(r"[\s\-]+", name.strip()) if w]
    if not words or not _is_latin(name):
        return set()
    out: set[str] = set()
    for last in _number_forms(words[-1]):
        parts = [*words[:-1], last]
        joiners = (" ", "-", "") if len(parts) == 2 and min(map(len, parts)) <= 5 else (" ", "-")
        for j in joiners:
            out.add(j.join(parts))
    out.discard(name)
    return {v for v in out if v}


@functools.lru_cache(maxsize=1)
def _other_vocabulary_names() -> frozenset[str]:
    """Every name of the built-in colours, materials, usages, genders, seasons and patterns, folded."""
    terms = (*COLOURS, *MATERIALS, *USAGES, *GENDERS, *SEASONS, *PATTERNS)
    return frozenset(fold_text(n) for t in terms for n in t.names)


class Taxonomy(Vocabulary):
    """Product categories: the built-in one or a platform's own file.

    Beyond the names listed, a category is found under the other forms real product names use (`name_variants`:
    "Sandal", "Trouser", "Flip-Flop", "Tshirt"; a listed name always wins over a variant of another's), and a word
    that several multi-word categories end in and that no category lists ("shoes" for a taxonomy of "Running Shoes",
    "Dress Shoes", "Boat Shoes") is a *family word*: `family(word)` lists the categories it may mean, so that the
    pictures choose among them. A word a category lists keeps meaning that category: in real product names a bare
    "Shoes" is mostly casual shoes (tune split of the Myntra names: 61 casual, 14 formal, 4 sports)."""

    def __init__(self, terms: Iterable[Term] = DEFAULT_CATEGORIES):
        super().__init__(terms)
        listed = dict(self._by_name)
        other = _other_vocabulary_names()
        for term in self.terms:
            for name in term.names:
                for v in sorted(name_variants(fold_text(name))):
                    if v not in other:  # "denims" is jeans, "denim" a material
                        self._by_name.setdefault(v, term)
        self._families, self._generic = self._family_words(listed)
        for word, members in self._families.items():
            self._by_name.setdefault(word, members[0])
        self._longest_first = [n for n in sorted(self._by_name, key=len, reverse=True) if n]

    def _family_words(self, listed: dict[str, Term]) -> tuple[dict[str, tuple[Term, ...]], frozenset[str]]:
        canon_forms = {f for t in self.terms for f in [fold_text(t.canonical), *name_variants(fold_text(t.canonical))]}
        heads: dict[str, list[Term]] = {}
        for term in self.terms:
            words = fold_text(term.canonical).split()
            if len(words) >= 2 and _is_latin(term.canonical):
                for form in _number_forms(words[-1]):
                    heads.setdefault(form, []).append(term)
        out: dict[str, tuple[Term, ...]] = {}
        generic: set[str] = set()
        listed_forms = set(listed) | {v for n in listed for v in name_variants(n)}
        for word, members in heads.items():
            unique = tuple(dict.fromkeys(members))
            if len(unique) < 2 or word in canon_forms:
                continue
            if word in listed_forms:
                generic.add(word)  # a word some category lists means that category ("shoes": Casual Shoes)
            else:
                out[word] = unique
        return out, frozenset(generic)

    def is_generic(self, surface: str) -> bool:
        """Whether a name is the last word of several categories though one lists it ("shoes" with "Casual Shoes",
        "Sports Shoes", "Formal Shoes" in the built-in taxonomy): it names its category less surely than a full
        name."""
        return fold_text(surface.strip()) in self._generic

    def family(self, surface: str) -> tuple[Term, ...]:
        """The categories a family word may mean (empty for any other text): "shoes" -> Casual, Sports, Formal
        Shoes."""
        return self._families.get(fold_text(surface.strip()), ())

    @classmethod
    def default(cls) -> Taxonomy:
        return cls(DEFAULT_CATEGORIES)

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """One category per line; optional synonyms after a TAB, comma-separated (en and zh mixed).

        Built-in synonyms are added for a category whose name or synonym matches a built-in one.
        """
        p = Path(path)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as exc:
            raise CatalogError("taxonomy file not found; pass an existing file to --taxonomy", path=str(p)) from exc
        except UnicodeDecodeError as exc:
            raise CatalogError("taxonomy file is not UTF-8; re-save it as UTF-8", path=str(p)) from exc
        builtin = Vocabulary(DEFAULT_CATEGORIES)
        terms: list[Term] = []
        seen: set[str] = set()
        for lineno, raw in enumerate(lines, start=1):
            line = raw.strip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, _, syn = line.partition("\t")
            name = name.strip()
            if not name:
                raise CatalogError("empty category name before the TAB", path=str(p), line=lineno)
            if name.lower() in seen:
                raise CatalogError(f"category {name!r} is listed twice", path=str(p), line=lineno)
            seen.add(name.lower())
            synonyms = [s.strip() for s in re.split(r"[,，、]", syn) if s.strip()]
            known = builtin.lookup(name) or next((builtin.lookup(s) for s in synonyms if builtin.lookup(s)), None)
            en = [s.lower() for s in synonyms if _is_latin(s)]
            zh = [s for s in synonyms if not _is_latin(s)]
            if known is not None:
                en += [s for s in known.en if s not in en]
                zh += [s for s in known.zh if s not in zh]
            terms.append(Term(name, tuple(en), tuple(zh)))
        if not terms:
            raise CatalogError("taxonomy file lists no categories", path=str(p))
        return cls(terms)


COLOUR_VOCABULARY = Vocabulary(COLOURS)
MATERIAL_VOCABULARY = Vocabulary(MATERIALS)
USAGE_VOCABULARY = Vocabulary(USAGES)
GENDER_VOCABULARY = Vocabulary(GENDERS)
SEASON_VOCABULARY = Vocabulary(SEASONS)
PATTERN_VOCABULARY = Vocabulary(PATTERNS)


def colour(canonical: str) -> Colour:
    term = COLOUR_VOCABULARY.get(canonical)
    if not isinstance(term, Colour):
        raise KeyError(canonical)
    return term


def colours_match(have: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether one of the colours ``have`` is one of ``wanted`` (canonical names), or of its family: "Navy Blue"
    is blue."""
    wanted = list(wanted)
    names = {w.casefold() for w in wanted}
    names |= {t.family.casefold() for t in map(COLOUR_VOCABULARY.lookup, wanted) if t is not None and t.family}
    for value in have:
        term = COLOUR_VOCABULARY.lookup(value)
        if value.casefold() in names or (term is not None and term.family and term.family.casefold() in names):
            return True
    return False


if __name__ == "__main__":
    TRADITIONAL_TABLE.parent.mkdir(parents=True, exist_ok=True)
    TRADITIONAL_TABLE.write_text("\n".join(build_traditional_table()) + "\n", encoding="utf-8")
    print(f"wrote {TRADITIONAL_TABLE}")
