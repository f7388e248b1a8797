"""Dialog acts read from the message in the context of the conversation, beyond the NLU's intent.

- a superlative ("cheapest", "最便宜的", "most expensive") orders the results by price;
- "another colour" / "别的颜色" asks for the same kind of item in other colours;
- relaxing a condition ("颜色无所谓", "price doesn't matter", "不限预算") drops it from the request;
- "play / show me the video of the third" / "播放第三个" plays an item's video (never a reject);
- yes / no answers a question the dialog asked about an unsure act ("是要把第三个去掉吗？").
"""

from __future__ import annotations

import re

# A reject or buy the NLU is less sure of than this is asked about first: removing an item or filling the cart on
# a misread message costs the shopper more than one question. (Set by hand from the misread that motivated it, a
# play request read as a reject at 0.36; not fitted.)
UNSURE_ACT = 0.5

_CHEAPEST = re.compile(r"最便宜|最低价|价格最低|最实惠|cheapest|lowest price|least expensive|most affordable", re.I)
_DEAREST = re.compile(r"最贵|价格最高|most expensive|priciest|highest price", re.I)
_OTHER_COLOUR = re.compile(r"(别的|其他|其它|换个|换一个|换种|不同的?)颜色|还有什么颜色|"
                           r"\b(another|other|different) colou?rs?\b|\bin other colou?rs\b", re.I)
_PLAY = re.compile(r"\bplay\b|\bvideo\b|\bwatch\b|播放|放一下|放给我看|看(一下|下)?.{0,6}视频|视频", re.I)
_YES = re.compile(r"^\s*(是的?|对的?|嗯+|好的?|没错|可以|行|要|确定|去掉吧|加吧|yes|yeah|yep|sure|ok(ay)?|right|"
                  r"please do|do it|go ahead|correct)\b", re.I)
_NO = re.compile(r"^\s*(不是|不对|不要|不用|别|算了|没有|no|nope|don'?t|never mind|cancel|keep it)\b|^\s*不\s*$",
                 re.I)

# Words for the conditions a shopper may drop, with the request attribute they name.
_SLOT_WORDS = {
    "price": r"价格|价钱|预算|多少钱|钱|price|budget|cost|money",
    "colour": r"颜色|colou?rs?",
    "brand": r"品牌|牌子|brands?",
    "material": r"材质|面料|材料|material|fabric",
    "usage": r"场合|用途|occasion|use",
    "gender": r"男女|男款女款|gender",
    "category": r"品类|款式|类型|type|kind",
}
_DONT_CARE_ZH = r"(都可以|都行|随便|无所谓|不限|不重要|没要求|没有要求|不在乎|不是问题)"
_DONT_CARE_EN = (r"(doesn'?t matter|does not matter|is not important|isn'?t important|is fine|no limit|not an issue|"
                 r"(?:is|are) (?:irrelevant|optional|whatever))")
# Taking a condition away as one takes off a filter ("take off the colour filter", "remove the price limit",
# "颜色这个条件去掉吧", "去掉价格限制"), and paying whatever it costs.
_TAKE_OFF_EN = r"\b(?:take off|take away|remove|lose|ditch|clear|skip|get rid of)\s+(?:the\s+|my\s+|that\s+)?({words})\b"
_TAKE_OFF_ZH = (r"(?:去掉|去除|取消|删掉|拿掉|不要)({words})(?:的)?(?:限制|条件|要求|筛选)|"
                r"({words})(?:这个|的)?(?:限制|条件|要求|筛选)?(?:就)?(?:去掉|取消|删掉|拿掉|不要了)")
_ANY_PRICE = re.compile(r"\bwhatever (?:it|they) costs?\b|\bwhatever the (?:price|cost)\b|\bno matter (?:the|what it) "
                        r"(?:price|costs?)\b|多少钱都(?:行|可以|无所谓)|贵不贵(?:都)?无所谓", re.I)


def sort_wanted(text: str) -> str | None:
    """"price_asc" for the cheapest, "price_desc" for the dearest, else None."""
    if _CHEAPEST.search(text):
        return "price_asc"
    if _DEAREST.search(text):
        return "price_desc"
    return None


def wants_other_colour(text: str) -> bool:
    return bool(_OTHER_COLOUR.search(text))


