"""Which shown item a message points at: "第二个", "the 2nd one", "number 2", "#2", "最后一个", "this", "这个"...

Positions are 1-based in the last shown list. 0 stands for the item in focus ("this", "it", "这个": the dialog
knows which). Negative numbers count from the end ("the last one" -> -1, "倒数第二个" -> -2) until `resolve`
turns them into positions with the number of items shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vidrec.nlu.numbers import parse_number

FOCUS = 0

_ZH_NUM = r"[一二两三四五六七八九十\d]{1,3}"
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
    "9th": 9, "10th": 10, "secnd": 2, "scond": 2, "thrid": 3, "frist": 1, "fisrt": 1, "forth": 4,
}
_EN_CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}
_ORD_WORDS = "|".join(sorted(_EN_ORDINALS, key=len, reverse=True))
_CARD_WORDS = "|".join(_EN_CARDINALS)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"倒数第\s*(?P<n>{_ZH_NUM})", re.A), "from_end"),
    (re.compile(rf"第\s*(?P<n>{_ZH_NUM})(?!\s*(?:次|天|年|回|眼|时间|步|名|季|集|期|页|排|行|层))", re.A), "pos"),
    (re.compile(rf"(?<![\d.])(?P<n>{_ZH_NUM})\s*号(?!码)", re.A), "hao"),
    (re.compile(r"头一(?:个|款|件|条|双)", re.A), "one"),
    (re.compile(r"最后(?:一|那|这)?(?:个|款|件|条|双|只|套|顶|台|部|张)|最后一", re.A), "last"),
    (re.compile(r"前(?P<n>[两二三四五2-5])(?:个|款|件|条|双)", re.A), "first_n"),
    # "are the first two the same brand" (blind set 3, b306), "the first 3": the first n shown
    (re.compile(r"\b(?:the\s+)?(?:first|1st)\s+(?P<n>two|three|four|[2-4])\b(?!\s*(?:%|percent|dollars?|bucks|days?|"
                r"weeks?|times?|hours?|minutes?|years?|months?|stars?|sizes?|pairs?|colou?rs?))", re.A), "first_n"),
    (re.compile(r"(?:second|2nd)[\s-]+(?:to[\s-]+)?last", re.A), "second_last"),
    (re.compile(r"\bpenultimate\b", re.A), "second_last"),
    (re.compile(rf"\b(?P<w>{_ORD_WORDS})\b(?![\s-]+(?:to[\s-]+)?last\b)", re.A), "ord"),
    (re.compile(r"\blast\b", re.A), "last_en"),
    (re.compile(rf"(?:\bnumber|\bno\.?|\bnum|#|\boption|\bitem|\bpick|\bchoice|\bproduct|\bmodel)\s*"
                rf"(?P<n>\d{{1,2}}|{_CARD_WORDS})\b", re.A), "numbered"),
]
_ORD_VETO_AFTER = re.compile(
    r"\s*(?:time|times|of all|thing|things|place|day|days|week|weeks|month|months|year|years|night|impression|"
    r"hand|class|half|date|season|name|step|priority|sec|minute|minutes|hour|hours|look|sight)\b", re.A)
# "First tell me the size...", "Actually first I'd like to know..." (SIMMC even, 9378/1, 11876/3): an ordinal that
# opens a clause and is followed by a pronoun or a verb orders what the shopper says, it names no item.
_ORD_OPENS_CLAUSE_BEFORE = re.compile(r"(?:^|[.,;:!?]\s*|\b(?:actually|ok|okay|so|but|and|well|um|oh|alright|now)\s+)$",
                                      re.A)
_ORD_OPENS_CLAUSE_AFTER = re.compile(
    r"\s*,?\s*(?:i|i'd|i'm|i'll|id|im|let|let's|lets|tell|show|can|could|would|will|give|check|find|off|we|you)\b", re.A)
# "in the second cabinet from the far right" (SIMMC even, 8836/3), "the one in the second cubby": a place in a shop
# where the item meant is, not its position in the list: the item under discussion
_ORD_PLACE_AFTER = re.compile(
    r"[\s-]*(?:cabinets?|shelf|shelves|racks?|rows?|compartments?|cubby|cubbies|walls?|floors?|drawers?|sections?|"
    r"tables?|dressers?|closets?|wardrobes?|cupboards?|displays?|aisles?|bins?|tiers?|levels?|stands?)\b", re.A)
_ORD_VETO_BEFORE = re.compile(r"(?:\bat|\ba|\bone|\bwait a|\bfor a|\bjust a|\bhang on a|\bsec)\s*$", re.A)
_LAST_NEEDS = re.compile(r"(?:\bthe|\bmy|\bthat|\bthis|\bor|\band|\bvs\.?|,)\s*$", re.A)
_LAST_VETO_AFTER = re.compile(
    r"\s*(?:time|times|year|week|month|night|season|summer|winter|spring|fall|order|purchase|page)\b", re.A)

_PAIR_RE = re.compile(
    r"(?<![\d.,])(?P<a>[1-9])\s*(?:号|个|款)?\s*(?:vs\.?|versus|or|and|&|和|跟|与|还是|或者|或|、|,|，|/)\s*"
    r"(?:the\s+|number\s+|no\.?\s*|#|第)?(?P<b>[1-9])(?![\d.%])", re.A)
# "1, 2 and 3", "2、3和4": more positions after a pair
_MORE_OF_LIST = re.compile(r"\s*(?:,|，|、|and|&|和|跟|/)\s*(?:the\s+|number\s+|no\.?\s*|#|第)?(?P<n>[1-9])(?![\d.%])", re.A)
# "一和三", "二还是四": two positions in Chinese numerals, standing alone
_PAIR_ZH_NUM = re.compile(r"(?<![一-龥\d])(?:第)?(?P<a>[一二三四五六])\s*(?:号|个)?\s*(?:和|跟|还是|或者|、)\s*(?:第)?"
                          r"(?P<b>[一二三四五六])(?:号|个)?(?=$|[\s,，。!！?？~都吧呢啊])", re.A)
# "中间那个", "the middle one": the one in the middle of the shown list
_MIDDLE = re.compile(r"中间(?:那|这|的)(?:一)?(?:个|款|件|条|双|只|套)?|中间那|\b(?:the\s+)?middle\s+(?:one|option|pick)\b|"
                     r"\bthe one in the middle\b", re.A)
_DEIXIS_ZH = re.compile(r"(?:这|那)(?:一)?(?:个|款|件|条|双|只|套|顶|块|台|部|副|张|支|瓶)|它|^\s*(?:这|那)(?:是|就是)", re.A)
_PAIR_ZH = re.compile(r"这两(?:个|款|件|条|双|只|套)|这俩|两个都|俩都|两款都|这二者", re.A)
_DEIXIS_EN = re.compile(r"\b(?:this|that|it)\b(?:\s+one\b)?", re.A)
_PAIR_EN = re.compile(r"\b(?:both|these two|those two|the two|the pair|either)\b", re.A)
_THIS_VETO_AFTER = re.compile(
    r"\s*(?:fall|summer|winter|spring|season|year|week|weekend|time|month|morning|evening|afternoon|is not|"
    r"isn't what)\b", re.A)
_THAT_VETO_BEFORE = re.compile(
    r"(?:\bsomething|\banything|\bones?|\bthose|\bstuff|\bthings?|\bthink|\bknow|\bsay|\bsaid|\bsure|\bso|"
    r"\bsuch|\bbut|\bshoes|\bdress|\bdresses|\bitems?|\bjacket|\bshirt|\bhope|\bguess|\bbelieve|\bwish|"
    r"(?:something|anything|stuff|things?)\s+like)\s*$", re.A)
# "that" opening a relative clause after an indefinite: "anything sleeveless that's got good reviews", "something
# that comes in blue".
_RELATIVE_BEFORE = re.compile(r"\b(?:anything|something|stuff|options|others)(?:\s+[a-z'-]+){0,3}\s*$",
                              re.A)
_RELATIVE_AFTER = re.compile(r"\s*(?:'s|is|are|has|have|was|were|comes?|goes?|looks?|fits?|would|will|could|can|"
                             r"might|i|you|we|they)\b", re.A)
_IT_VETO_BEFORE = re.compile(r"(?:\bmake|\bkeep|\bforget|\bignore|\bskip|\bstop|\bfind)\s*$", re.A)
_IT_VETO_AFTER = re.compile(r"\s*(?:possible|okay|ok)\b", re.A)


@dataclass(frozen=True)
class ItemRef:
    position: int  # 1-based; 0 = in focus; negative = from the end
    start: int
    end: int
    deictic: bool = False


def _num(s: str) -> int | None:
    if s in _EN_CARDINALS:
        return _EN_CARDINALS[s]
    v = parse_number(s)
    if v is None or v != int(v) or v < 1:
        return None
    return int(v)


def find_item_refs(folded: str, shown: int | None = None) -> list[ItemRef]:
    """Every reference to a shown item, in text order. `folded` is lower-cased text (see lexicon.fold)."""
    refs: list[ItemRef] = []
    taken = [False] * len(folded)

    def add(pos: int, s: int, e: int, deictic: bool = False) -> None:
        if any(taken[s:e]):
            return
        for i in range(s, e):
            taken[i] = True
        refs.append(ItemRef(pos, s, e, deictic))

    for m in _PAIR_RE.finditer(folded):
        after = folded[m.end():m.end() + 6]
        if re.match(r"\s*(?:码|号码|%|元|块|k\b|kg|cm|岁|件|双|个人|天|stars?|pcs|pieces|hundred|thousand)", after, re.A):
            continue
        add(int(m.group("a")), m.start("a"), m.end("a"))
        add(int(m.group("b")), m.start("b"), m.end("b"))
        end = m.end()
        while (more := _MORE_OF_LIST.match(folded, end)) is not None:
            if re.match(r"\s*(?:码|元|块|k\b|%|stars?)", folded[more.end():more.end() + 5], re.A):
                break
            add(int(more.group("n")), more.start("n"), more.end("n"))
            end = more.end()
    for m in _PAIR_ZH_NUM.finditer(folded):
        a, b = _num(m.group("a")), _num(m.group("b"))
        if a and b and a != b:
            add(a, m.start("a"), m.end("a"))
            add(b, m.start("b"), m.end("b"))
    for m in _MIDDLE.finditer(folded):
        add((shown + 1) // 2 if shown and shown >= 3 else 2, m.start(), m.end())
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(folded):
            s, e = m.start(), m.end()
            if kind == "from_end":
                n = _num(m.group("n"))
                if n:
                    add(-n, s, e)
            elif kind == "pos":
                n = _num(m.group("n"))
                if n:
                    add(n, s, e)
            elif kind == "hao":
                n = _num(m.group("n"))
                if n and n <= 20:
                    add(n, s, e)
            elif kind == "one":
                add(1, s, e)
            elif kind == "last":
                add(-1, s, e)
            elif kind == "first_n":
                n = _num(m.group("n")) or 2
                for i in range(1, n + 1):
                    add(i, s, e) if i == 1 else refs.append(ItemRef(i, s, e))
            elif kind == "second_last":
                add(-2, s, e)
            elif kind == "ord":
                if _ORD_VETO_AFTER.match(folded, e) or _ORD_VETO_BEFORE.search(folded[max(0, s - 16):s]):
                    continue
                if _ORD_OPENS_CLAUSE_BEFORE.search(folded[max(0, s - 24):s]) and _ORD_OPENS_CLAUSE_AFTER.match(folded, e):
                    continue
                if _ORD_PLACE_AFTER.match(folded, e):
                    add(FOCUS, s, e, True)
                    continue
                add(_EN_ORDINALS[m.group("w")], s, e)
            elif kind == "last_en":
                if not _LAST_NEEDS.search(folded[max(0, s - 8):s]) or _LAST_VETO_AFTER.match(folded, e):
                    continue
                add(-1, s, e)
            elif kind == "numbered":
                n = _num(m.group("n"))
                if n:
                    add(n, s, e)
    if not refs:
        pair = _PAIR_ZH.search(folded) or _PAIR_EN.search(folded)
        if pair and (shown is None or shown == 2):
            refs += [ItemRef(1, pair.start(), pair.end(), True), ItemRef(2, pair.start(), pair.end(), True)]
    if not refs:
        for m in _DEIXIS_ZH.finditer(folded):
            add(FOCUS, m.start(), m.end(), True)
            break
    if not refs:
        for m in _DEIXIS_EN.finditer(folded):
            word = folded[m.start():m.end()].split()[0]
            before = folded[max(0, m.start() - 20):m.start()]
            if word == "this" and _THIS_VETO_AFTER.match(folded, m.end()):
                continue
            if word == "that" and (_THAT_VETO_BEFORE.search(before) or m.end() == len(folded.rstrip()) and
                                   not re.search(r"(?:like|love|take|buy|want|get|hate|about|on|of)\s*$", before, re.A)):
                if "one" not in folded[m.start():m.end()] and not folded[m.end():m.end() + 4].startswith(" one"):
                    continue
            if word == "that" and _RELATIVE_BEFORE.search(folded[max(0, m.start() - 50):m.start()]) \
                    and _RELATIVE_AFTER.match(folded, m.end()):
                continue  # "anything sleeveless that's got good reviews" (SIMMC even, 11846/7): a relative clause
            if word == "it" and (_IT_VETO_BEFORE.search(before) or _IT_VETO_AFTER.match(folded, m.end())):
                continue
            add(FOCUS, m.start(), m.end(), True)
            break
    refs.sort(key=lambda r: r.start)
    return refs


def resolve(position: int, shown: int | None) -> int:
    """A position counted from the end becomes a 1-based position when we know how many were shown."""
    if position < 0 and shown:
        return max(1, shown + 1 + position)
    return position
