"""Turns and items as the API sends them: signed video and thumbnail links, answer options as the shopper says
them."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import Response
from pydantic import TypeAdapter

from vidrec.dialog.answers import value_text
from vidrec.dialog.engine import Turn, TurnItem
from vidrec.server.auth import media_link
from vidrec.server.settings import ServerSettings


def item_out(settings: ServerSettings, item: TurnItem) -> TurnItem:
    return item.model_copy(update={"video": media_link(settings, item.id, "video"),
                                   "thumbnail": media_link(settings, item.id, "thumbnail")})


def turn_out(settings: ServerSettings, turn: Turn) -> dict[str, Any]:
    data = turn.model_dump()
    data["items"] = [item_out(settings, i).model_dump() for i in turn.items]
    if data.get("question") and data["question"].get("options"):
        data["question"]["labels"] = [option_label(data["question"].get("slot", ""), o, turn.lang)
                                      for o in data["question"]["options"]]
    return data


def option_label(slot: str, option: str, lang: str) -> str:
    """An answer option as the shopper would say it (what the page shows and sends back when it is clicked)."""
    if slot == "price" or lang != "zh":
        return str(option)
    try:
        return value_text(slot, option, lang)
    except Exception:  # an option outside the vocabulary is shown as it is
        return str(option)


@cache
def _adapter(model: type) -> TypeAdapter:
    return TypeAdapter(model)


def json_response(model: type, content: Any, status_code: int = 200) -> Response:
    """``content`` checked against the route's ``response_model`` and written as JSON, as FastAPI does it (the same
    validation, the same bytes), but in the worker thread the route already runs in: for a plain-function route
    FastAPI validates the returned value in a second worker-thread hop, one more per turn through the GIL the
    turns need. The route keeps ``response_model`` for its OpenAPI schema."""
    adapter = _adapter(model)
    return Response(adapter.dump_json(adapter.validate_python(content, from_attributes=True), by_alias=True),
                    status_code=status_code, media_type="application/json")
