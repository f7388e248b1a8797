"""Slots from one message: lexicon values (with negation), prices, sizes, item references, asked attribute.

`extract(text, lexicon, shown)` returns the slots and the evidence the intent classifier uses as features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vidrec.nlu.lexicon import Lexicon, Mention, fold
from vidrec.nlu.numbers import find_prices, parse_price_range
from vidrec.nlu.references import FOCUS, ItemRef, find_item_refs, resolve

# ------------------------------------------------------------------------------------------------ sizes

_LETTER_SIZES = {
    "xxs": "XXS", "xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "xxl": "XXL", "xxxl": "XXXL",
    "2xl": "XXL", "3xl": "XXXL", "4xl": "XXXXL", "2x": "XXL", "3x": "XXXL", "x-large": "XL", "xx-large": "XXL",
    "x-small": "XS",
}
_WORD_SIZES = {"small": "S", "medium": "M", "large": "L", "extra large": "XL", "extra small": "XS",
               "extra-large": "XL", "extra-small": "XS", "extra extra large": "XXL", "petite": "XS"}
_ZH_SIZES = {"小号": "S", "中号": "M", "大号": "L", "加大号": "XL", "加大码": "XL", "特大号": "XXL", "均码": "Free Size",
             "加加大": "XXL"}
_SIZE_CUE = r"(?:size|sized|尺码|码数|码|号|尺寸|穿|in|a|an|get|want|need|要|有|拿|来)"
_LETTER_RE = re.compile(r"(?<![a-z0-9'])(xxxl|xxl|xl|xxs|xs|[2-4]xl|[23]x|xx-large|x-large|x-small|s|m|l)(?![a-z0-9'])", re.A)
_NUM_SIZE_RE = re.compile(
    r"(?:(?:size|sz|尺码|码数|鞋码|eu|us|uk)\s*:?\s*(?P<a>\d{1,2}(?:\.5)?)(?![\d.]))"
    r"|(?:(?<![\d.])(?P<b>\d{1,2}(?:\.5)?)\s*(?:码|号(?!码))(?![\d]))"
    r"|(?:(?<![\d.])(?P<c>[2-4]\d)\s*(?:码|号|size\b))", re.A)
_WORD_SIZE_RE = re.compile(
    r"(?:\bsize\s+|\bin\s+(?:a\s+)?|\bin\s+size\s+)(extra[\s-]extra[\s-]large|extra[\s-]large|extra[\s-]small|small|"
    r"medium|large|petite)\b|\b(small|medium|large|extra[\s-]large)\s+size\b", re.A)


# "small hoodies", "some large shoes", "she wears a small": a size word before clothing or after "wear(s)"
_CLOTHES = (r"(?:hoodies?|shirts?|t-?shirts?|tees?|tops?|blouses?|dress(?:es)?|skirts?|jackets?|coats?|sweaters?|"
            r"jeans|pants|trousers|joggers|shorts|shoes|sneakers|boots|hats?|caps?|socks|suits?|vests?|tanks?|"
            r"polos?|cardigans?|jumpers?|leggings|one|ones)")
# Words after "small / medium / large" that make it something else than a size ("medium heel", "large selection").
_NOT_A_SIZE_WORD = (r"(?:heels?|heeled|rise|length|weight|wash|sleeves?|sleeved|waisted|brim|collar|size|sized|"
                    r"selection|range|number|amount|variety|choice|collection|of|for|to|and|or|with|than|pair|pairs|"
                    r"one|ones|bit|lot|set|group|pattern|patterned|print|printed|check|checked)")
_WORD_SIZE_BEFORE_NOUN_RE = re.compile(
    rf"\b(extra[\s-]large|extra[\s-]small|small|medium|large)\s+{_CLOTHES}\b"
    # "any medium canvas shoes" (SIMMC even, 11646/0): one or two words that describe the item in between (not a
    # heel, a rise, a length or a weight: "medium heel boots" names no size)
    rf"|\b(?:any|some|a|an|the|in|of|those|these)\s+(extra[\s-]large|extra[\s-]small|small|medium|large)\s+"
    rf"(?:(?!{_NOT_A_SIZE_WORD}\b)[a-z]+\s+){{1,2}}{_CLOTHES}\b"
    r"|\bwears?\s+(?:a\s+|an\s+|size\s+)?(extra[\s-]large|extra[\s-]small|small|medium|large)\b", re.A)


# "an extra large black puffer jacket": the size word a few words before the garment.
_EXTRA_SIZE_BEFORE_NOUN_RE = re.compile(
    rf"\b(?:an?\s+)(extra[\s-]large|extra[\s-]small|x-large|x-small)\s+(?:[a-z]+\s+){{0,3}}?{_CLOTHES}\b|"
    rf"\ban\s+(extra[\s-]large|extra[\s-]small)\b", re.A)
# "large pls", "medium please!": a size word and nothing else (the answer to "which size?").
_BARE_SIZE_RE = re.compile(r"^\s*(?:(?:a|an|in|size)\s+)?(extra[\s-]extra[\s-]large|extra[\s-]large|extra[\s-]small|small|"
                           r"medium|large)\s*(?:pls|plz|please|thanks|thx|ty|then|for me|one)?\s*[.!~]*\s*$", re.A)
# "腰围32", "34 waist", "waist 30": trouser sizes by the waist.
_WAIST_RE = re.compile(r"(?:腰围|\bwaist\s*(?:size\s*)?)\s*(?P<a>[2-4]\d)(?![\d.])|(?<![\d.])(?P<b>[2-4]\d)\s*(?:\s*inch)?\s*"
                       r"(?:waist\b|腰)", re.A)


def find_size(folded: str, original: str) -> tuple[str | None, tuple[int, int] | None]:
    """A clothing or shoe size: "XL", "M", "42", "10", "Free Size" (normalised), with its span."""
    m = _WAIST_RE.search(folded)
    if m:
        return m.group("a") or m.group("b"), (m.start(), m.end())
    m = _EXTRA_SIZE_BEFORE_NOUN_RE.search(folded) or _BARE_SIZE_RE.search(folded)
    if m:
        word = re.sub(r"[\s-]+", " ", next(g for g in m.groups() if g)).replace("x large", "extra large") \
            .replace("x small", "extra small")
        return _WORD_SIZES.get(word), (m.start(), m.end())
    for zh, value in _ZH_SIZES.items():
        i = folded.find(zh)
        if i >= 0:
            return value, (i, i + len(zh))
    m = _NUM_SIZE_RE.search(folded)
    if m:
        raw = m.group("a") or m.group("b") or m.group("c")
        grp = "a" if m.group("a") else ("b" if m.group("b") else "c")
        n = float(raw)
        # "2号" is the second item, "42号" is a size
        if grp != "b" or n >= 20 or folded[m.end(grp):m.end(grp) + 1] == "码":
            return (raw[:-2] if raw.endswith(".0") else raw), (m.start(), m.end())
    m = _WORD_SIZE_RE.search(folded) or _WORD_SIZE_BEFORE_NOUN_RE.search(folded)
    if m:
        word = next(g for g in m.groups() if g).replace("-", " ")
        word = re.sub(r"\s+", " ", word)
        return _WORD_SIZES.get(word, _WORD_SIZES.get(word.replace(" ", "-"))), (m.start(), m.end())
    for m in _LETTER_RE.finditer(folded):
        tok = m.group(1)
        s, e = m.span(1)
        if len(tok) == 1:
            upper = original[s:e].isupper()
            before = folded[max(0, s - 8):s]
            after = folded[e:e + 3]
            cue_before = re.search(_SIZE_CUE + r"\s*$", before) is not None
            cue_after = re.match(r"\s*(?:码|号|size|的|吗|呢|$|[,，。.!?！？])", after) is not None
            in_at_end = re.search(r"\bin\s+$", before) is not None and re.match(r"\s*(?:$|[,，。.!?！？])", after) \
                and tok in ("s", "m", "l")
            if not in_at_end and not (cue_before and (upper or re.search(r"(?:size|尺码|码数)\s*$", before))) and not (
                upper and cue_after and (cue_before or re.match(r"\s*(?:码|号|size)", after))
            ):
                continue
        return _LETTER_SIZES[tok], (s, e)
    return None, None


# ------------------------------------------------------------------------------------------- attributes

_ATTRIBUTE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("price", re.compile(r"多少钱|多少米|多少元|几块|几多钱|价格|价钱|价位|什么价|贵不贵|贵吗|便宜吗|哪个便宜|哪个更便宜|"
                         r"哪个贵|how much|\bprice\b|\bprices\b|\bpriced\b|\bcost\b|\bcosts\b|\bpricier\b|"
                         r"which (?:one )?is cheaper|which (?:one )?(?:is )?more expensive|cheaper one|最便宜|最贵|最实惠|"
                         r"\bcheapest\b|\bpriciest\b|\bwhich\b.{0,14}\b(?:cheaper|pricier|more expensive)\b|"
                         r"\bhw much\b|\bhow mch\b", re.A)),
    ("material", re.compile(r"材质|面料|料子|什么料|什么做的|啥做的|成分|质地|\bmade of\b|\bmade from\b|\bmaterial\b|"
                            r"\bfabric\b|\bwhat is it made\b", re.A)),
    ("brand", re.compile(r"牌子|品牌|哪家的|哪个厂|\bbrand\b|\bwho makes\b|\bmade by\b|\bmanufacturer\b|\bwhich company\b", re.A)),
    ("care", re.compile(r"机洗|水洗|手洗|怎么洗|干洗|烘干|起球|掉色|缩水|\btumble[- ]dry|\bdryer\b|\bwash\b|\bwashable\b|\bwashing\b|\bdry clean|"
                        r"\bshrink\b|\biron\b", re.A)),
    ("color", re.compile(r"颜色|几种色|什么色|几个色|\bcolou?rs?\b|\bwhat colou?r\b", re.A)),
    ("size", re.compile(r"尺码|尺寸|码数|多大|偏大|偏小|大小|合身|\bsizes?\b|\bfit\b|\bfits\b|\brun(?:s)? (?:small|large|big)|"
                        r"\btrue to size\b|\bhow big\b", re.A)),
    ("pattern", re.compile(r"图案|花纹|\bpattern\b", re.A)),
    ("usage", re.compile(r"场合|什么时候穿|适合.{0,4}穿吗|适合.{0,4}(?:上班|通勤|运动|健身|跑步|约会|派对|婚礼|面试|旅行|度假)|"
                         r"\boccasion\b|\bwear (?:it|this|that|them|these|those|the [\w ]{1,20}?) to\b|\bgood for\b", re.A)),
    ("season", re.compile(r"什么季节|哪个季节|季节|\bseason\b|\bwinter\b.*\?|\bwarm enough\b", re.A)),
    ("gender", re.compile(r"男款还是女款|男的还是女的|男女|\bfor men or women\b|\bmen or women\b", re.A)),
    ("stock", re.compile(r"有货|现货|库存|缺货|断货|卖完|\bin stock\b|\bavailable\b|\bavailability\b|\bsold out\b", re.A)),
    ("shipping", re.compile(r"包邮|运费|邮费|发货|快递|几天到|多久到|配送|\bshipping\b|\bdelivery\b|\bdeliver\b|\bship\b|"
                            r"\barrive\b|几天能到|多久能到|能到吗|什么时候到|到货", re.A)),
    ("returns", re.compile(r"退货|退换|换货|退款|无理由|\breturn\b|\breturns\b|\brefund\b|\bexchange\b", re.A)),
    ("rating", re.compile(r"评价|口碑|好评|差评|评分|星级|买家秀|\breviews?\b|\brating\b|\bratings\b|\brated\b|\bstars\b", re.A)),
    ("warranty", re.compile(r"保修|质保|\bwarranty\b|\bguarantee\b", re.A)),
    ("category", re.compile(r"是什么东西|是啥东西|\bwhat kind of\b|\bwhat type of\b", re.A)),
    ("details", re.compile(r"介绍|详细|详情|说说|讲讲|具体|参数|视频|实拍|\bvideos?\b|\bpics?\b|\bphotos?\b|\btell me (?:more )?about\b|\bdetails?\b|\bmore info|"
                           r"\bdescribe\b|\bspecs\b|\bmore about\b|\binfo on\b", re.A)),
]


def find_attribute(folded: str) -> str | None:
    """What the message asks about (price, material, brand...), the earliest-named first."""
    best: tuple[int, int, str] | None = None
    for rank, (name, pattern) in enumerate(_ATTRIBUTE_PATTERNS):
        m = pattern.search(folded)
        if m and (best is None or (m.start(), rank) < best[:2]):
            best = (m.start(), rank, name)
    return best[2] if best else None


# --------------------------------------------------------------------------------------- price direction

_LOWER_RE = re.compile(
    r"便宜|实惠|划算|性价比|低价|省钱|太贵|贵了|有点贵|价格低|低一点|低一些|低点|不要太贵|没那么贵|不那么贵|平价|白菜价|"
    r"预算有限|超预算|超出预算|\bout of (?:my )?(?:price )?range\b|\bout of my budget\b|\bcheeper\b|\bcheap|\bcheaper\b|\bchepaer\b|\bcheapr\b|\baffordabl[ey]\b|\binexpensive\b|\bless expensive\b|"
    r"\bless pricey\b|\blower price|\blower[- ]priced\b|\b(?:lower|less|down)\s+in\s+(?:price|cost)\b|\btoo expensive\b|\b(?:too|so|a bit|kinda|pretty|bit) (?:pricey|costly)\b|"
    r"\bbargain\b|\breasonabl[ey](?: priced)?\b|\bafford\b|\bbudget[- ]friendly\b|\bthrifty\b|"
    r"\bnot (?:so |too )?expensive\b|\bbudget\b(?!'s|\s*(?:of|is|was|around|about|\$|\d|:))|\bover ?priced\b|\blow[- ]cost\b|"
    r"\bexpensive\b(?=.{0,3}(?:了|啦))|太\s*(?:expensive|pricey)|\bway too (?:expensive|pricey)\b", re.A)
_HIGHER_RE = re.compile(
    r"贵一点|贵一些|贵点|更贵|高档|高端|上档次|档次高|档次好|高一个档次|奢侈|质量好一点|质量更好|好一点的|品质|\bpremium\b|\bhigh[- ]end\b|"
    r"\bhigher[- ]end\b|\bluxury\b|\bluxurious\b|\bpricier\b|\bmore expensive\b|\bbetter quality\b|"
    r"\bhigher quality\b|\bexpensive\b|\bupscale\b|\bdesigner\b|\britzy\b|\bposh\b|\bswanky\b|"
    r"\bfancy (?:stuff|ones|things|items|options)\b|\bsplurge\b|\bpricey (?:ones|stuff|options)\b|"
    r"\b(?:higher|more|up)\s+in\s+(?:price|cost)\b|\bhigher[- ]priced\b|\bhigher (?:price|cost)", re.A)
_WHICH_RE = re.compile(r"哪个|哪一个|哪款|\bwhich\b|吗|\bis it\b|\bis the\b|\bare they\b", re.A)


_NOT_HIGH_RE = re.compile(r"(?:n't|\bnot|\bnever)\s+(?:that\s+|too\s+|so\s+|very\s+|really\s+)?$|不$|不算$|不是很$", re.A)
_WANTS_NOT_RE = re.compile(r"\b(?:that|which|one|ones|something|anything|stuff|things)\s+(?:is|are)\s*(?:n't|not)", re.A)


# "too cheap", "these look cheap", "太便宜了 质量怕不行", "cheap stuff falls apart": a worry about quality, no wish
# for cheaper (and with "something more premium" beside it, a wish for pricier).
_NOT_LOWER_RE = re.compile(
    r"太便宜|便宜没好货|便宜的?不放心|便宜.{0,3}(?:质量|做工)|看着?(?:好|很|有点|挺)?廉价|\btoo cheap\b|"
    r"\blooks?\s+(?!at\b|for\b|into\b|around\b)(?:\w+\s+)?cheap\b|\bcheap[- ]looking\b|\bcheap(?:ly)? made\b|"
    r"\bcheap\s+(?:\w+\s+){0,2}(?:falls?|fell|breaks?|broke|never lasts?|doesn'?t last|is junk)\b", re.A)


def find_price_direction(folded: str) -> str | None:
    """"lower" for cheaper / 便宜点, "higher" for more premium / 贵一点; None in a question ("哪个便宜", "便宜吗")."""
    folded = _NOT_LOWER_RE.sub(lambda m: " " * len(m.group()), folded)
    low = _LOWER_RE.search(folded)
    high = _HIGHER_RE.search(folded)
    if not low and not high:
        return None
    first = min((m for m in (low, high) if m), key=lambda m: m.start())
    before = folded[max(0, first.start() - 18):first.start()]
    if first is high and _NOT_HIGH_RE.search(before):
        # "something that isn't expensive" wants cheaper; "it isn't expensive" only says so
        return "lower" if _WANTS_NOT_RE.search(before) else None
    after = folded[first.end():first.end() + 4]
    if _WHICH_RE.search(before) or re.match(r"\s*(?:吗|不|嘛)", after):
        return None
    if low and (not high or low.start() <= high.start() or "too" in folded[max(0, high.start() - 6):high.start()]):
        return "lower"
    return "higher"


# -------------------------------------------------------------------------------------------- negation

_NEG_BEFORE = re.compile(
    r"(?P<cue>不要|不想要|不想|不用|别要|别给我|别(?!的)|不喜欢|除了|排除|去掉|去除|不考虑|不能是|不含|拒绝|讨厌|"
    r"\bno\b|\bnot\b|\bdon't want\b|\bdont want\b|\bwithout\b|\bexcept\b|\bexcluding\b|\bother than\b|"
    r"\bexclude\b|\bavoid\b|\bnothing\b|\bhate\b|\bnever\b|\bno more\b|\bnon\b|\bskip\b|\bdon't like\b|"
    r"\bdont like\b|\bdon't show\b|(?<!don't )(?<!dont )\bforget(?: about)?\b|\banything but\b|\bany\s+(?:colou?rs?|brands?|ones?)\s+(?:but|except)\b|\bremove\b|\bminus\b)"
    r"[^,，。;；!！?？]{0,8}$", re.A)
_NEG_AFTER = re.compile(
    r"\s*(?:的|色|颜色)?\s*(?:以外|之外|外)(?:的|还有|其他|别的)|"
    r"\s*(?:的|色|颜色)?\s*(?:就|也|都)?(?:不要(?!太|那么|过于|特别)|不行|不喜欢|不考虑|算了|免了|pass|除外|就算了|不好看|不适合|太丑|"
    r"is a no\b|are out\b|is out\b|not please\b|please no\b|no thanks\b)", re.A)
_NEG_STOP = re.compile(r"(?<!不)要|想要|换成|来点|来个|只要|但是|而是|(?<!不)看看|\bbut\b|\binstead\b|\bwant\b|\bprefer\b|"
                       r"\brather\b|\bonly\b|\bjust\b|\bneed\b|\bshow me\b|\blooking for\b", re.A)


# Between two values of one slot: "not black or navy", "不要黑色和白色" (the second is ruled out too).
_NEG_CHAIN = re.compile(r"\s*(?:、|/|or|nor|and|或者|或|和|跟|与|也不要|还有)?\s*(?:色|的)?\s*$", re.A)
# Between a ruled-out value and a category: "no black shoes", "不要黑色的鞋" (the category is still wanted).
_MODIFIER_GAP = re.compile(r"^\s*(?:的|色的|色)?\s*$", re.A)


def _scoped(folded: str, mentions: list[Mention]) -> tuple[list[Mention], list[Mention]]:
    """Split the mentions into wanted and ruled out. Negation reaches over a list of values of one slot
    ("not black or navy") but not past the first value to the category it describes ("no black shoes")."""
    wanted: list[Mention] = []
    negated: list[Mention] = []
    for m in mentions:
        prev = negated[-1] if negated else None
        if prev is not None and m.slot == "category" and prev.slot != "category" \
                and _MODIFIER_GAP.match(folded[prev.end:m.start]) and not _NEG_AFTER.match(folded, m.end):
            wanted.append(m)  # the head the ruled-out modifier describes
            continue
        if prev is not None and prev.slot == m.slot and prev.start < m.start and \
                not any(w.start > prev.start for w in wanted) and _NEG_CHAIN.match(folded[prev.end:m.start]):
            negated.append(m)
            continue
        nxt = next((n for n in mentions if n.start >= m.end), None)
        (negated if _negated(folded, m, nxt) else wanted).append(m)
    return wanted, negated


# "less formal", "not so sporty", "不那么正式": a move away from the value, never a request for it.
_LESS_BEFORE = re.compile(r"(?:\bless|\bnot so|\bnot as|\bnot too|\bnothing too|\b(?:is|are|'re|'s|looks?|way|bit|a bit)"
                          r"\s+too|不那么|没那么|不要那么|别那么|不用那么|(?<!不)太|有点太|过于)\s*$",
                          re.A)


def _negated(folded: str, m: Mention, nxt: Mention | None = None) -> bool:
    """"不要黑色", "no black ones", "anything but red", "黑色的不要": the mention is excluded, not wanted.
    A "不要" that goes on to name something else ("平底鞋 不要黑色") rules out that, not the word before it."""
    before = folded[max(0, m.start - 16):m.start]
    if _LESS_BEFORE.search(before):
        return True
    nb = _NEG_BEFORE.search(before)
    if nb is not None:
        between = before[nb.end("cue"):]
        if not _NEG_STOP.search(between) and not (nb.group("cue") == "not" and re.match(r"\s*(?:only|just)\b",
                                                                                           between, re.A)):
            return True
    after = _NEG_AFTER.match(folded, m.end)
    if after is not None and nxt is not None and nxt.slot != m.slot and \
            re.fullmatch(r"[\s的]*(?:颜色|色)?[\s的]*(?:也|都)?[\s的]*", folded[after.end():nxt.start]):
        return False
    return after is not None


# ------------------------------------------------------------------------------------ described items

_DETERMINERS = {"the", "that", "those", "this", "these", "its", "both"}
_BREAKERS = {"a", "an", "any", "some", "another", "more", "for", "in", "with", "under", "than", "like", "perfect",
             "best", "right", "ideal", "latest", "new", "newest", "same", "cheapest", "most", "of", "to", "and",
             "or", "but", "is", "are", "at", "on", "from", "by", "color", "colour", "size", "price", "brand",
             "rating", "ratings", "reviews", "sizes", "prices", "brands"}
_HEAD_SLOTS = {"category", "brand"}
_ZH_DET_BEFORE = re.compile(r"(?:这|那|左边|右边|中间|上面|下面|前面|后面|刚才|刚刚)(?:一)?(?:个|件|条|款|双|套|只|顶|块)?"
                            r"[^，。,.!?？！\s]{0,3}$", re.A)
_ZH_DET_AFTER = re.compile(r"(?:的)?(?:那|这)(?:一)?(?:个|件|条|款|双|套|只|顶)", re.A)
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:['&-][a-z0-9]+)*", re.A)


def find_described_items(folded: str, mentions: list[Mention]) -> list[tuple[int, int]]:
    """Items pointed at by description, not position: "the black dress (on the left)", "those grey pants",
    "the blue one", "那件黑色的连衣裙", "黑色那款". Each is one span (determiner .. head word)."""
    spans: list[tuple[int, int]] = []
    heads = [m for m in mentions if m.slot in _HEAD_SLOTS]
    colourish = [m for m in mentions if m.slot not in _HEAD_SLOTS]
    # English: determiner, up to five modifier words, then a category/brand word or "one(s)"
    toks = [(m.start(), m.end(), m.group()) for m in _EN_TOKEN.finditer(folded)]
    head_at = {m.start: m for m in heads}
    mention_starts = {m.start for m in mentions}
    i = 0
    while i < len(toks):
        s, _, w = toks[i]
        if w not in _DETERMINERS:
            i += 1
            continue
        j = i + 1
        end = None
        while j < len(toks) and j <= i + 6:
            ts, te, tw = toks[j]
            if ts in head_at:
                end = head_at[ts].end
                # a head may run over several tokens ("running shoes"); skip past it
                while j + 1 < len(toks) and toks[j + 1][0] < end:
                    j += 1
                # "the black dress and the ..." stops here; "the grey and white jacket" continues to "jacket"
                if j + 1 < len(toks) and toks[j + 1][2] in ("one", "ones") and toks[j + 1][0] - end <= 1:
                    end = toks[j + 1][1]
                break
            if tw in ("one", "ones") and (j > i + 1 or w in ("this", "that")):
                end = te
                break
            if tw in _BREAKERS and not (tw == "and" and j + 1 < len(toks) and toks[j + 1][0] in mention_starts):
                break
            if tw in _DETERMINERS:
                break
            j += 1
        if end is not None and (j > i + 1 or w in ("the", "those", "these", "that", "this")):
            if not (w in ("this", "that") and j == i + 1 and toks[j][2] in ("one", "ones")):
                spans.append((s, end))
            else:
                spans.append((s, end))
            i = j + 1
        else:
            i += 1
    # Chinese: 这/那 + measure word before a mention, or a mention followed by 那个/这件
    for m in heads + colourish:
        if any(a <= m.start < b for a, b in spans):
            continue
        if not any("\u4e00" <= ch <= "\u9fff" for ch in folded[max(0, m.start - 4):m.end + 4]):
            continue
        before = folded[max(0, m.start - 8):m.start]
        db = _ZH_DET_BEFORE.search(before)
        da = _ZH_DET_AFTER.match(folded, m.end)
        if db:
            start = m.start - (len(before) - db.start())
            end = m.end
            # take the following head word into the same item ("那件黑色的连衣裙")
            for h in heads:
                if m.end <= h.start <= m.end + 2:
                    end = h.end
            spans.append((start, end))
        elif da:
            spans.append((m.start, da.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


# ---------------------------------------------------------------------------------------------- extract

@dataclass
class Evidence:
    """What was found where: the slots and the spans the intent classifier replaces by placeholders."""

    slots: dict = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    negated: list[Mention] = field(default_factory=list)
    refs: list[ItemRef] = field(default_factory=list)
    prices: list[tuple[int, int]] = field(default_factory=list)
    size_span: tuple[int, int] | None = None
    attribute_keyword: str | None = None
    described: list[tuple[int, int]] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)  # JSON keys of attributes let go ("any colour is fine")


# A kind of item named by its sleeves ("long sleeve", "longsleeve", "长袖"), and the words before it that make it a
# property of something else: "with long sleeves", "in long sleeve", "any of them long sleeve", "是长袖的".
_SLEEVE_WORDS_RE = re.compile(r"(?:long|short)[\s-]*sleeve[sd]?|长袖|短袖", re.A)
_SLEEVE_OF_RE = re.compile(r"(?:\b(?:with|w/|in|has|have|having|is|are|be|them|those|these|it|ones?|got|but)|是|有)\s*$",
                           re.A)
# A demonstrative right before a kind of item: "that coat", "this grey dress", "those pants", "这件外套".
_POINTED_KIND_RE = re.compile(r"(?:\b(?:this|that|these|those)\s+(?:[a-z-]+\s+){0,2}|[这那](?:个|款|件|条|双|只|套)?\s*"
                              r"(?:[一-龥]{1,3}色的?)?)$", re.A)
# Words that name a cut of clothes (men's, 女款), not a person the item is for (my son, 老婆).
_EXPLICIT_GENDER_RE = re.compile(r"(?:wo)?m[ae]n'?s?|(?:fe)?male|ladies'?|lady|gents?|boys'?|girls'?|unisex|"
                                 r"[男女](?:款|士|装|式|生款|版)|男女同款的?|情侣款", re.A)


def extract(text: str, lexicon: Lexicon, shown: int | None = None) -> Evidence:
    """Every slot named in `text` (already normalised), before the intent is known."""
    folded = fold(text)
    ev = Evidence()
    slots: dict = {}
    mentions = lexicon.find(text)
    wanted, ruled_out = _scoped(folded, mentions)
    ruled_out_ids = {id(m) for m in ruled_out}
    pointed_kind = False  # the category slot so far names the kind of an item pointed at ("that coat")
    for k, m in enumerate(mentions):
        if m.slot == "category" and m not in ruled_out and any(
                n.slot == "category" and n.start >= m.end and re.fullmatch(r"[\s-]*", folded[m.end:n.start])
                for n in mentions[k + 1:k + 3]):
            # "long sleeve blouses", "short sleeved dresses": the last noun is the category
            continue
        if m.slot == "category" and _SLEEVE_WORDS_RE.fullmatch(fold(m.surface)) and (
                fold(m.surface).endswith("sleeved") or _SLEEVE_OF_RE.search(folded[:m.start])):
            # "are any of them long sleeve and cheap?", "anything inexpensive, with long sleeves?" (SIMMC even,
            # 11322/6, 7360/3): the sleeves of the kind under way, not the kind "long sleeve (tee)" replacing it
            continue
        if m.slot == "color":
            if id(m) in ruled_out_ids:
                ev.negated.append(m)
                excl = slots.setdefault("color_exclude", [])
                if m.value not in excl:
                    excl.append(m.value)
            else:
                ev.mentions.append(m)
                colours = slots.setdefault("color", [])
                if m.value not in colours:
                    colours.append(m.value)
            continue
        if id(m) in ruled_out_ids:
            ev.negated.append(m)
            if m.slot == "brand":
                # "any brand except nike", "不要阿迪的": ruled out, like a colour
                excl = slots.setdefault("brand_exclude", [])
                if m.value not in excl:
                    excl.append(m.value)
            continue
        ev.mentions.append(m)
        if m.slot == "category" and "category" in slots and pointed_kind and not _POINTED_KIND_RE.search(folded[:m.start]):
            # "that coat will be great for me. Can you also show me some shoes in a size L?" (SIMMC even, 5556/2):
            # the kind of an item pointed at ("that coat") is not the kind asked for when another is named
            slots["category"] = m.value
            pointed_kind = False
            continue
        if m.slot == "category" and "category" not in slots:
            pointed_kind = _POINTED_KIND_RE.search(folded[:m.start]) is not None
        slots.setdefault(m.slot, m.value)
    genders = [m for m in ev.mentions if m.slot == "gender"]
    if len(genders) > 1 and not _EXPLICIT_GENDER_RE.fullmatch(fold(genders[0].surface)):
        # "my son's graduation, men's size 40" (blind set 3, b097): the cut named beats the one inferred from a person
        explicit = next((m for m in genders if _EXPLICIT_GENDER_RE.fullmatch(fold(m.surface))), None)
        if explicit is not None:
            slots["gender"] = explicit.value

    size, size_span = find_size(folded, text)
    if size:
        slots["size"] = size
        ev.size_span = size_span

    refs = [r for r in find_item_refs(folded, shown)
            if not (size_span and size_span[0] <= r.start < size_span[1])]
    ev.refs = refs

    rating, rating_span = find_rating(folded)
    priced = text
    for r in refs:
        if not r.deictic and any(ch.isdigit() for ch in folded[r.start:r.end]):
            # "the difference between 2 and 4", "#3 under 300": a position is no price
            priced = priced[:r.start] + " " * (r.end - r.start) + priced[r.end:]
    if rating_span is not None:
        # "评分4.5以上": the number is a rating, not a price
        slots["rating_min"] = rating
        priced = text[:rating_span[0]] + " " * (rating_span[1] - rating_span[0]) + text[rating_span[1]:]
    lo, hi = parse_price_range(priced)
    if lo is not None:
        slots["price_min"] = lo
    if hi is not None:
        slots["price_max"] = hi
    ev.prices = [(p.start, p.end) for p in find_prices(priced)]
    if lo is not None or hi is not None:
        # where the numbers are, for the placeholders (a range's numbers are not "stated prices")
        for m in re.finditer(r"\d[\d,.]*\s*[kw万千]?|[一二两三四五六七八九十百千万]+(?=\s*(?:块|元|以|到|左右|以内|以下|以上))",
                             folded):
            if not any(r.start <= m.start() < r.end for r in refs) and not (
                    size_span and size_span[0] <= m.start() < size_span[1]):
                ev.prices.append((m.start(), m.end()))

    direction = find_price_direction(folded)
    if direction:
        slots["price_direction"] = direction

    cleared = find_cleared(folded)
    if cleared:
        # "any colour is fine": the attribute is let go, not asked for
        # ... unless the message names values of it: "any colour but red", "除了白色别的颜色都行" rule red out
        named = {m.slot for m in mentions} | ({"size"} if size else set())
        ev.cleared = [k for k, _ in cleared if k not in named]
        for key in ev.cleared:
            for k in (key, f"{key}_exclude") if key != "price" else ("price_min", "price_max", "price_direction"):
                slots.pop(k, None)

    ev.attribute_keyword = find_attribute(folded)
    ev.described = [d for d in find_described_items(folded, ev.mentions + ev.negated)
                    if not any(r.start <= d[0] < r.end or d[0] <= r.start < d[1] for r in refs if not r.deictic)]
    ev.slots = slots
    ev.refs = [ItemRef(resolve(r.position, shown), r.start, r.end, r.deictic) for r in refs]
    return ev


def positions(refs: list[ItemRef]) -> list[int]:
    """Distinct referenced positions in text order; the focus (0) only when nothing else is referenced."""
    out: list[int] = []
    for r in refs:
        if r.position != FOCUS and r.position not in out:
            out.append(r.position)
    if not out and any(r.position == FOCUS for r in refs):
        out.append(FOCUS)
    return out


# ---------------------------------------------------------------------------------------------- rating

_RATING_NUM = r"(?P<n>[0-5](?:\.\d)?)"
_RATING_RES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?:评分|评价|星级|分数|打分|口碑)\s*(?:在|要|是|达到|不低于|至少)?\s*{_RATING_NUM}\s*(?:分|星|颗星)?"
               r"\s*(?:以上|及以上|或以上|起|\+)?", re.A),
    re.compile(rf"{_RATING_NUM}\s*(?:分|星|颗星)\s*(?:以上|及以上|或以上|起)(?:的)?(?:评分|好评)?", re.A),
    re.compile(rf"(?:rated|rating|ratings|reviews?|review score|stars?)\s*(?:of|above|over|at least|>=?|of at least|"
               rf"higher than|better than|no less than)?\s*{_RATING_NUM}(?![\d.])\s*(?:\+|stars?|or (?:higher|more|"
               r"above|better)|and up)?", re.A),
    re.compile(rf"(?:at least|over|above|minimum)?\s*(?<![\d.]){_RATING_NUM}\s*(?:\+\s*)?(?:-\s*)?stars?"
               r"(?:\s*(?:or (?:higher|more|above|better)|and up|\+|rating|rated|reviews?))?", re.A),
)


# "四星半以上", "四星以上的", "五星好评": stars in Chinese numerals (半 = a half).
_RATING_ZH_RE = re.compile(r"(?P<z>[一二两三四五])\s*(?:颗)?星(?P<half>半)?\s*(?:以上|及以上|或以上|起|\+)", re.A)
_ZH_STARS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def find_rating(folded: str) -> tuple[float | None, tuple[int, int] | None]:
    """The lowest review rating asked for: "评分4.5以上" / "4星以上" / "rated 4+" / "at least 4 stars" -> 4.5 / 4."""
    m = _RATING_ZH_RE.search(folded)
    if m:
        value = _ZH_STARS[m.group("z")] + (0.5 if m.group("half") else 0.0)
        if value <= 5:
            return value, (m.start(), m.end())
    for pattern in _RATING_RES:
        m = pattern.search(folded)
        if m:
            value = float(m.group("n"))
            if 0 < value <= 5:
                return value, (m.start(), m.end())
    return None, None


# --------------------------------------------------------------------------------- "any colour is fine"

_CLEAR_WORDS = {
    "colour": "color", "color": "color", "colours": "color", "colors": "color", "颜色": "color", "色": "color",
    "brand": "brand", "brands": "brand", "品牌": "brand", "牌子": "brand",
    "price": "price", "budget": "price", "价格": "price", "价钱": "price", "预算": "price", "价位": "price",
    "material": "material", "fabric": "material", "材质": "material", "面料": "material",
    "size": "size", "尺码": "size", "pattern": "pattern", "图案": "pattern", "occasion": "usage", "场合": "usage",
}
_EN_ATTR = r"(?P<a>colou?rs?|brands?|price|budget|material|fabric|size|pattern|occasion)"
_ZH_ATTR = r"(?P<a>颜色|品牌|牌子|价格|价钱|预算|价位|材质|面料|尺码|图案|场合)"
_CLEAR_RES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b(?:any|whatever|whichever)\s+{_EN_ATTR}(?:\s+(?:is|are|will|would|'s|works?|do|does))*\s*"
               r"(?:fine|ok|okay|good|do|work|great|alright|all right)\b", re.A),
    re.compile(rf"\b(?:in|of)\s+any\s+{_EN_ATTR}\b", re.A),
    # "How about all the pants you can show me, any brand?" (SIMMC even, 6810/1): an afterthought that lets go
    re.compile(rf"(?:[,;]|\band|\bin)\s*any\s+{_EN_ATTR}\s*[?.!]*\s*$", re.A),
    re.compile(rf"\b(?:the\s+)?{_EN_ATTR}\s+(?:doesn'?t|does not|dont|don't|do not|won't)\s+matter", re.A),
    re.compile(rf"\b(?:i\s+)?(?:don'?t|do not|dont)\s+care\s+(?:about|what|which)\s+(?:the\s+)?{_EN_ATTR}", re.A),
    re.compile(rf"\bno\s+{_EN_ATTR}\s+(?:preference|requirement|limit)", re.A),
    re.compile(rf"\b(?:forget|drop|ignore|remove|scrap|clear|lose)\s+(?:about\s+)?(?:the\s+|my\s+)?{_EN_ATTR}"
               r"(?:\s+(?:filter|limit|requirement|thing|part))?\b", re.A),
    re.compile(rf"\b{_EN_ATTR}\s+(?:is\s+)?(?:no object|not an issue|isn'?t an issue|is flexible|flexible)\b", re.A),
    re.compile(rf"{_ZH_ATTR}\s*(?:方面)?\s*(?:都|就|也)?\s*(?:无所谓|随便|随意|都行|都可以|不限|没关系|没要求|不重要|不挑|"
               r"没所谓|不讲究|可以不管)", re.A),
    re.compile(rf"(?:什么|啥|哪个|哪种|任何|各种)\s*{_ZH_ATTR}\s*(?:的)?\s*(?:都|也)\s*(?:行|可以|好|ok|无所谓|没问题)", re.A),
    re.compile(rf"(?:不限|不管|不在乎|不在意|不看|不考虑)\s*{_ZH_ATTR}", re.A),
)


# An attribute word and a word of letting go in the same clause, in either order ("颜色你看着来", "颜色放开吧",
# "不用管颜色", "i'm flexible on colour", "skip the colour thing", "never mind the budget"): people have many more
# ways of saying they no longer care than the fixed patterns above. Read from the first (spent) blind phrase bank's
# relax situations and kept to words of indifference, never values; "ok" / "fine" count only after "any / all /
# other" ("all colours ok", "其他颜色也可以"), so "the price is ok" lets nothing go.
_LET_GO_ZH = (r"无所谓|随便|随意|都行|都可以|不限|没关系|没要求|没有要求|不重要|不挑|没所谓|不讲究|不管|不用管|别管|"
              r"不在乎|不在意|不考虑|不用考虑|放开|放宽|不是重点|不是问题|不设限|你看着|你定|不算了|没讲究|不限制|"
              r"没什么要求|不用在意|不纠结")
_LET_GO_EN = (r"doesn['’]?t (?:really )?matter|does not matter|don['’]?t matter|not (?:that |very )?important|"
              r"isn['’]?t (?:that |very )?important|whatever|never ?mind|forget|ignore|skip|scrap|flexible|not fussed|"
              r"don['’]?t worry|no preference|not a (?:big )?deal|isn['’]?t a (?:big )?deal|no limit|no cap|not an issue|"
              r"isn['’]?t an issue|not a problem|isn['’]?t a problem|no object|don['’]?t care|doesn['’]?t have to|"
              r"don['’]?t need|no need|not picky|up to you|your call")
_ATTR_ZH_ANY = r"(?P<a>颜色|品牌|牌子|价格|价钱|预算|价位|材质|面料|尺码|图案|场合)"
_ATTR_EN_ANY = r"\b(?P<a>colou?rs?|brands?|price|budget|material|fabric|size|pattern|occasion)\b"
_LET_GO_NEAR: tuple[re.Pattern[str], ...] = (
    re.compile(rf"{_ATTR_ZH_ANY}[^，,。.!！?？;；]{{0,8}}?(?:{_LET_GO_ZH})"),
    re.compile(rf"{_ATTR_EN_ANY}\s*(?:的)?\s*(?:都|就|也)?\s*(?:{_LET_GO_ZH})"),
    re.compile(rf"(?:{_LET_GO_ZH})[^，,。.!！?？;；]{{0,6}}?{_ATTR_ZH_ANY}"),
    re.compile(rf"(?:其他|其它|别的|什么|啥|任何|各种|哪种|所有)\s*{_ATTR_ZH_ANY}\s*(?:的)?\s*(?:都|也)\s*"
               r"(?:行|可以|好|ok|无所谓|没问题|没关系)"),
    re.compile(rf"{_ATTR_EN_ANY}[^,.!?;]{{0,24}}?\b(?:{_LET_GO_EN})\b"),
    re.compile(rf"\b(?:{_LET_GO_EN})\b[^,.!?;]{{0,24}}?{_ATTR_EN_ANY}"),
    re.compile(rf"\b(?:any|all|other|whatever)\s+{_ATTR_EN_ANY}[^,.!?;]{{0,16}}?\b(?:fine|ok|okay|good|works?|do)\b"),
    re.compile(rf"{_ATTR_EN_ANY}\s*(?::|is|'s)?\s*(?:anything|open|wide open)\b"),
    re.compile(rf"\b(?:any|whatever|whichever)\s+{_ATTR_EN_ANY}(?!\s*(?:options?|other|besides|except|but|than|"
               r"choices?|\?))"),
    re.compile(rf"\bopen\s+{_ATTR_EN_ANY}"),
)


def find_cleared(folded: str) -> list[tuple[str, tuple[int, int]]]:
    """Attributes the shopper lets go: "any colour is fine", "颜色无所谓", "forget the budget" -> [("color", span)]."""
    out: list[tuple[str, tuple[int, int]]] = []
    for pattern in (*_CLEAR_RES, *_LET_GO_NEAR):
        for m in pattern.finditer(folded):
            key = _CLEAR_WORDS.get(m.group("a")) or _CLEAR_WORDS.get(m.group("a").rstrip("s"))
            if key and all(key != k for k, _ in out):
                out.append((key, (m.start(), m.end())))
                # "colour and size whatever", "颜色和尺码都无所谓": each attribute listed before the let-go word
                for other in _LISTED_ATTR.finditer(folded, m.start(), m.end()):
                    more = _CLEAR_WORDS.get(other.group("a")) or _CLEAR_WORDS.get(other.group("a").rstrip("s"))
                    if more and all(more != k for k, _ in out):
                        out.append((more, (m.start(), m.end())))
    return out


_LISTED_ATTR = re.compile(
    r"(?:\band\b|\bor\b|&|/|、|和|跟|还有|,|，)\s*(?:the\s+)?(?P<a>colou?rs?|brands?|price|budget|material|fabric|size|"
    r"pattern|occasion|颜色|品牌|牌子|价格|价钱|预算|价位|材质|面料|尺码|图案|场合)", re.A)
