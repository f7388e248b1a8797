"""The HTTP API against the real app (httpx via Starlette's TestClient) over a real store of the demo catalog."""

from __future__ import annotations

import pytest
from conftest import ADMIN_KEY

from vidrec.dialog.engine import Turn


def new_session(client, user_id=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = client.post("/v1/sessions", json={"user_id": user_id} if user_id else {}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    token = token or body["client_token"]
    return body["session_id"], {"Authorization": f"Bearer {token}"}


def say(client, sid, headers, text, **extra):
    r = client.post(f"/v1/sessions/{sid}/messages", json={"text": text, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def until_items(client, sid, headers, text):
    """Send a request; answer clarifying questions with their first option until items come."""
    turn = say(client, sid, headers, text)
    for _ in range(4):
        if turn["items"]:
            return turn
        options = (turn.get("question") or {}).get("options") or []
        turn = say(client, sid, headers, options[0] if options else "more")
    assert turn["items"], turn
    return turn


def test_health_readiness_docs_and_page(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready" and ready.json()["items"] == 36
    spec = client.get("/openapi.json").json()
    assert "/v1/sessions/{session_id}/messages" in spec["paths"] and "/v1/ingest" in spec["paths"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/static/app.js"' in page.text
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/style.css").status_code == 200


def test_session_turns_follow_the_chat_jsonl_schema(client):
    sid, h = new_session(client)
    turn = until_items(client, sid, h, "我想买一条连衣裙")
    Turn.model_validate(turn)  # the same fields as `vidrec chat --jsonl`
    assert turn["session_id"] == sid and turn["lang"] == "zh"
    assert 3 <= len(turn["items"]) <= 5
    for item in turn["items"]:
        assert item["video"] == f"/v1/items/{item['id']}/video"
        assert item["thumbnail"] == f"/v1/items/{item['id']}/thumbnail"
        assert item["start"] is not None and item["title"]
    assert turn["state"]["constraints"]["category"] == "Dress"
    view = client.get(f"/v1/sessions/{sid}", headers=h).json()
    assert view["session_id"] == sid and view["turn"] >= 1 and view["history"][0]["text"] == "我想买一条连衣裙"
    assert view["state"]["shown"] == [i["id"] for i in turn["items"]]


def test_english_turn_and_reply_language_follows_the_shopper(client):
    sid, h = new_session(client)
    turn = until_items(client, sid, h, "show me some t-shirts")
    assert turn["lang"] == "en" and turn["reply"].isascii()
    zh = say(client, sid, h, "有便宜一点的吗")
    assert zh["lang"] == "zh"


def test_session_create_with_user_and_delete(client):
    sid, h = new_session(client, user_id="shopper-1")
    assert client.get(f"/v1/sessions/{sid}", headers=h).json()["user_id"] == "shopper-1"
    assert client.delete(f"/v1/sessions/{sid}", headers=h).status_code == 204
    assert client.get(f"/v1/sessions/{sid}", headers=h).status_code == 404


def test_a_session_keeps_its_user(client):
    sid, h = new_session(client, user_id="u-keep")
    r = client.post(f"/v1/sessions/{sid}/messages", json={"text": "hello", "user_id": "u-other"}, headers=h)
    assert r.status_code == 409 and r.json()["error"] == "session_has_user"


def test_search_parse_and_item(client):
    r = client.post("/v1/search", json={"query": "黑色T恤", "k": 3})
    assert r.status_code == 200
    hits = r.json()["results"]
    assert len(hits) == 3 and hits[0]["id"] == "d001"
    assert hits[0]["video"] == "/v1/items/d001/video" and hits[0]["why"]
    parsed = client.post("/v1/parse", json={"text": "300元以内的红色连衣裙"}).json()
    assert parsed["lang"] == "zh" and parsed["slots"]["price_max"] == 300
    item = client.get("/v1/items/d001").json()
    assert item["id"] == "d001" and item["attributes"]["price"]["value"] == 59
    assert item["attributes"]["price"]["evidence"][0]["modality"] == "speech"
    assert item["video"] == "/v1/items/d001/video" and "/work" not in str(item["video"])
    assert item["best_second"] == pytest.approx(item["shots"][1]["keyframe"])  # the shot most like its text
    assert client.get("/v1/items/nope").status_code == 404


def test_video_range_requests(client):
    full = client.get("/v1/items/d002/video")
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    part = client.get("/v1/items/d002/video", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == full.content[100:1100]
    tail = client.get("/v1/items/d002/video", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == full.content[-500:]
    bad = client.get("/v1/items/d002/video", headers={"Range": f"bytes={size + 10}-"})
    assert bad.status_code == 416
    # RFC 9110 14.2: a Range header that is invalid or in another unit is ignored: the whole file, 200
    for ignored in ("bytes=100-50", "bytes=", "items=0-10", "bytes100-200"):
        whole = client.get("/v1/items/d002/video", headers={"Range": ignored})
        assert whole.status_code == 200 and whole.content == full.content, ignored
        assert "content-range" not in whole.headers
    thumb = client.get("/v1/items/d002/thumbnail", headers={"Range": "bytes=100-50"})
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"  # a whole JPEG
    assert client.head("/v1/items/d002/video").headers["content-length"] == str(size)


def test_thumbnails_are_decoded_jpegs_and_cached(client, store_copy):
    from io import BytesIO

    from PIL import Image

    r = client.get("/v1/items/d003/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    img = Image.open(BytesIO(r.content))
    assert img.format == "JPEG" and img.width == 320 and img.height > img.width  # portrait product video
    cached = list((store_copy / "thumbnails").rglob("*.jpg"))
    assert len(cached) == 1
    again = client.get("/v1/items/d003/thumbnail")
    assert again.content == r.content and len(list((store_copy / "thumbnails").rglob("*.jpg"))) == 1
    small = client.get("/v1/items/d003/thumbnail", params={"t": 9.0, "w": 160})
    assert small.status_code == 200 and Image.open(BytesIO(small.content)).width == 160
    assert small.content != r.content
    assert client.get("/v1/items/d003/thumbnail", params={"t": -1}).status_code == 422
    assert client.get("/v1/items/d003/thumbnail", params={"t": "nan"}).status_code == 422


def test_thumbnail_of_a_missing_video_is_404(client, store_copy):
    from vidrec.store import Store

    backend = client.app.state.backend
    backend.close()
    with Store.open(store_copy) as store:  # the video moved away after ingest
        row = store.metadata.get_item("d004")
        store.metadata.upsert_item("d004", row["content_hash"], str(store_copy / "gone.mp4"), row["profile"],
                                   {"category": row["category"]})
    backend.open()
    r = client.get("/v1/items/d004/thumbnail")
    assert r.status_code == 404 and "no longer on the server" in r.json()["message"]
    assert client.get("/v1/items/d004/video").status_code == 404


def test_not_this_replaces_the_card_in_place(client, store_copy):
    sid, h = new_session(client, user_id="u-fb")
    turn = until_items(client, sid, h, "我想买T恤")
    shown = [i["id"] for i in turn["items"]]
    r = client.post("/v1/feedback", json={"session_id": sid, "item_id": shown[1], "event": "reject"}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["recorded"] and out["lang"] == "zh" and out["reply"]
    new = out["replacement"]
    assert new is not None and new["id"] not in shown and new["video"].endswith("/video")
    assert out["shown"] == [shown[0], new["id"], *shown[2:]]  # "the second one" is the card in its place
    assert shown[1] in out["state"]["rejected"]
    more = say(client, sid, h, "再来一些")
    assert shown[1] not in [i["id"] for i in more["items"]]
    from vidrec.library import Library

    events = list(client.app.state.backend.library.interactions("u-fb"))
    assert ("reject", shown[1]) in [(e.event, e.item_id) for e in events]
    assert Library  # the store is the one the app serves


def test_like_and_cart_buttons(client):
    sid, h = new_session(client)
    turn = until_items(client, sid, h, "show me shoes or pants")
    first = turn["items"][0]["id"]
    like = client.post("/v1/feedback", json={"session_id": sid, "item_id": first, "event": "like"}, headers=h).json()
    assert like["state"]["liked"] == [first] and like["recorded"] is False  # no user: nothing stored for training
    cart = client.post("/v1/feedback", json={"session_id": sid, "item_id": first, "event": "cart"}, headers=h).json()
    assert cart["state"]["cart"] == [first] and turn["items"][0]["title"] in cart["reply"]


def test_platform_events_need_a_user_and_an_existing_item(client):
    _, h = new_session(client)
    ok = client.post("/v1/feedback", json={"user_id": "p-1", "item_id": "d010", "event": "buy"}, headers=h)
    assert ok.status_code == 200 and ok.json()["recorded"]
    assert client.post("/v1/feedback", json={"item_id": "d010", "event": "buy"}, headers=h).status_code == 422
    missing = client.post("/v1/feedback", json={"user_id": "p-1", "item_id": "zzz", "event": "buy"}, headers=h)
    assert missing.status_code == 404
    wrong = client.post("/v1/feedback", json={"user_id": "p-1", "item_id": "d010", "event": "steal"}, headers=h)
    assert wrong.status_code == 422


def test_user_recommendations_fall_back_to_popular_and_say_so(client):
    _, h = new_session(client)
    r = client.get("/v1/users/fresh-user/recommendations", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["source"] == "catalog" and "no interactions" in body["note"] and len(body["items"]) == 10
    for event, item in [("buy", "d020"), ("buy", "d020"), ("like", "d021"), ("cart", "d022")]:
        client.post("/v1/feedback", json={"user_id": "buyer", "item_id": item, "event": event}, headers=h)
    client.app.state.backend.library.forget_popularity()  # popularity is cached for a minute
    recs = client.get("/v1/users/someone-new/recommendations", params={"k": 3}, headers=h).json()
    assert recs["source"] == "popular" and "vidrec train" in recs["note"]
    assert [i["id"] for i in recs["items"]] == ["d020", "d022", "d021"]
    own = client.get("/v1/users/buyer/recommendations", params={"k": 3}, headers=h).json()
    assert "d020" not in [i["id"] for i in own["items"]]  # bought: not recommended again


def test_erase_user_removes_interactions_and_sessions(client):
    sid, h = new_session(client, user_id="erase-me")
    until_items(client, sid, h, "我想买连衣裙")
    client.post("/v1/feedback", json={"user_id": "erase-me", "item_id": "d005", "event": "like"}, headers=h)
    lib = client.app.state.backend.library
    assert list(lib.interactions("erase-me"))
    r = client.delete("/v1/users/erase-me", headers=h)
    assert r.status_code == 200 and r.json()["removed_rows"] >= 3 and r.json()["sessions"] == 1
    assert list(lib.interactions("erase-me")) == []
    assert lib.session(sid) is None
    assert client.get(f"/v1/sessions/{sid}", headers=h).status_code == 404


def test_an_erased_user_is_in_no_file_of_the_store(client, store_copy):
    """What the shopper said and did, and their id, are gone from the bytes of every file (databases, their
    write-ahead logs and shared memory) as soon as the erase returns, while the server still runs."""
    user, wish = "erase-me-entirely", "我想买一件蓝绿色的雨衣送给外婆"
    sid, h = new_session(client, user_id=user)
    say(client, sid, h, wish)
    client.post("/v1/feedback", json={"user_id": user, "item_id": "d005", "event": "like"}, headers=h)
    other, oh = new_session(client, user_id="stays")
    say(client, other, oh, "红色连衣裙")

    def stored() -> bytes:
        return b"".join(f.read_bytes() for f in store_copy.rglob("*") if f.is_file())

    assert wish.encode() in stored() and user.encode() in stored()
    assert client.delete(f"/v1/users/{user}", headers=h).status_code == 200
    left = stored()
    for secret in (wish.encode(), user.encode(), sid.encode()):
        assert secret not in left, [str(f) for f in store_copy.rglob("*") if f.is_file() and secret in f.read_bytes()]
    assert "红色连衣裙".encode() in left and other.encode() in left  # the other shopper is untouched


def test_writes_answer_503_with_retry_after_while_an_ingest_holds_the_store(client):
    sid, h = new_session(client)
    backend = client.app.state.backend
    backend.begin_ingest("test-job")
    try:
        r = client.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=h)
        assert r.status_code == 503 and r.headers["retry-after"] and r.json()["error"] == "ingesting"
        assert client.post("/v1/search", json={"query": "dress"}).status_code == 200  # reads go on
        assert client.get("/v1/items/d001").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    finally:
        backend.end_ingest()
    assert client.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=h).status_code == 200


def test_server_without_a_store_says_how_to_make_one(make_client, tmp_path):
    c = make_client(tmp_path / "nothing-here", admin_key=ADMIN_KEY)
    assert c.get("/healthz").status_code == 200
    r = c.get("/readyz")
    assert r.status_code == 503 and "POST /v1/ingest" in r.json()["note"]
    s = c.post("/v1/search", json={"query": "dress"})
    assert s.status_code == 503 and s.json()["error"] == "no_catalog" and s.headers["retry-after"]
    assert not (tmp_path / "nothing-here" / "vidrec.sqlite").exists()


def test_errors_are_json_with_a_request_id(client):
    r = client.get("/v1/nowhere", headers={"X-Request-ID": "trace-123"})
    assert r.status_code == 404 and r.json()["request_id"] == "trace-123" and r.headers["x-request-id"] == "trace-123"
    assert client.delete("/v1/search").status_code == 405
