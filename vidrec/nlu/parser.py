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

import dataclasses
import logging
import re
import threading
import unicodedata
from typing import Any

import numpy as np

from vidrec.errors import InputError
from vidrec.nlu.classifier import IntentModel, default_model
from vidrec.nlu.features import features, hashed
from vidrec.nlu.language import detect_language
from vidrec.nlu.lexicon import Lexicon, fold
from vidrec.nlu.likeness import find_exemplar
from vidrec.nlu.references import FOCUS
from vidrec.nlu.schema import INTENTS, MAX_CHARS, Exemplar, Parse, Refs
from vidrec.nlu.slots import Evidence, extract, positions
from vidrec.nlu.tagger import Reading, Tagger, default_tagger, rule_tags
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


# The joint tagger (vidrec/nlu/tagger.py) and the rules: its calibrated intent probabilities are mixed with the
# linear classifier's at TAGGER_WEIGHT when the classifier's top probability is below TAGGER_GATE (1.0: always);
# where TAGGER_SCOPE is on, its tags decide whether a colour or brand the lexicon found is asked for or ruled out.
# All chosen on dev data (SIMMC even dialogs, the hand-labelled dev+test split, the spent blind sets 3 and 5) by
# bench/nlu_tagger_eval.py select (bench/results/nlu_tagger_select_blind35.json: the model trained with
# `tools/nlu_tagger_train.py --read-rules`, seed 13; mean intent gain over the rules alone 95 % [+0.0003, +0.0077]);
# 0 / False keep the rules alone.
TAGGER_WEIGHT = 0.25
TAGGER_GATE = 1.0
TAGGER_SCOPE = False


def _tagger(context: dict[str, Any]) -> Tagger | None:
    """context["tagger"]: a Tagger, or False for none; by default the shipped one when TAGGER_WEIGHT or
    TAGGER_SCOPE use it."""
    given = context.get("tagger")
    if given is False:
        return None
    if isinstance(given, Tagger):
        return given
    return default_tagger() if (TAGGER_WEIGHT > 0 or TAGGER_SCOPE) else None


def _with_tagged_scope(ev: Evidence, reading: Reading) -> Evidence:
    """Colours and brands moved between asked-for and ruled out where the tagger reads their scope otherwise."""
    if not TAGGER_SCOPE:
        return ev

    def kind(m: Any) -> str | None:
        return reading.majority(m.start, m.end)

    wanted, negated = list(ev.mentions), list(ev.negated)
    moved = False
    for m in list(wanted):
        if m.slot in ("color", "brand") and kind(m) == "excluded":
            wanted.remove(m)
            negated.append(m)
            moved = True
    for m in list(negated):
        if m.slot in ("color", "brand") and kind(m) == m.slot:
            negated.remove(m)
            wanted.append(m)
            moved = True
    if not moved:
        return ev
    slots = dict(ev.slots)
    for slot in ("color", "brand"):
        keep = [m.value for m in sorted(wanted, key=lambda m: m.start) if m.slot == slot]
        out = [m.value for m in sorted(negated, key=lambda m: m.start) if m.slot == slot]
        slots.pop(slot, None)
        slots.pop(f"{slot}_exclude", None)
        if keep:
            slots[slot] = list(dict.fromkeys(keep)) if slot == "color" else keep[0]
        if out:
            slots[f"{slot}_exclude"] = list(dict.fromkeys(out))
    return dataclasses.replace(ev, slots=slots, mentions=sorted(wanted, key=lambda m: m.start),
                               negated=sorted(negated, key=lambda m: m.start))


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
    text = _HEART_RE.sub(" \u2665 ", normalise(raw)).strip()
    lang = detect_language(text, lexicon.known_words)
    if not any(ch.isalnum() for ch in text):
        return Parse(text=raw, lang=lang, intent="chitchat", confidence=1.0)

    if _looks_like_code(text) or _INJECTION_RE.search(fold(text)):
        # a program, a query or markup pasted in: nothing a shopper asks for (the state stays as it was)
        return Parse(text=raw, lang=lang, intent="chitchat", confidence=0.9)
    first = _first_of_many(text, lexicon, shown)
    if first is not None:
        # several requests at once ("red dresses under 200, also black shoes, compare 1 and 2, add 3 to my
        # cart..."): the first is taken, with a confidence low enough for the dialog to check
        p = _parse(first, context, model)
        return p.model_copy(update={"text": raw, "confidence": min(p.confidence, MIXED_CONFIDENCE)})

    ev = extract(text, lexicon, shown)
    if _JUNK_RE.search(fold(text)) and not (ev.mentions or ev.negated or ev.refs or ev.slots or ev.cleared):
        # a keyboard mash, a lone link, a run of digits, with nothing else understood: small talk (the state stays)
        return Parse(text=raw, lang=lang, intent="chitchat", confidence=0.9)
    ids, values = hashed(features(text, ev, lang))
    probs = (model or default_model()).predict(ids, values)
    tagger = _tagger(context)
    if tagger is not None and float(probs.max()) < TAGGER_GATE:
        reading = tagger.read(text, rule_tags(text, ev))
        probs = TAGGER_WEIGHT * np.array([reading.intents[i] for i in INTENTS]) + (1 - TAGGER_WEIGHT) * probs
        ev = _with_tagged_scope(ev, reading)
    ranked = sorted(zip(INTENTS, probs.tolist(), strict=True), key=lambda x: -x[1])
    intent, confidence = ranked[0]
    intent, confidence = _rules(text, lang, ev, intent, confidence, dict(ranked))
    intent, confidence = _in_context(text, ev, intent, confidence, dict(ranked), shown)
    found = find_exemplar(text, ev.mentions, ev.refs, shown)
    intent, confidence, ev = _look_alike(text, ev, intent, confidence, dict(ranked), shown)
    intent, confidence, ev, exemplar = _with_exemplar(found, ev, intent, confidence, dict(ranked))
    request, refs, direction = _understood(text, ev, intent)
    if intent == "ask_detail" and _asks_availability(text, ev) and refs.attribute is None:
        refs = refs.model_copy(update={"attribute": "size" if ev.slots.get("size") else "color"})
    return Parse(text=raw, lang=lang, intent=intent, request=request, refs=refs, price_direction=direction,
                 rating_min=ev.slots.get("rating_min"), clear=list(ev.cleared), exemplar=exemplar,
                 confidence=round(float(confidence), 4))


