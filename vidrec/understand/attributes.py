"""Fuse attributes from every modality: metadata, title/description text, speech, on-screen text and pixels.

Metadata wins when present; a different value seen elsewhere is recorded as a conflict. Every inferred value
carries a confidence and the evidence it rests on (modality, seconds, words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from vidrec.catalog import Item
from vidrec.request import REGISTRY
from vidrec.understand.calibration import calibrate
from vidrec.understand.profile import Attribute, Evidence, Modality, ScreenText, ShotSummary, TranscriptLine
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy, Term, Vocabulary, fold_text

# How much one mention in each modality counts. Titles are written by the seller about this very product;
# speech and captions usually are too, but also mention other things ("also in black").
MODALITY_WEIGHT: dict[str, float] = {"text": 1.0, "ocr": 0.8, "speech": 0.7, "visual": 1.0}
# Colour from pixels is right about two times in three (bench/eval_colour.py); a colour the seller names is right far
# more often. When a title, caption or narration names a colour, pixel votes count this much (at most 1.2 x 0.5 =
# 0.6, below one spoken mention): they still add to a named colour they also see, and choose among named ones.
VISUAL_COLOUR_WHEN_NAMED = 0.5
# The same for categories: pixel votes (1.6 x probability) count half when a text names a category.
VISUAL_CATEGORY_WHEN_NAMED = 0.5


@dataclass
class TextSpan:
    """A piece of text from one modality, with the seconds it covers (None for metadata text)."""

    modality: Modality
    text: str
    start: float | None = None
    end: float | None = None


@dataclass
class Observations:
    """Everything the pipeline saw in one video, before fusion."""

    item: Item
    transcript: list[TranscriptLine] = field(default_factory=list)
    ocr: list[ScreenText] = field(default_factory=list)
    shots: list[ShotSummary] = field(default_factory=list)
    visual_category: list[tuple[str, float]] = field(default_factory=list)  # (canonical, probability)
    visual_colours: list[tuple[str, float]] = field(default_factory=list)  # (canonical, share of product pixels)
    picture_quality: dict[str, float] = field(default_factory=dict)  # calibration.picture_quality of the keyframes

    def spans(self) -> list[TextSpan]:
        out: list[TextSpan] = []
        for text in (self.item.title, self.item.description, " ".join(self.item.tags)):
            if text:
                out.append(TextSpan("text", text))
        out += [TextSpan("speech", t.text, t.start, t.end) for t in self.transcript]
        out += [TextSpan("ocr", o.text, o.start, o.end) for o in self.ocr]
        return out


@dataclass
class _Vote:
    score: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    modalities: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def _metadata_value(item: Item, name: str) -> str | None:
    """The catalog's value for an attribute, from any of the columns the request registry lists for it."""
    attribute = REGISTRY.find(name)
    for key in (attribute.columns if attribute is not None and attribute.columns else (name,)):
        value = item.extra.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _mention_votes(vocab: Vocabulary, spans: Iterable[TextSpan], find=None) -> dict[str, _Vote]:
    votes: dict[str, _Vote] = defaultdict(_Vote)
    for span in spans:
        counted: set[str] = set()
        for term, s, e, *factor in (find or vocab.find_all)(span.text):
            if term.canonical in counted:
                continue
            counted.add(term.canonical)
            w = MODALITY_WEIGHT[span.modality] * (factor[0] if factor else 1.0)
            vote = votes[term.canonical]
            vote.score += w
            vote.modalities[span.modality] += w
            vote.evidence.append(Evidence(modality=span.modality, start=span.start, end=span.end,
                                          text=_snippet(span.text, s, e)))
    return votes


_NEXT_WORD = re.compile(r"\s+([A-Z][A-Za-z'&]*)")
# A colour word that may start a proper name and is the only colour its text names ("Red Tape Semi Casual Shoe",
# "Blue Slim Fit Jeans") counts this much of a mention, so that what the pixels see decides between them. Fitted on
# the tune split of real product display names with their photos (bench/eval_caption_colour.py --pixels --fit).
PROPER_NAME_COLOUR_WEIGHT = 0.3


