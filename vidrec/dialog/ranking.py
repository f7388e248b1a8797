"""One page of recommendations: relevance to the request blended with the user's long-term model, popularity and
the season asked for, then a diverse page (MMR over picture vectors, never two near-duplicate videos)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from vidrec.learn.personal import (
    ATTRIBUTE_WEIGHTS,
    KNOWN_LIFT,
    SEEN_LIFT,
    TASTE_POOL,
    USER_ATTRIBUTE_SHARE,
    USER_CONTENT_SHARE,
    USER_HALF_HISTORY,
    USER_LOOK_ALIKE_WEIGHT,
    USER_MODEL_WEIGHT,
    USER_VAGUE_WEIGHT,
    UserTaste,
    lift_damped,
    taste_boost,
)
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

# Product types worn or used mostly in some seasons (built-in taxonomy names; a catalog's own labels are matched to
# them by name and synonym, e.g. "Outwear" -> Jackets). A request for another season ranks them lower; an item
# whose own evidence names a season ("冬季新款") is judged by that instead.
SEASONAL_CATEGORIES: dict[str, frozenset[str]] = {
    "Jackets": frozenset({"Winter", "Fall"}),
    "Sweaters": frozenset({"Winter", "Fall"}),
    "Sweatshirts": frozenset({"Winter", "Fall", "Spring"}),
    "Boots": frozenset({"Winter", "Fall"}),
    "Blazers": frozenset({"Winter", "Fall", "Spring"}),
    "Shorts": frozenset({"Summer", "Spring"}),
    "Sandals": frozenset({"Summer", "Spring"}),
    "Flip Flops": frozenset({"Summer"}),
    "Swimwear": frozenset({"Summer"}),
    "Sunglasses": frozenset({"Summer", "Spring"}),
}


_BUILT_IN = Taxonomy()


@dataclass(frozen=True)
class Blend:
    user_model: float = USER_MODEL_WEIGHT  # weight of a fully known user's taste (z-scored over the candidates)
    user_half: float = USER_HALF_HISTORY  # training-history items at which the model's confidence is one half
    user_content: float = USER_CONTENT_SHARE  # the picture's share of the taste (the rest: the model's score)
    user_vague: float = USER_VAGUE_WEIGHT  # the taste's full weight when the request names no condition at all
    # ... and in the close matches of another kind, ranked by how much their pictures look like the kind asked for
    # (picture cosines: `taste_look_alikes`)
    user_look_alike: float = USER_LOOK_ALIKE_WEIGHT
    seen_lift: float = SEEN_LIFT  # the taste's lift left to an item this session already showed
    known_lift: float = KNOWN_LIFT  # ... and to one the user already liked, carted or bought
    # the chosen items' profiles' share of the taste (colour, brand, price position), and each attribute's weight
    user_attributes: float = USER_ATTRIBUTE_SHARE
    attr_colour: float = ATTRIBUTE_WEIGHTS["colour"]
    attr_brand: float = ATTRIBUTE_WEIGHTS["brand"]
    attr_price: float = ATTRIBUTE_WEIGHTS["price"]
    attr_category: float = ATTRIBUTE_WEIGHTS["category"]
    # candidates of the user's colours added to a search that names no colour (`vidrec.learn.personal.taste_colours`)
    taste_pool: int = TASTE_POOL
    # categories whose items are bought again (consumables): not moved down once bought. None by default
    repeat_categories: frozenset[str] = frozenset()
    popularity: float = 0.03
    season: float = 0.12
    # an item whose profile has the usage or occasion asked for ("for running", "上班穿") ranks up by this much
    # (not fitted: set to the season weight, the other soft condition on the same score scale)
    usage: float = 0.12
    mmr_lambda: float = 0.75  # relevance vs. difference from the items already on the page
    near_duplicate: float = 0.97  # picture cosine at or above which two videos count as the same product


def season_fit(profile: ItemProfile | None, season: str | None) -> float:
    """+1 the item is for that season, -1 it is for other seasons, 0 unknown."""
    if not season or profile is None:
        return 0.0
    own = profile.value("season")
    if own:
        return 1.0 if own == season else -1.0
    category = str(profile.value("category") or "")
    term = _BUILT_IN.lookup(category) if category else None
    seasons = SEASONAL_CATEGORIES.get(term.canonical if term else category)
    if seasons is None:
        return 0.0
    return 0.5 if season in seasons else -1.0


def blended_scores(ids: Sequence[str], relevance: Sequence[float], profiles: dict[str, ItemProfile | None], *,
                   user_scores: Callable[[list[str]], Sequence[float]] | None = None,
                   taste: UserTaste | None = None, vectors: Sequence[np.ndarray | None] | None = None,
                   popularity: dict[str, float] | None = None, season: str | None = None,
                   usage: str | None = None, vague: bool = False, blend: Blend | None = None,
                   seen: Collection[str] = ()) -> np.ndarray:
    """Each candidate's score: relevance to the request, plus the user's long-term taste (``taste``: weighted by
    the model's confidence in the user, see `vidrec.learn.personal`, at `Blend.user_vague` for a ``vague``
    request that names no condition, else `Blend.user_model`; or a bare ``user_scores`` function at full weight),
    popularity, season and usage fit. The taste lifts what this session has not shown yet (``seen``: the ids it
    showed) and what the user has not chosen before (`vidrec.learn.personal.lift_damped`). Items the user already
    bought rank after all others."""
    blend = blend or Blend()
    scores = np.asarray(relevance, dtype=np.float64).copy()
    boost = None
    if taste is not None and taste.personal:
        boost = personal_boost(ids, taste, vectors, blend, vague=vague, seen=seen, profiles=profiles)
    elif user_scores is not None:
        try:
            u = np.asarray(user_scores(list(ids)), dtype=np.float64)
            boost = taste_boost(u, blend.user_model) if u.size == len(ids) else None
        except Exception as exc:  # an unknown user or a model problem never breaks the conversation
            log.info("user model not used: %s", exc)
    if boost is not None:
        scores += boost
    if popularity:
        scores += blend.popularity * np.array([popularity.get(i, 0.0) for i in ids])
    if season:
        scores += blend.season * np.array([season_fit(profiles.get(i), season) for i in ids])
    if usage:
        scores += blend.usage * np.array([usage_fit(profiles.get(i), usage) for i in ids])
    if taste is not None and taste.owned:
        owned = np.array([i in taste.owned and not _repeat(profiles.get(i), blend) for i in ids])
        if owned.any():  # behind every other candidate, in their own order
            scores[owned] -= float(scores.max() - scores.min()) + 1.0
    return scores


def personal_boost(ids: Sequence[str], taste: UserTaste, vectors: Sequence[np.ndarray | None] | None,
                   blend: Blend | None = None, *, vague: bool = False, seen: Collection[str] = (),
                   profiles: dict[str, ItemProfile | None] | None = None) -> np.ndarray | None:
    """What the user's long-term taste adds to each candidate's score (None when it says nothing): the taste's
    z-scores times its weight for this user, the lift of items already shown or chosen damped (`lift_damped`).
    The candidates' ``profiles`` let the taste weigh what they are (colour, brand, price position) beside their
    pictures (`Blend.user_attributes`)."""
    blend = blend or Blend()
    t = taste.scores(ids, vectors, blend.user_content, attribute_share=blend.user_attributes,
                     profiles=[profiles.get(i) for i in ids] if profiles is not None else None,
                     attribute_weights={"colour": blend.attr_colour, "brand": blend.attr_brand,
                                        "price": blend.attr_price, "category": blend.attr_category})
    if t is None:
        return None
    boost = taste.weight(blend.user_vague if vague else blend.user_model, blend.user_half) * t
    return lift_damped(boost, ids, set(seen), taste.known, blend.seen_lift, blend.known_lift)


def taste_look_alikes(ids: Sequence[str], looks: Sequence[float], taste: UserTaste | None,
                      vectors: Sequence[np.ndarray | None] | None, profiles: dict[str, ItemProfile | None],
                      blend: Blend | None = None, seen: Collection[str] = ()) -> list[int]:
    """The order of close matches of another kind (``looks``: how much each picture looks like the kind asked for)
    for a user with a taste: the look plus the taste's boost at `Blend.user_look_alike` (damped for items already
    shown or chosen, as `personal_boost` does). When the store filed the item hunted for under another kind, the
    shopper's words ("that's not a sandal") say only the kind; what they chose before says which of the look-alikes
    are theirs. Without a taste, the look alone orders."""
    blend = blend or Blend()
    score = np.asarray(looks, dtype=np.float64).copy()
    if taste is not None and taste.personal and blend.user_look_alike > 0 and len(ids) > 1:
        # the request names the kind: the kinds the user chose before are beside the point here
        boost = personal_boost(ids, taste, vectors,
                               dataclasses.replace(blend, user_model=blend.user_look_alike, attr_category=0.0),
                               seen=seen, profiles=profiles)
        if boost is not None:
            score += boost
    return [int(j) for j in np.argsort(-score, kind="stable")]


def _repeat(profile: ItemProfile | None, blend: Blend) -> bool:
    """Whether the item's category is one bought again (`Blend.repeat_categories`)."""
    if not blend.repeat_categories or profile is None:
        return False
    return str(profile.value("category") or "") in blend.repeat_categories


