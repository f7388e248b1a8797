""""Not this" on a card that is not on the session's last list, through a real server (issue 17 follow-up).

A card of an earlier list (still on the page above the last one) is ruled out and replaced in its place on the page;
a card the session never showed means the page is out of step with its session: 409 item_not_shown, with a
reason, and the session is left as it was. Before, both answered 200 with no replacement, and the page dropped
the card without a word.
"""

from __future__ import annotations

import httpx
from test_live import start_session


def _say(base, sid, h, text):
    r = httpx.post(f"{base}/v1/sessions/{sid}/messages", json={"text": text}, headers=h, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def _list(base, sid, h, text):
    for message in (text, "随便，直接推荐吧"):
        turn = _say(base, sid, h, message)
        if turn["items"]:
            return turn
    raise AssertionError(f"no list after {text!r} and leaving the rest open")


def test_not_this_on_a_card_of_an_earlier_list_is_replaced_on_the_page(test_server):
    srv = test_server()
    sid, h = start_session(srv.base)
    first = [i["id"] for i in _list(srv.base, sid, h, "我想买连衣裙")["items"]]
    later = [i["id"] for i in _list(srv.base, sid, h, "我想买T恤")["items"]]
    assert later and not set(later) & set(first)
    old = first[0]  # a card of the first list (dresses), still on the page above the second (T-shirts)
    r = httpx.post(f"{srv.base}/v1/feedback", json={"session_id": sid, "item_id": old, "event": "reject"},
                   headers=h, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["replacement"] is not None and out["replacement"]["id"] not in {*first, *later}
    assert out["shown"] == later  # "the second one" still points into the last list
    assert old in out["state"]["rejected"]
    back = [i["id"] for i in _list(srv.base, sid, h, "我想买连衣裙")["items"]]
    assert back and old not in back  # ruled out for the rest of the session


def test_not_this_on_an_item_the_session_never_showed_is_a_conflict(test_server):
    srv = test_server()
    sid, h = start_session(srv.base)
    shown = [i["id"] for i in _list(srv.base, sid, h, "我想买T恤")["items"]]
    before = httpx.get(f"{srv.base}/v1/sessions/{sid}", headers=h).json()
    other = next(i for i in (f"d{n:03d}" for n in range(1, 19)) if i not in shown)
    r = httpx.post(f"{srv.base}/v1/feedback", json={"session_id": sid, "item_id": other, "event": "reject"},
                   headers=h, timeout=60)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "item_not_shown" and "out of step" in body["message"]
    assert body["details"] == [{"session_id": sid, "item_id": other}]
    after = httpx.get(f"{srv.base}/v1/sessions/{sid}", headers=h).json()
    assert after["state"] == before["state"] and after["turn"] == before["turn"]  # nothing changed
