"""The words a shopper uses for categories, colours, brands and other attributes, mapped to the catalog's labels.

`Lexicon.from_catalog(categories, colours, brands)` keeps the catalog's own labels as canonical values and gives
them the built-in Chinese and English synonyms (`vidrec.vocabulary` plus the extras below): a catalog category
"Dress" answers to 连衣裙 / dress / dresses, a colour "Red" to 红 / 红色 / red, a brand "Nike" to 耐克. Built-in
labels the catalog does not use stay known under their built-in names (so "a laptop" is still understood in a
fashion store), after the catalog's own; a built-in colour missing from the catalog maps to its colour family
when the catalog has that ("maroon" -> the catalog's "Red").

Chinese is segmented with a jieba `Tokenizer` of this lexicon's own (never jieba's global one) that knows every
lexicon word: a one-character word (红, 白, 棉, 男) counts only when the segmentation does not put it inside
another word (网红, 明白, 棉袄, 美女).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from vidrec.request import REGISTRY
from vidrec.vocabulary import (
    DEFAULT_CATEGORIES,
    Colour,
    Term,
    fold,
)

log = logging.getLogger(__name__)

# The catalog's own labels name categories and brands; every other attribute with a vocabulary in the request
# registry brings its words (an attribute registered later is read too).
GROUNDED_SLOTS: tuple[str, ...] = ("category", "color", "brand")


def lexicon_slots() -> tuple[str, ...]:
    """The slots a lexicon reads, by JSON key: category, color, brand, then the registry's vocabulary attributes."""
    return tuple(dict.fromkeys([*GROUNDED_SLOTS, *(a.key for a in REGISTRY.with_vocabulary())]))


SLOTS: tuple[str, ...] = lexicon_slots()  # the built-in ones, for readers of this module

# Synonyms the built-in vocabulary lacks: shopper words, slang, relatives ("for my husband" -> Men).
EXTRA_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "category": {
        "Blazers": ["suit", "suits", "business suit", "西装外套", "正装外套"],
        "Jackets": ["puffer", "puffer jacket", "down jacket", "raincoat", "trench coat", "冲锋衣", "棉服", "夹克衫", "大衣",
                    "皮衣", "棉衣"],
        "Casual Shoes": ["sneaker", "kicks", "canvas shoes", "小白鞋", "帆布鞋", "球鞋"],
        "Sports Shoes": ["running shoe", "trainer", "运动鞋子", "慢跑鞋"],
        "Laptops": ["笔记本", "电脑", "notebook", "computer"],
        "Headphones": ["earbud", "蓝牙耳机", "无线耳机"],
        "Tshirts": ["白T", "白t", "tee shirt"],
        "Trousers": ["裤", "pant"],
        "Dresses": ["裙装", "连身裙", "礼服裙", "晚礼服"],
        "Sweaters": ["毛衫"],
        "Phones": ["cellphone", "cell phone", "iphone"],
        "Backpacks": ["back pack"],
        "Handbags": ["包", "挎包", "单肩包", "斜挎包"],
        "Flats": ["平底鞋"],
        "Innerwear": ["boxers", "boxer", "briefs", "内裤"],
        "Jeans": ["牛仔长裤"],
        "Caps": ["渔夫帽"],
    },
    "color": {
        "Black": ["黑的"], "White": ["白的"], "Red": ["红的"], "Blue": ["蓝的"], "Grey": ["灰的", "grey-ish"],
        "Pink": ["粉的"], "Green": ["绿的"], "Yellow": ["黄的"], "Purple": ["紫的"],
    },
    "material": {
        "Leather": ["皮的", "真皮的", "leathers"],
        "Cotton": ["棉的", "全棉的"],
    },
    "usage": {
        "Formal": ["job interview", "meeting", "meetings", "上班", "开会", "办公室", "工作穿"],
        "Sports": ["sporty", "sportier", "athleisure", "hiking", "hike", "jogging", "gym", "basketball", "football", "tennis", "爬山", "徒步", "健身房",
                   "户外", "打篮球", "踢球", "运动风", "跑步", "夜跑", "晨跑", "篮球", "golf", "golfing", "健身",
                   "workout", "work out", "working out", "for running", "to run in", "go running", "yoga", "瑜伽"],
        "Party": ["prom", "cocktail", "年会", "party穿"],
        "Casual": ["everyday stuff", "daily wear", "平时", "日常通勤"],
        "Travel": ["vacation", "beach trip", "旅行穿", "海边度假", "travelling", "traveling", "旅行", "旅游",
                   "度假"],
    },
    "gender": {
        "Men": ["husband", "boyfriend", "dad", "father", "brother", "him", "guys", "guy", "老公", "男朋友", "男友",
                "爸爸", "老爸", "父亲", "哥哥", "弟弟", "兄弟", "男人", "男的", "hubby", "bf", "bro", "daddy",
                "grandpa", "grandfather", "uncle", "fiance", "我爸", "我哥", "我弟", "爷爷", "外公", "姥爷", "舅舅",
                "叔叔", "公公", "岳父", "男票"],
        "Women": ["wife", "girlfriend", "mom", "mum", "mother", "sister", "her", "ladies'", "老婆", "女朋友", "女友",
                  "妈妈", "老妈", "母亲", "姐姐", "妹妹", "闺蜜", "女人", "女的", "仙女", "sis", "wifey", "gf",
                  "mommy", "grandma", "grandmother", "aunt", "auntie", "fiancee", "我妈", "我姐", "我妹", "奶奶",
                  "外婆", "姥姥", "阿姨", "婆婆", "岳母", "丈母娘", "女票"],
        "Boys": ["son", "儿子", "小男孩", "nephew", "侄子", "外甥", "男孩", "男宝"],
        "Girls": ["daughter", "女儿", "小女孩", "niece", "侄女", "外甥女", "闺女", "女孩", "女宝"],
        "Unisex": ["男女同款的", "情侣款"],
    },
    "season": {"Summer": ["summery"], "Winter": ["wintry", "保暖"], "Fall": ["autumnal"]},
    "pattern": {"Solid": ["solid color", "solid colour", "plain color"], "Printed": ["prints"]},
}

