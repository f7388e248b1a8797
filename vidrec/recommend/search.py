"""One-shot search: hard filters inside the index, dense text↔item and text↔picture similarity, BM25, attribute
matches; each hit with the second to start playing and a reason citing evidence."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from vidrec.errors import InputError
from vidrec.library import Library
from vidrec.recommend.explain import explain
from vidrec.recommend.query import ParsedQuery, QueryReader
from vidrec.store.vector_index import Filter
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import COLOUR_VOCABULARY

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000
# Blend of the signals (each scaled to roughly [0, 1] over the candidates).
WEIGHTS = {"text": 0.40, "image": 0.20, "lexical": 0.15, "attributes": 0.25}


@dataclass
class SearchHit:
    id: str
    title: str
    price: float | None
    score: float
    start: float | None
    why: str
    category: str | None = None
    colors: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    parsed: dict
    results: list[SearchHit]

    def to_dict(self) -> dict:
        return {"query": self.query, "parsed": self.parsed, "results": [asdict(h) for h in self.results]}


def _minmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return {k: 1.0 for k in scores}
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


class Searcher:
    """Searches one store. Build once and reuse: it caches the catalog's vocabulary.

    Building it warms up everything a first query would otherwise pay for (the text encoder, jieba's dictionary,
    the vector and keyword indexes, the query reader): pass `warm_up=False` to skip that.
    """

    def __init__(self, store: Library, text_encoder=None, candidates: int = 200, warm_up: bool = True):
        from vidrec.encoders.query_cache import CachedTextEncoder
        from vidrec.encoders.text import default_text_encoder

        self.store = store
        # shoppers repeat themselves ("more", "cheaper", the same request again): remember query embeddings
        self.text = text_encoder or CachedTextEncoder(default_text_encoder())
        self.candidates = candidates
        self.reader = QueryReader(store.taxonomy, store.distinct("category"),
                                  store.distinct("brand"))
        if warm_up:
            self.warm_up()

    def warm_up(self) -> None:
        """Load the models and indexes a query needs (seconds, once) so that the first queries are fast."""
        t0 = time.perf_counter()
        for query in ("红色连衣裙 300元以内", "blue shoes under 200"):
            self.search(query, k=3)
        self.text.encode(["warm up"], kind="passage")
        log.debug("searcher warmed up in %.2f s", time.perf_counter() - t0)

    def parse(self, query: str) -> ParsedQuery:
        return self.reader.read(query)

    def search(self, query: str, k: int = 10, *, parsed: ParsedQuery | None = None,
               base_filter: Filter | None = None, query_vector: np.ndarray | None = None) -> SearchResult:
        if len(query) > MAX_QUERY_CHARS:
            raise InputError(f"query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
        if k < 1:
            raise InputError("k must be at least 1")
        parsed = parsed or self.parse(query)
        flt = self._filter(parsed, base_filter)
        expanded = f"{query} {parsed.expansion()}".strip() or " "
        qv = query_vector if query_vector is not None else self.text.encode([parsed.dense_text(query)], kind="query")[0]
        n = max(self.candidates, k * 5)
        # an item has one text vector and at most one picture vector
        text_hits = {h.item_id: h.score for h in self.store.search_vectors(
            qv, n, _with_kind(flt, "text"), vectors_per_item=1)}
        image_hits = {h.item_id: h.score for h in self.store.search_vectors(
            qv, n, _with_kind(flt, "image"), vectors_per_item=1)}
        allowed = None
        if not flt.is_empty():
            allowed = set(text_hits) | set(image_hits)
        lexical = dict(self.store.search_keywords(expanded, n, ids=allowed)) if expanded.strip() else {}
        candidates = set(text_hits) | set(image_hits) | set(lexical)
        if not candidates:
            return SearchResult(query=query, parsed=parsed.to_dict(), results=[])
        t, im, lx = _minmax(text_hits), _minmax(image_hits), _minmax(lexical)
        # The attribute score needs the item's profile (a row read and validated: the costly part at 1k items).
        # It is at most WEIGHTS["attributes"], so profiles are read best-first by the other signals, and reading
        # stops once no unread item can reach the k-th best final score: the same top k as scoring them all.
        prelim = sorted(((WEIGHTS["text"] * t.get(i, 0.0) + WEIGHTS["image"] * im.get(i, 0.0)
                          + WEIGHTS["lexical"] * lx.get(i, 0.0), i) for i in candidates), key=lambda x: (-x[0], x[1]))
        profiles: dict[str, ItemProfile] = {}
        scored: list[tuple[float, str]] = []
        for base, i in prelim:
            if len(scored) >= k and base + WEIGHTS["attributes"] < scored[k - 1][0]:
                break
            p = self.store.profile(i)
            if p is None:
                continue
            profiles[i] = p
            scored.append((base + WEIGHTS["attributes"] * self._attribute_score(p, parsed), i))
            scored.sort(key=lambda x: (-x[0], x[1]))
        top = scored[:k]
        starts = self._best_shot_starts(qv, [i for _, i in top])
        hits = [self._hit(profiles[i], s, parsed, starts.get(i)) for s, i in top]
        return SearchResult(query=query, parsed=parsed.to_dict(), results=hits)

    def _best_shot_starts(self, qv: np.ndarray, item_ids: list[str]) -> dict[str, float]:
        """The start second of each item's shot most like the query (one filtered vector search for all)."""
        if not item_ids:
            return {}
        out: dict[str, float] = {}
        for h in self.store.search_vectors(qv, len(item_ids), Filter(item_ids=set(item_ids), kind="shot")):
            payload = self.store.vector_payload(h.vector_id or "") or {}
            if "start" in payload:
                out[h.item_id] = float(payload["start"])
        return out

    def _filter(self, parsed: ParsedQuery, base: Filter | None) -> Filter:
        f = Filter(**{k: v for k, v in (base.__dict__ if base else {}).items()})
        if parsed.categories:
            f.category = set(parsed.categories) if f.category is None else f.category & set(parsed.categories)
        if parsed.price_min is not None:
            f.price_min = parsed.price_min if f.price_min is None else max(f.price_min, parsed.price_min)
        if parsed.price_max is not None:
            f.price_max = parsed.price_max if f.price_max is None else min(f.price_max, parsed.price_max)
        if parsed.colors_exclude:
            f.colors_none = set(parsed.colors_exclude) | (f.colors_none or set())
        if parsed.brands:
            f.brand = set(parsed.brands)
        return f

    @staticmethod
    def _attribute_score(profile: ItemProfile, parsed: ParsedQuery) -> float:
        """How well the item's inferred attributes match what was asked, weighted by their confidence (0..1)."""
        wanted = 0
        got = 0.0
        if parsed.colors:
            wanted += 1
            colours = profile.attributes.get("colors")
            values = [str(v) for v in (colours.value if colours else [])]
            conf = colours.confidence if colours else 0.0
            families = {(COLOUR_VOCABULARY.get(v).family or v) for v in values if COLOUR_VOCABULARY.get(v)}
            best = 0.0
            for c in parsed.colors:
                if values and values[0] == c:
                    best = max(best, 1.0)
                elif c in values:
                    best = max(best, 0.7)
                elif (COLOUR_VOCABULARY.get(c).family or c) in families:
                    best = max(best, 0.4)
            got += best * (0.5 + 0.5 * conf)
        if parsed.gender:
            wanted += 1
            g = profile.value("gender")
            got += 1.0 if g in (parsed.gender, "Unisex") else (0.5 if g is None else 0.0)
        if parsed.material:
            wanted += 1
            got += 1.0 if profile.value("material") == parsed.material else 0.0
        if parsed.categories:
            wanted += 1
            cat = profile.attributes.get("category")
            got += (cat.confidence if cat and cat.value in parsed.categories else 0.0)
        return got / wanted if wanted else 0.0

    def _hit(self, profile: ItemProfile, score: float, parsed: ParsedQuery, shot_start: float | None) -> SearchHit:
        matched: dict[str, object] = {}
        if parsed.colors:
            matched["color"] = parsed.colors[0]
        if parsed.categories:
            matched["category"] = parsed.categories[0]
        if parsed.material:
            matched["material"] = parsed.material
        if parsed.price_max is not None or parsed.price_min is not None:
            matched["price"] = None
        why, start = explain(profile, matched, self.store.taxonomy, parsed.lang)
        if shot_start is not None and (start is None or not matched):
            start = shot_start
        price = profile.value("price")
        colors = profile.value("colors") or []
        return SearchHit(id=profile.id, title=profile.display_title(), price=price if isinstance(price, (int, float))
                         else None, score=round(float(score), 4), start=start, why=why,
                         category=profile.value("category"), colors=[str(c) for c in colors])


def _with_kind(f: Filter, kind: str) -> Filter:
    g = Filter(**f.__dict__)
    g.kind = kind
    return g