def colour_mentions(text: str, taxonomy: Taxonomy, brands: Iterable[str] = (),
                    name_weight: float | None = None) -> list[tuple[Term, int, int, float]]:
    """The colours a text names, each with how much it counts: [(term, start, end, weight)].

    A colour inside a known brand name ("Red Tape", "Black Coffee" when the catalog lists them) does not count. A
    colour word that leads the text and starts a proper name (the next word is capitalised and belongs to no
    vocabulary: "Red Tape Men Brown Casual Shoes") does not count when the text names another colour, and counts
    PROPER_NAME_COLOUR_WEIGHT when it is the only one. Further in, an unknown capitalised word after a colour is far
    more often a product word than a name ("Blue Slim Fit Shirt", "Brown Wedges").
    """
    found = COLOUR_VOCABULARY.find_all(text)
    if not found:
        return []
    weight = PROPER_NAME_COLOUR_WEIGHT if name_weight is None else name_weight
    masked = [False] * len(text)
    folded = fold_text(text)
    for brand in brands:
        b = fold_text(brand.strip())
        if len(b) < 2 or not any(c.isalpha() for c in b):
            continue
        for m in re.finditer(r"(?<![a-z0-9])" + re.escape(b) + r"(?![a-z0-9])", folded):
            for i in range(m.start(), min(m.end(), len(masked))):
                masked[i] = True
    kept = [(t, s, e) for t, s, e in found if not any(masked[s:e])]
    named = set()
    for t, s, e in kept:
        m = _NEXT_WORD.match(text, e)
        if not text[:s].strip() and m and text[s:e][:1].isupper() and not _is_known_word(m.group(1), taxonomy):
            named.add((t.canonical, s))
    plain = [(t, s, e, 1.0) for t, s, e in kept if (t.canonical, s) not in named]
    if plain:
        return plain
    return [(t, s, e, weight) for t, s, e in kept if weight > 0]


def _is_known_word(word: str, taxonomy: Taxonomy) -> bool:
    if taxonomy.find_all(word) or COLOUR_VOCABULARY.find_all(word):
        return True
    return any(a.vocabulary.find_all(word) for a in REGISTRY.with_vocabulary() if a.vocabulary is not None)


def _snippet(text: str, start: int, end: int, width: int = 24) -> str:
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    return ("…" if lo > 0 else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")


def _decide(votes: dict[str, _Vote], total_weight: float) -> tuple[str, float, _Vote] | None:
    if not votes:
        return None
    best, vote = max(votes.items(), key=lambda kv: kv[1].score)
    confidence = vote.score / max(total_weight, vote.score, 1e-9)
    return best, round(min(1.0, confidence), 3), vote


def _source(vote: _Vote) -> Modality:
    return max(vote.modalities.items(), key=lambda kv: kv[1])[0]  # type: ignore[return-value]


def _with_metadata(name: str, meta_value: str, meta_canonical: str | None, votes: dict[str, _Vote],
                   keep_label: bool = False) -> Attribute:
    """The metadata value decides; values seen elsewhere that differ are kept as conflicts.

    `keep_label` keeps the catalog's own label (categories are the platform's words) instead of the canonical one.
    """
    conflicts = []
    for other, vote in sorted(votes.items(), key=lambda kv: -kv[1].score):
        if meta_canonical is not None and other == meta_canonical:
            continue
        if other.lower() == meta_value.lower():
            continue
        conflicts.append({"value": other, "source": _source(vote), "score": round(vote.score, 3),
                          "evidence": [e.model_dump() for e in vote.evidence[:3]]})
    value = meta_value if keep_label else (meta_canonical or meta_value)
    agreeing = votes.get(meta_canonical or meta_value)
    support = [e for e in (agreeing.evidence if agreeing else []) if e.start is not None][:3]
    return Attribute(value=value, confidence=1.0, source="metadata",
                     evidence=[Evidence(modality="metadata", text=f"{name}: {meta_value}"), *support],
                     conflicts=conflicts[:5])


def infer_attributes(obs: Observations, taxonomy: Taxonomy, known_brands: Iterable[str] = (),
                     find_prices=None) -> dict[str, Attribute]:
    """Fuse every attribute vidrec knows about from the observations of one video."""
    spans = obs.spans()
    attrs: dict[str, Attribute] = {}
    cat = _category(obs, spans, taxonomy)
    if cat:
        attrs["category"] = cat
    colours = _colours(obs, spans, taxonomy, known_brands)
    if colours:
        attrs.update(colours)
    price = _price(obs, spans, find_prices)
    if price:
        attrs["price"] = price
    brand = _brand(obs, spans, known_brands)
    if brand:
        attrs["brand"] = brand
    for attribute in REGISTRY.with_vocabulary():
        if attribute.name == "colour":  # fused with the pixels' votes above
            continue
        attr = _vocab_attribute(attribute.key, attribute.vocabulary, obs.item, spans)
        if attr:
            attrs[attribute.key] = attr
    return calibrate(attrs, quality=obs.picture_quality)


def infer_category(obs: Observations, taxonomy: Taxonomy) -> Attribute | None:
    """The category alone, calibrated (what re-inference after the catalog learned new prototypes redoes)."""
    cat = _category(obs, obs.spans(), taxonomy)
    return calibrate({"category": cat}, quality=obs.picture_quality)["category"] if cat else None


# In a Latin-script product name the head noun comes last ("Pepe Jeans Men Casual Sunglasses", "Puma Men Sports
# Shoes"): a category named before another one in the same text (a brand, a modifier) counts this much of a
# mention. Fitted on the tune split (bench/eval_named.py --fit).
NOT_HEAD_WEIGHT = 0.5
# A generic word its category lists ("shoes" for Casual Shoes, while Sports and Formal Shoes end in it too) counts
# this much of a mention, so that a fuller name elsewhere in the video ("Formal Shoes") wins. Fitted on the tune
# split (bench/eval_named.py --fit).
GENERIC_WEIGHT = 0.5
# A word the speech recogniser or the OCR got one letter wrong ("Curtis" for "Kurtis", "Sandais") names the category
# it is one edit away from, at this much of a mention. Fitted on the tune split (bench/eval_named.py --fit).
NEAR_MISS_WEIGHT = 0.5
_BUILT_IN = Taxonomy.default()
_WORD = re.compile(r"[A-Za-z]{6,}")  # shorter words are one letter from too many others ("watch": "match")


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one substituted, inserted or deleted letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]