def usage_fit(profile: ItemProfile | None, usage: str) -> float:
    """1 when the item's profile names the usage asked for, else 0 (an unknown usage is no evidence against)."""
    if profile is None:
        return 0.0
    own = profile.value("usage")
    values = own if isinstance(own, list) else [own]
    return 1.0 if usage in [str(v) for v in values if v] else 0.0


def diverse_page(scores: np.ndarray, vectors: Sequence[np.ndarray | None], size: int,
                 blend: Blend | None = None) -> list[int]:
    """Indices of a page picked by maximal marginal relevance; near-duplicates of a picked item are skipped."""
    blend = blend or Blend()
    chosen: list[int] = []
    order = list(np.argsort(-scores, kind="stable"))
    while order and len(chosen) < size:
        best, best_val = None, -np.inf
        for j in order:
            sim = 0.0
            if vectors[j] is not None:
                sims = [float(vectors[j] @ vectors[c]) for c in chosen if vectors[c] is not None]
                sim = max(sims) if sims else 0.0
            if sim >= blend.near_duplicate:
                continue
            val = blend.mmr_lambda * scores[j] - (1 - blend.mmr_lambda) * sim
            if val > best_val:
                best, best_val = j, val
        if best is None:
            break
        chosen.append(best)
        order.remove(best)
    return chosen