# "这个有没有L码", "do u have this in xl", "第二个有红色的吗": whether a shown item comes in a size or colour.
_AVAILABILITY_RE = re.compile(
    r"有没有|有吗|有.{0,10}吗|还有.{0,6}(?:吗|不|没)|\b(?:do|did|does|can|could)\s+(?:you|u|ya|y'all)\s+"
    r"(?:have|has|get|got|stock|carry)\b|\b(?:does|do|can|will)\s+(?:it|this|that|they|these|those)(?:\s+one)?\s+"
    r"(?:come|comes|be had)\s+in\b|\bavailable in\b|\bgot (?:this|it|that|these)\b|\bis there\b|\bany chance\b", re.A)


def _asks_availability(text: str, ev: Evidence) -> bool:
    """A shown item pointed at, a size or colour named, no category, and a question whether it comes so."""
    if not ev.refs or ev.slots.get("category") or not (ev.slots.get("size") or ev.slots.get("color")):
        return False
    return _AVAILABILITY_RE.search(fold(text)) is not None


# Pasted code, SQL, shell or markup: keywords and punctuation no shopper message has.
_CODE_RE = re.compile(
    r"\bdef\s+\w+\s*\(|\bfunction\s*\w*\s*\(|\breturn\s+[\w(]+.*[;*+/]|^\s*(?:import|from)\s+[\w.]+"
    r"(?:\s+import\b|\s*;|\s*$)|\bselect\s+.+\s+from\s+\w+|\b(?:insert\s+into|drop\s+table|delete\s+from)\b|"
    r"</?[a-z]+[^>]*>|\$\(|`[^`]+`|\brm\s+-rf\b|\bos\.system\b|\bconsole\.\w+|\bprint\s*\(|^\s*[a-z_]\w*\s*=\s*[\[{(\"'\d]|"
    r"\b\w+\s*=\s*[\w\"'\[{(]+\s*;|^\s*[{\[].*[}\]]\s*$", re.A | re.S)
# Text written to steer a language model, not to shop: answered as small talk, nothing taken from it.
_INJECTION_RE = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|system)\s+"
    r"(?:instructions?|prompts?|rules|messages?)|\bsystem prompt\b|\bdeveloper mode\b|\bjailbreak|"
    r"\byou are now (?:a|an|in)\b|(?:忽略|无视|忘记|忘掉)(?:掉)?(?:之前|以上|上面|前面|先前|你的|所有)+的?(?:所有的?)?"
    r"(?:指令|指示|提示|规则|设定)|系统提示词?|开发者模式", re.A)
# Nothing a shopper writes: a run of 25+ letters with no space (no English word is so long), a message that is only
# a link, 16+ digits in a row.
_JUNK_RE = re.compile(r"[a-z]{25,}|^\s*(?:https?://|www\.)\S+\s*$|\d{16,}", re.A)
# Putting shown items in the cart: "add X to my cart", "I'll take X", "give me X", "let me get X", "加购物车".
_BUY_RE = re.compile(
    r"\b(?:add|put|drop|place|throw|pop|stick)\b.{0,80}\b(?:in|into|to)\s+(?:my|the)\s+(?:cart|basket|bag)\b|"
    r"\bi'?ll take\b(?! a (?:look|peek|glance))|\bi will take\b(?! a (?:look|peek|glance))|\bgive me (?:that|this|those|these|the|both|one of|two|another)\b|"
    r"\blet me (?:also )?(?:get|have|grab)\b|\bi'?d like to (?:get|buy|purchase|order)\b|\bi'?ll (?:get|buy|grab)\b|"
    r"\b(?:i'?ll|i will|i want to|i'?d like to|let me|gonna|going to)?\s*(?:buy|purchase|order)\b|"
    r"加(?:入|进|到)?购物车|放(?:进|到|入)购物车|加购|我要了|下单|(?<!想)买(?:下|了)|"
    r"入手|拍下|拍了|安排上|(?:整|要|来|拿)(?:一|1)(?:个|件|双|条|只|份)|(?:都|就|全)要(?:了|它|吧|啦)?(?=$|[\s,，。.!！~]|(?:了|吧))|"
    r"就(?:它|这个|这件|这款)了|包起来|加(?:个|一下)?车|\bi'?m (?:getting|buying|taking|grabbing|ordering)\b|"
    r"\b(?:gonna|going to) (?:get|buy|take|grab|order)\b|\bit is\s*[.!~]*$|\bgrab\b|\b(?:going|go|goes)\s+(?:in|into)\s+(?:my|the)\s+(?:cart|basket|bag)\b|"
    r"\bhow (?:do|can) i (?:pay|check ?out)\b|\bcheck ?out\b|\bship (?:it|this|that|them|#?\d|the|number)\b.{0,30}\bto me\b|"
    r"\bplace (?:an |the )?order\b|\bsold\b|\btake (?:both|all|them|it|this|that|these|those)\b|\badd (?:it|this|that|them|both|#?\d|the|those|these)\b", re.A)
