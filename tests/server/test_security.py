"""Keys, ownership of sessions and user data, path traversal, body limits, malformed input, CORS, no tracebacks."""

from __future__ import annotations

import os
import time

import pytest
from conftest import ADMIN_KEY, OTHER_SHOPPER_KEY, SHOPPER_KEY

from vidrec.server.auth import _signature


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


A_TOKEN = "client-token-of-alice-000000"
B_TOKEN = "client-token-of-bob-11111111"


def session_of(client, headers, user_id=None):
    r = client.post("/v1/sessions", json={"user_id": user_id} if user_id else {}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["session_id"]


@pytest.fixture
def keyed(make_client, store_copy):
    return make_client(store_copy, admin_key=ADMIN_KEY, api_keys=(SHOPPER_KEY, OTHER_SHOPPER_KEY))


# ------------------------------------------------------------------------------------------------ keys
def test_shopper_keys_are_required_when_configured(keyed):
    for method, path, body in [("POST", "/v1/sessions", {}), ("POST", "/v1/search", {"query": "dress"}),
                               ("GET", "/v1/items/d001", None), ("POST", "/v1/parse", {"text": "dress"})]:
        r = keyed.request(method, path, json=body)
        assert r.status_code == 401 and r.json()["error"] == "key_required", path
        assert r.headers["www-authenticate"] == "Bearer"
        wrong = keyed.request(method, path, json=body, headers=bearer("not-a-valid-key-at-all-0000"))
        assert wrong.status_code == 401 and wrong.json()["error"] == "key_rejected"
        assert SHOPPER_KEY not in wrong.text
    assert keyed.post("/v1/sessions", json={}, headers=bearer(SHOPPER_KEY)).status_code == 201
    assert keyed.post("/v1/sessions", json={}, headers={"X-API-Key": SHOPPER_KEY}).status_code == 201
    assert keyed.post("/v1/sessions", json={}, headers={"Authorization": f"Basic {SHOPPER_KEY}"}).status_code == 401
    assert keyed.get("/healthz").status_code == 200 and keyed.get("/").status_code == 200  # no data there


def test_media_links_are_signed_when_keys_are_on(keyed):
    h = bearer(SHOPPER_KEY)
    item = keyed.get("/v1/items/d001", headers=h).json()
    assert "sig=" in item["video"] and "exp=" in item["thumbnail"]
    assert keyed.get("/v1/items/d001/video").status_code == 401  # no key, no signature
    assert keyed.get(item["video"]).status_code == 200  # the signed link works without headers (<video src>)
    assert keyed.get(item["thumbnail"]).status_code == 200
    assert keyed.get("/v1/items/d001/video", headers=h).status_code == 200
    tampered = item["video"].replace("sig=", "sig=A")
    assert keyed.get(tampered).status_code == 403
    other = item["video"].replace("/d001/", "/d002/")
    assert keyed.get(other).json()["error"] == "bad_signature"
    expired = int(time.time()) - 10
    sig = _signature(keyed.app.state.settings, "d001", expired)
    r = keyed.get(f"/v1/items/d001/video?exp={expired}&sig={sig}")
    assert r.status_code == 403 and r.json()["error"] == "link_expired"


def test_admin_endpoints(make_client, store_copy, tmp_path):
    off = make_client(store_copy)
    r = off.post("/v1/ingest", json={"catalog": "x.csv"}, headers=bearer(ADMIN_KEY))
    assert r.status_code == 403 and r.json()["error"] == "admin_disabled"
    off.__exit__(None, None, None)
    on = make_client(store_copy, admin_key=ADMIN_KEY, api_keys=(SHOPPER_KEY,), ingest_roots=(tmp_path,))
    assert on.post("/v1/ingest", json={"catalog": "x.csv"}).status_code == 401
    assert on.post("/v1/ingest", json={"catalog": "x.csv"}, headers=bearer(SHOPPER_KEY)).status_code == 403
    assert on.get("/v1/ingest", headers=bearer("wrong-admin-key-000000000")).status_code == 403
    assert on.get("/v1/ingest", headers=bearer(ADMIN_KEY)).json() == []
    assert on.get("/v1/ingest/0123456789abcdef", headers=bearer(ADMIN_KEY)).status_code == 404


def test_keys_shorter_than_16_characters_are_refused(store_copy):
    from vidrec.errors import ConfigError
    from vidrec.server.settings import ServerSettings

    with pytest.raises(ConfigError, match="shorter than 16"):
        ServerSettings(store=store_copy, admin_key="short")
    with pytest.raises(ConfigError, match="differ"):
        ServerSettings(store=store_copy, admin_key=SHOPPER_KEY, api_keys=(SHOPPER_KEY,))
    s = ServerSettings.from_env(store_copy, env={"VIDREC_API_KEYS": f"{SHOPPER_KEY}, {OTHER_SHOPPER_KEY}",
                                                 "VIDREC_CORS_ORIGINS": "https://shop.example"})
    assert s.api_keys == (SHOPPER_KEY, OTHER_SHOPPER_KEY) and s.cors_origins == ("https://shop.example",)


# ------------------------------------------------------------------------------------------------ ownership
def test_nobody_reads_or_writes_another_callers_session(client):
    a, b = bearer(A_TOKEN), bearer(B_TOKEN)
    sid = session_of(client, a)
    assert client.post(f"/v1/sessions/{sid}/messages", json={"text": "我想买连衣裙"}, headers=a).status_code == 200
    assert client.get(f"/v1/sessions/{sid}", headers=b).status_code == 404
    assert client.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=b).status_code == 404
    assert client.post(f"/v1/sessions/{sid}/messages/stream", json={"text": "hi"}, headers=b).status_code == 404
    assert client.delete(f"/v1/sessions/{sid}", headers=b).status_code == 404
    fb = client.post("/v1/feedback", json={"session_id": sid, "item_id": "d001", "event": "reject"}, headers=b)
    assert fb.status_code == 404
    assert client.get(f"/v1/sessions/{sid}").status_code == 401  # no token at all
    assert client.get(f"/v1/sessions/{sid}", headers=a).json()["turn"] == 1  # untouched by b
    assert len(sid) == 32 and int(sid, 16) >= 0  # random, not guessable


