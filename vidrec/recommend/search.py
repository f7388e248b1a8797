"""One-shot search: hard filters inside the index, dense text↔item and text↔picture similarity, BM25, attribute
matches; each hit with the second to start playing and a reason citing evidence."""

from __future__ import annotations

import bisect
import dataclasses
import logging
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from vidrec.errors import InputError
from vidrec.library import Library
from vidrec.nlu.language import reply_language
from vidrec.nlu.schema import Parse
from vidrec.recommend.explain import cited, explain
from vidrec.request import REGISTRY, Attribute, Request
from vidrec.store.vector_index import Filter
from vidrec.understand.calibration import UNSURE_INDEX_KEY, unsure_index
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy, Term

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000
# Blend of the signals (each scaled to roughly [0, 1] over the candidates).
WEIGHTS = {"text": 0.40, "image": 0.20, "lexical": 0.15, "attributes": 0.25}
# Attributes whose values are the catalog's own labels: a one-shot query naming one the catalog lacks ("a
# handbag" in a clothes shop) does not filter on it.
GROUNDED = ("category", "brand")


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

    def __getattr__(self, name: str):
        # Called only for an attribute the hit does not have: a hit from `Searcher.search` works out its why-line
        # and start second when one of them is first read (`_explained`). A chat turn searches for up to 200
        # candidates several times and shows 4 of them, and explaining each candidate was 9 % of a turn's CPU on
        # the demo store (BENCHMARKS, issue 20, NAME=speed, 2026-12-06). The values are the same either way.
        pending = self.__dict__.get("_pending")
        if pending is None or name not in ("why", "start"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        why, start = _explained(*pending)
        self.__dict__.setdefault("why", why)  # a value set on the hit before it was read stays
        self.__dict__.setdefault("start", start)
        self.__dict__.pop("_pending", None)
        return self.__dict__[name]


def _explained(profile: ItemProfile, matched: dict, taxonomy: Taxonomy, lang: str,
               shot_starts: _ShotStarts) -> tuple[str, float | None]:
    """A hit's why-line, citing what was asked for, and the second to start playing: where the cited evidence
    is, else (or when nothing is cited) the item's shot most like the query."""
    why, start = explain(profile, matched, taxonomy, lang)
    if start is None or not matched:
        shot_start = shot_starts.get(profile.id)
        if shot_start is not None:
            start = shot_start
    return why, start


class _ShotStarts:
    """The start second of each hit's shot most like the query, for all the hits of one search: found (one
    filtered vector search, `Searcher._best_shot_starts`) when the first hit needs one."""

    def __init__(self, searcher: Searcher, qv: np.ndarray, item_ids: list[str]):
        self._args: tuple | None = (searcher, np.array(qv, dtype=np.float32), item_ids)  # a copy: read later
        self._starts: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, item_id: str) -> float | None:
        with self._lock:
            if self._args is not None:
                searcher, qv, item_ids = self._args
                self._starts = searcher._best_shot_starts(qv, item_ids)
                self._args = None
        return self._starts.get(item_id)


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
    the vector and keyword indexes, the NLU): pass `warm_up=False` to skip that.
    """

    def __init__(self, store: Library, text_encoder=None, candidates: int = 200, warm_up: bool = True):
        from vidrec.encoders.query_cache import CachedTextEncoder
        from vidrec.encoders.text import default_text_encoder

        self.store = store
        # shoppers repeat themselves ("more", "cheaper", the same request again): remember query embeddings
        self.text = text_encoder or CachedTextEncoder(default_text_encoder())
        self.candidates = candidates
        self.catalog = {name: set(store.distinct(name)) for name in GROUNDED}
        self._unsure: dict[str, dict[str, set[str]]] | None = None
        self._lexicon = None
        if warm_up:
            self.warm_up()

    @property
    def lexicon(self):
        """The NLU lexicon of this store's catalog (built on first use)."""
        if self._lexicon is None:
            self._lexicon = self.store.lexicon()
        return self._lexicon

    def warm_up(self) -> None:
        """Load the models and indexes a query needs (seconds, once) so that the first queries are fast."""
        t0 = time.perf_counter()
        for query in ("红色连衣裙 300元以内", "blue shoes under 200"):
            self.search(query, k=3)
        self.text.encode(["warm up"], kind="passage")
        log.debug("searcher warmed up in %.2f s", time.perf_counter() - t0)

    def parse(self, query: str) -> Parse:
        """What the NLU understands in a one-shot query (the same reading as the chat's)."""
        from vidrec.nlu import parse

        return parse(query, {"lexicon": self.lexicon})

    def search(self, query: str, k: int = 10, *, parsed: Parse | Request | None = None, lang: str | None = None,
               base_filter: Filter | None = None, query_vector: np.ndarray | None = None,
               expand: bool = True) -> SearchResult:
        """The k best items for `query`.

        `parsed`: the query's `Parse` (default: `parse(query)`), whose request is grounded in the catalog (a
        category or brand the catalog does not have filters nothing); or a `Request` used as it is (the dialog's,
        accumulated over turns). `lang`: the reply language (default: the parse's). `expand`: add the English and
        Chinese names of what is asked for to the query (off when the caller's text already names them).
        """
        if len(query) > MAX_QUERY_CHARS:
            raise InputError(f"query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
        if k < 1:
            raise InputError("k must be at least 1")
        if parsed is None:
            parsed = self.parse(query)
        if isinstance(parsed, Parse):
            request = self.grounded(parsed.request)
            lang = lang or reply_language(query, parsed.lang, "en")
        else:
            request = parsed
            lang = lang or "en"
        flt = request.to_filter(base_filter)
        terms = self.terms(request) if expand else []
        expanded = f"{query} {expansion(terms)}".strip() or " "
        qv = query_vector if query_vector is not None else self.text.encode([dense_text(query, terms)],
                                                                              kind="query")[0]
        n = max(self.candidates, k * 5)
        # an item has one text vector and at most one picture vector
        text_hits = {h.item_id: h.score for h in self.store.search_vectors(
            qv, n, _with_kind(flt, "text"), vectors_per_item=1)}
        image_hits = {h.item_id: h.score for h in self.store.search_vectors(
            qv, n, _with_kind(flt, "image"), vectors_per_item=1)}
        relaxed = self._unsure_scope(flt)
        if relaxed is not None:  # unsure values are a soft preference: their items compete, never filtered out
            for hits, kind in ((text_hits, "text"), (image_hits, "image")):
                for h in self.store.search_vectors(qv, n, _with_kind(relaxed, kind), vectors_per_item=1):
                    hits.setdefault(h.item_id, h.score)
        allowed = None
        if not flt.is_empty():
            allowed = set(text_hits) | set(image_hits)
        lexical = dict(self.store.search_keywords(expanded, n, ids=allowed)) if expanded.strip() else {}
        candidates = set(text_hits) | set(image_hits) | set(lexical)
        understood = parsed_json(request, lang)
        if not candidates:
            return SearchResult(query=query, parsed=understood, results=[])
        t, im, lx = _minmax(text_hits), _minmax(image_hits), _minmax(lexical)
        # The attribute score needs the item's profile (a row read and validated: the costly part at 1k items).
        # It is at most WEIGHTS["attributes"], so profiles are read best-first by the other signals, and reading
        # stops once no unread item can reach the k-th best final score: the same top k as scoring them all.
        # (-score, id) pairs sort best first, ties by id, as plain tuples (no key function); negating is exact, so
        # -(a + b) == -a - b and the scores are the same floats as summing first
        wt, wi, wl, wa = WEIGHTS["text"], WEIGHTS["image"], WEIGHTS["lexical"], WEIGHTS["attributes"]
        prelim = sorted((-(wt * t.get(i, 0.0) + wi * im.get(i, 0.0) + wl * lx.get(i, 0.0)), i) for i in candidates)
        profiles: dict[str, ItemProfile] = {}
        scored: list[tuple[float, str]] = []  # (-final score, id), best first
        for neg, i in prelim:
            if len(scored) >= k and -neg + wa < -scored[k - 1][0]:
                break
            p = self.store.profile(i)
            if p is None:
                continue
            profiles[i] = p
            bisect.insort(scored, (neg - wa * self._attribute_score(p, request), i))
        top = [(-neg, i) for neg, i in scored[:k]]
        starts = _ShotStarts(self, qv, [i for _, i in top])
        matched = cited(request)
        hits = [self._hit(profiles[i], s, matched, lang, starts) for s, i in top]
        return SearchResult(query=query, parsed=understood, results=hits)

    def grounded(self, request: Request) -> Request:
        """The request with only the categories and brands this catalog has."""
        out = request.model_copy(deep=True)
        for name, labels in self.catalog.items():
            a = REGISTRY.get(name)
            kept = [v for v in out.all(name) if v in labels]
            out.set(name, kept if a.multi else (kept[0] if kept else None))
        return out

    def terms(self, request: Request) -> list[Term]:
        """The request's vocabulary terms; a catalog category the taxonomy does not know stands for itself."""
        taxonomy: Taxonomy = self.store.taxonomy
        terms = [taxonomy.lookup(c) or Term(c) for c in request.all("category")]
        return terms + request.terms()

    @property
    def unsure(self) -> dict[str, dict[str, set[str]]]:
        """facet -> value -> items whose inferred category / colour is unsure and names that value as its guess or
        a runner-up: the index each ingest run saves in the store, else built from the profiles (on first use)."""
        if self._unsure is None:
            meta = getattr(getattr(self.store, "store", None), "metadata", None)
            saved = meta.get_meta(UNSURE_INDEX_KEY) if meta is not None else None
            index = saved if isinstance(saved, dict) else unsure_index(self.store.profiles())
            self._unsure = {facet: {v: set(ids) for v, ids in (index.get(facet) or {}).items()}
                            for facet in ("category", "colors")}
        return self._unsure

    def _unsure_scope(self, flt: Filter) -> Filter | None:
        """`flt` without its category and colour conditions, kept to the items whose unsure category or colour
        could be what those conditions ask for; None when there are none."""
        if flt.category is None and flt.colors_any is None:
            return None
        ids: set[str] = set()
        for facet, wanted in (("category", flt.category), ("colors", flt.colors_any)):
            for v in wanted or ():
                ids |= self.unsure[facet].get(str(v).casefold(), set())
        if flt.item_ids is not None:
            ids &= flt.item_ids
        if not ids:
            return None
        return dataclasses.replace(flt, category=None, colors_any=None, item_ids=ids)

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

    @staticmethod
    def _attribute_score(profile: ItemProfile, request: Request) -> float:
        """How well the item's inferred attributes match what was asked, weighted by their confidence (0..1):
        the mean over the ranking attributes the request names."""
        wanted = 0
        got = 0.0
        for a in REGISTRY:
            values = request.all(a.name) if a.ranks else []
            if values:
                wanted += 1
                got += _match(a, profile, values)
        return got / wanted if wanted else 0.0

    def _hit(self, profile: ItemProfile, score: float, matched: dict, lang: str,
             shot_starts: _ShotStarts) -> SearchHit:
        """The hit; its why-line and start second are worked out when first read (`SearchHit.__getattr__`)."""
        price = profile.value("price")
        colors = profile.value("colors") or []
        hit = SearchHit(id=profile.id, title=profile.display_title(), price=price if isinstance(price, (int, float))
                        else None, score=round(float(score), 4), start=None, why="",
                        category=profile.value("category"), colors=[str(c) for c in colors])
        del hit.why, hit.start
        hit.__dict__["_pending"] = (profile, matched, self.store.taxonomy, lang, shot_starts)
        return hit


def _match(a: Attribute, profile: ItemProfile, wanted: list) -> float:
    """How well one attribute of an item matches the values asked for, 0..1."""
    if a.compare == "family":
        # the item's first colour is worth most, another of its colours less, the same family least
        attr = profile.attributes.get(a.profile_key)
        values = [str(v) for v in (attr.value if attr else [])]
        conf = attr.confidence if attr else 0.0
        families = {(COLOUR_VOCABULARY.get(v).family or v) for v in values if COLOUR_VOCABULARY.get(v)}
        best = 0.0
        for c in wanted:
            if values and values[0] == c:
                best = max(best, 1.0)
            elif c in values:
                best = max(best, 0.7)
            elif (COLOUR_VOCABULARY.get(c).family or c) in families:
                best = max(best, 0.4)
        return best * (0.5 + 0.5 * conf)
    if a.by_confidence:
        attr = profile.attributes.get(a.profile_key)
        return attr.confidence if attr and attr.value in wanted else 0.0
    have = profile.value(a.profile_key)
    if have is None:
        return a.unknown_score
    return 1.0 if a.matches(have, [*wanted, *a.universal]) else 0.0


def parsed_json(request: Request, lang: str) -> dict:
    """What a search understood, as its JSON has always said it: {"lang", "categories", "colors",
    "colors_exclude", "brands", "gender", "material", "price_min", "price_max"} (what is set), then any other
    attribute under its JSON key."""
    out: dict = {"lang": lang}
    for a in REGISTRY:
        if a.compare == "range":
            continue
        values = request.all(a.name)
        key = {"category": "categories", "colour": "colors", "brand": "brands"}.get(a.name)
        if values:
            out[key or a.key] = values if key or a.multi else values[0]
        if a.name == "colour" and request.excluded_values(a.name):
            out["colors_exclude"] = request.excluded_values(a.name)
    lo, hi = request.range("price")
    if lo is not None:
        out["price_min"] = lo
    if hi is not None:
        out["price_max"] = hi
    return out


def expansion(terms: list[Term]) -> str:
    """English and Chinese names of the recognised terms, appended to the query for cross-language matching."""
    words: list[str] = []
    for t in terms:
        words += [t.canonical, t.en_name, t.zh_name]
    return " ".join(dict.fromkeys(w for w in words if w))


def dense_text(query: str, terms: list[Term]) -> str:
    """What the text encoder embeds for `query`: the query plus each recognised term's English and Chinese name that
    the query does not already contain, once (case-insensitive). Shorter than the keyword expansion: the encoder's
    cost grows with every token (~2 ms each on one core), and the canonical label repeats a name."""
    words = [query.strip()]
    seen = query.lower()
    for t in terms:
        for w in (t.en_name, t.zh_name):
            if w and w.lower() not in seen:
                words.append(w)
                seen += " " + w.lower()
    return " ".join(w for w in words if w) or " "


def _with_kind(f: Filter, kind: str) -> Filter:
    g = Filter(**f.__dict__)
    g.kind = kind
    return g