# How often the buy rule and the like / reject rule below are right where they fire on a shown item named by
# position: their share of right readings on the dev sets (blind sets 3 and 5, the hand-labelled dev+test split,
# the spent phrase banks' buy / like / reject phrasings; BENCHMARKS.md, NAME=parser 2026-12-05). A buy read at or
# above acts.UNSURE_ACT is done without asking.
BUY_RULE_CONFIDENCE = 0.9
ACT_RULE_CONFIDENCE = 0.9
# Said of a shown item: the shopper likes it ("digging #2", "big fan of the first one", "not bad", "第二个挺好看").
_LIKE_CUE_RE = re.compile(
    r"(?<!不)(?<!不太)(?<!没那么)喜欢|爱了|爱死|不错|挺好|(?<!不)(?<!不太)(?<!不怎么)好看|漂亮|好美|真美|心动|有感觉|种草|还行|还可以|可以哦|绝了|"
    r"\b(?:love|loving|loved|dig|digging|adore|obsessed|fond of|fan of|into (?:the|that|this|#|number)|cute|nice|"
    r"gorgeous|pretty|beautiful|lovely|stunning|perfect|awesome|amazing|great|fire|slaps|caught my eye|not bad|"
    r"isn'?t bad|wasn'?t bad|not half bad)\b|\bi (?:really |kinda |quite )?like\b|\blikes?\s+(?:the|that|this|#|number)\b|"
    r"\bwould go (?:great|well|nicely) with\b|<3|♥", re.A)
# Said of a shown item: the shopper does not want it ("scratch #2", "第二个差点意思", "#3 can go", "ew").
_REJECT_CUE_RE = re.compile(
    r"不要|不喜欢|不太喜欢|不想要|不行|不好看|不太好看|不怎么好看|难看|丑|(?<![泥国领故乡本])土(?!豆|地|耳其|壤)|廉价|跳过|没感觉|差点意思|一般般|不怎么样|"
    r"拿掉|划掉|去掉|删掉|删了|别再推|别推|pass|算了吧|不考虑|不合适|\b(?:scratch|remove|ditch|drop|skip|nix|lose)\b|"
    r"\btake (?:it|this|that|#?\d|the|number).{0,25}\boff\b|\bcan go\b|\bway off\b|\btoo much\b|\bboring\b|"
    r"\bew+\b|\byuck\b|\bugly\b|\bhate\b|\bnot (?:a fan|for me|my (?:style|thing|taste)|feeling|into|loving)\b|"
    r"\b(?:don'?t|do not|dont) (?:like|love|want)\b|\bnah\b|\bmeh\b|\b(?:is|are) a no\b|\bno to\b|\bget rid of\b|"
    r"\blooks? cheap\b|\bhard pass\b", re.A)
# Buying that reads as buying even in a question ("yes, #2 — how do I pay?").
_SURE_BUY_RE = re.compile(r"加(?:入|进|到)?购物车|加购|下单|拍下|结账|付款|怎么买|怎么拍|\bhow (?:do|can) i (?:buy|order|get)\b|\bhow (?:do|can) i (?:pay|check ?out)\b|"
                          r"\b(?:can|could|would) (?:you|u) (?:please |pls )?(?:place an order|order|grab|add|buy|get me)\b|"
                          r"\badd (?:it|this|that|them|both|#?\d|the|number).{0,40}\b(?:cart|basket|bag)\b|"
                          # "will you please put that in my cart?", "I'll need those added to my cart", "could you
                          # update my cart?" (SIMMC even dialogs): the cart named with a verb of putting in
                          r"\b(?:add|added|adding|put|putting|place|placed|update|updated|toss)\b(?:(?!\bfrom\b|\bout\b).){0,80}"
                          r"\b(?:in|into|to|on)\s+(?:my|the)\s+(?:shopping\s+)?cart\b|\bupdate (?:my|the) cart\b|"
                          # "let's go with that!", "I'll go with the second": the choice made
                          r"\b(?:let'?s|i'?ll|i will|i'?m going to|gonna)\s+go\s+with\b|"
                          # "Can I get two each of the light grey blouse and the black sweater?" (SIMMC even,
                          # 11526/4): a number of shown items asked for
                          r"\b(?:can|could|may) i (?:please )?(?:get|have|order|grab) (?:one|two|three|four|[1-4])\s+"
                          r"(?:each|more|pairs? of|of (?:the|those|these|each|them|both))\b|\bget me (?:both|all of them|that one|this one|those|these)\b(?!\s+(?:sizes?|prices?|brands?|ratings?|reviews?))",
                          re.A)
# Asking to be shown things: "do you have anything ...", "show me some other options ...", "有没有别的..."
_SHOW_ME_RE = re.compile(
    r"\b(?:do|did|does)\s+(?:you|u|ya)\s+(?:have|got|carry|stock)\s+(?:any|anything|something|some|other|more)\b|"
    r"\bhave\s+you\s+got\s+(?:any|anything|something|some|other|more)\b|\bshow\s+me\b|\bi(?:'d| would)?\s+"
    r"(?:like|want|need)\s+to\s+see\b|\bare\s+there\s+(?:any|other|more)\b|\bis\s+there\s+anything\b|"
    r"有没有(?:别的|其他|其它)?(?!这|那)|给我看看|推荐", re.A)
