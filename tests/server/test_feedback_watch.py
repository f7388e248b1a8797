"""POST /v1/feedback with the seconds a shopper watched (``watch_s``): stored with the play, nonsense refused with
a 422 that says why; a chat turn logs what it showed as impressions, not as views."""

from __future__ import annotations

import pytest
from test_api import new_session, until_items


def play(client, headers, **body):
    return client.post("/v1/feedback", json={"item_id": "d010", "event": "play", **body}, headers=headers)


def test_watch_seconds_are_stored_with_the_play(client):
    sid, h = new_session(client, user_id="watcher")
    length = client.app.state.backend.library.profile("d010").duration
    r = play(client, h, session_id=sid, watch_s=round(length * 0.75, 1))
    assert r.status_code == 200 and r.json()["recorded"] is True, r.text
    assert play(client, h, user_id="watcher", watch_s=0).status_code == 200  # opened and closed at once
    events = [(e.event, e.item_id, e.value, e.session_id)
              for e in client.app.state.backend.library.interactions("watcher")]
    assert events == [("play", "d010", round(length * 0.75, 1), sid), ("play", "d010", 0.0, None)]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"watch_s": -1}, 422, "invalid_request"),  # below zero: the schema's bound
    ({"watch_s": 90_000}, 422, "invalid_request"),  # over a day
    ({"watch_s": "12"}, 422, "invalid_request"),  # a string is not seconds
    ({"watch_s": 5, "event": "like"}, 422, "watch_s_not_play"),
    ({"watch_s": 5, "value": 6}, 422, "watch_s_and_value"),
    ({"value": -3}, 422, "watch_s_negative"),
    ({"watch_s": 5000}, 422, "watch_s_too_long"),  # longer than the video
    ({"watch_s": 5, "item_id": "nope"}, 404, "item_not_found"),
])
def test_nonsense_watch_times_are_refused_with_a_reason(client, body, status, code):
    _, h = new_session(client, user_id="w2")
    r = play(client, h, user_id="w2", **body)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code and r.json()["message"], r.json()
    assert list(client.app.state.backend.library.interactions("w2")) == []


def test_a_turn_logs_its_shown_list_as_impressions_with_positions(client):
    sid, h = new_session(client, user_id="shown-to")
    turn = until_items(client, sid, h, "show me dresses")
    lib = client.app.state.backend.library
    shown = [(i.session_id, i.item_id, i.position) for i in lib.impressions("shown-to")]
    assert shown[-len(turn["items"]):] == [(sid, item["id"], k) for k, item in enumerate(turn["items"])]
    assert [e.event for e in lib.interactions("shown-to")] == []  # shown is not chosen: no "view" events
    reject = client.post("/v1/feedback", json={"session_id": sid, "item_id": turn["items"][1]["id"],
                                               "event": "reject"}, headers=h).json()
    last = list(lib.impressions("shown-to"))[-1]
    assert (last.item_id, last.position) == (reject["replacement"]["id"], 1)  # the card put in its place
    assert client.delete("/v1/users/shown-to", headers=h).status_code == 200
    assert list(lib.impressions("shown-to")) == []