def _near_misses(text: str, taken: list[tuple[int, int]], taxonomy: Taxonomy) -> list[tuple[Term, int, int]]:
    """Words of six letters or more that no vocabulary knows (nor the built-in categories: "shorts" is not a
    misheard "shirts") and that are one edit from a one-word category name."""
    names = [n for n in taxonomy.names() if n.isascii() and n.isalpha() and len(n) >= 5]
    out = []
    for m in _WORD.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        word = m.group(0).lower()
        if _is_known_word(word, taxonomy) or _BUILT_IN.find_all(word):
            continue
        near = {taxonomy.lookup(n).canonical: n for n in names if _one_edit(word, n)}
        if len(near) == 1:
            out.append((taxonomy.lookup(next(iter(near.values()))), m.start(), m.end()))
    return out


def category_mentions(text: str, taxonomy: Taxonomy, not_head: float | None = None, near_miss: float | None = None,
                      heard: bool = False) -> list[tuple[Term, int, int, float]]:
    """The categories a text names, each with how much it counts: [(term, start, end, weight)].

    A family word no category lists (`Taxonomy.family`: "shoes" among "Running Shoes", "Dress Shoes") names each
    of its categories with weight 1/n, so what else is seen (the pictures) chooses among them; a generic word its
    category lists ("shoes" for Casual Shoes) counts GENERIC_WEIGHT. When a Latin-script text names several
    categories, each one named before the last, head-noun one counts `not_head` (NOT_HEAD_WEIGHT). In a text that
    was `heard` or read off the screen (speech, OCR), a word one letter away from a one-word category name counts
    `near_miss` (NEAR_MISS_WEIGHT)."""
    w_not_head = NOT_HEAD_WEIGHT if not_head is None else not_head
    w_near = NEAR_MISS_WEIGHT if near_miss is None else near_miss
    w_generic = GENERIC_WEIGHT
    out: list[tuple[Term, int, int, float]] = []
    exact = taxonomy.find_all(text)
    near = _near_misses(text, [(s, e) for _, s, e in exact], taxonomy) if heard and w_near > 0 else []
    found = [(term, s, e, taxonomy.family(text[s:e]) or (term,)) for term, s, e in sorted(exact + near,
                                                                                           key=lambda m: m[1])]
    near_at = {(s, e) for _, s, e in near}
    latin = [m for m in found if all(ord(ch) < 0x2E80 for ch in text[m[1]:m[2]])]
    head = {t.canonical for t in max(latin, key=lambda m: m[1])[3]} if latin else set()
    for term, s, e, members in found:
        weight = (w_near if (s, e) in near_at else 1.0) / len(members)
        if taxonomy.is_generic(text[s:e]):
            weight *= w_generic
        if (term, s, e, members) in latin and not head & {t.canonical for t in members}:
            weight *= w_not_head  # named before the head noun, and not what the head noun names
        out += [(m, s, e, weight) for m in members]
    return sorted(out, key=lambda m: -m[3])  # a category named twice in one text counts its strongest mention