# Built-in synonyms that mislead more than they help.
REMOVED_SYNONYMS: dict[str, set[str]] = {
    "category": {"body", "vest", "ring", "top"},
    "color": {"skin", "花色", "彩色", "sand"},
    "pattern": {"图案", "print", "印花"},  # 印花 is added back to Printed below
    "material": {"麻", "steel"},
}
EXTRA_SYNONYMS["pattern"]["Printed"].append("印花")

# One phrase, several slots.
COMPOUNDS: dict[str, tuple[tuple[str, str], ...]] = {
    "小白鞋": (("category", "Casual Shoes"), ("color", "White")),
    "白t": (("category", "Tshirts"), ("color", "White")),
    "白T": (("category", "Tshirts"), ("color", "White")),
    "皮衣": (("category", "Jackets"), ("material", "Leather")),
    "down jacket": (("category", "Jackets"), ("material", "Down")),
    "羽绒服": (("category", "Jackets"),),
    "牛仔裤": (("category", "Jeans"),),
    "denim jacket": (("category", "Jackets"), ("material", "Denim")),
    "牛仔外套": (("category", "Jackets"), ("material", "Denim")),
    "leather jacket": (("category", "Jackets"), ("material", "Leather")),
    "皮夹克": (("category", "Jackets"), ("material", "Leather")),
    "皮外套": (("category", "Jackets"), ("material", "Leather")),
    "皮靴": (("category", "Boots"), ("material", "Leather")),
    "皮裙": (("category", "Skirts"), ("material", "Leather")),
    "leather boots": (("category", "Boots"), ("material", "Leather")),
    "leather skirt": (("category", "Skirts"), ("material", "Leather")),
    "皮鞋": (("category", "Formal Shoes"),),
    "running shoes": (("category", "Sports Shoes"),),
    "篮球鞋": (("category", "Sports Shoes"), ("usage", "Sports")),
    "跑步鞋": (("category", "Sports Shoes"), ("usage", "Sports")),
    "basketball shoes": (("category", "Sports Shoes"), ("usage", "Sports")),
    "丝巾": (("category", "Scarves"), ("material", "Silk")),
    "iphone": (("category", "Phones"), ("brand", "Apple")),
    "yoga pants": (("category", "Leggings"), ("usage", "Sports")),
    "瑜伽裤": (("category", "Leggings"), ("usage", "Sports")),
}

