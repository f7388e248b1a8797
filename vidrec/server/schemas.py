"""Request and response bodies of the HTTP API (they make the OpenAPI spec at /openapi.json)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from vidrec.dialog.engine import MAX_MESSAGE_CHARS, Turn, TurnItem

USER_ID_PATTERN = r"^[A-Za-z0-9_.:@-]{1,128}$"
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
# An item id as the catalog accepts it (vidrec.catalog's _id_problem): 1-128 characters, none of / \ # ? % or a
# control character, and not "." or "..". Written without look-ahead, which pydantic's regex engine lacks.
_ID_CHAR = r"[^/\\#?%\x00-\x1f\x7f]"
_ID_CHAR_NO_DOT = r"[^/\\#?%\x00-\x1f\x7f.]"
ITEM_ID_PATTERN = (rf"^(?:{_ID_CHAR_NO_DOT}{_ID_CHAR}{{0,127}}|\.{_ID_CHAR_NO_DOT}{_ID_CHAR}{{0,126}}"
                   rf"|\.\.{_ID_CHAR}{{1,126}})$")
# Somewhere in the text a character that is neither white space (Python's str.isspace) nor a control character:
# the text is not blank (JSON Schema patterns, like pydantic's, match anywhere in the string).
NOT_BLANK_PATTERN = r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str) -> str:
    """Text a shopper typed: valid Unicode (no lone surrogates), no control characters, not blank."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text is not valid Unicode (lone surrogate); send UTF-8 text") from exc
    value = _CONTROL.sub(" ", value)
    if not value.strip():
        raise ValueError("text is blank; say what you are looking for")
    return value


ShopperText = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK_PATTERN,
                                   description="What the shopper typed: not blank."), AfterValidator(_clean_text)]
UserId = Annotated[str, Field(pattern=USER_ID_PATTERN, description="Your id for the shopper (letters, digits, "
                                                                    "_ . : @ -; at most 128).")]
ItemId = Annotated[str, Field(min_length=1, max_length=128, pattern=ITEM_ID_PATTERN,
                              description="An item id of the catalog.")]


def _json_integer(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; strict validation then refuses what is not one ("5", true, 5.5)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer of a JSON body: 5 or 5.0, never "5" or true (strict mode, as the spec's "type": "integer" says)
JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class Strict(BaseModel):
    """A request body: no unknown fields, and every value of the type the spec declares (strict: a string where an
    integer or a boolean is declared is refused with 422, not coerced)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SessionCreate(Strict):
    user_id: UserId | None = None
    new_user: bool = Field(False, description="true: the server makes a new anonymous user id for this shopper, "
                           "yours alone (a web page keeps it and sends it as user_id when it starts later sessions), "
                           "so what they do is learned from. Not together with user_id.")


class SessionCreated(BaseModel):
    session_id: str
    user_id: str | None = None
    client_token: str | None = Field(None, description="Only when you sent no credentials to an open server: keep "
                                     "it and send it as 'Authorization: Bearer <token>' from now on.")


class MessageIn(Strict):
    text: ShopperText
    user_id: UserId | None = None


class TurnOut(Turn):
    """One reply: the same fields as a line of `vidrec chat --jsonl`; `video` and `thumbnail` are URLs here, and a
    question's options come with `labels` in the shopper's language."""


class SessionView(BaseModel):
    session_id: str
    user_id: str | None = None
    lang: str
    turn: int
    state: dict[str, Any]
    history: list[dict[str, Any]]
    updated_at: float | None = None


class SearchIn(Strict):
    query: ShopperText
    k: JsonInt = Field(10, ge=1, le=50)


class ParseIn(Strict):
    text: ShopperText


MAX_WATCH_S = 86_400.0  # a day: no product video is longer


class FeedbackIn(Strict):
    # the route needs a session (a button in a chat) or a user (an event from the platform): said in the spec too
    # and watch_s goes with a play only, instead of value; a play's value (seconds watched) is not below 0
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "anyOf": [{"required": [name], "properties": {name: {"type": "string"}}} for name in ("session_id", "user_id")],
        "allOf": [
            {"if": {"required": ["watch_s"], "properties": {"watch_s": {"type": "number"}}},
             "then": {"properties": {"event": {"const": "play"}}, "not": {"required": ["value"]}}},
            {"if": {"required": ["event"], "properties": {"event": {"const": "play"}}},
             "then": {"properties": {"value": {"anyOf": [{"type": "null"}, {"type": "number", "minimum": 0}]}}}},
        ]})

    item_id: ItemId
    event: Literal["like", "reject", "cart", "view", "click", "play", "buy"]
    session_id: Annotated[str, Field(pattern=SESSION_ID_PATTERN)] | None = None
    user_id: UserId | None = None
    value: float | None = Field(None, ge=-1e6, le=1e6, description="e.g. seconds watched for 'play'")
    watch_s: float | None = Field(
        None, ge=0, le=MAX_WATCH_S,
        description="'play' only: seconds of the video watched (each second once, replays not counted again); at "
                    "most the video's length. Stored as the play's value; training counts a play as a choice when "
                    "it covers WATCH_SHARE of the video (vidrec.learn.signals).")


class FeedbackOut(BaseModel):
    recorded: bool = Field(description="Whether an interaction was stored for a user (needs a user id).")
    event: str
    item_id: str
    reply: str | None = None
    lang: str | None = None
    replacement: TurnItem | None = Field(None, description="'reject' in a session: the item shown in its place.")
    shown: list[str] | None = None
    state: dict[str, Any] | None = None


class UserRecommendations(BaseModel):
    user_id: str
    source: Literal["model", "popular", "catalog"]
    note: str
    items: list[TurnItem]


class UserErased(BaseModel):
    user_id: str
    removed_rows: int
    sessions: int


class IngestIn(Strict):
    # no NUL: no file system takes one in a path
    catalog: str = Field(min_length=1, max_length=4096, pattern=r"^[^\x00]+$",
                         description="A catalog .csv/.jsonl or a folder of videos on the server, inside "
                                     "VIDREC_INGEST_ROOTS.")
    workers: Annotated[int, Field(ge=1, le=64), BeforeValidator(_json_integer)] | None = None
    prune: bool = False
    force: bool = False


class IngestJobOut(BaseModel):
    id: str
    catalog: str
    state: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    done: int
    total: int | None = None
    last_item: str | None = None
    counts: dict[str, int]
    summary: dict[str, Any] | None = None
    error: str | None = None
    options: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "degraded", "unavailable"]
    mode: str
    note: str
    items: int
    personalised: bool
    query_cache: dict[str, int] | None = None
    query_memo: dict[str, int] | None = Field(None, description="Sessions' own last query embeddings (not shared).")


class ErrorOut(BaseModel):
    error: str
    message: str
    request_id: str | None = None
    details: list[dict[str, Any]] | None = None


Problems = {status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)}