# Wishes with no slot of their own that still narrow a search: "with glowing reviews", "well rated", "sleeveless"
# (SIMMC even dialogs: "Can you show me some other options with glowing reviews?").
_WISH_WORD_RE = re.compile(
    r"\b(?:good|great|glowing|decent|high|positive|excellent|top|best|nice|better|higher)\s+(?:customer\s+|user\s+)?"
    r"(?:reviews?|ratings?)\b|\b(?:well|highly|nicely|better|best|top|high)[- ](?:rated|reviewed)\b|\bsleeveless\b|"
    r"\b(?:long|short|half|full|3/4)[- ]sleeve[sd]?\b|好评|评分高|评价好|口碑好|无袖|长袖|短袖", re.A)
# Asking for more of what is under way, with a constraint: "any other green blouses with long sleeves?", "are there
# any more jackets you recommend?", "are any of them long sleeve and cheap?" (SIMMC even dialogs, INFORM:REFINE).
_MORE_OF_RE = re.compile(r"\b(?:any|some)\s+(?:other|more)\b|\banything else\b|\bany of (?:them|these|those)\b", re.A)
# A demonstrative right before a kind of item: "this laptop", "这手机", "那件外套".
_THIS_KIND_RE = re.compile(r"(?:\b(?:this|that)\s+|[这那](?:个|款|件|条|双|只|台|部|块|副|顶)?\s*)$", re.I)
# "Is that all?": only these on offer.
_ONLY_THESE_RE = re.compile(r"^\s*(?:就|只有)(?:这些|这几|这么几|这么点|这点|这样)[个款件条双种]?(?:了)?\s*(?:吗|嘛|么|啊|呀|\?|$)|"
                            r"^\s*(?:is )?that(?:'s| is)? (?:all|it)\s*(?:\?|$)|^\s*(?:are )?th(?:ese|ose) (?:all|the only ones)\b", re.A)
# Words of starting over (the hand-labelled dev+test split, blind sets 3 and 5, the reset templates).
_RESET_CUE_RE = re.compile(
    r"重新|从头|重来|清空|重置|不算|\bre-?start|\breset\b|\bstart(?:ing)? (?:over|again|afresh|fresh|from)|\bbegin "
    r"(?:again|from)|from scratch|\bnew search\b|\bclear (?:my |the |all |every)|\bforget (?:all|everything|what)|"
    r"\bscrap (?:this|that|it|all|everything)|\bwipe\b", re.A)
# "I <3 the second one": a heart, not "under 3".
_HEART_RE = re.compile(r"(?<![\w<])<3+(?![\d.])")
# Words of comparing, and words that point at several shown items at once.
_COMPARE_WORD_RE = re.compile(r"\bcompar(?:e|es|ed|ing|ison|isons)\b|\bdifferences?\b|\bdiffer\b|\bversus\b|\bvs\b|"
                              r"比较|对比|区别|差别|不同", re.A)
_SEVERAL_RE = re.compile(r"\b(?:both|two|three|2|3|them|they|these|those|their|each other)\b|\b\w+s\s+compare\b|"
                         r"这两|那两|这几|那几|它们|两个|两款|两件", re.A)
# Several shown items named together by a pronoun or a number: "their sizes", "do they both", "those two dresses".
_THEM_RE = re.compile(r"\b(?:their|they|them|both|each of)\b|\b(?:the|those|these)\s+(?:two|three|2|3)\b|"
                      r"它们|这两|那两|这几|那几|两个|两款|两件|两条|两双", re.A)
# A message with more than this many clauses that each ask for something else is several requests.
MIXED_CLAUSES = 3
MIXED_CONFIDENCE = 0.5
_CLAUSE_SPLIT = re.compile(r"[,，;；。!！?？\n]+|\s+(?:and then|and also|also|then|plus)\s+|还要|然后|另外|再", re.A)
# A clause that goes on with the one before it: the next item of a list ("..., and the brown pants to my cart").
_CONTINUES_RE = re.compile(r"^(?:and|as well as|along with|together with|&|和|跟|以及)(?:\b|(?<=[和跟及&]))", re.A)
_BUY_CUE = re.compile(r"购物车|加购|下单|买了|\bcart\b|\bcheckout\b|\border\b|\bbuy\b", re.A)


def _looks_like_code(text: str) -> bool:
    return _CODE_RE.search(fold(text)) is not None


def _first_of_many(text: str, lexicon: Lexicon, shown: int | None) -> str | None:
    """The first clause of a message that makes MIXED_CLAUSES or more requests of different kinds (a search,
    items pointed at, a purchase, a question), else None."""
    clauses: list[str] = []
    for c in _CLAUSE_SPLIT.split(text):
        c = c.strip() if c else ""
        if not c:
            continue
        if clauses and _CONTINUES_RE.match(fold(c)):
            # "add that black dress that's hanging, and the brown pants beneath it to my cart" (SIMMC even,
            # 8836/3): a list that runs on over a comma is one request
            clauses[-1] = f"{clauses[-1]} {c}"
        else:
            clauses.append(c)
    if len(clauses) < MIXED_CLAUSES:
        return None
    kinds: list[set[str]] = []
    for clause in clauses[:12]:
        ev = extract(clause, lexicon, shown)
        k = set()
        if ev.slots.get("category"):
            k.add("search")
        if any(not r.deictic for r in ev.refs):
            k.add("items")
        if _BUY_CUE.search(fold(clause)):
            k.add("buy")
        if ev.attribute_keyword and not k and (_YESNO_RE.search(fold(clause)) or _WH_RE.search(fold(clause))):
            k.add("question")  # "size 42", "slim fit" in a list of wishes ask nothing
        if k:
            kinds.append(k)
    if len(kinds) < MIXED_CLAUSES or len(set().union(*kinds)) < 2:
        return None
    return clauses[0]