def test_sessions_of_another_shopper_key_are_invisible(keyed):
    sid = session_of(keyed, bearer(SHOPPER_KEY))
    assert keyed.get(f"/v1/sessions/{sid}", headers=bearer(OTHER_SHOPPER_KEY)).status_code == 404
    assert keyed.get(f"/v1/sessions/{sid}", headers=bearer(SHOPPER_KEY)).status_code == 200


def test_nobody_reads_or_erases_another_callers_user(client):
    a, b = bearer(A_TOKEN), bearer(B_TOKEN)
    session_of(client, a, user_id="alice")
    client.post("/v1/feedback", json={"user_id": "alice", "item_id": "d001", "event": "like"}, headers=a)
    for r in (client.get("/v1/users/alice/recommendations", headers=b), client.delete("/v1/users/alice", headers=b),
              client.post("/v1/sessions", json={"user_id": "alice"}, headers=b),
              client.post("/v1/feedback", json={"user_id": "alice", "item_id": "d002", "event": "buy"}, headers=b)):
        assert r.status_code == 403 and r.json()["error"] == "user_not_yours", r.text
    lib = client.app.state.backend.library
    assert [(e.event, e.item_id) for e in lib.interactions("alice")] == [("like", "d001")]
    assert client.get("/v1/users/alice/recommendations", headers=a).status_code == 200
    assert client.delete("/v1/users/alice", headers=bearer(ADMIN_KEY)).status_code == 200  # the operator may
    assert list(lib.interactions("alice")) == []


