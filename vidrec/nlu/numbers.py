"""Numbers and prices in Chinese and English text: "199", "1,299", "两百", "一千五", "3k", "1.5万", "九块九".

Three entry points:

- `parse_number(text)`: one number written any common way, or None.
- `find_prices(text)`: the prices a seller STATES in speech or captions ("只要199元", "¥199", "now only 199").
  Sizes, years, percentages, quantities and discounts ("XL", "2023年", "50%", "2件", "立减30元") are not prices.
- `parse_price_range(text)`: the price limits in a shopper's query ("200到400", "under 500", "500块以内").
  "300元左右" / "around 300" is a band of +-`AROUND_BAND` (20 %) around the number: (240, 360).
  A bare price with a currency ("¥199", "200块的") is read as a budget: (None, 199).

Offsets in `PriceMention` index the original text (full-width characters are folded one-to-one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vidrec.vocabulary import fold

AROUND_BAND = 0.2  # "300左右" -> 300 * (1 - 0.2) .. 300 * (1 + 0.2)

_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
    "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}
_ZH_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_ZH_NUM_CHARS = "".join([*_ZH_DIGITS, *_ZH_SMALL_UNITS, *_ZH_BIG_UNITS])

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "million": 1_000_000}
_EN_WORDS = "|".join(sorted([*_EN_UNITS, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))




# --------------------------------------------------------------------------------------------- parse_number

_ARABIC = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_ARABIC_RE = re.compile(_ARABIC, re.A)
_EN_NUMBER_RE = re.compile(rf"(?:(?:{_EN_WORDS})(?:[\s-]+(?:and[\s-]+)?(?=(?:{_EN_WORDS})\b))?)+\b", re.A)


def _zh_section(s: str) -> float | None:
    """A number below 10,000: Chinese digits and 十/百/千, Arabic digits allowed ("1千5")."""
    if not s:
        return 0.0
    tokens: list[tuple[str, float]] = []
    i = 0
    while i < len(s):
        m = _ARABIC_RE.match(s, i)
        if m:
            tokens.append(("n", float(m.group().replace(",", ""))))
            i = m.end()
            continue
        ch = s[i]
        if ch in ("零", "〇"):
            tokens.append(("z", 0.0))
        elif ch in _ZH_DIGITS:
            tokens.append(("n", float(_ZH_DIGITS[ch])))
        elif ch in _ZH_SMALL_UNITS:
            tokens.append(("u", float(_ZH_SMALL_UNITS[ch])))
        else:
            return None
        i += 1
    if all(kind != "u" for kind, _ in tokens):
        # A digit string: "一九九" -> 199, "二零二三" -> 2023, "199" -> 199.
        if len(tokens) == 1:
            return tokens[0][1]
        if any(kind == "n" and (v != int(v) or v > 9) for kind, v in tokens):
            return None
        return float("".join(str(int(v)) for _, v in tokens))
    total = 0.0
    pending: float | None = None
    last_unit: float | None = None
    after_zero = False
    for kind, v in tokens:
        if kind == "n":
            if pending is not None:
                return None
            pending = v
        elif kind == "z":
            if pending is not None:
                return None
            after_zero = True
        else:
            if last_unit is not None and v >= last_unit:
                return None  # "百十" is not a number
            if pending is None:
                if total == 0 and not after_zero:
                    pending = 1.0  # "十五" = 15, "百元" = 100
                else:
                    return None
            total += pending * v
            pending = None
            last_unit = v
            after_zero = False
    if pending is not None:
        # "一千五" = 1500, "两百五" = 250, "十五" = 15, "一千零五" = 1005
        scale = last_unit / 10 if (last_unit and not after_zero) else 1.0
        total += pending * scale
    return total


def _zh_number(s: str) -> float | None:
    """Chinese numerals with 万/亿 and 点 decimals; Arabic digits may be mixed in ("1.5万", "3万5")."""
    if not s:
        return None
    if "点" in s:
        whole, _, frac = s.partition("点")
        if not frac or any(ch not in _ZH_DIGITS and not ch.isdigit() for ch in frac):
            return None
        w = _zh_number(whole) if whole else 0.0
        if w is None:
            return None
        digits = "".join(str(_ZH_DIGITS[ch]) if ch in _ZH_DIGITS else ch for ch in frac)
        return w + float("0." + digits)
    for big_char, big in (("亿", 1e8), ("億", 1e8), ("万", 1e4), ("萬", 1e4)):
        if big_char in s:
            head, _, tail = s.partition(big_char)
            h = _zh_number(head) if head else 1.0
            if h is None:
                return None
            if not tail:
                return h * big
            if len(tail) == 1 and tail in _ZH_DIGITS and tail not in ("零", "〇") or (
                tail.isdigit() and len(tail) == 1
            ):
                # "一万二" = 12,000 ("3万5" = 35,000)
                d = _ZH_DIGITS.get(tail)
                return h * big + float(d if d is not None else int(tail)) * big / 10
            t = _zh_number(tail.lstrip("零〇"))
            if t is None:
                return None
            return h * big + t
    return _zh_section(s)


def _en_number(s: str) -> float | None:
    words = [w for w in re.split(r"[\s-]+", s.strip()) if w and w != "and"]
    if not words:
        return None
    total = 0.0
    current = 0.0
    seen = False
    for w in words:
        if w in _EN_UNITS:
            current += _EN_UNITS[w]
        elif w in _EN_TENS:
            current += _EN_TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALES:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


_YUAN_JIAO_RE = re.compile(
    r"^(?P<yuan>.+?)(?:块钱|元钱|块|元)(?P<jiao>[\d零一二两三四五六七八九])?(?:[毛角])?"
    r"(?:(?P<fen>[\d零一二三四五六七八九])分?)?$", re.A)
_LEADING_CURRENCY_RE = re.compile(r"^(?:us\$|usd|rmb|cny|inr|eur|rs\.?|₹|\$|¥|€)\s*", re.A)
_TRAILING_CURRENCY_RE = re.compile(
    r"\s*(?:块钱|元钱|人民币|美元|美金|欧元|卢比|rmb|cny|yuan|usd|dollars?|bucks?|inr|rupees?|rs|eur|euros?)$", re.A)


def _digit_value(ch: str) -> int:
    return _ZH_DIGITS[ch] if ch in _ZH_DIGITS else int(ch)


def parse_number(text: str) -> float | None:
    """One number written any common way, else None.

    "199" -> 199, "1,299" -> 1299, "29.99" -> 29.99, "两百" -> 200, "一千五" -> 1500, "一百九十九" -> 199,
    "3k" -> 3000, "1.5万" -> 15000, "5w" -> 50000, "九块九" -> 9.9, "两块五毛" -> 2.5, "fifty" -> 50,
    "¥199" / "199元" -> 199 (a leading or trailing currency is allowed).
    """
    if not isinstance(text, str):
        return None
    s = fold(text).strip()
    if not s or len(s) > 64:
        return None
    s = _LEADING_CURRENCY_RE.sub("", s)
    m = _YUAN_JIAO_RE.match(s)
    if m and (m.group("jiao") or m.group("fen")):
        yuan = parse_number(m.group("yuan"))
        if yuan is None:
            return None
        value = yuan
        if m.group("jiao"):
            value += _digit_value(m.group("jiao")) / 10
        if m.group("fen"):
            value += _digit_value(m.group("fen")) / 100
        return round(value, 2)
    s = _TRAILING_CURRENCY_RE.sub("", s)
    s = re.sub(r"(?:块|元)$", "", s).strip()
    if not s:
        return None
    m = re.fullmatch(rf"({_ARABIC})\s?([kw])", s)
    if m:
        return float(m.group(1).replace(",", "")) * (1000 if m.group(2) == "k" else 10_000)
    if re.fullmatch(_ARABIC, s):
        return float(s.replace(",", ""))
    if all(ch in _ZH_NUM_CHARS or ch.isdigit() or ch in ".,点" for ch in s):
        if any(ch in _ZH_NUM_CHARS for ch in s):
            return _zh_number(s)
        return None
    if _EN_NUMBER_RE.fullmatch(s):
        return _en_number(s)
    return None


# ---------------------------------------------------------------------------------------- amounts in text

@dataclass
class PriceMention:
    """A price stated in the text: its value, where it is (the span covers symbol, number and unit), currency.

    currency is "CNY", "USD", "INR", "EUR" or None when the text does not say.
    """

    value: float
    start: int
    end: int
    currency: str | None


_ZH_AMOUNT = (
    rf"[{_ZH_NUM_CHARS}](?:[{_ZH_NUM_CHARS}\d]|点(?=[\d零一二两三四五六七八九]))*"
)
_AMOUNT_RE = re.compile(
    rf"(?P<num>(?<![a-z0-9_.])(?:{_ARABIC}(?:[万千百](?:[\d{_ZH_NUM_CHARS}])*)?(?:\s?[kw](?![a-z]))?)"
    rf"|{_ZH_AMOUNT}"
    rf"|\b{_EN_NUMBER_RE.pattern})", re.A)
_PREFIX_CURRENCY_RE = re.compile(r"(?:us\$|usd|rmb|cny|inr|eur|rs\.?|₹|\$|¥|€)\s*$", re.A)
_SUFFIX_UNIT_RE = re.compile(
    r"\s*(?P<unit>块钱|元钱|人民币|美元|美金|欧元|卢比|块|元|rmb|cny|yuan|usd|dollars?|bucks?|inr|rupees?|rs|eur|euros?)"
    r"(?P<cents>(?<=[块元])[\d零一二两三四五六七八九](?:[毛角](?:[\d零一二三四五六七八九]分?)?)?)?"
    r"(?![a-z])", re.A)
_CURRENCY_OF = {
    "¥": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "块": "CNY", "元": "CNY", "块钱": "CNY",
    "元钱": "CNY", "人民币": "CNY", "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "buck": "USD", "bucks": "USD", "美元": "USD", "美金": "USD", "inr": "INR", "rs": "INR", "rs.": "INR",
    "₹": "INR", "rupee": "INR", "rupees": "INR", "卢比": "INR", "eur": "EUR", "€": "EUR", "euro": "EUR",
    "euros": "EUR", "欧元": "EUR",
}

# Words that, just before a number, say it is the price being stated.
_PRICE_CUE_RE = re.compile(
    r"(?:只要|只需|仅需|仅售|仅要|只卖|才卖|只售|售价|卖|价格|价钱|价位|价|到手|券后|原价|现价|特价|秒杀|活动价|优惠价|"
    r"直播间|一口价|低至|标价|定价|零售价|团购价|拼团价|折后|仅|才|就"
    r"|price|priced at|price is|now only|only|just|costs?|mrp|now|for just|for only|sale|deal|at just|retail)"
    r"\s*(?:是|为|:|：|is|of|at)?\s*$", re.A)
# Words just before a number that make it a discount, a threshold or a fee, not a price.
_NOT_PRICE_BEFORE_RE = re.compile(
    r"(?:满|减|立减|省|优惠券|券|返|送|降价|降了|降|便宜了|便宜|差价|运费|邮费|定金|第|save|saves|off|discount|"
    r"shipping|coupon|deposit)\s*(?:了|个|了个)?\s*$", re.A)
# Units right after a number that make it a size, quantity, time, percentage...
_NOT_PRICE_AFTER_RE = re.compile(
    r"\s*(?:%|percent|折|件|个|双|条|只|套|款|年|月|日|号|码|岁|斤|公斤|克|千克|米|厘米|毫米|寸|英寸|天|小时|分钟|秒|次|色|"
    r"种|位|人|升|毫升|倍|楼|层|期|集|页|瓶|盒|支|包|箱|台|部|张|颗|粒|片|点|g\b|kg|lb|cm|mm|ml|inch|in\b|pcs|pieces?|"
    r"items?|left|people|persons?|days?|years?|yrs?|months?|hours?|hrs?|min|mins|minutes?|seconds?|secs?|times|"
    r"colou?rs?|sizes?|gb|tb|mah|pairs?|packs?|units?|stars?|reviews?|sold|orders?|am\b|pm\b|st\b|nd\b|rd\b|th\b|"
    r"x\b|off\b|w\b|k\b|am|ones?\b|of\b|more\b|left\b)", re.A)
_RANGE_SEP_RE = re.compile(r"\s*(?:-|~|到|至|—|–|to)\s*", re.A)
# A Chinese numeral with no currency, run into a following ideograph, is usually a misheard word, not a price
# ("只要一派..." from speech recognition); these particles may still follow a price ("只要两百的", "只要九十九啦").
_ZH_TAIL_OK = set("的啊呀哦吧呢啦哈了就哟喔")


@dataclass
class _Amount:
    value: float
    start: int  # span of the whole mention (currency symbol .. unit)
    end: int
    num_start: int
    num_end: int
    currency: str | None
    kind: str  # "arabic" | "zh" | "en"


def _amounts(folded: str) -> list[_Amount]:
    """Every number in the (folded) text with the currency written next to it."""
    found: list[_Amount] = []
    for m in _AMOUNT_RE.finditer(folded):
        raw = m.group("num")
        if not raw.strip():
            continue
        ns, ne = m.start("num"), m.end("num")
        # Trim trailing spaces the English pattern may take.
        while ne > ns and folded[ne - 1].isspace():
            ne -= 1
        raw = folded[ns:ne]
        kind = "arabic" if raw[0].isdigit() else ("zh" if raw[0] in _ZH_NUM_CHARS else "en")
        value = parse_number(raw)
        if value is None:
            continue
        if ns > 0 and folded[ns - 1] in "几多数好":
            continue  # "几百块", "好几千": no number said
        start, end = ns, ne
        currency = None
        pm = _PREFIX_CURRENCY_RE.search(folded, max(0, ns - 6), ns)
        if pm:
            sym = pm.group().strip()
            # "rs" / "inr" / "usd" need a boundary before them ("hers 20" is not rupees).
            if not (sym[0].isalpha() and pm.start() > 0 and folded[pm.start() - 1].isalnum()):
                currency = _CURRENCY_OF.get(sym)
                start = pm.start()
        um = _SUFFIX_UNIT_RE.match(folded, ne)
        if um:
            unit = um.group("unit")
            currency = currency or _CURRENCY_OF.get(unit)
            end = um.end()
            if um.group("cents"):
                v = parse_number(folded[ns:um.end()])
                if v is not None:
                    value = v
        found.append(_Amount(value, start, end, ns, ne, currency, kind))
    return found


def _before(folded: str, pos: int, width: int = 12) -> str:
    return folded[max(0, pos - width):pos]


def _is_quantity(folded: str, a: _Amount) -> bool:
    """A size, a quantity, a year, a percentage, an ordinal: not a price."""
    if a.currency is None and _NOT_PRICE_AFTER_RE.match(folded, a.num_end):
        return True
    if a.currency is not None and re.match(r"^\s*(?:off\b|%)", folded[a.end:], re.A):
        return True
    before = _before(folded, a.start)
    if before.endswith("第") or re.search(r"(?:number|no\.|#)\s*$", before, re.A):
        return True
    return False


def find_prices(text: str) -> list[PriceMention]:
    """Prices stated in speech or captions, in order.

    A number is a price when a currency is written next to it ("¥199", "199元", "九块九", "$29.99", "199 rupees")
    or when a price word comes just before it ("售价299", "到手价159", "只要199", "now only 199", "price: 199").
    Sizes, years, percentages, quantities, ordinals and discounts are not prices ("XL", "2023年", "50%", "2件",
    "第2个", "满199减30", "$5 off"). A Chinese numeral without a currency that runs into another word
    ("只要一派起") is not taken either.
    """
    if not isinstance(text, str) or not text:
        return []
    folded = fold(text)
    amounts = _amounts(folded)
    out: list[PriceMention] = []
    for i, a in enumerate(amounts):
        if _is_quantity(folded, a):
            continue
        before = _before(folded, a.start)
        if _NOT_PRICE_BEFORE_RE.search(before):
            continue
        currency = a.currency
        is_price = currency is not None
        if not is_price and a.kind != "en" and _PRICE_CUE_RE.search(before):
            is_price = True
        if not is_price and i + 1 < len(amounts):
            # "199-299元": the first number takes the second's currency.
            nxt = amounts[i + 1]
            sep = _RANGE_SEP_RE.match(folded, a.end)
            if sep and sep.end() == nxt.start and nxt.currency is not None:
                is_price, currency = True, nxt.currency
        if not is_price:
            continue
        if a.kind == "en" and a.currency is None:
            continue
        if a.kind == "zh" and currency is None and a.num_end < len(folded):
            nxt_char = folded[a.num_end]
            if "\u4e00" <= nxt_char <= "\u9fff" and nxt_char not in _ZH_TAIL_OK:
                continue
        if a.value <= 0:
            continue
        out.append(PriceMention(round(a.value, 2), a.start, a.end, currency))
    return out


# ------------------------------------------------------------------------------------------ parse_price_range

# "under a hundred-ish", "like 80 max": an explicit bound wins over the hedge next to it.
_STRONG_UPPER_BEFORE_RE = re.compile(r"(?:under|below|less than|no more than|not more than|at most|max(?:imum)?|up to|"
                                     r"不超过|不要超过|别超过|不能超过|最多|最高)\s*:?\s*(?:a\s+)?$", re.A)
_UPPER_BEFORE_RE = re.compile(
    r"(?:提到|加到|改成|改为|调到|涨到|放宽到|提高到|提升到|升到|增加到|放到|\braise (?:it |that |the budget )?to|"
    r"\bbump (?:it |that )?(?:up )?to|\bincrease (?:it |that )?to|\bmake it|\bchange (?:it |that )?to|"
    r"under|below|less than|cheaper than|no more than|not more than|not over|at most|max(?:imum)?|up to|"
    r"within|budget(?: is| of)?|my budget|<=?|≤|不超过|不要超过|别超过|不能超过|不高于|不多于|(?<!不)低于|(?<!不)少于|最多|最高|"
    r"(?<!不)小于|不大于|"
    r"便宜于|预算(?:是|在|为|大概|大约)?|控制在|只有)\s*:?\s*$", re.A)
_UPPER_AFTER_RE = re.compile(
    r"^\s*(?:以内|以下|之内|内|封顶|之下|or less|or under|or below|and under|and below|max\b|tops|or cheaper)", re.A)
_LOWER_BEFORE_RE = re.compile(
    r"(?:at least|over|above|more than|greater than|no less than|not less than|min(?:imum)?|starting at|"
    r"more expensive than|>=?|≥|不低于|不少于|不小于|(?<!不)高于|(?<!不)多于|最少|最低|至少|起码|(?<!不)大于|"
    r"(?<![不别要能])超过|贵于)\s*:?\s*$", re.A)
_LOWER_AFTER_RE = re.compile(r"^\s*(?:以上|起|\+|or more|and up|and above|or above|plus|or higher)", re.A)
_AROUND_BEFORE_RE = re.compile(
    r"(?:around|about|approx\.?|approximately|roughly|~|大概|大约|差不多|(?<!预)约|"
    r"(?<!\bi )(?<!'d )(?<!would )(?<!\bi'd )\blike|\bsomewhere near|\bin the region of)\s*$", re.A)
_AROUND_AFTER_RE = re.compile(r"^\s*(?:左右|上下|附近|来块|来元|来|or so|-?ish\b|or thereabouts)", re.A)
# "两百出头" / "two hundred and change": a little over the number, (n, n * (1 + AROUND_BAND)).
_JUST_OVER_AFTER_RE = re.compile(r"^\s*(?:块|元)?\s*(?:出头|多一点|多点|挂零|and change|or a bit more|plus a bit)", re.A)
# "nothing over 300", "none above 300": an upper limit although "over" alone is a lower one.
_NEG_LOWER_BEFORE_RE = re.compile(
    r"(?:(?:\bnothing|\bnone|\bnot|\bno|\bnever|\bdon't go|\bdont go|\bwon't pay|\bwont pay)\s+"
    r"(?:(?:that's|thats|that is|which is|is|costing|priced)\s+)?|"
    r"\b(?:can'?t|cannot|can not|won'?t|wont|don'?t want to|dont want to|not going to|not gonna|unable to)\s+"
    r"(?:spend|pay|go|afford)\s+(?:anything\s+)?)(?:over|above|more than|pricier than|past)\s*$", re.A)
# "nothing under 50", "none below 100": a lower limit although "under" alone is an upper one.
_NEG_UPPER_BEFORE_RE = re.compile(
    r"(?:\bnothing|\bnone|\bnot anything|\bno)\s+(?:(?:that's|thats|that is|which is|is|costing|priced)\s+)?"
    r"(?:under|below|less than|cheaper than)\s*$", re.A)
# "a couple hundred bucks": about two hundred.
_COUPLE_RE = re.compile(r"\ba\s+couple(?:\s+of)?\s+(hundred|thousand|grand)\b", re.A)
# "五六百" / "三四千块": two neighbouring digits before a unit are a range (500, 600).
_ZH_TWO_DIGITS_RE = re.compile(
    r"(?<![一二两三四五六七八九十百千万\d])([一二三四五六七八])([二两三四五六七八九])([十百千万])", re.A)
# A Chinese numeral below this without a currency is not a budget ("一起", "预约一下", "看一看").
_MIN_BARE_ZH_PRICE = 10
_BETWEEN_RE = re.compile(r"(?:between|从|在|介于)\s*$", re.A)
_RANGE_MID_RE = re.compile(r"\s*(?:-|~|到|至|—|–|to|and|和)\s*", re.A)


def _band(value: float) -> tuple[float, float]:
    return round(value * (1 - AROUND_BAND), 2), round(value * (1 + AROUND_BAND), 2)


def parse_price_range(text: str) -> tuple[float | None, float | None]:
    """(price_min, price_max) asked for in a query; (None, None) when it names no price.

    "200到400" / "200-400" / "between 200 and 400" -> (200, 400); "under 500" / "500块以内" / "一千以内" /
    "不超过500" / "预算300" -> (None, 500 ...); "at least 200" / "200以上" -> (200, None);
    "300元左右" / "around 300" -> (240, 360) (+-AROUND_BAND); "¥199" / "200块的" -> (None, 199) (a budget).
    Numbers that are sizes, quantities or years ("42码", "2件", "2023年") are ignored.
    """
    if not isinstance(text, str) or not text:
        return None, None
    folded = _COUPLE_RE.sub(lambda m: "about two " + m.group(1), fold(text))
    amounts = [a for a in _amounts(folded) if not _is_quantity(folded, a) and a.value > 0]
    lo: float | None = None
    hi: float | None = None
    used: set[int] = set()

    # Ranges: "200到400", "200-400元", "between 200 and 400"
    for i in range(len(amounts) - 1):
        a, b = amounts[i], amounts[i + 1]
        mid = _RANGE_MID_RE.match(folded, a.end)
        if not mid or mid.end() != b.start:
            continue
        sep = mid.group().strip()
        if sep in ("and", "和") and not _BETWEEN_RE.search(_before(folded, a.start)):
            continue
        if a.kind == "en" and a.currency is None and b.currency is None:
            continue
        if b.value < a.value and a.kind == "arabic" and b.kind == "arabic" and b.value * 10 > a.value:
            pass  # "400-200" still a range, written backwards
        lo, hi = min(a.value, b.value), max(a.value, b.value)
        used.update((i, i + 1))
        break

    if lo is None and hi is None:
        for m in _ZH_TWO_DIGITS_RE.finditer(folded):
            a, b = _ZH_DIGITS[m.group(1)], _ZH_DIGITS[m.group(2)]
            if b == a + 1:
                unit = _ZH_SMALL_UNITS.get(m.group(3)) or _ZH_BIG_UNITS[m.group(3)]
                return float(a * unit), float(b * unit)

    for i, a in enumerate(amounts):
        if i in used:
            continue
        before = _before(folded, a.start, 28)
        after = folded[a.end:a.end + 12]
        if _NOT_PRICE_BEFORE_RE.search(_before(folded, a.start)):
            continue
        if a.kind == "en" and a.currency is None and a.value < 10:
            continue  # "under one" is not a price
        if a.kind == "zh" and a.currency is None and a.value < _MIN_BARE_ZH_PRICE:
            continue  # "一起", "预约一下": a word, not a price
        if _JUST_OVER_AFTER_RE.match(after):
            lo = a.value if lo is None else lo
            hi = round(a.value * (1 + AROUND_BAND), 2) if hi is None else hi
        elif _NEG_LOWER_BEFORE_RE.search(before):
            hi = a.value if hi is None else hi
        elif _NEG_UPPER_BEFORE_RE.search(before):
            lo = a.value if lo is None else lo
        elif _STRONG_UPPER_BEFORE_RE.search(before) or re.match(r"^\s*(?:max\b|tops\b|封顶)", after):
            hi = a.value if hi is None else hi
        elif _AROUND_BEFORE_RE.search(before) or _AROUND_AFTER_RE.match(after):
            band_lo, band_hi = _band(a.value)
            lo = band_lo if lo is None else lo
            hi = band_hi if hi is None else hi
        elif _LOWER_BEFORE_RE.search(before) or _LOWER_AFTER_RE.match(after):
            lo = a.value if lo is None else lo
        elif _UPPER_BEFORE_RE.search(before) or _UPPER_AFTER_RE.match(after):
            hi = a.value if hi is None else hi
        elif a.currency is not None:
            hi = a.value if hi is None else hi
    return lo, hi