def _rules(text: str, lang: str, ev: Evidence, intent: str, confidence: float,
           probs: dict[str, float]) -> tuple[str, float]:
    """Cases the classifier should not decide alone."""
    explicit = {r.position for r in ev.refs if not r.deictic}
    folded = fold(text)
    has_slots = bool(ev.mentions or ev.negated or ev.slots.get("price_min") is not None
                     or ev.slots.get("price_max") is not None or ev.slots.get("size"))
    if lang == "other" and not has_slots and not ev.refs:
        return "chitchat", max(confidence if intent == "chitchat" else 0.0, 0.9)
    if not explicit and has_slots and re.search(r"\binstead\b|换成|改成|换个", folded) and (
            intent == "ask_detail" or _asks_availability(text, ev)):
        # "got it in navy instead?" (blind set 5, e125): a change to the request, not a question about the item
        return "refine", max(confidence, probs.get("refine", 0.0))
    if _asks_availability(text, ev) and intent != "ask_detail":
        return "ask_detail", max(confidence, probs.get("ask_detail", 0.0))
    if intent == "buy" and not ev.refs and not ev.described and not _BUY_RE.search(folded) \
            and not _SURE_BUY_RE.search(folded) and not _BUY_CUE.search(folded):
        # "Small hoodies." (SIMMC even, 6600/0): nothing pointed at and no word of buying is no purchase
        second = max((p, i) for i, p in probs.items() if i != "buy")
        return second[1], second[0]
    other_kind = any(m.slot == "category" and m.value == ev.slots.get("category")
                     and not any(a <= m.start < b for a, b in ev.described) for m in ev.mentions)
    if intent == "ask_detail" and not explicit and (not ev.described or other_kind) and _SHOW_ME_RE.search(folded) \
            and (not ev.refs or ev.slots.get("category")) and (
            has_slots or ev.slots.get("rating_min") is not None or ev.slots.get("price_direction")
            or _WISH_WORD_RE.search(folded)):
        # "do you have anything sleeveless with good reviews?", "show me only options available in large": no
        # shown item is asked about; the shopper narrows the search. "that coat will be great. Can you also show
        # me some shoes in a size L?" (SIMMC even, 5556/2): another kind than the one pointed at is a new search
        if other_kind and any(m.slot == "category" and m.value != ev.slots.get("category")
                              and any(a <= m.start < b for a, b in ev.described) for m in ev.mentions):
            return "search", max(confidence, probs.get("search", 0.0))
        return "refine", max(confidence, probs.get("refine", 0.0))
    if intent == "ask_detail" and not explicit and re.search(r"\binstead\b|换成|改成|换个", folded) and has_slots:
        # "got it in navy instead?": a change to the request, not a question about the item
        return "refine", max(confidence, probs.get("refine", 0.0))
    if ev.cleared and intent not in ("search", "refine"):
        # "any colour is fine", "颜色无所谓": a change to the request, not a question about colour
        return "refine", max(confidence, probs.get("refine", 0.0))
    if intent == "reset" and not _RESET_CUE_RE.search(folded):
        # "at least 4 stars" (blind set 5, e139): starting over needs words of starting over
        second = max((p, i) for i, p in probs.items() if i != "reset")
        return second[1], second[0]
    sure_buy = _SURE_BUY_RE.search(folded) is not None
    if (intent in ("buy", "compare", "like", "ask_detail", "refine", "search", "reject", "chitchat")
            or (sure_buy and intent == "critique")) \
            and (ev.refs or ev.described) and not re.search(r"\bor\b|还是|或者", folded) and (
                sure_buy or (_BUY_RE.search(folded) and not _WH_RE.search(folded)
                             and not _YESNO_RE.search(folded))):
        # "I'll take the black coat and the grey one", "give me that and the denim jacket", "第二个加购物车",
        # "入手第二个", "grab #3 for me", "1和3都要"
        return "buy", max(confidence, probs.get("buy", 0.0), BUY_RULE_CONFIDENCE if explicit else 0.0)
    act = None if _BUY_RE.search(folded) or _SURE_BUY_RE.search(folded) else _item_act(folded, ev, explicit)
    if act is not None and act != intent and (intent in ("like", "reject", "buy", "chitchat") or (
            intent == "compare" and len(explicit) >= 2)):
        # a shown item pointed at with words of liking or of turning it down, and no question about it: "digging
        # #2", "the first one isn't bad", "scratch #3", "第二个差点意思", "1 and 3 are a no", "2 and 4 are both nice"
        return act, max(probs.get(act, 0.0), ACT_RULE_CONFIDENCE if explicit else 0.0)
    items = len(explicit) + len(ev.described)
    if intent == "ask_detail" and len(explicit) != 1 and _COMPARE_WORD_RE.search(folded) and (
            items >= 2 or _SEVERAL_RE.search(folded)):
        # "How do the black and light grey jackets compare in rating?", "What are the differences in available
        # sizes for both of them?" (SIMMC even, 8732/2, 11392/1): a comparison said in so many words
        return "compare", max(confidence, probs.get("compare", 0.0))
    if intent == "ask_detail" and not explicit and ev.attribute_keyword and _THEM_RE.search(folded):
        # "What are their available sizes and brands?", "Can you tell me how much they cost?", "Tell me about the
        # reviews on those two dresses." (SIMMC even, 7360/2, 12408/4, 10548/2): an attribute of several shown
        # items at once; the chat answers about several items only for a comparison (about one item, the one
        # in focus, for a question)
        return "compare", max(confidence, probs.get("compare", 0.0))
    if items >= 2 and intent not in ("compare", "buy", "reject", "like") and _COMPARE_CUE.search(folded):
        return "compare", max(confidence, probs.get("compare", 0.0))
    if intent == "compare" and items < 2 and not any(r.deictic for r in ev.refs) \
            and not _COMPARE_CUE.search(folded):
        second = max((p, i) for i, p in probs.items() if i != "compare")
        return second[1], second[0]
    return intent, confidence


