"""Short, natural replies in the shopper's language. Templates with variety, picked deterministically per turn."""

from __future__ import annotations

import re

from vidrec.request import REGISTRY

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "recommend": {
        "zh": ["为你找到这些{what}：", "看看这几款{what}：", "这些{what}可能适合你：", "推荐这几款{what}："],
        "en": ["Here are some {what} for you:", "Take a look at these {what}:", "These {what} might suit you:",
               "I found these {what}:"],
    },
    "nothing_fits": {
        "zh": ["没有符合全部条件的{what}；最接近的是第{n}个，{price}的{title}（{differs}）。"],
        "en": ["I found no {what} that fit everything; the closest is #{n}, {title} at {price} ({differs})."],
    },
    "offer_relax": {
        "zh": ["要不要不限{slot}？"],
        "en": [" Shall I drop the {slot}?"],
    },
    "recommend_more": {
        "zh": ["再看看这些：", "还有这几款：", "换一批给你："],
        "en": ["Here are a few more:", "Some more options:", "How about these:"],
    },
    "none": {
        "zh": ["没有找到符合所有条件的商品，要不要放宽一点条件（比如价格或颜色）？",
               "抱歉，目前没有满足这些条件的商品。可以换个颜色或调整预算试试。"],
        "en": ["I couldn't find anything that meets all of that. Want to relax a condition, like the price or colour?",
               "Sorry, nothing matches all of those. Try another colour or budget?"],
    },
    "no_more": {
        "zh": ["符合条件的商品都给你看过了。要不要换个条件？"],
        "en": ["That's everything that matches. Shall we change something?"],
    },
    "no_more_close": {
        "zh": ["符合条件的商品都给你看过了。这些相近，但不完全符合："],
        "en": ["That's everything that matches. These are close, but not all you asked for: "],
    },
    "ask": {
        "zh": ["想要哪种{slot}？", "{slot}有偏好吗？", "请问{slot}有要求吗？"],
        "en": ["Any preference for {slot}?", "Which {slot} would you like?", "What {slot} are you after?"],
    },
    "rejected": {
        "zh": ["好的，不再推荐它了。", "明白，已排除。", "好，换掉它。"],
        "en": ["Got it, I won't show that again.", "OK, that one's out.", "Understood, removing it."],
    },
    "rejected_close": {
        "zh": ["好，换掉它。符合全部条件的都已经在这里了，补上的这件{slot}不一样。"],
        "en": ["OK, that one's out. Everything that fits all you asked for is already here; the one I added differs "
               "in {slot}."],
    },
    "rejected_none": {
        "zh": ["好，换掉它。没有别的商品可以补上了。"],
        "en": ["OK, that one's out. There is nothing else to put in its place."],
    },
    "confirm_reject": {
        "zh": ["是要把{which}（{title}）去掉吗？"],
        "en": ["Do you want me to remove {which} ({title})?"],
    },
    "confirm_reject_all": {
        "zh": ["是要把这几个都去掉吗？"],
        "en": ["Do you want me to remove all of these?"],
    },
    "confirm_buy": {
        "zh": ["要把{which}（{title}）加入购物车吗？"],
        "en": ["Shall I add {which} ({title}) to your cart?"],
    },
    "kept": {
        "zh": ["好的，保留它。"],
        "en": ["OK, I'll leave it as it is."],
    },
    "unchanged": {
        "zh": ["好的，条件不变。还想调整别的吗？"],
        "en": ["OK, I'll keep what you asked for. Anything else to change?"],
    },
    "play": {
        "zh": ["好的，播放「{title}」的视频。"],
        "en": ["Playing the video of \"{title}\"."],
    },
    "liked": {
        "zh": ["好的，记下你喜欢这款，会推荐类似的。", "收到，按这个风格给你找。"],
        "en": ["Noted, I'll look for more like it.", "Great, I'll keep that style in mind."],
    },
    "cart": {
        "zh": ["已把「{title}」加入购物车。", "好的，「{title}」已加入购物车。"],
        "en": ["Added \"{title}\" to your cart.", "Done, \"{title}\" is in your cart."],
    },
    "reset": {
        "zh": ["好的，我们重新开始。你想找什么？"],
        "en": ["Sure, let's start over. What are you looking for?"],
    },
    # small talk, by what the shopper said (`small_talk`)
    "greeting": {
        "zh": ["你好！告诉我你想买什么，比如“红色连衣裙 300元以内”。"],
        "en": ["Hi! Tell me what you're shopping for, e.g. \"a red dress under 300\"."],
    },
    "thanks": {
        "zh": ["不客气！还想看点什么吗？"],
        "en": ["You're welcome! Anything else you'd like to see?"],
    },
    "bye": {
        "zh": ["好的，欢迎随时再来！"],
        "en": ["Thanks for stopping by. Come back any time!"],
    },
    "ideas": {
        "zh": ["好的！是给谁买的？想要哪类商品，比如衣服、鞋子还是帽子？"],
        "en": ["Happy to help! Who is it for, and what kind of thing: clothes, shoes, a hat?"],
    },
    "unclear": {
        "zh": ["我没太明白。可以告诉我想找什么吗？比如“黑色T恤”或“300元以内的运动鞋”。"],
        "en": ["I'm not sure I follow. What are you looking for? For example \"a black T-shirt\" or "
               "\"running shoes under 300\"."],
    },
    "bad_ref": {
        "zh": ["我只给你看了{n}个，你指的是哪一个？", "刚才只有{n}个推荐，请说第1到第{n}个中的哪一个。"],
        "en": ["I only showed {n}; which one do you mean?", "There were just {n} items; which of 1 to {n}?"],
    },
    "no_ref": {
        "zh": ["你指的是哪一个？可以说“第一个”或“第二个”。"],
        "en": ["Which one do you mean? You can say \"the first one\" or \"number 2\"."],
    },
    "empty_catalog": {
        "zh": ["商品库还是空的，请先导入商品视频（vidrec ingest）。"],
        "en": ["The catalog is empty; ingest some product videos first (vidrec ingest)."],
    },
}
# What kind of small talk a message is: the intent classifier says only "chitchat", and answering "hello" with
# "you're welcome" (the reply used to depend on the turn number) reads as not listening.
_THANKS = re.compile(r"\b(?:thanks?|thank you|thx|ty|cheers|appreciate it)\b|谢谢|多谢|感谢|谢啦|谢了|3q", re.I)
_BYE = re.compile(r"\b(?:bye|goodbye|see you|see ya|that'?s all|that is all|nothing else)\b|再见|拜拜|没事了|就这样|不用了",
                  re.I)
_GREETING = re.compile(r"\b(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening))\b|你好|您好|嗨|哈喽|哈啰|"
                       r"在吗|在不在|早上好|晚上好", re.I)
_IDEAS = re.compile(r"\b(?:recommend|suggest|suggestions?|ideas?|gift|present|anything good)\b|推荐|礼物|送人|送给|"
                    r"有什么好|买点什么|添置", re.I)


def small_talk(text: str) -> str:
    """The reply key for a message the classifier calls chitchat: thanks, bye, greeting, ideas (asks for
    suggestions without saying what), or unclear."""
    for key, pattern in (("thanks", _THANKS), ("bye", _BYE), ("ideas", _IDEAS), ("greeting", _GREETING)):
        if pattern.search(text):
            return key
    return "unclear"


def say(key: str, lang: str, turn: int, **kw) -> str:
    options = TEMPLATES[key]["zh" if lang == "zh" else "en"]
    return options[turn % len(options)].format(**kw)


def slot_name(slot: str, lang: str) -> str:
    """How a question names an attribute ("colour", "男款还是女款"): its question label in the request registry."""
    attribute = REGISTRY.find(slot)
    return attribute.ask_label(lang) if attribute is not None else slot
