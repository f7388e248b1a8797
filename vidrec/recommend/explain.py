"""One-line explanations that cite evidence: "红色 seen in frames 0:02–0:05; '纯棉' said at 0:07"."""

from __future__ import annotations

import re

from vidrec.request import REGISTRY, Request, attribute_label
from vidrec.understand.profile import Attribute, Evidence, ItemProfile
from vidrec.vocabulary import Taxonomy, Vocabulary

# Attributes a reason cites, in this order (then the price).
CITED = ("colour", "category", "material")


def cited(request: Request) -> dict[str, object]:
    """What a reason may cite for a request: each cited attribute's wanted values (any of them may be the one an
    item has), and the price when a budget was given."""
    matched: dict[str, object] = {}
    for name in CITED:
        values = request.all(name)
        if values:
            matched[REGISTRY.get(name).key] = list(values)
    if request.price_max is not None or request.price_min is not None:
        matched["price"] = None
    return matched


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _span(e: Evidence) -> str:
    if e.start is None:
        return ""
    if e.end is None or abs(e.end - e.start) < 0.5:
        return clock(e.start)
    return f"{clock(e.start)}–{clock(e.end)}"


def spoken_name(text: str | None, names: tuple[str, ...]) -> str | None:
    """The name of the value as the speech segment says it, or None when its words do not name the value: a
    transcript is quoted only for words that corroborate what they support, never verbatim as a whole (speech
    recognition errors are not evidence)."""
    lowered = (text or "").lower()
    for name in sorted(names, key=len, reverse=True):
        n = name.lower()
        if not n:
            continue
        if n.isascii():
            if re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", lowered):
                return name
        elif n in lowered:
            return name
    return None


def cite(e: Evidence, label: str, lang: str, names: tuple[str, ...] = (), what: str = "") -> str:
    """One piece of evidence in words, in the shopper's language. Speech is quoted only as far as its words name
    the value (`names`); otherwise it is summarised ("视频里提到了颜色"), `what` naming the attribute."""
    when = _span(e)
    quoted = (e.text or "").strip()
    if e.modality == "visual":
        return f"画面{when}可见{label}" if lang == "zh" else f"{label} seen in frames {when}"
    at = clock(e.start) if e.start is not None else ""
    if e.modality == "speech":
        said = spoken_name(quoted, names)
        if said is None:
            what = what or ("它" if lang == "zh" else "it")
            return f"视频第{at}提到了{what}" if lang == "zh" else f"the video mentions its {what} at {at}"
        return f"视频第{at}提到“{said}”" if lang == "zh" else f"'{said}' said at {at}"
    if e.modality == "ocr":
        return f"字幕{at}显示“{quoted}”" if lang == "zh" else f"'{quoted}' on screen at {at}"
    if e.modality == "text":
        return f"标题/描述写明“{quoted}”" if lang == "zh" else f"title/description says '{quoted}'"
    return f"商品信息标注为{label}" if lang == "zh" else f"listed as {label}"


def _names(vocab: Vocabulary | None, value: object) -> tuple[str, ...]:
    """Every surface form of a value (its vocabulary's synonyms in both languages), for matching speech."""
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in values:
        if isinstance(v, (int, float)):
            out.append(f"{v:g}")
            continue
        term = vocab.lookup(str(v)) if vocab else None
        out += list(term.names) if term is not None else [str(v)]
    return tuple(out)


def _label(vocab: Vocabulary | None, value: object, lang: str) -> str:
    term = vocab.lookup(str(value)) if vocab else None
    if term is None:
        return str(value)
    return term.zh_name if lang == "zh" else term.canonical


_NO_MATCH = object()


def _matches(profile: ItemProfile, name: str, attr: Attribute, wanted: object) -> bool:
    """Cite only what agrees with the request: a blue dress is not explained by "colour: blue" for "red"."""
    if wanted is None:
        return True
    if name in ("color", "colors"):
        colours = profile.value("colors") or [attr.value]
        return str(wanted) in [str(c) for c in colours]
    return str(attr.value).lower() == str(wanted).lower()


def explain(profile: ItemProfile, matched: dict[str, object], taxonomy: Taxonomy, lang: str,
            max_parts: int = 3) -> tuple[str, float | None]:
    """A one-line reason citing evidence for the matched attributes, and the second that best shows it.

    `matched` maps attribute names (category, color, price, material, ...) to the value the shopper asked for.
    """
    def vocabulary(name: str) -> Vocabulary | None:
        return taxonomy if name == "category" else REGISTRY.vocabulary_of(name)

    parts: list[str] = []
    start: float | None = None
    for name, asked in matched.items():
        attr: Attribute | None = profile.attributes.get(name)
        if attr is None:
            continue
        # of several values asked for ("blue or navy"), the one this item has
        wanted = next((w for w in (asked if isinstance(asked, (list, tuple)) else [asked])
                       if _matches(profile, name, attr, w)), _NO_MATCH)
        if wanted is _NO_MATCH:
            continue
        label = _label(vocabulary(name), wanted if wanted is not None else attr.value, lang)
        if name == "price":
            price = attr.value
            label = f"¥{price:g}" if isinstance(price, (int, float)) else str(price)
        timed = [e for e in attr.evidence if e.start is not None]
        best = timed[0] if timed else (attr.evidence[0] if attr.evidence else None)
        if best is None:
            continue
        shown = wanted if wanted is not None else attr.value
        part = cite(best, label, lang, _names(vocabulary(name), shown), attribute_label(name, lang))
        if part in parts:  # one caption naming both the colour and the category is cited once
            continue
        if start is None and best.start is not None:
            start = best.start
        parts.append(part)
        if len(parts) >= max_parts:
            break
    if not parts:
        # Nothing specific was asked: cite the most telling timed evidence the video has.
        for name in ("category", "color", "material", "price"):
            attr = profile.attributes.get(name)
            timed = [e for e in (attr.evidence if attr else []) if e.start is not None]
            if attr and timed:
                parts.append(cite(timed[0], _label(vocabulary(name), attr.value, lang), lang,
                                  _names(vocabulary(name), attr.value), attribute_label(name, lang)))
                start = timed[0].start
                break
    sep = "；" if lang == "zh" else "; "
    return sep.join(parts), start