# Brands the shopper may name in the other language. The catalog's own spelling stays canonical.
BRAND_ALIASES: tuple[tuple[str, ...], ...] = (
    ("Nike", "耐克", "nike"), ("Adidas", "阿迪达斯", "阿迪", "adidas"), ("Puma", "彪马"), ("Uniqlo", "优衣库"),
    ("Zara", "飒拉"), ("H&M", "hm", "h & m", "h and m"), ("Li-Ning", "李宁", "li ning", "lining"),
    ("Anta", "安踏"), ("Xtep", "特步"), ("Converse", "匡威"), ("Vans", "万斯"), ("New Balance", "新百伦", "nb"),
    ("Skechers", "斯凯奇"), ("The North Face", "北面", "north face", "tnf"), ("Bosideng", "波司登"),
    ("Semir", "森马"), ("Peacebird", "太平鸟"), ("Decathlon", "迪卡侬"), ("Levi's", "李维斯", "levis", "levi"),
    ("Gap", "盖璞"), ("Muji", "无印良品"), ("Casio", "卡西欧"), ("Ray-Ban", "雷朋", "rayban", "ray ban"),
    ("Apple", "苹果"), ("Huawei", "华为"), ("Xiaomi", "小米"), ("Lenovo", "联想"), ("Dell", "戴尔"),
    ("HP", "惠普"), ("Asus", "华硕"), ("Acer", "宏碁"), ("Samsung", "三星"), ("Sony", "索尼"), ("OPPO", "oppo"),
    ("Vivo", "vivo"), ("Honor", "荣耀"), ("Gucci", "古驰"), ("Louis Vuitton", "路易威登", "lv"),
    ("Chanel", "香奈儿"), ("Dior", "迪奥"), ("Coach", "蔻驰"), ("Prada", "普拉达"), ("Burberry", "博柏利"),
    ("Under Armour", "安德玛", "ua"), ("Fila", "斐乐"), ("Columbia", "哥伦比亚"), ("Lululemon", "露露乐蒙"),
    ("Crocs", "卡骆驰"), ("Timberland", "添柏岚", "踢不烂"), ("Dr. Martens", "马丁靴", "dr martens"),
    ("Calvin Klein", "ck", "卡尔文克莱恩"), ("Tommy Hilfiger", "汤米"), ("Ralph Lauren", "拉夫劳伦"),
    ("Lacoste", "鳄鱼"), ("Mango", "芒果"), ("Forever 21", "forever21"), ("Hermes", "爱马仕"),
    ("Swatch", "斯沃琪"), ("Fossil", "化石"), ("Anker", "安克"), ("Bose", "博士"), ("Beats", "beats"),
)

# Brand names that are also everyday words: known only when the catalog sells that brand.
_AMBIGUOUS_BRAND_NAMES = frozenset({
    "coach", "mango", "gap", "honor", "fossil", "beats", "apple", "ua", "lv", "ck", "nb", "hm", "columbia", "vivo",
    "swatch", "博士", "化石", "鳄鱼", "芒果", "苹果", "荣耀", "汤米", "哥伦比亚", "马丁靴", "博柏利",
})