def _category(obs: Observations, spans: list[TextSpan], taxonomy: Taxonomy) -> Attribute | None:
    heard = {span.text for span in spans if span.modality in ("speech", "ocr")}
    mentions_in = {span.text: category_mentions(span.text, taxonomy, heard=span.text in heard) for span in spans}
    votes = _mention_votes(taxonomy, spans, mentions_in.__getitem__)
    total = sum(MODALITY_WEIGHT[s.modality] for s in spans if mentions_in[s.text])
    pixel_weight = 1.6 * (VISUAL_CATEGORY_WHEN_NAMED if votes else 1.0)  # pixels decide when nothing names one
    for canonical, prob in obs.visual_category[:5]:
        if prob <= 0:
            continue
        vote = votes[canonical]
        w = MODALITY_WEIGHT["visual"] * pixel_weight * prob
        vote.score += w
        vote.modalities["visual"] += w
        times = [s for s in obs.shots if s.category == canonical]
        vote.evidence.append(Evidence(modality="visual", start=times[0].start if times else None,
                                      end=times[-1].end if times else None,
                                      text=f"looks like {canonical} (p={prob:.2f})"))
        total += w
    meta = obs.item.category
    if meta:
        term = taxonomy.lookup(meta)
        return _with_metadata("category", meta, term.canonical if term else None, votes, keep_label=True)
    decided = _decide(votes, total)
    if decided is None:
        return None
    value, confidence, vote = decided
    return Attribute(value=value, confidence=confidence, source=_source(vote), evidence=vote.evidence[:6],
                     conflicts=_others(votes, value))


def _others(votes: dict[str, _Vote], chosen: str) -> list[dict]:
    """The runner-up values; `named` when a text, caption or speech named one (not only pixels)."""
    return [{"value": k, "source": _source(v), "score": round(v.score, 3),
             "named": any(v.modalities.get(m, 0) > 0 for m in ("text", "ocr", "speech"))}
            for k, v in sorted(votes.items(), key=lambda kv: -kv[1].score) if k != chosen and v.score > 0][:3]


def _colours(obs: Observations, spans: list[TextSpan], taxonomy: Taxonomy,
             known_brands: Iterable[str] = ()) -> dict[str, Attribute]:
    brands = [b for b in known_brands if b] + ([obs.item.brand] if obs.item.brand else [])

    mentions_in = {span.text: colour_mentions(span.text, taxonomy, brands) for span in spans}  # each text read once
    votes = _mention_votes(COLOUR_VOCABULARY, spans, mentions_in.__getitem__)
    total = 0.0
    plainly_named = False
    for span in spans:
        mentions = mentions_in[span.text]
        if mentions:
            strength = max(m[3] for m in mentions)
            total += MODALITY_WEIGHT[span.modality] * strength
            plainly_named = plainly_named or strength >= 1.0
    pixel_weight = 1.2 * (VISUAL_COLOUR_WHEN_NAMED if plainly_named else 1.0)
    for canonical, share in obs.visual_colours[:3]:
        if share <= 0:
            continue
        vote = votes[canonical]
        w = MODALITY_WEIGHT["visual"] * pixel_weight * share
        vote.score += w
        vote.modalities["visual"] += w
        shots = [s for s in obs.shots if canonical in s.colors]
        vote.evidence.append(Evidence(modality="visual", start=shots[0].start if shots else None,
                                      end=shots[-1].end if shots else None,
                                      text=f"{canonical} in {share:.0%} of the product's pixels"))
        total += w
    out: dict[str, Attribute] = {}
    meta = _metadata_value(obs.item, "color")
    if meta:
        term = COLOUR_VOCABULARY.lookup(meta)
        primary = _with_metadata("color", meta, term.canonical if term else None, votes)
        out["color"] = primary
        out["colors"] = Attribute(value=[primary.value], confidence=1.0, source="metadata",
                                  evidence=primary.evidence)
        return out
    decided = _decide(votes, total)
    if decided is None:
        return out
    value, confidence, vote = decided
    out["color"] = Attribute(value=value, confidence=confidence, source=_source(vote), evidence=vote.evidence[:6],
                             conflicts=_others(votes, value))
    ranked = sorted(votes.items(), key=lambda kv: -kv[1].score)
    best_score = ranked[0][1].score
    secondary = [k for k, v in ranked if v.score >= 0.35 * best_score][:3]
    out["colors"] = Attribute(value=secondary, confidence=confidence, source=_source(vote),
                              evidence=[e for k in secondary for e in votes[k].evidence[:2]])
    return out


