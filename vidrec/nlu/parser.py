"""`parse(text, context)`: one shopper message -> intent, normalised slots, language, confidence.

Rules find the slots (lexicon, numbers, sizes, references, negation); a trained classifier picks the intent from
the message with its slot values replaced by placeholders plus the rule findings; a few high-precision rules
settle what the classifier should not have to guess (no letters at all, another language, "compare" with two
references, ...).

`context` is a dict: {"lexicon": Lexicon, "shown": 3}. "lexicon" (default: the built-in vocabulary) maps words to
the catalog's labels; "shown" is how many items the last reply listed: it turns "the last one" into a position
and "these two" into [1, 2]. A reference past the end ("the fifth one" with 3 shown) is still reported
(item_ref=5); the dialog decides what to say.

`parse` never raises: empty, huge, emoji-only, control characters, other scripts and prompt-injection text come
back as a valid `Parse` (mostly `chitchat`). Only the first MAX_CHARS characters are read; the CLI and the API
refuse longer input with InputError (see `check_length`).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any

from vidrec.errors import InputError
from vidrec.nlu.classifier import IntentModel, default_model
from vidrec.nlu.features import features, hashed
from vidrec.nlu.language import detect_language
from vidrec.nlu.lexicon import Lexicon, fold
from vidrec.nlu.references import FOCUS
from vidrec.nlu.schema import INTENTS, MAX_CHARS, Parse, Refs
from vidrec.nlu.slots import Evidence, extract, positions
from vidrec.request import REGISTRY, Request

log = logging.getLogger(__name__)

_DEFAULT_LEXICON: Lexicon | None = None
_LOCK = threading.Lock()

# Intents for which "this" / "it" / "这个" points at an item (elsewhere "make it cotton" is no reference).
_DEIXIS_INTENTS = {"ask_detail", "like", "reject", "buy", "critique", "compare"}
# Intents that ask about an attribute.
_ATTRIBUTE_INTENTS = {"ask_detail", "compare"}
# Attributes a yes/no question names by value ("is it cotton?", "有黑色吗"), the first named first.
_YES_NO_ATTRIBUTES = ("material", "color", "size", "brand", "pattern", "usage", "season", "gender")
_GENDERS = frozenset(t.canonical for t in REGISTRY.get("gender").vocabulary)

_COMPARE_CUE = re.compile(r"比较|对比|比一下|比一比|区别|不同|哪个|哪一个|哪款|选哪|还是|\bcompare|\bvs\b|\bversus\b|"
                          r"\bdifference\b|\bdiffer\b|\bbetter\b|\bwhich\b|\bor\b|\bbetween\b|\bside by side\b", re.A)
_YESNO_RE = re.compile(r"吗\s*[?？]?\s*$|[?？]\s*$|^\s*(?:is|are|does|do|can|will|has|have)\b", re.A)
_WH_RE = re.compile(r"什么|哪|多少|几|怎么|啥|\bwhat|\bwhich|\bhow\b|\bwho|\bwhere|\bwhen", re.A)


def default_lexicon() -> Lexicon:
    global _DEFAULT_LEXICON
    if _DEFAULT_LEXICON is None:
        with _LOCK:
            if _DEFAULT_LEXICON is None:
                _DEFAULT_LEXICON = Lexicon.default()
    return _DEFAULT_LEXICON


def check_length(text: str, limit: int = MAX_CHARS) -> None:
    """Raise InputError for a message the CLI / API should refuse (longer than `limit` characters)."""
    if len(text) > limit:
        raise InputError(f"message is {len(text)} characters long; the limit is {limit}: send a shorter message")


def _clean_output_text(text: str) -> str:
    """The text as given, with lone surrogates replaced so that it can always be written as UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def normalise(text: str) -> str:
    """NFKC (full-width -> half-width), control and format characters -> spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", _clean_output_text(text))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def parse(text: str, context: dict[str, Any] | None = None, model: IntentModel | None = None) -> Parse:
    """Intent and slots of one shopper message (Chinese, English or both). Never raises."""
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    raw = _clean_output_text(raw[:MAX_CHARS])
    try:
        return _parse(raw, context or {}, model)
    except Exception:  # noqa: BLE001 - a message must never break the conversation
        log.exception("could not parse a message; answering it as chitchat")
        return Parse(text=raw, lang="unknown", intent="chitchat", confidence=0.0)


def _parse(raw: str, context: dict[str, Any], model: IntentModel | None) -> Parse:
    lexicon = context.get("lexicon") or default_lexicon()
    shown = context.get("shown")
    shown = shown if isinstance(shown, int) and not isinstance(shown, bool) and shown >= 0 else None
    text = normalise(raw)
    lang = detect_language(text, lexicon.known_words)
    if not any(ch.isalnum() for ch in text):
        return Parse(text=raw, lang=lang, intent="chitchat", confidence=1.0)

    ev = extract(text, lexicon, shown)
    ids, values = hashed(features(text, ev, lang))
    probs = (model or default_model()).predict(ids, values)
    ranked = sorted(zip(INTENTS, probs.tolist(), strict=True), key=lambda x: -x[1])
    intent, confidence = ranked[0]
    intent, confidence = _rules(text, lang, ev, intent, confidence, dict(ranked))
    request, refs, direction = _understood(text, ev, intent)
    return Parse(text=raw, lang=lang, intent=intent, request=request, refs=refs, price_direction=direction,
                 confidence=round(float(confidence), 4))


def _rules(text: str, lang: str, ev: Evidence, intent: str, confidence: float,
           probs: dict[str, float]) -> tuple[str, float]:
    """Cases the classifier should not decide alone."""
    explicit = {r.position for r in ev.refs if not r.deictic}
    has_slots = bool(ev.mentions or ev.negated or ev.slots.get("price_min") is not None
                     or ev.slots.get("price_max") is not None or ev.slots.get("size"))
    if lang == "other" and not has_slots and not ev.refs:
        return "chitchat", max(confidence if intent == "chitchat" else 0.0, 0.9)
    folded = fold(text)
    items = len(explicit) + len(ev.described)
    if items >= 2 and intent not in ("compare", "buy", "reject", "like") and _COMPARE_CUE.search(folded):
        return "compare", max(confidence, probs.get("compare", 0.0))
    if intent == "compare" and items < 2 and not any(r.deictic for r in ev.refs) \
            and not _COMPARE_CUE.search(folded):
        second = max((p, i) for i, p in probs.items() if i != "compare")
        return second[1], second[0]
    return intent, confidence


def _understood(text: str, ev: Evidence, intent: str) -> tuple[Request, Refs, str | None]:
    """The request the message states, the items it points at, and a price direction."""
    s: dict[str, Any] = {}
    for key, value in ev.slots.items():
        if key == "gender" and value not in _GENDERS:
            continue
        if key != "price_direction" and value not in (None, [], ""):
            s[key] = list(value) if isinstance(value, list) else value
    refs: dict[str, Any] = {}
    pointed = [r for r in ev.refs if not (r.deictic and intent not in _DEIXIS_INTENTS)]
    pos = positions(pointed)
    if intent == "compare" and len(pos) == 1 and pos[0] == FOCUS:
        pos = []
    if len(pos) >= 2:
        refs["item_refs"] = pos
    elif pos:
        refs["item_ref"] = pos[0]
    direction = ev.slots.get("price_direction")
    if intent in _ATTRIBUTE_INTENTS:
        attribute = ev.attribute_keyword
        folded = fold(text)
        if attribute is None and intent == "ask_detail" and _YESNO_RE.search(folded) and not _WH_RE.search(folded):
            # "is it cotton?": the attribute is the one whose value the question names
            attribute = next((k for k in _YES_NO_ATTRIBUTES if s.get(k)), None)
        if attribute is not None:
            refs["attribute"] = attribute
        if attribute == "price" and intent == "compare":
            direction = None
    return Request.model_validate(s), Refs(**refs), direction