def test_imported_user_data_cannot_be_claimed_by_an_anonymous_client(make_client, store_copy):
    from vidrec.store import Store

    with Store.open(store_copy) as st:
        st.metadata.add_interaction("imported-7", "d001", "buy")
    open_server = make_client(store_copy)
    r = open_server.get("/v1/users/imported-7/recommendations", headers=bearer(A_TOKEN))
    assert r.status_code == 403
    open_server.__exit__(None, None, None)
    keyed = make_client(store_copy, api_keys=(SHOPPER_KEY,))
    assert keyed.get("/v1/users/imported-7/recommendations", headers=bearer(SHOPPER_KEY)).status_code == 200


def test_identified_endpoints_need_a_token_and_tokens_must_look_like_secrets(client):
    assert client.post("/v1/feedback", json={"user_id": "x", "item_id": "d001", "event": "buy"}).status_code == 401
    r = client.get("/v1/users/x/recommendations", headers=bearer("short"))
    assert r.status_code == 401 and r.json()["error"] == "bad_token"


# ------------------------------------------------------------------------------------------------ paths
def test_ingest_paths_cannot_leave_the_ingest_roots(make_client, store_copy, tmp_path):
    root = tmp_path / "catalogs"
    root.mkdir()
    (root / "inside.csv").write_text("id,video\n", encoding="utf-8")
    outside = tmp_path / "secret.csv"
    outside.write_text("id,video\n", encoding="utf-8")
    os.symlink(outside, root / "link.csv")
    c = make_client(store_copy, admin_key=ADMIN_KEY, ingest_roots=(root,))
    h = bearer(ADMIN_KEY)
    for path in ["../secret.csv", str(outside), "/etc/passwd", "link.csv", "../../../../../../etc/shadow",
                 "inside.csv/../../secret.csv"]:
        r = c.post("/v1/ingest", json={"catalog": path}, headers=h)
        assert r.status_code == 403 and r.json()["error"] == "catalog_outside_roots", (path, r.text)
    for path in ("missing.csv", "~/.ssh/id_rsa", "~root/.ssh/id_rsa"):  # "~" is a name here, not a home folder
        r = c.post("/v1/ingest", json={"catalog": path}, headers=h)
        assert r.status_code == 404 and r.json()["error"] == "catalog_not_found", path
    assert c.post("/v1/ingest", json={"catalog": "in\u0000side.csv"}, headers=h).status_code == 422  # the spec says no NUL
    assert c.get("/v1/ingest", headers=h).json() == []  # nothing was started


def test_item_ids_are_never_paths(client):
    for raw in ["%2e%2e", "..", "..%2F..%2Fetc%2Fpasswd", "a%5Cb", "x" * 129, "%00", "d001%3Fx"]:
        for suffix in ("", "/video", "/thumbnail"):
            r = client.get(f"/v1/items/{raw}{suffix}")
            assert r.status_code in (404, 422), (raw, suffix, r.status_code)
            assert r.headers["content-type"].startswith("application/json")
    r = client.post("/v1/feedback", json={"user_id": "u", "item_id": "../../etc/passwd", "event": "buy"},
                    headers=bearer(A_TOKEN))
    assert r.status_code == 422


