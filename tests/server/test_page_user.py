"""The web page's shopper gets a stable anonymous user id from the server (POST /v1/sessions with new_user), keeps
it, and sends it with later sessions: the page's plays and likes are stored under it and `vidrec train --store`
(here its function, `train_store`) learns from them. The requests are the ones vidrec/server/web/app.js sends."""

from __future__ import annotations

import re

from test_api import until_items

PAGE_JS = "vidrec/server/web/app.js"


def page_session(client, token=None, user_id=None):
    """What the page's ensureSession sends: its kept user id, else a request for a new one."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = client.post("/v1/sessions", json={"user_id": user_id} if user_id else {"new_user": True}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], body["user_id"], token or body["client_token"]


def play(client, token, sid, item_id, watch_s):
    r = client.post("/v1/feedback", json={"session_id": sid, "item_id": item_id, "event": "play",
                                          "watch_s": watch_s}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_page_asks_for_a_user_id_and_keeps_it():
    from pathlib import Path

    js = (Path(__file__).resolve().parents[2] / PAGE_JS).read_text(encoding="utf-8")
    assert re.search(r"body: userId \? \{ user_id: userId \} : \{ new_user: true \}", js)
    assert 'store.set("vidrec.user", userId)' in js and 'store.get("vidrec.user")' in js


def test_a_page_play_reaches_the_interactions_with_the_user_id_and_training(client, store_copy):
    from vidrec.learn.retrain import train_store
    from vidrec.library import Library

    sid, uid, token = page_session(client)
    assert re.fullmatch(r"anon-[0-9a-f]{24}", uid), uid
    h = {"Authorization": f"Bearer {token}"}
    turn = until_items(client, sid, h, "show me dresses")
    lib = client.app.state.backend.library
    item = turn["items"][0]["id"]
    length = lib.profile(item).duration
    assert play(client, token, sid, item, round(length * 0.8, 1))["recorded"] is True
    like = client.post("/v1/feedback", json={"session_id": sid, "item_id": turn["items"][1]["id"], "event": "like"},
                       headers=h)
    assert like.status_code == 200 and like.json()["recorded"] is True, like.text
    events = [(e.event, e.item_id, e.session_id) for e in lib.interactions(uid)]
    assert events == [("play", item, sid), ("like", turn["items"][1]["id"], sid)]

    # the next visit: the page sends its kept id; the same shopper, a new session
    sid2, again, _ = page_session(client, token, uid)
    assert again == uid and sid2 != sid
    # another browser (another token) cannot use it; asking for both is refused with a reason
    _, other_uid, other = page_session(client)
    assert other_uid != uid
    r = client.post("/v1/sessions", json={"user_id": uid}, headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403 and r.json()["error"] == "user_not_yours"
    r = client.post("/v1/sessions", json={"user_id": uid, "new_user": True}, headers=h)
    assert r.status_code == 422 and r.json()["error"] == "user_id_and_new_user"

    # both page shoppers watch enough for a model; `vidrec train --store` learns them
    ids = [f"d{n:03d}" for n in range(1, 37)]
    for k, (s, t) in enumerate(((sid2, token), (page_session(client, other, other_uid)[0], other))):
        for n in range(12):
            i = ids[(k * 12 + n) % len(ids)]
            assert play(client, t, s, i, round(lib.profile(i).duration * 0.9, 1))["recorded"] is True
    summary = train_store(store_copy, "itemknn")
    assert summary["model"] == "itemknn"
    with Library.open(store_copy) as fresh:
        model = fresh.trained_model()
    assert model.knows_user(uid) and model.knows_user(other_uid)
    assert {item, *ids[:12]} <= set(model.history(uid))
