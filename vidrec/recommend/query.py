"""Read the hard constraints out of a one-shot search query with simple rules (the full NLU is `vidrec.nlu`).

Terms are mapped to the catalog's own labels: a catalog whose category is "Dress" gets it from 连衣裙/dress/dresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vidrec.vocabulary import (
    COLOUR_VOCABULARY,
    GENDER_VOCABULARY,
    MATERIAL_VOCABULARY,
    Taxonomy,
    Term,
    Vocabulary,
)

_NEGATION = re.compile(r"(不要|不想要|别|除了|非|no |not |without |except |excluding )\s*$", re.IGNORECASE)


def detect_lang(text: str) -> str:
    """"zh" when the text has any CJK ideograph, else "en"."""
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"


@dataclass
class ParsedQuery:
    """Constraints found in a query, as the catalog's labels."""

    text: str
    lang: str
    categories: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    colors_exclude: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    gender: str | None = None
    material: str | None = None
    price_min: float | None = None
    price_max: float | None = None
    terms: list[Term] = field(default_factory=list)  # every recognised term, for query expansion

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("terms", "text") and v not in (None, [])}
        return d

    def expansion(self) -> str:
        """English and Chinese names of the recognised terms, appended to the query for cross-language matching."""
        words: list[str] = []
        for t in self.terms:
            words += [t.canonical, t.en_name, t.zh_name]
        return " ".join(dict.fromkeys(w for w in words if w))

    def dense_text(self, query: str) -> str:
        """What the text encoder embeds for `query`: the query plus each recognised term's English and Chinese name that the
        query does not already contain, once (case-insensitive). Shorter than the keyword expansion: the
        encoder's cost grows with every token (~2 ms each on one core), and the canonical label repeats a name."""
        words = [query.strip()]
        seen = query.lower()
        for t in self.terms:
            for w in (t.en_name, t.zh_name):
                if w and w.lower() not in seen:
                    words.append(w)
                    seen += " " + w.lower()
        return " ".join(w for w in words if w) or " "


class QueryReader:
    """Reads queries against one catalog's vocabulary (its categories, colours and brands)."""

    def __init__(self, taxonomy: Taxonomy, categories: list[str], brands: list[str]):
        self.taxonomy = taxonomy
        # catalog label -> built-in term it corresponds to (by name or synonym)
        self.category_labels: dict[str, list[str]] = {}
        for label in categories:
            term = taxonomy.lookup(label)
            key = term.canonical if term else label
            self.category_labels.setdefault(key, []).append(label)
        extra_terms = [Term(label) for label in categories if taxonomy.lookup(label) is None]
        self.categories = Vocabulary([*taxonomy.terms, *extra_terms])
        self.brands = Vocabulary(Term(b, (b.lower(),)) for b in brands if b)

    def read(self, text: str) -> ParsedQuery:
        from vidrec.nlu.numbers import parse_price_range

        q = ParsedQuery(text=text, lang=detect_lang(text))
        for term, _s, _ in self.categories.find_all(text):
            labels = self.category_labels.get(term.canonical, [])
            if labels:
                q.categories += [lb for lb in labels if lb not in q.categories]
                q.terms.append(term)
        for term, s, _ in COLOUR_VOCABULARY.find_all(text):
            if _NEGATION.search(text[max(0, s - 12):s]):
                q.colors_exclude.append(term.canonical)
            elif term.canonical not in q.colors:
                q.colors.append(term.canonical)
                q.terms.append(term)
        for term, _, _ in self.brands.find_all(text):
            q.brands.append(term.canonical)
        genders = GENDER_VOCABULARY.find_all(text)
        if genders:
            q.gender = genders[0][0].canonical
            q.terms.append(genders[0][0])
        materials = MATERIAL_VOCABULARY.find_all(text)
        if materials:
            q.material = materials[0][0].canonical
            q.terms.append(materials[0][0])
        q.price_min, q.price_max = parse_price_range(text)
        return q