# English words that are lexicon words only in some contexts: (before, after) patterns that veto a match.
_GUARDS: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {
    "tops": (re.compile(r"\d\s*$", re.A), None),
    "watch": (re.compile(r"(?:\bto|\bi|\byou|\bwe|\bwill|\bcan|\bcould|\bme|\blets|let's|\bgonna|\bnot)\s*$", re.A),
              re.compile(r"^\s*(?:the|this|that|it|a video|videos?|out|me|them|you)\b", re.A)),
    "down": (None, re.compile(r"^(?!\s*(?:-?filled|jackets?|coats?|vests?|parkas?|puffers?)\b)", re.A)),
    "fall": (re.compile(r"^(?!.*\b(?:for|this|in|the|autumn|next|early|late)\s*$)", re.A), None),
    "falls": (None, re.compile(r"^\s*(?:apart|down|off|over|short|through|out|flat|behind)\b", re.A)),
    "work": (re.compile(r"(?:\bit|\bthey|\bthese|\bthose|\bthat|\bthis|\bdoes|\bdo|\bwill|\bwould|n't|\bcan|\bcould|"
                        r"\bshould|\bmight|\bmay)\s*$", re.A), None),
    # "any colour works", "anything works", "that works": the verb, read as "work" (usage) one letter away
    "works": (re.compile(r"^(?!.*\b(?:for|at|to|from)\s*$)", re.A), None),
    "check": (re.compile(r"(?:let me|\bto|please|pls|can you|i'll|i will|\bjust|\bi|\bwill|\bcould)\s*$", re.A),
              re.compile(r"^\s*(?:out|it|this|that|if|the|my|again|on|whether|for|them|these)\b", re.A)),
    "checks": (None, re.compile(r"^\s*(?:out|it|this|that|if|the|my|again|on|whether|for)\b", re.A)),
    "checked": (re.compile(r"(?:\bi|\bhave|\bhas|\bhad|\balready|\byou|\bwe|\bthey|\bjust)\s*$", re.A), None),
    "printed": (None, re.compile(r"^\s*(?:out|it|this|that|the|my|your)\b", re.A)),
    "solid": (None, re.compile(r"^\s*(?:choice|option|pick|quality|build|deal|one|ones|idea|reviews?)\b", re.A)),
    "man": (re.compile(r"^(?!.*\b(?:a|for|the|young|old)\s*$)", re.A), None),
    "him": (re.compile(r"^(?!.*\bfor\s*$)", re.A), None),
    "her": (re.compile(r"^(?!.*\bfor\s*$)", re.A), None),
    "suit": (None, re.compile(r"^\s*(?:me|you|my|your|her|him|them|the|this|that|us|everyone)\b", re.A)),
    "suits": (None, re.compile(r"^\s*(?:me|you|my|your|her|him|them|the|this|that|us|everyone)\b", re.A)),
    "meeting": (re.compile(r"(?:nice|good|great)\s*$", re.A), None),
    "guys": (re.compile(r"(?:you|hey|hi|hello|thanks|thank you)\s*$", re.A), None),
    "guy": (re.compile(r"(?:\bthe|\bthis|\bthat)\s*$", re.A), None),
    "coach": (None, None),
    "mango": (None, None),
    "apple": (None, re.compile(r"^\s*(?:pie|juice|green|red)\b", re.A)),
    "running": (re.compile(r"(?:keep|are|is|i'm|im|be|been|was|it's|its)\s*$", re.A), re.compile(r"^\s*(?:out|late|low)\b", re.A)),
    "training": (None, None),
    "dress": (None, re.compile(r"^\s*(?:up|code)\b", re.A)),
    "notebook": (None, None),
    "computer": (None, None),
    "top": (None, None),
}

# Words never fuzzy-matched to a lexicon word ("shows" is not a typo of "shoes").
_COMMON_EN = frozenset(
    """about above after again against also always another anything around back because before being below
    between both cheaper could does doing dollars during each either every from further have having here
    into just light lighter like little looks many maybe might more most much must need never nothing
    number only other over please pretty price prices really same second shall should shows show since
    some something still such than that their them then there these they thing things think this those
    though three through today under until very want wants what when where which while with within would
    your yours spot spots spotted sure short shirt shore sport shot shots store stores shop shops hello thanks thank great
    these those whats where cheap cost costs size sizes colors colour colours color option options
    nice good best better love like wear wears worn fits fit first third fourth fifth last next again sold bold
    told hold cold sole soles print prints weather whether feather other mother brother bother father lather
    leaner shorter shirts shorts sorts shots stores tight light right night might sight fight white while write
    wise wide wife wine mine line fine hint mint tint paint pants plants plant slacks stacks snack snacks shoe
    shoes shows shower flower slower power tower towel vowel model models mode modes made make mate rate late
    date gate plate skate state skirt skirts dirt dirty curt hurt blouse house mouse louse cotton rotten gotten
    linen liner lines noble mobile robe probe globe lobe rope hope jeans means beans deans leans lean mean bean
    dress press dresser presser address range ranges tumble""".split()
)


@dataclass(frozen=True)
class Mention:
    """A lexicon word found in a message: which slot, which canonical value, where."""

    slot: str
    value: str
    start: int
    end: int
    surface: str


