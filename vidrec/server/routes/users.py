"""Users: recommendations outside a chat, and erasing everything stored about one."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query

from vidrec.dialog.engine import TurnItem
from vidrec.errors import VidrecError
from vidrec.server.backend import Backend, Live
from vidrec.server.dependencies import AppBackend, AppOwners, AppSettings, Identified, UserPath
from vidrec.server.media import best_second
from vidrec.server.routes.ownership import user_has_data
from vidrec.server.routes.turns import item_out
from vidrec.server.schemas import Problems, UserErased, UserRecommendations

log = logging.getLogger("vidrec.server")

HISTORY_EVENTS = {"like", "cart", "buy", "purchase", "click", "play"}  # what a user model reads as taste
NOT_AGAIN_EVENTS = {"reject", "cart", "buy", "purchase"}

router = APIRouter(tags=["users"])


@router.get("/v1/users/{user_id}/recommendations", response_model=UserRecommendations, responses=Problems)
def user_recommendations(user_id: UserPath, caller: Identified, backend: AppBackend, owners: AppOwners,
                         settings: AppSettings, k: Annotated[int, Query(ge=1, le=50)] = 10) -> UserRecommendations:
    """Items for a user outside a chat: from the trained user model when there is one, else popular items."""
    with backend.use() as live:
        events = list(live.library.interactions(user_id))
        owners.user(user_id, caller, has_data=bool(events), claim=True)
        history = [e.item_id for e in events if e.event in HISTORY_EVENTS]
        exclude = {e.item_id for e in events if e.event in NOT_AGAIN_EVENTS}
        ranked, source, note = _ranked_for_user(backend, live, user_id, history, exclude, k)
        items = []
        for item_id in ranked:
            profile = live.library.profile(item_id)
            if profile is None:
                continue
            price = profile.value("price")
            items.append(item_out(settings, TurnItem(id=profile.id, title=profile.display_title(),
                                                     video=profile.video,
                                                     price=float(price) if isinstance(price, (int, float)) else None,
                                                     start=round(best_second(live.library, profile), 2))))
            if len(items) >= k:
                break
    return UserRecommendations(user_id=user_id, source=source, note=note, items=items)


@router.delete("/v1/users/{user_id}", response_model=UserErased, responses=Problems)
def erase_user(user_id: UserPath, caller: Identified, backend: AppBackend, owners: AppOwners) -> UserErased:
    """Erase everything stored about a user: interactions and sessions. The user id becomes free again."""
    with backend.use(write=True) as live:
        owners.user(user_id, caller, has_data=user_has_data(live, user_id), claim=False)
        sessions = owners.sessions_of_user(user_id)
        removed = live.library.erase_user(user_id)
        for sid in sessions:
            removed += int(live.library.delete_session(sid))
        owners.forget_user(user_id)
    backend.forget_sessions(sessions)
    log.info("user erased", extra={"removed_rows": removed, "sessions": len(sessions)})
    return UserErased(user_id=user_id, removed_rows=removed, sessions=len(sessions))


def _ranked_for_user(backend: Backend, live: Live, user_id: str, history: list[str], exclude: set[str],
                     k: int) -> tuple[list[str], str, str]:
    """Item ids for a user, best first, with where they came from."""
    model = backend.user_model
    if model is not None and hasattr(model, "recommend") and hasattr(model, "knows_user"):
        try:
            knows = model.knows_user(user_id) or bool(history)
            if knows:
                recs = model.recommend(user_id, k=k * 3 + len(exclude), exclude=exclude, history=history or None)
                ids = [i for i, _ in recs if i not in exclude]
                if ids:
                    return ids, "model", f"ranked by the trained user model ({type(model).__name__})"
        except VidrecError as exc:
            log.info("user model not used for a user: %s", exc)
    popular = [i for i in live.library.popular_items() if i not in exclude]
    why = "no trained user model in this store" if model is None else "the user model does not know this user yet"
    if popular:
        return popular, "popular", f"popular items ({why}; train one with `vidrec train`)"
    ids = [i for i in live.library.item_ids() if i not in exclude][: k * 3]
    return ids, "catalog", f"catalog order: no interactions recorded yet ({why})"