def _price(obs: Observations, spans: list[TextSpan], find_prices) -> Attribute | None:
    votes: dict[float, _Vote] = defaultdict(_Vote)
    if find_prices is not None:
        for span in spans:
            if span.modality not in ("speech", "ocr", "text"):
                continue
            for mention in find_prices(span.text):
                vote = votes[round(float(mention.value), 2)]
                w = MODALITY_WEIGHT[span.modality]
                vote.score += w
                vote.modalities[span.modality] += w
                vote.evidence.append(Evidence(modality=span.modality, start=span.start, end=span.end,
                                              text=_snippet(span.text, mention.start, mention.end)))
    if obs.item.price is not None:
        meta = obs.item.price
        conflicts = [{"value": v, "source": _source(vote), "evidence": [e.model_dump() for e in vote.evidence[:3]]}
                     for v, vote in votes.items() if abs(v - meta) > 0.005]
        evidence = [Evidence(modality="metadata", text=f"price: {meta:g}")]
        if meta in votes:
            evidence += votes[meta].evidence[:3]
        return Attribute(value=meta, confidence=1.0, source="metadata", evidence=evidence, conflicts=conflicts)
    if not votes:
        return None
    total = sum(v.score for v in votes.values())
    value, vote = max(votes.items(), key=lambda kv: (kv[1].score, -kv[0]))
    return Attribute(value=value, confidence=round(vote.score / total, 3), source=_source(vote),
                     evidence=vote.evidence[:6], conflicts=_others({str(k): v for k, v in votes.items()}, str(value)))


def _brand(obs: Observations, spans: list[TextSpan], known_brands: Iterable[str]) -> Attribute | None:
    if obs.item.brand:
        return Attribute(value=obs.item.brand, confidence=1.0, source="metadata",
                         evidence=[Evidence(modality="metadata", text=f"brand: {obs.item.brand}")])

    brands = [b for b in {b.strip() for b in known_brands} if len(b) >= 2]
    if not brands:
        return None
    votes = _mention_votes(Vocabulary(Term(b) for b in brands), spans)
    decided = _decide(votes, sum(v.score for v in votes.values()))
    if decided is None:
        return None
    value, confidence, vote = decided
    return Attribute(value=value, confidence=confidence, source=_source(vote), evidence=vote.evidence[:6])


def _vocab_attribute(name: str, vocab: Vocabulary, item: Item, spans: list[TextSpan]) -> Attribute | None:
    votes = _mention_votes(vocab, spans)
    meta = _metadata_value(item, name)
    if meta:
        term = vocab.lookup(meta)
        return _with_metadata(name, meta, term.canonical if term else None, votes)
    decided = _decide(votes, sum(v.score for v in votes.values()))
    if decided is None:
        return None
    value, confidence, vote = decided
    return Attribute(value=value, confidence=confidence, source=_source(vote), evidence=vote.evidence[:6],
                     conflicts=_others(votes, value))


def describe(attrs: dict[str, Attribute], taxonomy: Taxonomy, lang: str = "en") -> str | None:
    """A short description for an item with no title, built from what was inferred ("Red Dresses · 红色连衣裙")."""
    cat = attrs.get("category")
    col = attrs.get("color")
    if not cat and not col:
        return None
    term = taxonomy.lookup(str(cat.value)) if cat else None
    colour_term = COLOUR_VOCABULARY.lookup(str(col.value)) if col else None
    en = " ".join(x for x in (colour_term.canonical if colour_term else None,
                              term.canonical if term else (str(cat.value) if cat else None)) if x)
    zh = "".join(x for x in (colour_term.zh_name if colour_term else None,
                             term.zh_name if term else None) if x)
    return f"{en} · {zh}" if zh and zh != en else en


def search_text(profile_attrs: dict[str, Attribute], item: Item, transcript: list[TranscriptLine],
                ocr: list[ScreenText], taxonomy: Taxonomy) -> str:
    """The text indexed for retrieval: metadata text, inferred attributes in both languages, speech, captions."""
    parts: list[str] = [x for x in (item.title, item.description, item.brand, " ".join(item.tags)) if x]
    for name, attr in profile_attrs.items():
        values = attr.value if isinstance(attr.value, list) else [attr.value]
        for v in values:
            if name == "price":
                continue
            vocab = taxonomy if name == "category" else REGISTRY.vocabulary_of(name)
            term = vocab.lookup(str(v)) if vocab else None
            if term:
                parts.append(f"{term.canonical} {term.en_name} {term.zh_name}")
            else:
                parts.append(str(v))
    parts += [t.text for t in transcript]
    parts += [o.text for o in ocr]
    seen: dict[str, None] = {}
    for p in parts:
        seen.setdefault(p.strip(), None)
    return "\n".join(p for p in seen if p)
