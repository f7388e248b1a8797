"""Answer questions about an item from its evidence, and compare items. Unknown means "the video doesn't say"."""

from __future__ import annotations

import re

from vidrec.recommend.explain import _names, clock, spoken_name
from vidrec.request import REGISTRY, attribute_label
from vidrec.understand.profile import Attribute, ItemProfile

# Words that show a transcript or caption line talks about an attribute vidrec has no slot for.
KEYWORDS = {
    "size": re.compile(r"尺码|码数|大小|均码|\b(?:size|sizes|xs|s|m|l|xl|xxl|fits?)\b", re.IGNORECASE),
    "material": re.compile(r"面料|材质|材料|fabric|material|made of", re.IGNORECASE),
    "price": re.compile(r"元|块|¥|价|price|only|\$", re.IGNORECASE),
}


def value_text(name: str, value, lang: str) -> str:
    if name == "price" and isinstance(value, (int, float)):
        return f"¥{value:g}"
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(value_text(name, v, lang) for v in value)
    attribute = REGISTRY.find(name)
    return attribute.term_name(value, lang) if attribute is not None else str(value)


def _evidence_sentence(name: str, attr: Attribute, lang: str) -> str:
    timed = [e for e in attr.evidence if e.start is not None and e.text]
    if timed:
        e = timed[0]
        if e.modality == "speech":  # quote only the words that name the value, never a whole transcript line
            said = spoken_name(e.text, _names(REGISTRY.vocabulary_of(name), attr.value))
            if said is None:
                return f"视频第{clock(e.start)}提到了这一点" if lang == "zh" else \
                    f"the video mentions it at {clock(e.start)}"
            e = e.model_copy(update={"text": said})
        where = {"speech": ("视频第{t}提到：{x}", "at {t} the video says: \"{x}\""),
                 "ocr": ("视频第{t}的字幕写着：{x}", "the caption at {t} reads: \"{x}\""),
                 "visual": ("画面{t}可见", "visible in the frames at {t}")}.get(e.modality)
        if where:
            zh, en = where
            return (zh if lang == "zh" else en).format(t=clock(e.start), x=e.text)
    if attr.source == "metadata":
        return "商品信息里写明的" if lang == "zh" else "from the product listing"
    return ""


def answer(profile: ItemProfile, attribute: str | None, lang: str) -> str:
    """One answer about one item, citing where it comes from; says so when the video and listing don't tell."""
    title = profile.display_title()
    attribute = attribute or "description"
    if attribute == "description":
        parts = [value_text(n, profile.value(n), lang) for n in ("color", "material", "category")
                 if profile.value(n) is not None]
        price = profile.value("price")
        base = (f"{title}：" + "、".join(parts) if lang == "zh" else f"{title}: " + ", ".join(parts))
        if price is not None:
            base += f"，{value_text('price', price, lang)}" if lang == "zh" else f", {value_text('price', price, lang)}"
        if profile.transcript:  # speech recognition may be wrong: say that there is narration, not what it said
            line = profile.transcript[0]
            base += (f"。视频第{clock(line.start)}起有讲解" if lang == "zh"
                     else f". The video has narration from {clock(line.start)}")
        return base
    label_en, label_zh = attribute_label(attribute, "en"), attribute_label(attribute, "zh")
    attr = profile.attributes.get(attribute)
    if attr is not None:
        value = value_text(attribute, attr.value, lang)
        source = _evidence_sentence(attribute, attr, lang)
        if lang == "zh":
            return f"{title}的{label_zh}是{value}" + (f"（{source}）" if source else "") + "。"
        return f"The {label_en} of {title} is {value}" + (f" ({source})" if source else "") + "."
    pattern = KEYWORDS.get(attribute)
    if pattern is not None:
        for line in [*profile.transcript, *profile.ocr]:
            if pattern.search(line.text):
                kind = "提到" if hasattr(line, "lang") else "字幕写着"
                if lang == "zh":
                    return f"关于{label_zh}，视频第{clock(line.start)}{kind}：{line.text}"
                return f"About the {label_en}, at {clock(line.start)} the video says: \"{line.text}\""
    if lang == "zh":
        return f"抱歉，{title}的视频和商品信息里都没有提到{label_zh}，我不想乱猜。"
    return f"Sorry, neither the video nor the listing of {title} says what its {label_en} is, and I won't guess."


def compare(profiles: list[ItemProfile], lang: str) -> tuple[str, list[dict]]:
    """A side-by-side of price and the attributes that differ; returns the reply and the table rows."""
    names = ["price", "category", "color", "material", "brand", "gender", "usage", "pattern"]
    rows = []
    for n in names:
        values = [profile.value(n) for profile in profiles]
        if all(v is None for v in values):
            continue
        if n != "price" and len({str(v) for v in values}) == 1:
            continue
        rows.append({"attribute": n, "values": [value_text(n, v, lang) if v is not None else "?" for v in values]})
    head = [f"{i + 1}. {p.display_title()}" for i, p in enumerate(profiles)]
    lines = []
    for r in rows:
        label = attribute_label(r["attribute"], lang)
        lines.append(f"{label}: " + " | ".join(r["values"]))
    prices = [p.value("price") for p in profiles]
    if all(isinstance(x, (int, float)) for x in prices) and len(set(prices)) > 1:
        cheapest = min(range(len(prices)), key=lambda i: prices[i])
        lines.append(f"第{cheapest + 1}个更便宜。" if lang == "zh" else f"Number {cheapest + 1} is cheaper.")
    if not rows:
        lines.append("它们在已知属性上没有区别。" if lang == "zh" else "They don't differ in anything I know about.")
    return "\n".join([" vs ".join(head), *lines]), rows