# "哪个最便宜", "which of these has the best reviews", "这三个哪个最保暖": a choice among the shown items.
_WHICH_BEST_RE = re.compile(r"(?:哪个|哪一个|哪款|哪件|哪双)[^，,。!！?？]{0,8}(?:最|更)|\bwhich\b[^,.!?]{0,50}"
                            r"(?:\bbest\b|\bmost\b|\b(?!(?:suggest|request|interest|honest|modest|forest|invest|protest|digest|harvest|contest|test|rest|west|chest|vest|guest|quest|nest|arrest|manifest)\b)\w+est\b|\b(?:cheaper|better|warmer|lighter|bigger|smaller|nicer)\b|\b(?:more|less) (?:expensive|pricey|costly)\b)", re.A)
# The shown items named as a group: "those two grey trousers", "of these", "the three of them".
_SHOWN_GROUP_RE = re.compile(r"\b(?:these|those|the)\s+(?:two|three|four|2|3|4)\b|\bof (?:these|those|them)\b|这(?:两|三|几)", re.A)
# Something else than the list's items: the video, pictures ("看看第三个的视频", "第四个有没有实拍图").
_MEDIA_RE = re.compile(r"视频|实拍|真人图|图片|照片|\bvideos?\b|\bclips?\b|\bpics?\b|\bphotos?\b|\bpictures?\b", re.A)
# A relative change against what is shown: "更运动风的", "再便宜点", "a bit more sporty", "less flashy".
_COMPARATIVE_RE = re.compile(r"更(?!新|多|换)|再[^，,。\s]{1,3}(?:一)?点|\b(?:a bit|a little|bit|slightly|kinda|way|much)\s+"
                             r"(?:more|less)\b|\bmore \w+(?:y|ful|ish|al|ic)\b|\bless (?!than)\w+|\b\w+er ones\b|\bout of my "
                             r"(?:price )?range\b", re.A)
# Asking about an attribute of what is shown, in words the classifier reads as a wish: "I'd like to know the
# prices and ratings of the two light blue jeans", "How much for the brown?", "Brands please. And sizes.", "I should
# have asked what they're rated", "Can I have brand and size info on those?" (SIMMC even dialogs, ASK:GET).
_ASKS_ABOUT_RE = re.compile(
    r"\b(?:want|like|need|love)\s+to\s+know\b|\b(?:should|could|would)(?:\s+(?:have|probably|also|first))*\s+"
    r"(?:asked|ask|found out|find out|inquired|inquire|checked|check)\b|\bfind out\b|\binquir(?:e|ed|ing) about\b|"
    r"\blet me know\b|\b(?:info|information|details) (?:on|about|for)\b|\b(?:size|price|brand|rating|review)s?\s+info\b|"
    r"^\s*how much (?:for|is|are|was|were|would|do|does)\b|"
    r"^\s*(?:and\s+)?(?:the\s+)?(?:brands?|sizes?|prices?|ratings?|reviews?)\s*(?:please|pls|plz)?\s*(?:[.?!]|$)", re.A)
# Gift and occasion words: an opening request even without a kind of item ("老妈60岁生日送啥好").
_OPENING_RE = re.compile(r"礼物|送(?!货|到)|生日|纪念日|过节|推荐|看看|逛逛|\bgifts?\b|\bpresents?\b|\bbirthday|\bbday\b|"
                         r"\banniversary\b|\bideas?\b|\bbrowsing\b|\bsurprise me\b|\brecommend", re.A)


def _in_context(text: str, ev: Evidence, intent: str, confidence: float, probs: dict[str, float],
                shown: int | None) -> tuple[str, float]:
    """What the classifier cannot know from the words alone: nothing shown yet, a choice among the shown items."""
    folded = fold(text)
    explicit = {r.position for r in ev.refs if not r.deictic}
    named = bool(ev.mentions or ev.negated or ev.slots.get("price_min") is not None
                 or ev.slots.get("price_max") is not None or ev.slots.get("size") or ev.slots.get("rating_min"))
    if shown == 0 and not ev.refs:
        # nothing on screen: there is nothing to be "more" of or to critique, and an opening that names a kind of
        # item, a recipient or an occasion is a request; a bare value ("150以内", "green") answers a question
        if intent in ("more", "critique") or (intent == "refine" and (
                ev.slots.get("category") or ev.slots.get("gender") or _OPENING_RE.search(folded)
                or len(text) > 16)):
            return "search", max(probs.get("search", 0.0), confidence if intent != "search" else 0.0)
    if intent in ("refine", "chitchat", "ask_detail", "search", "critique") \
            and (not ev.slots.get("category") or _SHOWN_GROUP_RE.search(folded)) \
            and _WHICH_BEST_RE.search(folded) and (shown is None or shown >= 2) and len(explicit) != 1:
        return "compare", max(confidence, probs.get("compare", 0.0))
    if intent in ("refine", "search", "critique", "like", "buy") and ev.attribute_keyword and (shown is None or shown > 0) \
            and ev.slots.get("price_min") is None and ev.slots.get("price_max") is None and not ev.cleared \
            and _ASKS_ABOUT_RE.search(folded):
        return "ask_detail", max(confidence, probs.get("ask_detail", 0.0))
    if intent in ("ask_detail", "chitchat", "critique") and shown and _ONLY_THESE_RE.search(folded):
        # "就这些吗" (blind set 3, b342), "就这几个？" (blind set 5, e193): asking for more than these
        return "more", max(confidence, probs.get("more", 0.0))
    if intent == "search" and shown and not ev.refs and _MORE_OF_RE.search(folded):
        return "refine", max(confidence, probs.get("refine", 0.0))
    if intent in ("like", "reject", "more") and explicit and _MEDIA_RE.search(folded):
        return "ask_detail", max(confidence, probs.get("ask_detail", 0.0))
    if intent == "chitchat" and named and len(text) <= 40 and (shown is None or shown > 0):
        # "预算提到五百", "large pls", "4.5分以上的": a constraint, not small talk
        return "refine", max(confidence, probs.get("refine", 0.0))
    if intent == "critique" and not ev.refs and _WISH_WORD_RE.search(folded) and not _COMPARATIVE_RE.search(folded):
        # "are any of them long sleeve and cheap?", "anything inexpensive, with long sleeves?" (SIMMC even, 11322/6,
        # 7360/3): wishes stated outright, one with no slot of its own, narrow the request; nothing is weighed
        # against what is shown
        return "refine", max(confidence, probs.get("refine", 0.0))
    if intent == "refine" and not ev.refs and _COMPARATIVE_RE.search(folded) and not any(
            ev.slots.get(k) for k in ("color", "brand", "category", "size", "material", "pattern")):
        return "critique", max(confidence, probs.get("critique", 0.0))
    return intent, confidence


