"""Who may touch a session or a user: the checks the chat, feedback and users routes share."""

from __future__ import annotations

from vidrec.server.auth import Caller
from vidrec.server.backend import Live
from vidrec.server.expiry import live_session
from vidrec.server.owners import Ownership
from vidrec.server.problems import Problem


def user_has_data(live: Live, user_id: str) -> bool:
    return live.library.has_interactions(user_id)


def check_user(owners: Ownership, live: Live, caller: Caller, user_id: str) -> None:
    owners.user(user_id, caller, has_data=user_has_data(live, user_id), claim=True)


def session_user(owners: Ownership, live: Live, caller: Caller, session_id: str, user_id: str | None,
                 ttl_s: float) -> str | None:
    """The session's user after this request (ownership and expiry checked; a new user id is bound to the
    session)."""
    live_session(owners, live, caller, session_id, ttl_s)
    bound = owners.session(session_id, caller)
    if user_id is None or user_id == bound:
        return bound
    if bound is not None:
        raise Problem(409, "session_has_user", f"this session belongs to user {bound!r}; start a new session "
                      "for another user")
    check_user(owners, live, caller, user_id)
    owners.bind_session_user(session_id, user_id)
    return user_id
