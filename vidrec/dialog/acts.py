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
# "Another colour": other / a different / a change of colour, in the words shoppers use for colours (颜色, 色, 配色,
# 色系, 色号; colour, shade, hue, colourway), or not liking this one. A colour named with it is a request instead
# (the caller reads the request first).
_COLOUR_ZH = r"(?:颜色|色号|配色|色系|色调|(?<![红橙黄绿青蓝紫黑白灰粉棕褐米金银驼杏咖藏卡彩肤深浅亮暗])色)"  # 色 alone, not in 红色
_COLOUR_EN = r"(?:colou?rs?|shades?|hues?|colou?rways?)"
_OTHER_COLOUR = re.compile(
    rf"(?:别的|其他|其它|另外的?|不一样的?|不同的?|换个|换一个|换种|换一种|换一下|换换|有得选的?)\s*{_COLOUR_ZH}|"
    rf"{_COLOUR_ZH}(?:再|能|可以|能不能)?(?:换|有得选|有的选)|还有(?:什么|几|哪些|多少)(?:个|种)?{_COLOUR_ZH}|"
    rf"(?:几|多少)(?:个|种|款)\s*{_COLOUR_ZH}|同款.{{0,3}}(?:不同|别的|其他|其它|换)|"
    rf"(?:不要|不喜欢|不想要)这(?:个|种)?{_COLOUR_ZH}|{_COLOUR_ZH}.{{0,4}}(?:不喜欢|不行|不太行|丑|不好看|hold不住)|"
    rf"\b(?:another|other|others|different|diff|new|fresh|more)\s+{_COLOUR_EN}\b|\bin other {_COLOUR_EN}\b|"
    rf"\b(?:change|switch|swap)(?: up)?\s+(?:the\s+)?{_COLOUR_EN}\b|\bnot (?:this|that|the) colou?r\b|"
    rf"\b(?:don'?t|do not) like (?:the|this|that) colou?r\b|\bcolou?r(?:'s| is)? (?:wrong|not for me|meh)\b|"
    rf"\bcolou?r-?wise\b|\bwhat (?:other )?colou?rs?\b|\bcolou?rs? (?:options|besides)\b|\b{_COLOUR_EN}\s*\?\s*$|"
    rf"\bsame (?:but|style|thing|one)\b.{{0,20}}\b(?:colou?r|shade)\b|\bin something else\b",
    re.I)
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


# Letting the colour or the budget go in other words: every colour is fine ("什么色都OK", "any shade works", "show all
# colours", "open on colour"), the colour is no longer required ("颜色不太重要", "不一定非要这个色", "颜色不用限定了"); the
# budget may rise or no longer holds ("预算可以往上走", "刚才的预算作废", "不用卡价格", "no price cap", "go over budget",
# "cost is not a problem", "quality over price"). Read from the spent banks' relax situations that no rule above took.
_LET_COLOUR_GO = re.compile(
    rf"(?:什么|啥|任何|哪个|哪种|所有|各种|全部)(?:的)?{_COLOUR_ZH}.{{0,6}}(?:都|也|我都)|"
    rf"{_COLOUR_ZH}.{{0,3}}(?:不太?重要|不用限定?|不限定|不用管|算了|不挑|随意|没(?:有)?执念|无所谓|不用卡)|"
    rf"{_COLOUR_ZH}(?:也|都)(?:没事|没关系|可以|行|ok)|不(?:一定)?(?:非要|必须|非得)(?:是)?这个?{_COLOUR_ZH}|{_COLOUR_ZH}(?:这个)?条件.{{0,2}}删|"
    rf"\b(?:any|all|every|whatever)\s+{_COLOUR_EN}\s+(?:works?|is ok|is okay|is fine|are fine|are ok|goes|will do)\b|"
    rf"\bshow (?:me )?all (?:the )?{_COLOUR_EN}\b|\bopen (?:on|to|about) {_COLOUR_EN}\b|"
    rf"\bcolou?r(?:'s| is)? (?:not (?:that |too |very |really )?important|flexible|open|no big deal)\b",
    re.I)
_LET_BUDGET_GO = re.compile(
    r"(?:预算|价格|价位|价钱)(?:上)?(?:可以|能|也可以|再)?(?:多一?点|往上走|往上|加点?|提高|翻一?倍|放宽|作废|不封顶|不设限|"
    r"高一?点|上调)|可以加钱|贵(?:一?点|些)?的(?:也|都)(?:可以|行|没事|ok)|超(?:一?点|出一?点|些)(?:预算)?(?:也|都)"
    r"(?:可以|没事|行|ok)|(?:不用|别|不要)(?:卡|限|管|纠结)(?:那么死的?)?(?:价格|预算|价位|价钱|钱)|"
    r"(?:价格|预算|价位)你?(?:不用|别|不要)(?:卡|限|管)|钱(?:的事)?(?:别担心|不用担心|够)|"
    r"\bno (?:price |budget )?(?:cap|limit|ceiling)\b|\b(?:pricier|dearer|more expensive)(?: ones?)? (?:is|are) "
    r"(?:ok|okay|fine)\b|\bcan go (?:above|over|higher)\b|\b(?:ok|okay|fine|happy) to spend\b|\b(?:raise|increase|up|bump|stretch)\s+(?:my|the)\s+budget\b|"
    r"\bgo(?:ing)? over (?:my |the )?budget\b|\b(?:price|cost|money|budget)(?:'s| is)? (?:not an?|no|isn'?t an?) (?:problem|issue|"
    r"object|concern)\b|\bdoesn'?t matter how much\b|\b(?:not|don'?t) worry (?:about|over) (?:the )?(?:cost|price|"
    r"budget|money)\b|\b(?:quality|style|looks) over (?:price|cost)\b|\bbudget\b.{0,15}\b(?:scrap|forget|ignore)\b",
    re.I)


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
    if "price" not in out and (_RAISE_BUDGET.search(text) or _ANY_PRICE.search(text) or _LET_BUDGET_GO.search(text)) \
            and not re.search(r"\d", text):
        out.append("price")
    if "colour" not in out and _LET_COLOUR_GO.search(text):
        out.append("colour")
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


# "i asked for watches", "我要的是手表", "这些不是高跟鞋啊", "where are the heels?": the kind named again as what the list
# missed (a complaint), not as a request for the kind afresh ("can you show me shorts?", "还有外套吗")
_KIND_MISSED = re.compile(
    r"\b(?:asked|said|told|wanted|meant|searched|looking for|where|not|isn'?t|aren'?t|don'?t see|no)\b|"
    r"要的是|说的是|找的是|搜的是|想要的是|明明|不是|没有|在哪|哪儿|哪里|呢\s*[?？]?\s*$", re.I)


def names_kind_missed(text: str) -> bool:
    """The message names the kind under way as what the list failed to show."""
    return bool(_KIND_MISSED.search(text) or complains_of_list(text))