# Other items asked for by likeness to one described ("anything like the black coat but from River Chateau",
# "something similar to the grey coat in size M", "a coat like the black one with good reviews"): the SIMMC even
# dialogs' INFORM:GET turns. The described item is the exemplar: its colours describe it and are not asked for
# (unless the likeness is in colour); what is said outside it (a size, a brand, another colour, "affordable",
# "with good reviews") narrows the request.
_INDEFINITE_RE = re.compile(r"\b(?:anything|something|others|else|options?|alternatives?)\b|\b(?:a|an|any|some|other|more)\s+"
                            r"(?:[a-z-]+\s+){1,3}(?:like|similar)\b|\bwhat (?:else )?(?:do|did|can|could) (?:you|u) "
                            r"(?:have|got|show|find)\b", re.A)
_LIKENESS_RE = re.compile(r"(?<!\bi )(?<!'d )(?<!\bd )(?<!\bwould )(?<!\bdo )(?<!\bdon't )(?<!\bwe )(?<!\byou )"
                          r"\blike\b(?!\s+to\b)|"
                          r"\bsimilar(?:ly)?\b|\bresembl\w*|\bclose to\b|\bsame (?:[a-z]+ ){0,2}as\b", re.A)
_EXEMPLAR_END_RE = re.compile(r"\bbut\b|\bexcept\b|\bexcluding\b|[,;?!]|\.(?:\s|$)|"
                              r"\bin\b(?!\s+(?:the|that|this|those|these|its|their|an?(?!\s+size))\b)|"
                              r"\bmade by\b|\bby\b|\bfrom\b|\bwith\b|\bthat (?:is|are|comes?|has)\b", re.A)
_DEFINITE_RE = re.compile(r"\b(?:the|that|this|those|these|them|it|either|both|yours)\b", re.A)
_LIKE_IN_COLOUR_RE = re.compile(r"\b(?:similar|same|like)\s+(?:in\s+)?(?:terms of\s+)?colou?rs?\b|\bcolou?rs? (?:is|are) "
                                r"(?:the )?same\b|\b(?:their|its|the) colou?rs?\b", re.A)


def _look_alike(text: str, ev: Evidence, intent: str, confidence: float, probs: dict[str, float],
                shown: int | None) -> tuple[str, float, Evidence]:
    """A request for items like a described one: its colours dropped, and read as a refinement when it asks for
    something besides the likeness."""
    if not shown or any(not r.deictic for r in ev.refs):
        return intent, confidence, ev  # "more like #2" / "类似第一个的" stay as they are read (like / more)
    folded = fold(text)
    likeness = _LIKENESS_RE.search(folded)
    if likeness is None or not _INDEFINITE_RE.search(folded[:likeness.end()]):
        return intent, confidence, ev
    stop = _EXEMPLAR_END_RE.search(folded, likeness.end())
    # the exemplar: from the likeness word to the first word that says something else ("but", "in", "by", ...);
    # "similar in brand and size to the grey pair": the words between likeness and "to" belong to it too
    lo = likeness.start()
    hi = stop.start() if stop is not None else len(folded)
    if stop is not None and stop.group() == "in" and re.match(r"\s*(?:terms of\s+)?(?:[a-z]+(?:\s+and\s+|,\s*)?){1,4}"
                                                          r"(?:\s*to|\s*as)\b", folded[stop.end():]):
        after = re.search(r"\b(?:to|as)\b", folded[stop.end():])
        nxt = _EXEMPLAR_END_RE.search(folded, stop.end() + after.end()) if after else None
        hi = nxt.start() if nxt is not None else len(folded)
    if not _DEFINITE_RE.search(folded, likeness.end(), hi):
        return intent, confidence, ev  # "anything like a red dress": no shown item is the exemplar
    inside = [m for m in ev.mentions if lo <= m.start < hi]
    outside = [m for m in ev.mentions if not lo <= m.start < hi and m.slot != "category"]
    keep_colour = _LIKE_IN_COLOUR_RE.search(folded) is not None
    drop = [m for m in inside if m.slot == "color" and not keep_colour
            and not any(o.slot == "color" and o.value == m.value for o in outside)]
    if drop:
        mentions = [m for m in ev.mentions if m not in drop]
        slots = dict(ev.slots)
        colours = [m.value for m in mentions if m.slot == "color"]
        if colours:
            slots["color"] = list(dict.fromkeys(colours))
        else:
            slots.pop("color", None)
        ev = dataclasses.replace(ev, mentions=mentions, slots=slots)
    asks_more = bool(outside or ev.negated or ev.slots.get("size") or ev.slots.get("price_direction")
                     or ev.slots.get("price_min") is not None or ev.slots.get("price_max") is not None
                     or ev.slots.get("rating_min") is not None or _WISH_WORD_RE.search(folded[hi:]))
    if asks_more and intent in ("ask_detail", "compare", "like", "buy"):
        # "Is there anything like the black coats but from River Chateau?": a narrower request, not a question
        # about the coats, a comparison of them, or a liking
        return "refine", max(probs.get("refine", 0.0), 0.5), ev
    return intent, confidence, ev


