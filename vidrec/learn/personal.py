"""The trained user model applied to a list of candidates: what a user's taste does to a ranking.

The rules of the blend (chat: `vidrec.dialog.ranking.blended_scores`; `vidrec search --user`: `rerank_hits`):
- The request decides. Chat ranks the items that meet every condition of the request before any that do not, and
  the taste only re-orders within each group; it moves a candidate's relevance by at most a few times
  `USER_MODEL_WEIGHT` (the taste is z-scored over the candidates). A request that names no condition at all
  ("recommend me something") leaves the page to the taste: `USER_VAGUE_WEIGHT`.
- The model's weight grows with what it knows of the user (`confidence`: the items in the user's training history,
  h / (h + `USER_HALF_HISTORY`)): a user who chose one item weighs less than one who chose a season's worth.
- New items reach the user through content: the taste is the model's score mixed with the cosine between a
  candidate's picture vector and the mean picture of what the user liked, carted or bought (`USER_CONTENT_SHARE`);
  an item the model cannot score (ingested after its training) is judged by content alone.
- The taste also reads what the chosen items are, from the store's item profiles (`AttributeTaste`): the share of
  the user's choices in each colour and brand, and where their prices sit within their categories (the price
  band); `USER_ATTRIBUTE_SHARE` of the taste. Pictures carry a colour weakly across categories (a brown wallet and
  brown sandals look alike to no picture model) and a price not at all; the profile says both.
- The taste brings its own candidates: a request that names no colour ("recommend me something", "jeans") also
  searches the user's colours (`taste_colours`), up to `TASTE_POOL` more candidates that meet the request, at the
  lowest score of the request's own; without them a vague request's 40 candidates held few items of the user's
  colours for the taste to lift (the closed loop's vague sessions fell back to the base rate after one page).
- Items the user already bought are not suggested again as new finds: they rank after every other
  candidate of their group (still shown when nothing else meets the request), except in the categories a store
  lists as bought again (`Blend.repeat_categories`; none by default: a fashion catalogue's items are not
  consumables). This holds with or without a trained model: the store's own records say what was bought.
The three weights were fitted on a tune catalogue with `bench/eval_closed_loop.py --blends` (BENCHMARKS, NAME=blend).

`PersonalRanker` mixes the two on equal footing instead, for callers that want taste to weigh as much as the
request (`weight` 0 ignores the user, 1 ranks by taste alone):

    ranker = PersonalRanker.open(store)            # None when no model has been trained
    ranker.rerank("U123", [(item_id, relevance), ...], weight=0.3)

Both score lists are standardised over the candidates (z-scores) before mixing. A user the model has never
seen and who brings no history leaves the ranking unchanged (`knows` says so, for the reply to mention it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from vidrec.errors import ConfigError, NotFoundError
from vidrec.learn.models import Recommender
from vidrec.learn.trained import load_trained_model

log = logging.getLogger(__name__)

# Fitted on the tune catalogue (BENCHMARKS, NAME=blend; re-fitted by NAME=learn2 once chat stopped logging shown
# cards as views, so a history counts choices only): how far a fully known user's taste (z-scored) moves a
# candidate's relevance; the training-history size at which the model's confidence in a user is one half (was 10
# when ~70 views per user counted; 1, 3 and 10 compared on a history of choices); and the content's share of the
# taste (0, 0.5, 1 compared again: 1 kept).
USER_MODEL_WEIGHT = 0.3
USER_HALF_HISTORY = 1.0
USER_CONTENT_SHARE = 1.0
USER_VAGUE_WEIGHT = 3.0  # the full weight when the request names no condition ("recommend me something")
# the full weight among the close matches of another kind, ordered by how much their pictures look like the kind
# asked for (`vidrec.dialog.ranking.taste_look_alikes`; picture cosines, a narrower scale than a search's relevance).
# Fitted on the tune store, bank 1, seeds 0+1 (BENCHMARKS, NAME=learn, 2026-12-06: 0, 0.05, 0.1, 0.3, 1.0 compared,
# 0.05 best; on dev, bank 2, seeds 0+1, 0.1 gave 0 / +2 of 64 hunts within 3 turns, 0.3 and 1.0 cost turns)
USER_LOOK_ALIKE_WEIGHT = 0.05
TASTE_EVENTS = 2  # events at least as strong as a like (`EVENT_STRENGTH`) say what the user likes
# Fitted on the tune catalogue (BENCHMARKS, NAME=learn2; 0, 0.5, 1 and 0, 1 compared): what is left of the taste's
# lift for an item this session already showed (`lift_damped`: 0 = the candidates' floor), and for one the user
# already liked, carted or bought (1: damping it changed no hunt and took the user's colour out of vague sessions)
SEEN_LIFT = 0.0
KNOWN_LIFT = 1.0
# The share of the taste taken by what the chosen items' profiles say (colour, brand, price position within the
# category: `AttributeTaste`) against their pictures (the rest: picture cosine, or the model's score). Fitted on the
# tune catalogue (BENCHMARKS, NAME=learn, 2026-12-05; 0, 0.3, 0.5, 0.7, 1.0 compared over two seeds: 0.7)
USER_ATTRIBUTE_SHARE = 0.7
# within the attribute taste: how much each attribute counts (colour, brand, price position, kind of item). Price
# 0.5, 1, 2 compared (1 kept); colour is the unit; brand is not fitted (the simulated shoppers have no brand taste
# and the bare tune store infers no brand: 0 and 0.5 gave the same sessions); the kind: 0.5 is the least that keeps
# a shopper who sticks to one kind served it first (tests/dialog/test_chat_personal.py: at 0 the profile's colours
# drowned the pictures' kind), and with simulated shoppers who keep to two kinds (eval_closed_loop --kind-taste 0.7;
# BENCHMARKS NAME=learn, 2026-12-06, issue 18 "a style taste") 0, 0.5, 1, 2 on tune and 0, 0.5, 1 on dev gave the
# same success@3 and turns within 0.03; 0.5 gave the vague sessions the most of the user's colour and price band on
# tune and dev (1 and 2: more of their kinds, less of their colour), so it stays
ATTRIBUTE_WEIGHTS = {"colour": 1.0, "brand": 0.5, "price": 1.0, "category": 0.5}
# The taste's own candidates: a request that names no colour also searches the user's colours (those at least this
# share of their choices; not fitted), so items the request's search did not reach can be lifted (`taste_colours`);
# at most this many (0, 10, 20, 40 compared: 10-40 alike, 0 left vague sessions at 2.2-2.3x the colour's base rate)
TASTE_COLOUR_SHARE = 0.3
TASTE_POOL = 20
OWNED_EVENTS = 4  # a purchase: the user has it (not a cart: carts are left, and chat misreads some phrasings as one)
# `vidrec search --user` re-ranks by the model's scores alone (no store at hand for the content taste): main's
# weight, not fitted here (the closed loop measures chat)
SEARCH_MODEL_WEIGHT = 0.15
SEARCH_HALF_HISTORY = 10.0  # and main's confidence half-life (not refitted: the closed loop measures chat)
RERANK_POOL = 40  # candidates a personal search re-ranks before keeping its k (as many as a chat turn's)
Hit = TypeVar("Hit")


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    out = np.zeros_like(x)
    if finite.sum() >= 2:
        v = x[finite]
        sd = v.std()
        out[finite] = (v - v.mean()) / sd if sd > 0 else 0.0
    return out


def taste_boost(taste: Sequence[float], weight: float = USER_MODEL_WEIGHT) -> np.ndarray | None:
    """What a user's taste adds to the candidates' relevance: ``weight`` times the taste scores z-scored over the
    candidates. A candidate the model cannot score (NaN: an item ingested after it was trained) gets average taste
    (0), so new items neither switch personalisation off nor are pushed down; None when the scores say nothing
    (fewer than two finite ones, or all alike)."""
    t = np.asarray(taste, dtype=np.float64)
    finite = np.isfinite(t)
    if finite.sum() < 2 or t[finite].std() <= 0:
        return None
    return weight * _z(t)


def user_taste(model: Recommender | None, user_id: str | None) -> Callable[[list[str]], np.ndarray] | None:
    """The model's taste scores of candidate ids for this user, as a function; None without a model or a user,
    or for a user the model has no history of (its answer would be its training popularity, and the ranking
    already weighs the store's own popularity)."""
    if model is None or not user_id or not model.knows_user(user_id):
        return None
    return functools.partial(model.score, user_id)


def confidence(history_items: int, half: float = USER_HALF_HISTORY) -> float:
    """How much the model knows of a user, 0..1: h / (h + half) for h items in their training history."""
    h = max(0, int(history_items))
    return h / (h + half) if half > 0 else float(h > 0)


@dataclass(frozen=True)
class UserTaste:
    """What the ranking knows of one user beyond the session: the trained model's scores (None when the model does
    not know them), how many items the model learned the user from, the mean picture of what they liked, carted
    or bought (unit length; None without such events), and the items they bought."""

    user_id: str
    model_scores: Callable[[list[str]], Sequence[float]] | None = None
    history_items: int = 0
    profile: np.ndarray | None = None
    owned: frozenset[str] = field(default_factory=frozenset)
    known: frozenset[str] = field(default_factory=frozenset)  # what they liked, carted or bought: the profile's items
    attributes: AttributeTaste | None = None  # what the chosen items' profiles say (colour, brand, price position)

    @property
    def personal(self) -> bool:
        """Whether there is a long-term taste to blend in (owned items are handled either way)."""
        return self.model_scores is not None or self.profile is not None or self.attributes is not None

    def weight(self, full: float = USER_MODEL_WEIGHT, half: float = USER_HALF_HISTORY) -> float:
        """The taste's weight for this user: ``full`` times the model's `confidence` in them."""
        return full * confidence(self.history_items, half)

    def scores(self, ids: Sequence[str], vectors: Sequence[np.ndarray | None] | None,
               content_share: float = USER_CONTENT_SHARE, *, attribute_share: float = USER_ATTRIBUTE_SHARE,
               profiles: Sequence[Any] | None = None, attribute_weights: dict[str, float] | None = None) -> np.ndarray | None:
        """The user's taste for each candidate: (1 - attribute_share) times the picture-and-model taste
        (`picture_scores`) plus attribute_share times the attribute taste (`AttributeTaste.scores` of the
        candidates' ``profiles``, z-scored); either alone when the other says nothing.
        None when neither does."""
        base = self.picture_scores(ids, vectors, content_share) if attribute_share < 1 else None
        attrs = None
        if self.attributes is not None and attribute_share > 0 and profiles is not None \
                and len(profiles) == len(ids):
            a = self.attributes.scores(profiles, attribute_weights)
            attrs = _z_or_none(a) if a is not None else None
            attrs = np.nan_to_num(attrs, nan=0.0) if attrs is not None else None
        if attrs is None:
            return base
        if base is None:
            return attrs
        return (1 - attribute_share) * base + attribute_share * attrs

    def picture_scores(self, ids: Sequence[str], vectors: Sequence[np.ndarray | None] | None,
                       content_share: float = USER_CONTENT_SHARE) -> np.ndarray | None:
        """The user's taste for each candidate, z-scored over the candidates: (1 - content_share) times the
        model's score plus content_share times the picture's cosine with the user's profile; a candidate the
        model cannot score (new since training) by its picture alone, one with neither 0 (average). None when
        neither says anything."""
        n = len(ids)
        model = None
        if self.model_scores is not None and content_share < 1:
            try:
                m = np.asarray(self.model_scores(list(ids)), dtype=np.float64)
                if m.shape == (n,):
                    model = _z_or_none(m)
            except Exception as exc:  # noqa: BLE001 - an unknown user or a model problem never breaks a ranking
                log.info("user model not used: %s", exc)
        content = None
        if self.profile is not None and vectors is not None and content_share > 0 and len(vectors) == n:
            c = np.array([float(v @ self.profile) if v is not None else np.nan for v in vectors], dtype=np.float64)
            content = _z_or_none(c)
        if model is None and content is None:
            return None
        if content is None:
            return np.nan_to_num(model, nan=0.0)
        if model is None:
            return np.nan_to_num(content, nan=0.0)
        mixed = (1 - content_share) * model + content_share * content
        out = np.where(np.isfinite(model), mixed, content)  # new items: content alone
        return np.nan_to_num(out, nan=0.0)


def lift_damped(boost: np.ndarray, ids: Sequence[str], seen: Collection[str], known: Collection[str],
                seen_lift: float = SEEN_LIFT, known_lift: float = KNOWN_LIFT) -> np.ndarray:
    """A taste boost adjusted for two kinds of candidate.

    - Items this session already showed and the shopper passed over (``seen``): the session's own turns decide
      about them, not the long-term taste. Their boost moves from what the taste says towards the least any
      candidate gets (the floor, at most 0): ``seen_lift`` 1 keeps the taste's boost, 0 gives the floor. Without
      this, a hunt whose words the engine cannot turn into a filter ("that's not a T-shirt") got the same lifted
      page on every turn (the closed loop's targeted-hunt loss, BENCHMARKS NAME=learn2).
    - Items the user already liked, carted or bought (``known``): the taste is the mean of their pictures, so it
      would lift them above all others; they are known to the shopper and the taste is for finding the next ones.
      Their lift (a positive boost) is scaled by ``known_lift``; a push down stays.
    """
    out = np.asarray(boost, dtype=np.float64).copy()
    if not len(out):
        return out
    floor = min(float(out.min()), 0.0)
    for k, i in enumerate(ids):
        if i in known and out[k] > 0:
            out[k] *= known_lift
        if i in seen:
            out[k] = seen_lift * out[k] + (1 - seen_lift) * floor
    return out


@dataclass(frozen=True)
class AttributeTaste:
    """What the profiles of the items a user chose say of their taste: the share of their choices (by event
    strength) in each colour, brand and kind of item, and where their prices sit within their categories (0 the cheapest of the
    category in the store, 1 the dearest; None without a known price). Read from the store's item profiles, so an
    item ingested after training is judged like any other."""

    colours: dict[str, float] = field(default_factory=dict)  # canonical colour -> share of choices
    brands: dict[str, float] = field(default_factory=dict)  # brand, case-folded -> share of choices
    price_position: float | None = None
    categories: dict[str, float] = field(default_factory=dict)  # the kinds of item chosen -> share of choices
    # a candidate profile's price position in the same store (`price_positions`)
    position: Callable[[Any], float | None] | None = field(default=None, compare=False, repr=False)

    def scores(self, profiles: Sequence[Any], weights: dict[str, float] | None = None) -> np.ndarray | None:
        """Each candidate's fit: its colour's share of the user's choices (colour families match, as a request's
        colours do), its brand's share, its kind's share, and minus the distance of its price position from the
        user's; each part z-scored over the candidates and weighted (`ATTRIBUTE_WEIGHTS`). None when no part says
        anything."""
        from vidrec.vocabulary import colours_match

        w = weights or ATTRIBUTE_WEIGHTS
        n = len(profiles)
        parts = []
        if self.colours and w.get("colour", 0):
            c = [max((share for colour, share in self.colours.items() if colours_match(p.colours(), [colour])),
                     default=0.0) if p is not None else np.nan for p in profiles]
            parts.append((w["colour"], np.array(c, dtype=np.float64)))
        if self.brands and w.get("brand", 0):
            b = [self.brands.get(str(p.value("brand") or "").casefold(), 0.0) if p is not None else np.nan
                 for p in profiles]
            parts.append((w["brand"], np.array(b, dtype=np.float64)))
        if self.categories and w.get("category", 0):
            k = [self.categories.get(str(p.value("category") or ""), 0.0) if p is not None else np.nan
                 for p in profiles]
            parts.append((w["category"], np.array(k, dtype=np.float64)))
        if self.price_position is not None and self.position is not None and w.get("price", 0):
            positions = [self.position(p) for p in profiles]
            d = [-abs(x - self.price_position) if x is not None else np.nan for x in positions]
            parts.append((w["price"], np.array(d, dtype=np.float64)))
        total = np.zeros(n)
        said = False
        for weight, x in parts:
            z = _z_or_none(x)
            if z is not None:
                total += weight * np.nan_to_num(z, nan=0.0)
                said = True
        return total if said and n else None


def taste_colours(taste: UserTaste | None, request: Any, least_share: float = TASTE_COLOUR_SHARE,
                  most: int = 2) -> list[str]:
    """The colours a user's taste brings candidates of (`Blend.taste_pool`): those at least ``least_share`` of
    their choices, the largest ``most``, when the request names no colour and rules none of them out (a request's
    colour decides: the taste adds nothing of another colour to its search). [] for a user without a taste."""
    if taste is None or taste.attributes is None or not taste.attributes.colours or request.all("colour"):
        return []
    out_ruled = {c.casefold() for c in request.excluded_values("colour")}
    ranked = sorted(taste.attributes.colours.items(), key=lambda kv: (-kv[1], kv[0]))
    return [c for c, share in ranked if share >= least_share and c.casefold() not in out_ruled][:most]


def price_positions(library: Any) -> Callable[[Any], float | None]:
    """A function from an item profile to where its price sits within its category in the store: the share of the
    category's priced items cheaper than it plus half the equal ones (0..1); None without a price or category.
    Built once per store state (the store's item count)."""
    key = (id(library), len(library))
    cached = _POSITIONS.get(key)
    if cached is None:
        by_cat: dict[str, list[float]] = {}
        for p in library.profiles():
            price, cat = _price(p), p.value("category")
            if price is not None and cat:
                by_cat.setdefault(str(cat), []).append(price)
        sorted_cat = {c: np.sort(np.array(v)) for c, v in by_cat.items()}

        def position(p: Any) -> float | None:
            if p is None:
                return None
            price, cat = _price(p), p.value("category")
            prices = sorted_cat.get(str(cat)) if cat else None
            if price is None or prices is None or len(prices) < 2:
                return None
            lo = np.searchsorted(prices, price, "left")
            hi = np.searchsorted(prices, price, "right")
            return float((lo + hi) / 2 / len(prices))
        _POSITIONS.clear()
        _POSITIONS[key] = cached = position
    return cached


_POSITIONS: dict[tuple[int, int], Callable[[Any], float | None]] = {}


def _price(profile: Any) -> float | None:
    v = profile.value("price")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else None


def attribute_taste(library: Any, weights: dict[str, float]) -> AttributeTaste | None:
    """The `AttributeTaste` of the items ``weights`` (item id -> event strength the user gave it); None when none
    of them has a profile."""
    colours: dict[str, float] = {}
    brands: dict[str, float] = {}
    kinds: dict[str, float] = {}
    pos: list[tuple[float, float]] = []
    total = 0.0
    position = price_positions(library) if hasattr(library, "profiles") else None
    from vidrec.vocabulary import COLOUR_VOCABULARY

    for item_id, w in weights.items():
        p = library.profile(item_id)
        if p is None:
            continue
        total += w
        names = {(t.canonical if (t := COLOUR_VOCABULARY.lookup(c)) is not None else c) for c in p.colours()}
        for c in names:
            colours[c] = colours.get(c, 0.0) + w / len(names)
        kind = str(p.value("category") or "")
        if kind:
            kinds[kind] = kinds.get(kind, 0.0) + w
        brand = str(p.value("brand") or "").casefold()
        if brand:
            brands[brand] = brands.get(brand, 0.0) + w
        x = position(p) if position is not None else None
        if x is not None:
            pos.append((x, w))
    if total <= 0:
        return None
    price = sum(x * w for x, w in pos) / sum(w for _, w in pos) if pos else None
    return AttributeTaste({c: v / total for c, v in colours.items()}, {b: v / total for b, v in brands.items()},
                          price, categories={k: v / total for k, v in kinds.items()}, position=position)


def _z_or_none(x: np.ndarray) -> np.ndarray | None:
    """z-scores over the finite entries (NaN stays NaN); None with fewer than two finite ones or all alike."""
    finite = np.isfinite(x)
    if finite.sum() < 2 or x[finite].std() <= 0:
        return None
    out = np.full_like(x, np.nan)
    out[finite] = (x[finite] - x[finite].mean()) / x[finite].std()
    return out


def user_context(model: Recommender | None, library: Any, user_id: str | None,
                 vector_kind: str = "image") -> UserTaste | None:
    """What the ranking knows of ``user_id`` beyond the session (None without a user): the items they
    bought (from the store's records, with or without a model), and, for a user the trained model knows, its
    scores, the size of their training history and the mean ``vector_kind`` vector of the items they liked,
    carted or bought (each weighted by the event's strength)."""
    if not user_id:
        return None
    from vidrec.learn.interactions import event_weight

    weights: dict[str, float] = {}
    owned: set[str] = set()
    for e in library.interactions(user_id):
        w = event_weight(e.event)
        if w >= OWNED_EVENTS:
            owned.add(e.item_id)
        if w >= TASTE_EVENTS:
            weights[e.item_id] = weights.get(e.item_id, 0.0) + w
    if model is None or not model.knows_user(user_id):
        return UserTaste(user_id, owned=frozenset(owned))
    profile = None
    if weights:
        ids = sorted(weights)
        vecs = [(v, weights[i]) for i, v in zip(ids, library.vectors(ids, vector_kind), strict=True) if v is not None]
        if vecs:
            mean = np.sum([w * np.asarray(v, dtype=np.float64) for v, w in vecs], axis=0)
            norm = float(np.linalg.norm(mean))
            profile = mean / norm if norm > 0 else None
    return UserTaste(user_id, model_scores=functools.partial(model.score, user_id),
                     history_items=len(model.history(user_id)), profile=profile, owned=frozenset(owned),
                     known=frozenset(weights),
                     attributes=attribute_taste(library, weights) if weights and hasattr(library, "profile") else None)


def rerank_hits(hits: Sequence[Hit], model: Recommender, user_id: str,
                weight: float = SEARCH_MODEL_WEIGHT) -> list[Hit]:
    """Search hits (anything with ``id`` and ``score``) re-ranked for a user as chat ranks its candidates: score
    plus `taste_boost` at the model's `confidence` in the user; each hit's score becomes the blended one. Unchanged for a user the model does not know,
    or when it cannot score them."""
    taste = user_taste(model, user_id)
    if not hits or taste is None:
        return list(hits)
    ids = [h.id for h in hits]  # type: ignore[attr-defined]
    scores = np.array([h.score for h in hits], dtype=np.float64)  # type: ignore[attr-defined]
    try:
        boost = taste_boost(taste(ids), weight * confidence(len(model.history(user_id)), SEARCH_HALF_HISTORY))
    except Exception as exc:  # noqa: BLE001 - a model problem never breaks a search
        log.info("user model not used: %s", exc)
        boost = None
    if boost is None:
        return list(hits)
    blended = scores + boost
    out: list[Any] = []
    for k in np.argsort(-blended, kind="stable"):
        hit = hits[int(k)]
        hit.score = round(float(blended[k]), 4)  # type: ignore[attr-defined]
        out.append(hit)
    return out


class PersonalRanker:
    def __init__(self, model: Recommender) -> None:
        self.model = model

    @classmethod
    def open(cls, store: str | Path | None = None, name: str | None = None) -> PersonalRanker | None:
        """The store's model ``name`` (default: the current one), with erased users forgotten; None when no model
        was trained."""
        try:
            model = load_trained_model(store, name, required=True)
        except (ConfigError, NotFoundError):
            return None
        return None if model is None else cls(model)

    def knows(self, user_id: str, history: Sequence[str] | None = None) -> bool:
        return self.model.knows_user(user_id) or bool(history)

    def scores(
        self, user_id: str, candidate_ids: Sequence[str], history: Iterable[str] | None = None
    ) -> dict[str, float]:
        """Taste score per candidate (higher = more this user's kind of item); {} for an unknown user without a
        history; candidates the model has never seen are left out."""
        history = list(history) if history is not None else None
        if not self.knows(user_id, history):
            return {}
        s = self.model.score(user_id, list(candidate_ids), history=history)
        return {c: float(v) for c, v in zip(candidate_ids, s, strict=True) if np.isfinite(v)}

    def rerank(
        self,
        user_id: str,
        ranked: Sequence[tuple[str, float]],
        weight: float = 0.3,
        history: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        if not ranked:
            return []
        ids = [i for i, _ in ranked]
        taste = self.scores(user_id, ids, history)
        if not taste:
            return list(ranked)
        base = _z(np.array([s for _, s in ranked], dtype=np.float64))
        t = np.array([taste.get(i, np.nan) for i in ids], dtype=np.float64)
        tz = _z(t)  # unknown candidates get 0 (average taste)
        mixed = (1 - weight) * base + weight * tz
        order = np.argsort(-mixed, kind="stable")
        return [(ids[k], float(mixed[k])) for k in order]