# ------------------------------------------------------------------------------------------------ bodies
def test_oversized_bodies_are_refused_before_reading(make_client, store_copy):
    c = make_client(store_copy, max_body_bytes=4096)
    big = "x" * 5000
    r = c.post("/v1/search", content=f'{{"query": "{big}"}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"

    def chunks():
        for _ in range(10):
            yield b" " * 1000

    r = c.post("/v1/search", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = c.post("/v1/search", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "abc"})
    assert r.status_code in (400, 413)


def test_message_length_and_text_validation(client):
    sid = session_of(client, bearer(A_TOKEN))
    url = f"/v1/sessions/{sid}/messages"
    long = client.post(url, json={"text": "好" * 2001}, headers=bearer(A_TOKEN))
    assert long.status_code == 422 and "text" in long.json()["message"]
    for bad in ["", "   ", None, 5, ["a"]]:
        r = client.post(url, json={"text": bad}, headers=bearer(A_TOKEN))
        assert r.status_code == 422, (bad, r.text)
    lone_surrogate = client.post(url, content=b'{"text": "\\ud800 dress"}', headers={
        **bearer(A_TOKEN), "Content-Type": "application/json"})
    assert lone_surrogate.status_code == 422 and "unicode" in lone_surrogate.json()["message"].lower()
    assert client.post(url, json={"text": "hi", "extra": 1}, headers=bearer(A_TOKEN)).status_code == 422
    assert client.post("/v1/search", json={"query": "dress", "k": 1000}).status_code == 422
    assert client.post("/v1/sessions", json={"user_id": "../../etc"}, headers=bearer(A_TOKEN)).status_code == 422


def test_malformed_json_is_a_clear_400(client):
    for body in ['{"query": "dress"', "not json", '{"query": "a"}}', "\xff\xfe"]:
        r = client.post("/v1/search", content=body.encode("utf-8", "surrogateescape"),
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"] == "malformed_json", body
    r = client.post("/v1/search", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_unexpected_errors_are_500_without_a_traceback(client, monkeypatch):
    sid = session_of(client, bearer(A_TOKEN))
    engine = client.app.state.backend.engine

    def broken(*a, **k):
        raise RuntimeError("secret internals /srv/vidrec/engine.py line 42")

    monkeypatch.setattr(engine, "respond", broken)
    r = client.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=bearer(A_TOKEN))
    assert r.status_code == 500 and r.json()["error"] == "internal_error" and r.json()["request_id"]
    assert "Traceback" not in r.text and "secret internals" not in r.text and "RuntimeError" not in r.text


# ------------------------------------------------------------------------------------------------ headers
def test_every_response_says_nosniff_and_carries_a_content_security_policy(client, monkeypatch):
    from vidrec.server.middleware import API_CSP, DOCS_CSP
    from vidrec.server.routes.page import PAGE_CSP

    sid = session_of(client, bearer(A_TOKEN))
    responses = {
        "json": client.get("/v1/items/d001"),
        "not found": client.get("/v1/items/nope"),
        "no endpoint": client.get("/v2/nothing"),
        "too large": client.post("/v1/search", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"}),
        "video": client.get("/v1/items/d001/video"),
        "video range": client.get("/v1/items/d001/video", headers={"Range": "bytes=0-99"}),
        "thumbnail": client.get("/v1/items/d001/thumbnail"),
        "script": client.get("/static/app.js"),
        "openapi": client.get("/openapi.json"),
        "health": client.get("/healthz"),
    }
    monkeypatch.setattr(client.app.state.backend.engine, "respond",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    responses["server error"] = client.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"},
                                            headers=bearer(A_TOKEN))
    assert [r.status_code for r in responses.values()] == [200, 404, 404, 413, 200, 206, 200, 200, 200, 200, 500]
    for name, r in responses.items():
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["content-security-policy"] == API_CSP, name
    page = client.get("/")  # the chat page keeps its own, wider policy
    assert page.headers["content-security-policy"] == PAGE_CSP and page.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/docs")
    assert docs.headers["content-security-policy"] == DOCS_CSP and docs.headers["x-content-type-options"] == "nosniff"


def test_the_api_docs_load_their_assets_from_this_server(client):
    import re

    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), html  # nothing from another host
        assets = re.findall(r"(?:src|href)=\"(/[^\"]+)\"", html)
        assert any(a.endswith(".js") for a in assets), html
        for asset in assets:
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 1000, asset


# ------------------------------------------------------------------------------------------------ CORS
def test_cors_is_off_by_default_and_configurable(make_client, store_copy, client):
    pre = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}
    r = client.options("/v1/search", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    client.__exit__(None, None, None)
    c = make_client(store_copy, cors_origins=("https://shop.example",))
    r = c.options("/v1/search", headers=pre)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    other = c.options("/v1/search", headers={**pre, "Origin": "https://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"
    get = c.post("/v1/search", json={"query": "dress"}, headers={"Origin": "https://shop.example"})
    assert get.headers["access-control-allow-origin"] == "https://shop.example"