_LATIN_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['’&.\-][a-z0-9]+)*", re.A)


def latin_tokens(folded: str) -> list[tuple[int, int, str]]:
    """Latin words and numbers with their spans: "levi's", "h&m", "t-shirt" stay one token."""
    return [(m.start(), m.end(), m.group().replace("’", "'")) for m in _LATIN_TOKEN_RE.finditer(folded)]


def _is_latin(s: str) -> bool:
    return all(ord(ch) < 0x2E80 for ch in s)


def _key(surface: str) -> str:
    """Lookup key of a surface form: Latin words joined by one space; other scripts folded as they are."""
    f = fold(surface).strip()
    if _is_latin(f):
        return " ".join(t for _, _, t in latin_tokens(f))
    return f


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


_BASE_TOKENIZER = None
_BASE_LOCK = threading.Lock()


def _new_tokenizer():
    """A jieba Tokenizer of our own; the main dictionary is loaded once and copied into each instance."""
    global _BASE_TOKENIZER
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _BASE_LOCK:
        if _BASE_TOKENIZER is None:
            base = jieba.Tokenizer()
            base.initialize()
            _BASE_TOKENIZER = base
    tk = jieba.Tokenizer()
    try:
        tk.FREQ = dict(_BASE_TOKENIZER.FREQ)
        tk.total = _BASE_TOKENIZER.total
        tk.initialized = True
    except AttributeError:  # pragma: no cover - a jieba without these attributes
        tk.initialize()
    return tk


# Words the segmenter must keep whole so that the colour (or other) character inside is not read as a slot.
_NOT_SLOT_WORDS = (
    "网红", "红包", "红人", "走红", "爆红", "红利", "灰常", "白菜价", "白菜", "拉黑", "黑五", "黑科技", "黄金", "金额",
    "现金", "美女", "少女", "男神", "女神", "棉袄", "粉丝", "蓝牙", "明白", "白天", "白嫖", "黑心", "眼红", "红火",
    "女装大佬", "包邮", "包装", "包括", "面包", "钱包", "书包", "背包", "红薯", "小白", "白领", "蓝领", "金主",
    "金茂", "金融", "金卡", "金牌", "奖金", "租金", "资金", "黄金周", "金额", "白天鹅", "黑名单",
)


class Lexicon:
    """Every slot value a message can name, with its surface forms in Chinese and English."""

    def __init__(self, terms: dict[str, Iterable[Term]],
                 compounds: dict[str, tuple[tuple[str, str], ...]] | None = None):
        self.slots = lexicon_slots()
        self.terms: dict[str, tuple[Term, ...]] = {slot: tuple(terms.get(slot, ())) for slot in self.slots}
        self._latin: dict[str, list[tuple[str, str]]] = {}
        self._cjk: dict[str, list[tuple[str, str]]] = {}
        for slot in self.slots:
            for term in self.terms[slot]:
                for name in term.names:
                    self._register(name, ((slot, term.canonical),), compound=False)
        for surface, pairs in (compounds or {}).items():
            known = tuple((s, v) for s, v in pairs if self.resolve(s, v) is not None)
            resolved = tuple((s, self.resolve(s, v) or v) for s, v in known)
            if resolved:
                self._register(surface, resolved, compound=True)
        self._cjk_lengths: dict[str, list[int]] = {}
        for key in self._cjk:
            lengths = self._cjk_lengths.setdefault(key[0], [])
            if len(key) not in lengths:
                lengths.append(len(key))
        for lengths in self._cjk_lengths.values():
            lengths.sort(reverse=True)
        self._max_words = max((k.count(" ") + 1 for k in self._latin), default=1)
        self._fuzzy: dict[str, set[str]] = {}
        for key in self._latin:
            if " " in key or len(key) < 5 or not key.isalpha():
                continue
            for variant in {key} | _deletes(key):
                self._fuzzy.setdefault(variant, set()).add(key)
        self.known_words: frozenset[str] = frozenset(w for k in self._latin for w in k.split())
        self._tokenizer = None
        self._tokenizer_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- building

    def _register(self, name: str, pairs: tuple[tuple[str, str], ...], compound: bool) -> None:
        key = _key(name)
        if not key:
            return
        table = self._latin if _is_latin(key) else self._cjk
        if compound:
            table[key] = list(pairs)
        else:
            table.setdefault(key, list(pairs))

    def resolve(self, slot: str, value: str) -> str | None:
        """The canonical label this lexicon uses for a built-in label or synonym (None when unknown)."""
        key = _key(value)
        for table in (self._latin, self._cjk):
            for s, v in table.get(key, ()):
                if s == slot:
                    return v
        return None

    @classmethod
    def default(cls) -> Lexicon:
        """The built-in vocabulary only (built-in canonical labels, no catalog)."""
        return cls(_builtin_terms(), COMPOUNDS)

    @classmethod
    def from_catalog(cls, categories: list[str], colours: list[str], brands: list[str],
                     extra: dict[str, list[str]] | None = None) -> Lexicon:
        """The catalog's labels as canonical values, with built-in synonyms and translations.

        `extra` maps one of the catalog's labels (any slot) to more synonyms: {"Dresses": ["qipao", "旗袍"]}.
        """
        builtin = _builtin_terms()
        extra = {k: list(v) for k, v in (extra or {}).items()}
        terms: dict[str, list[Term]] = {slot: [] for slot in lexicon_slots()}

        def with_extra(term: Term) -> Term:
            more = extra.get(term.canonical, [])
            if not more:
                return term
            en = tuple(dict.fromkeys([*term.en, *(m.lower() for m in more if _is_latin(m))]))
            zh = tuple(dict.fromkeys([*term.zh, *(m for m in more if not _is_latin(m))]))
            return Term(term.canonical, en, zh)

        used: set[str] = set()
        for label in _unique(categories):
            known = _match_builtin(label, builtin["category"])
            if known is not None:
                used.add(known.canonical)
                terms["category"].append(with_extra(Term(label, tuple(dict.fromkeys([*_variants(label), *known.en,
                                                                                    known.canonical.lower()])),
                                                         known.zh)))
            else:
                terms["category"].append(with_extra(Term(label, tuple(_variants(label)), ())))
        catalog_keys = {_key(v): t.canonical for t in terms["category"] for v in _variants(t.canonical)}
        for t in builtin["category"]:
            if t.canonical in used:
                continue
            # "Sports Shoes" when the catalog only has "Shoes": understood as the catalog's broader label.
            head = t.canonical.split()[-1] if " " in t.canonical else ""
            broader = catalog_keys.get(_key(head)) if head else None
            terms["category"].append(Term(broader, t.en, t.zh) if broader else t)

        catalog_colours: dict[str, str] = {}
        for label in _unique(colours):
            known = _match_builtin(label, builtin["color"])
            canonical_key = (known.canonical if known else label).lower()
            catalog_colours[canonical_key] = label
            if known is not None:
                terms["color"].append(with_extra(Term(label, tuple(dict.fromkeys([label.lower(), *known.en,
                                                                                 known.canonical.lower()])),
                                                      known.zh)))
            else:
                terms["color"].append(with_extra(Term(label, (label.lower(),), ())))
        for colour_term in builtin["color"]:
            if colour_term.canonical.lower() in catalog_colours:
                continue
            family = getattr(colour_term, "family", "")
            if family and family.lower() in catalog_colours:
                # A shade the catalog does not name: understood as its family ("maroon" -> "Red").
                terms["color"].append(Term(catalog_colours[family.lower()], colour_term.en, colour_term.zh))
            else:
                terms["color"].append(colour_term)

        aliases = {_key(a): group for group in BRAND_ALIASES for a in group}
        for label in _unique(brands):
            group = aliases.get(_key(label), ())
            names = [label, *group]
            # "pedals and gears" for the catalog's "Pedals & Gears" (SIMMC even, 11360/9)
            names += [re.sub(r"\s*&\s*", " and ", n) for n in names if "&" in n and _is_latin(n) and len(n) > 4]
            en = tuple(dict.fromkeys(n.lower() for n in names if _is_latin(n)))
            zh = tuple(dict.fromkeys(n for n in names if not _is_latin(n)))
            terms["brand"].append(with_extra(Term(label, en, zh)))

        for slot in lexicon_slots():
            if slot not in GROUNDED_SLOTS:
                terms[slot] = [with_extra(t) for t in builtin[slot]]
        return cls(terms, COMPOUNDS)

    # ------------------------------------------------------------------------------------------- lookup

    def values(self, slot: str) -> list[str]:
        """The canonical labels of one slot, in order, without duplicates."""
        return list(dict.fromkeys(t.canonical for t in self.terms.get(slot, ())))

    def lookup(self, slot: str, surface: str) -> str | None:
        """The canonical label a surface form stands for in one slot ("红色" -> "Red"), else None."""
        key = _key(surface)
        for table in (self._latin, self._cjk):
            for s, v in table.get(key, ()):
                if s == slot:
                    return v
        if _is_latin(key) and key.endswith("s"):
            return self.lookup(slot, key[:-1]) if key[:-1] != key else None
        return None

    def warm(self) -> Lexicon:
        """Load the Chinese segmenter now (2-5 s once per process) instead of on the first Chinese message."""
        self._jieba()
        return self

    def tokenize(self, text: str) -> list[str]:
        """jieba words (dictionary only, no HMM) with every lexicon word kept whole."""
        return self._jieba().lcut(text, HMM=False)

    def _jieba(self):
        if self._tokenizer is None:
            with self._tokenizer_lock:
                if self._tokenizer is None:
                    tk = _new_tokenizer()
                    for key in self._cjk:
                        tk.add_word(key, freq=200_000)
                    for word in _NOT_SLOT_WORDS:
                        tk.add_word(word, freq=300_000)
                    self._tokenizer = tk
        return self._tokenizer

    def find(self, text: str) -> list[Mention]:
        """Every slot value named in the text, longest first, not overlapping, in text order.

        Latin words match whole words (a plural "s" may be dropped; one typo is forgiven in words of five letters
        or more); Chinese words match anywhere, but a one-character word must stand as a word of its own.
        """
        folded = fold(text)
        cands: list[tuple[int, int, list[tuple[str, str]], bool]] = []  # start, end, pairs, fuzzy
        n = len(folded)
        for i, ch in enumerate(folded):
            lengths = self._cjk_lengths.get(ch)
            if not lengths:
                continue
            for length in lengths:
                if i + length <= n:
                    pairs = self._cjk.get(folded[i:i + length])
                    if pairs:
                        cands.append((i, i + length, pairs, False))
        tokens = latin_tokens(folded)
        covered_tokens: set[int] = set()
        for j in range(len(tokens)):
            for k in range(min(self._max_words, len(tokens) - j), 0, -1):
                words = [t for _, _, t in tokens[j:j + k]]
                if k > 1 and not _adjacent(folded, tokens[j:j + k]):
                    continue
                key = " ".join(words)
                pairs = self._latin.get(key)
                if pairs is None and key.endswith("'s") and len(words[-1]) > 3:
                    pairs = self._latin.get(key[:-2])  # "my husband's birthday", "sis's", "the wife's"
                if pairs is None and key.endswith("s") and len(words[-1]) > 3:
                    pairs = self._latin.get(key[:-1]) or (self._latin.get(key[:-2]) if key.endswith("es") else None)
                if pairs is None and "-" in key:
                    pairs = self._latin.get(key.replace("-", " ")) or self._latin.get(key.replace("-", ""))
                if pairs:
                    cands.append((tokens[j][0], tokens[j + k - 1][1], pairs, False))
                    covered_tokens.update(range(j, j + k))
        for j, (s, e, tok) in enumerate(tokens):
            if j in covered_tokens or len(tok) < 4 or not tok.isalpha() or tok in _COMMON_EN:
                continue
            matches = set()
            for variant in {tok} | _deletes(tok):
                matches |= self._fuzzy.get(variant, set())
            # an inflected verb is no typo of a noun one letter away ("jumped" is not "jumper")
            matches = {m for m in matches if _one_edit(tok, m)
                       and not (tok.endswith(("ed", "ing")) and not m.endswith(tok[-2:]))}
            if len(matches) == 1:
                cands.append((s, e, self._latin[matches.pop()], True))

        cands.sort(key=lambda c: (-(c[1] - c[0]), c[3], c[0]))
        taken = [False] * n
        chosen: list[Mention] = []
        tokens_cache: list[tuple[int, int]] | None = None
        for start, end, pairs, _fuzzy in cands:
            if any(taken[start:end]):
                continue
            surface = folded[start:end]
            if _is_latin(surface):
                if not _guard_ok(surface, folded, start, end):
                    continue
            elif end - start == 1:
                if tokens_cache is None:
                    tokens_cache = self._word_spans(folded)
                if not self._stands_alone(start, end, tokens_cache, folded):
                    continue
            for i in range(start, end):
                taken[i] = True
            for slot, value in pairs:
                chosen.append(Mention(slot, value, start, end, text[start:end]))
        chosen.sort(key=lambda m: (m.start, self.slots.index(m.slot)))
        return chosen

    def _word_spans(self, folded: str) -> list[tuple[int, int]]:
        """For each character, the (start, end) of the jieba word it belongs to."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for word in self._jieba().cut(folded, HMM=False):
            spans.extend([(pos, pos + len(word))] * len(word))
            pos += len(word)
        return spans

    def _stands_alone(self, start: int, end: int, spans: list[tuple[int, int]], folded: str) -> bool:
        """A one-character word counts unless segmentation puts it inside a longer non-lexicon word."""
        if start >= len(spans):
            return True
        s, e = spans[start]
        if e - s <= 1 or not (s <= start and end <= e):
            return True
        word = folded[s:e]
        if word in self._cjk:
            return True
        # "红裙" / "黑裤": made only of lexicon characters and common suffixes
        rest = [ch for ch in word if ch not in self._cjk and ch not in "色的款系裤衫"]
        return not rest and word not in _NOT_SLOT_WORDS


def _adjacent(folded: str, toks: list[tuple[int, int, str]]) -> bool:
    """Words of a multi-word name must be separated by spaces or hyphens only."""
    for (_, e1, _), (s2, _, _) in zip(toks, toks[1:], strict=False):
        if folded[e1:s2].strip(" -&'") != "":
            return False
    return True


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            # substitutions only in longer words ("sneekers"), not "shirt"/"short", never the first letter
            return la >= 6 and diff[0] > 0
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


def _guard_ok(surface: str, folded: str, start: int, end: int) -> bool:
    guard = _GUARDS.get(surface)
    if guard is None:
        return True
    before, after = guard
    if before is not None and before.search(folded[max(0, start - 30):start]):
        return False
    if after is not None and after.search(folded[end:end + 30]):
        return False
    return True


def _unique(labels: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(x).strip() for x in labels if x is not None and str(x).strip()))


def _variants(label: str) -> list[str]:
    low = label.lower()
    out = [low]
    if low.endswith("s"):
        out.append(low[:-1])
    else:
        out.append(low + "s")
    return out


def _match_builtin(label: str, terms: list[Term]) -> Term | None:
    keys = [_key(v) for v in _variants(label)]
    words = label.lower().split()
    if len(words) > 1:
        keys += [_key(v) for v in _variants(words[-1])]
    for key in keys:
        for term in terms:
            if key in {_key(n) for n in term.names}:
                return term
    return None


def _builtin_terms() -> dict[str, list[Term]]:
    """The vocabulary's terms with our extra synonyms added and misleading ones removed."""
    source: dict[str, tuple[Term, ...]] = {
        "category": DEFAULT_CATEGORIES, "brand": (),
        **{a.key: a.vocabulary.terms for a in REGISTRY.with_vocabulary()},
    }
    out: dict[str, list[Term]] = {}
    for slot, terms in source.items():
        removed = REMOVED_SYNONYMS.get(slot, set())
        extras = EXTRA_SYNONYMS.get(slot, {})
        built = []
        for term in terms:
            more = extras.get(term.canonical, [])
            en = tuple(dict.fromkeys([*(s for s in term.en if s not in removed),
                                      *(m.lower() for m in more if _is_latin(m))]))
            zh = tuple(dict.fromkeys([*(s for s in term.zh if s not in removed),
                                      *(m for m in more if not _is_latin(m))]))
            if isinstance(term, Colour):
                built.append(Colour(term.canonical, en, zh, term.rgb, term.family))
            else:
                built.append(Term(term.canonical, en, zh))
        out[slot] = built
    out["brand"] = []
    for group in BRAND_ALIASES:
        names = [n for n in group if _key(n) not in _AMBIGUOUS_BRAND_NAMES]
        if names:
            out["brand"].append(Term(group[0], tuple(dict.fromkeys(n.lower() for n in names if _is_latin(n))),
                                     tuple(n for n in names if not _is_latin(n))))
    return out