def _with_exemplar(found: dict | None, ev: Evidence, intent: str, confidence: float,
                   probs: dict[str, float]) -> tuple[str, float, Evidence, Exemplar | None]:
    """Others asked for by likeness to an item in view ("same brand as the second one", "a similar price as
    these", "something like the grey coat", "和第一个一样的颜色"): the exemplar is read apart (what to keep from it,
    how it is described, its positions); its own colours and brand describe it and are not asked for, and the
    message is a request (refine) rather than a question about it, a comparison or a liking. "more like #2" or "more
    like this one", nothing kept but the kind, stays a liking (the chat's like pivots to look-alikes of it)."""
    if found is None:
        return intent, confidence, ev, None
    lo, hi = found["span"]
    keep = found["keep"]
    if keep == ["category"] and found["item_refs"] and not found["described"]:
        return intent, confidence, ev, None  # "more like #2", "more like this one": a liking of the item named
    outside = {(m.slot, m.value) for m in ev.mentions if not lo <= m.start < hi}
    drop = [m for m in ev.mentions if lo <= m.start < hi and m.slot in ("color", "brand") and m.slot not in keep
            and (m.slot, m.value) not in outside]
    if drop:
        mentions = [m for m in ev.mentions if m not in drop]
        slots = dict(ev.slots)
        for slot in ("color", "brand"):
            values = list(dict.fromkeys(m.value for m in mentions if m.slot == slot))
            if not values:
                slots.pop(slot, None)
            else:
                slots[slot] = values if slot == "color" else values[0]
        ev = dataclasses.replace(ev, mentions=mentions, slots=slots)
    # the exemplar's own references belong to it, not to the request
    ev = dataclasses.replace(ev, refs=[r for r in ev.refs if not (lo <= r.start < hi) and not (lo == hi and r.deictic)])
    if intent not in ("search", "refine", "more"):
        intent, confidence = "refine", max(probs.get("refine", 0.0), 0.5)
    exemplar = Exemplar(keep=keep, described=found["described"], item_refs=found["item_refs"],
                        plural=found["plural"])
    return intent, confidence, ev, exemplar


def _item_act(folded: str, ev: Evidence, explicit: set[int]) -> str | None:
    """"like" or "reject" when a message that points at shown items (by position, "this", or a description) has
    the words of only one of them and asks nothing; else None. "not bad" likes, "don't like" turns down."""
    if not (ev.refs or ev.described) or _YESNO_RE.search(folded) or _WH_RE.search(folded):
        return None
    if len(explicit) >= 2 and re.search(r"\bor\b|还是|或者|\bvs\b|比较|对比|区别|\bdifference\b|\bcompare", folded):
        return None
    likes = _LIKE_CUE_RE.search(folded) is not None
    rejects = _REJECT_CUE_RE.search(folded) is not None
    if likes and rejects and re.search(r"\b(?:not|isn'?t|wasn'?t) (?:half )?bad\b|不差|不错", folded) and not \
            re.search(r"不要|不喜欢|\bdon'?t\b|\bscratch|\bremove", folded):
        rejects = False
    if likes == rejects:
        return None
    return "like" if likes else "reject"


def _understood(text: str, ev: Evidence, intent: str) -> tuple[Request, Refs, str | None]:
    """The request the message states, the items it points at, and a price direction."""
    s: dict[str, Any] = {}
    for key, value in ev.slots.items():
        if key == "gender" and value not in _GENDERS:
            continue
        if key not in ("price_direction", "rating_min") and value not in (None, [], ""):
            s[key] = list(value) if isinstance(value, list) else value
    refs: dict[str, Any] = {}
    pointed = [r for r in ev.refs if not (r.deictic and intent not in _DEIXIS_INTENTS)]
    pos = positions(pointed)
    if intent == "ask_detail" and s.get("category") and any(
            m.slot == "category" and m.value == s["category"] and _THIS_KIND_RE.search(text[:m.start])
            for m in ev.mentions):
        # "这手机保修多久", "warranty on this laptop?" (blind set 5, e268 / e283): the kind names the item shown,
        # it asks for no other kind
        s.pop("category")
        if not pos:
            pos = [FOCUS]
    if intent == "compare" and len(pos) == 1 and pos[0] == FOCUS:
        pos = []
    if not pos and intent == "like" and not ev.described:
        pos = [FOCUS]  # "that's cute", "love it": the item under discussion
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
        if attribute == "gender" and re.search(r"还是|\bor\b", folded):
            s.pop("gender", None)  # "第四个是男款还是女款": both named, neither asked for
    return Request.model_validate(s), Refs(**refs), direction