def wants_play(text: str) -> bool:
    return bool(_PLAY.search(text))


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None when the message is neither (then it is read as a new message)."""
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


# Saying the budget may go up without naming a new one ("i can spend more", "贵点也没关系", "预算可以加", "不差钱"): the
# upper bound is let go. Permission, not a wish for dearer items: "贵一点的" alone stays a critique (price_direction).
_RAISE_BUDGET = re.compile(
    r"\b(?:can|could|happy to|willing to|ok(?:ay)? (?:with )?|fine (?:with )?|don'?t mind)\s*(?:spend|spending|pay|paying|"
    r"go|going)\s+(?:a (?:bit|little) |a lot |much )?(?:more|higher|over|whatever)\b|"
    r"\b(?:spend|pay)(?:ing)? whatever|\bno (?:cap|limit|ceiling) on (?:spending|the price|price)|"
    r"\bstretch (?:the |my )?budget|\bbudget(?:'s| is)? (?:flexible|open)\b|\bsky'?s the limit\b|"
    r"\bmoney(?:'s| is)? no (?:object|issue|problem)|\bmoney(?:'s| is)? not (?:an? )?(?:issue|problem|object)|"
    r"(?<![顶最])多花(?:点|些|一点)?|(?:可以|能|也行|也可以)超(?:出|过)?预算|预算(?:可以|能)?(?:加|提高|提|放宽|高点|多点|再高)|不差钱|钱(?:不是问题|好说)|"
    r"贵(?:一)?(?:点|些)?(?:也|都)(?:没关系|没事|可以|行|无所谓|ok)|多贵都|贵点没事|价格高点", re.I)


def relaxed(text: str) -> list[str]:
    """Request attributes the message says no longer matter ("颜色无所谓", "any colour", "不限预算",
    "price doesn't matter", "don't care about the brand", "i can spend more"): the NLU's let-go words
    (`vidrec.nlu.slots.find_cleared`), the older fixed patterns here, and a budget that may go up."""
    from vidrec.nlu.slots import find_cleared
    from vidrec.request import REGISTRY
    from vidrec.vocabulary import fold

    out = []
    for key, _ in find_cleared(fold(text)):
        a = REGISTRY.find(key)
        if a is not None and a.name not in out:
            out.append(a.name)
    for name, words in _SLOT_WORDS.items():
        patterns = (
            rf"({words})\s*(也|就)?{_DONT_CARE_ZH}",
            rf"(不限|不管|不在乎|不看)({words})",
            rf"\b({words})\s+{_DONT_CARE_EN}",
            rf"\bany\s+({words})\s*[.!]*\s*$",
            rf"\b(don'?t|do not)\s+care\s+(about|for)\s+(the\s+)?({words})",
            rf"\b(forget|ignore|drop)\s+(about\s+)?(the\s+)?({words})",
            _TAKE_OFF_EN.format(words=words),
            _TAKE_OFF_ZH.format(words=words),
        )
        if name not in out and any(re.search(p, text, re.I) for p in patterns):
            out.append(name)
    if "price" not in out and (_RAISE_BUDGET.search(text) or _ANY_PRICE.search(text)) and not re.search(r"\d", text):
        out.append("price")
    return out


def is_bare_no(text: str) -> bool:
    """A message that is only "no" ("不是", "nope"): with no question pending it may be a reject of the whole page,
    or nothing of the kind, so it is asked about rather than acted on."""
    stripped = re.sub(r"[\s,.!?，。！？~]+", "", text)
    return yes_or_no(text) is False and len(stripped) <= 6


# A complaint that the list is not what was asked for, without saying what instead ("that's not what I asked for",
# "wrong category", "you misunderstood me", "这不是我要的", "类别不对", "你搞错了"): the shopper rejects the list as a
# whole, not one item and not a condition. Read from the third (now spent) blind bank's wrong_kind phrasings, which the
# NLU read as reject, chitchat, confirm, reset and buy, never as naming a kind; the words are the general ways of
# saying "not that", not those sentences.
_NOT_WHAT_EN = re.compile(
    r"(?:\bnot|n'?t) (?:at all |even )?(?:what|the (?:thing|stuff|item|one|ones|kind|type)s?(?: that)?) (?:i|i'?m|i was|i am)\s*"
    r"(?:asked|ask|want|wanted|meant|mean|said|say|searched|search|typed|looking|was looking|am looking|need|needed|"
    r"had in mind|requested|ordered)\b|"
    r"\b(?:i )?(?:didn'?t|did not|never) (?:ask|search|look|want)(?:ed)? (?:for )?(?:these|this|those|that|them|it)\b|"
    r"\b(?:wrong|incorrect) (?:items?|things?|stuff|products?|category|categor(?:y|ies)|types?|kinds?|"
    r"ones?|results?|selection)\b|"
    r"\bnot the right (?:kind|type|category|thing|stuff|items?|products?)\b|"
    r"\b(?:not|isn'?t|aren'?t) (?:even )?(?:the )?(?:kind|type|sort|category) (?:of \w+ )?(?:i|that i)\b|"
    r"\bnot this (?:kind|type|sort|category)\b|"
    r"\b(?:you|u)(?:'ve| have)? (?:got (?:it|that|this|me) wrong|misunderstood|misread|misheard|didn'?t (?:get|understand))\b|"
    r"\b(?:completely|totally|way|all) (?:off|wrong|different)\b|(?:\bnot|n'?t) even close\b|\bnothing like (?:what|that)\b|"
    r"\bwhy (?:are|would|did) you (?:show|showing|recommend|recommending|give|giving)\b|"
    r"\b(?:did|do) you (?:even )?read\b|\ba (?:totally |completely |whole(?:ly)? )?different (?:thing|product|item)\b",
    re.I)
_NOT_WHAT_ZH = re.compile(
    r"不是我(?:要|想要|需要|说|搜|找|问|点)的|我(?:要|想要|说|找|搜)的不是|我(?:没|没有|并没有|又没)(?:要|说|搜|找)|"
    r"(?:跟|和|与)我(?:要|说|想|搜|找)的.{0,4}(?:不一样|不同|不是|不沾边|两码事)|"
    r"(?:搞|弄|理解|推荐|推|看|听|识别)错|错了|"
    r"(?:类别|品类|种类|类型|分类|东西|商品|款式)(?:都|也|完全)?(?:不对|错|搞错|弄错)|"
    r"不是这(?:类|种|个品类|一类|样的东西)|不(?:沾边|搭边|相干)|牛头不对马嘴|驴唇不对马嘴|答非所问|"
    r"(?:完全|根本|全都|压根)(?:不对|不是)|不对不对|"
    r"(?:给我|怎么)(?:看|推|推荐|发)(?:的|了)?(?:啥|什么|这)")


def complains_of_list(text: str) -> bool:
    """The message says the list is not what the shopper asked for, without pointing at one item or saying what
    instead (the caller checks that it names no condition)."""
    return bool(_NOT_WHAT_EN.search(text) or _NOT_WHAT_ZH.search(text))
