"""`json_response` writes a route's response_model JSON in the route's own thread: the same bytes FastAPI writes
for the same content, and the same refusal (a 500, never a body that breaks the schema) for content that does
not fit the model."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidrec.dialog.engine import Turn, TurnItem
from vidrec.server.routes.turns import json_response
from vidrec.server.schemas import FeedbackOut, SessionCreated, TurnOut

ITEM = TurnItem(id="d001", title="黑色纯棉T恤", price=59.0, video="/v1/items/d001/video", start=4.77,
                thumbnail="/v1/items/d001/thumbnail", why="字幕0:06显示“黑色纯棉T恤”", match=False,
                differs="蓝色，不是黑色", differs_on=["color"])
TURN = Turn(session_id="abc", reply="为你找到这些T恤：\n想要哪种颜色？", lang="zh", intent="search",
            slots={"category": "T-Shirt", "price_max": 100.0}, state={"turn": 2, "shown": ["d001"]},
            items=[ITEM, ITEM.model_copy(update={"id": "d002", "price": None, "start": None})],
            question={"slot": "colour", "options": ["Black", "Blue"], "labels": ["黑色", "蓝色"]}).model_dump()
CASES = [
    (TurnOut, TURN, 200),
    (TurnOut, {**TURN, "items": [], "question": None, "table": [{"attribute": "price", "values": [1.5, None]}]}, 200),
    (FeedbackOut, FeedbackOut(recorded=True, event="reject", item_id="d001", reply="好", lang="zh", shown=["d002"],
                              state={"turn": 3}, replacement=ITEM), 200),
    (FeedbackOut, FeedbackOut(recorded=False, event="like", item_id="d001"), 200),
    (SessionCreated, SessionCreated(session_id="abc", user_id=None, client_token="t0k"), 201),
]


def app_for(model, content, status):
    app = FastAPI()

    @app.post("/fastapi", response_model=model, status_code=status)
    def by_fastapi():
        return content

    @app.post("/ours", response_model=model, status_code=status)
    def by_us():
        return json_response(model, content, status)

    return app


@pytest.mark.parametrize("model, content, status", CASES)
def test_the_same_bytes_and_status_as_fastapi(model, content, status):
    with TestClient(app_for(model, content, status)) as client:
        theirs, ours = client.post("/fastapi"), client.post("/ours")
    assert ours.status_code == theirs.status_code == status
    assert ours.content == theirs.content
    assert ours.headers["content-type"] == theirs.headers["content-type"]
    assert ours.headers["content-length"] == theirs.headers["content-length"]


def test_content_that_does_not_fit_the_model_is_a_server_error_not_a_body():
    bad = {**TURN, "items": [{"id": "d001"}]}  # an item without its title and video
    with TestClient(app_for(TurnOut, bad, 200), raise_server_exceptions=False) as client:
        theirs, ours = client.post("/fastapi"), client.post("/ours")
    assert theirs.status_code == ours.status_code == 500
