"""Limits on consumption: per-caller rate limits, a cap on sessions per caller, session expiry, client tokens that
must be hard to guess."""

from __future__ import annotations

import random
import secrets
import string
import time
import uuid

import pytest
from conftest import ADMIN_KEY

from vidrec.errors import ConfigError
from vidrec.server import expiry
from vidrec.server.auth import token_looks_random
from vidrec.server.ratelimit import RateLimiter
from vidrec.server.settings import Rate, ServerSettings, parse_rate

A_TOKEN = "Zp3kQ9vXw2LmT7rB5nYc8dHf1s"
B_TOKEN = "Mq6tR1zWb4XnK8pJ3vLc9gYh2e"


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


# ------------------------------------------------------------------------------------------------ rate limits
def test_a_burst_over_the_rate_gets_429_with_retry_after(make_client, store_copy):
    c = make_client(store_copy, admin_key=ADMIN_KEY, rate_limit="5/minute")
    assert [c.get("/v1/items/d001", headers=bearer(A_TOKEN)).status_code for _ in range(5)] == [200] * 5
    r = c.get("/v1/items/d001", headers=bearer(A_TOKEN))
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 12  # one request back every 12 s at 5 a minute
    body = r.json()
    assert body["error"] == "rate_limited" and "5/minute" in body["message"] and body["request_id"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-request-id"] == body["request_id"]
    # every caller has its own bucket; probes and the admin are not limited
    assert c.get("/v1/items/d001", headers=bearer(B_TOKEN)).status_code == 200
    assert c.post("/v1/search", json={"query": "dress"}, headers=bearer(A_TOKEN)).status_code == 429
    assert c.get("/healthz", headers=bearer(A_TOKEN)).status_code == 200
    assert all(c.get("/v1/items/d001", headers=bearer(ADMIN_KEY)).status_code == 200 for _ in range(8))


def test_callers_without_credentials_are_limited_by_address(make_client, store_copy):
    c = make_client(store_copy, rate_limit="3/minute")
    assert [c.post("/v1/sessions").status_code for _ in range(3)] == [201] * 3  # each got a fresh token...
    assert c.post("/v1/sessions").status_code == 429  # ...but they all came from one address


def test_under_the_rate_every_request_passes_and_0_turns_the_limit_off(make_client, store_copy):
    under = make_client(store_copy, rate_limit="40/minute")
    assert [under.get("/v1/items/d002", headers=bearer(A_TOKEN)).status_code for _ in range(40)] == [200] * 40
    under.__exit__(None, None, None)
    default = make_client(store_copy)
    assert default.app.state.settings.rate == Rate(100, 10.0)  # bursts of 100, 10 a second
    started = time.monotonic()
    codes = [default.get("/v1/items/d002").status_code for _ in range(200)]
    refilled = (time.monotonic() - started) * 10
    assert codes[:100] == [200] * 100 and codes[100:].count(429) >= 100 - refilled - 1
    default.__exit__(None, None, None)
    off = make_client(store_copy, rate_limit="0")
    assert off.app.state.settings.rate is None
    assert [off.get("/v1/items/d002").status_code for _ in range(320)] == [200] * 320


def test_the_bucket_refills_at_the_rate_and_forgets_idle_callers():
    now = [1000.0]
    limiter = RateLimiter(Rate(2, 10.0), max_callers=3, clock=lambda: now[0])
    assert [limiter.wait_s("a"), limiter.wait_s("a")] == [0.0, 0.0]
    assert limiter.wait_s("a") == pytest.approx(5.0)  # one request every 5 s
    now[0] += 4.0
    assert limiter.wait_s("a") == pytest.approx(1.0)  # a refused request takes nothing
    now[0] += 1.0
    assert limiter.wait_s("a") == 0.0
    for key in ("b", "c", "d", "e"):
        limiter.wait_s(key)
    assert len(limiter) == 3  # the least recently seen caller was dropped
    now[0] += 10.0
    limiter.wait_s("f")
    assert len(limiter) == 1  # the others' buckets are full again: nothing to remember


def test_rates_from_the_environment():
    assert parse_rate("300/minute") == Rate(300, 60.0) and parse_rate("20/second") == Rate(20, 1.0)
    assert parse_rate("1000 per 10 minutes") == Rate(1000, 600.0) and parse_rate("5/s") == Rate(5, 1.0)
    assert parse_rate("0") is None and parse_rate("off") is None
    for bad in ("lots", "5/ms", "5/", "-3/minute", "5 per 0 minutes"):
        with pytest.raises(ConfigError, match="VIDREC_RATE_LIMIT"):
            parse_rate(bad)
    s = ServerSettings.from_env("/tmp/x", env={"VIDREC_RATE_LIMIT": "10/second", "VIDREC_MAX_SESSIONS": "7",
                                               "VIDREC_SESSION_TTL": "12h"})
    assert s.rate == Rate(10, 1.0) and s.max_sessions == 7 and s.session_ttl_s == 12 * 3600
    with pytest.raises(ConfigError, match="VIDREC_SESSION_TTL"):
        ServerSettings.from_env("/tmp/x", env={"VIDREC_SESSION_TTL": "a week"})
    with pytest.raises(ConfigError, match="VIDREC_MAX_SESSIONS"):
        ServerSettings.from_env("/tmp/x", env={"VIDREC_MAX_SESSIONS": "many"})


# ------------------------------------------------------------------------------------------------ sessions
def new_session(client, secret):
    r = client.post("/v1/sessions", json={}, headers=bearer(secret))
    return r


def test_a_caller_holds_at_most_the_cap_of_sessions(make_client, store_copy):
    c = make_client(store_copy, admin_key=ADMIN_KEY, max_sessions=2)
    first, second = (new_session(c, A_TOKEN).json()["session_id"] for _ in range(2))
    refused = new_session(c, A_TOKEN)
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_sessions"
    assert "2 sessions" in refused.json()["message"] and "DELETE /v1/sessions" in refused.json()["message"]
    assert 0 < int(refused.headers["retry-after"]) <= 7 * 86400  # when the oldest one expires
    assert new_session(c, B_TOKEN).status_code == 201  # another caller's count is its own
    assert c.delete(f"/v1/sessions/{first}", headers=bearer(A_TOKEN)).status_code == 204
    assert new_session(c, A_TOKEN).status_code == 201
    assert new_session(c, A_TOKEN).status_code == 429
    assert all(new_session(c, ADMIN_KEY).status_code == 201 for _ in range(3))  # the operator has no cap
    assert c.get(f"/v1/sessions/{second}", headers=bearer(A_TOKEN)).status_code == 200


class Later:
    """``time`` as the expiry module sees it, ``offset`` seconds from now."""

    def __init__(self, offset: float):
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


class At:
    """``time`` as the expiry module sees it, stopped at ``when``."""

    def __init__(self, when: float):
        self.when = when

    def time(self) -> float:
        return self.when


def test_an_expired_session_answers_404_and_is_deleted(make_client, store_copy, monkeypatch):
    c = make_client(store_copy, session_ttl_s=600)
    sid = new_session(c, A_TOKEN).json()["session_id"]
    assert c.post(f"/v1/sessions/{sid}/messages", json={"text": "我想买连衣裙"}, headers=bearer(A_TOKEN)).status_code == 200
    # the clock from the session's own last touch, so a slow turn on a loaded machine does not age it
    touched = float(c.app.state.backend.library.session(sid)["updated_at"])
    monkeypatch.setattr(expiry, "time", At(touched + 599))
    assert c.get(f"/v1/sessions/{sid}", headers=bearer(A_TOKEN)).status_code == 200  # not yet
    monkeypatch.setattr(expiry, "time", At(touched + 601))
    for r in (c.post(f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=bearer(A_TOKEN)),
              c.get(f"/v1/sessions/{sid}", headers=bearer(A_TOKEN)),
              c.post("/v1/feedback", json={"session_id": sid, "item_id": "d001", "event": "like"},
                     headers=bearer(A_TOKEN))):
        assert r.status_code == 404 and r.json()["error"] == "session_not_found", r.text
        assert "expired" in r.json()["message"]
    assert c.app.state.backend.library.session(sid) is None  # deleted, not brought back by the message
    assert c.app.state.owners.sessions_of_caller(_client_caller(A_TOKEN)) == []


def _client_caller(token):
    from vidrec.server.auth import caller_for_secret

    return caller_for_secret(token, "client")


def test_an_expired_session_frees_its_place_under_the_cap(make_client, store_copy, monkeypatch):
    c = make_client(store_copy, max_sessions=1, session_ttl_s=60)
    old = new_session(c, A_TOKEN).json()["session_id"]
    assert new_session(c, A_TOKEN).status_code == 429
    monkeypatch.setattr(expiry, "time", Later(61))
    assert new_session(c, A_TOKEN).status_code == 201
    assert c.app.state.backend.library.session(old) is None


def test_the_sweep_deletes_sessions_untouched_for_the_lifetime(make_client, store_copy):
    c = make_client(store_copy, session_ttl_s=60)
    old = new_session(c, A_TOKEN).json()["session_id"]
    time.sleep(0.02)
    cutoff = time.time()
    time.sleep(0.02)
    fresh = new_session(c, B_TOKEN).json()["session_id"]
    backend, owners = c.app.state.backend, c.app.state.owners
    assert expiry.expire_sessions(backend, owners, 60, now=cutoff + 60) == 1
    assert backend.library.session(old) is None and backend.library.session(fresh) is not None
    assert owners.sessions_of_caller(_client_caller(A_TOKEN)) == []
    assert owners.sessions_of_caller(_client_caller(B_TOKEN)) == [fresh]
    assert expiry.expire_sessions(backend, owners, 0, now=cutoff + 10**6) == 0  # a lifetime of 0: forever


def test_sessions_expired_while_the_server_was_down_go_at_start_up(make_client, store_copy):
    first = make_client(store_copy)
    sid = new_session(first, A_TOKEN).json()["session_id"]
    first.__exit__(None, None, None)
    time.sleep(1.1)
    again = make_client(store_copy, session_ttl_s=1)
    deadline = time.monotonic() + 60  # a wait, not a timing: the start-up sweep runs in the background (slow on a loaded machine)
    while again.app.state.backend.library.session(sid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert again.app.state.backend.library.session(sid) is None
    assert again.app.state.owners.sessions_of_caller(_client_caller(A_TOKEN)) == []


def test_sweep_interval():
    assert expiry.sweep_interval_s(7 * 86400) == 3600 and expiry.sweep_interval_s(600) == 60
    assert expiry.sweep_interval_s(1) == 1


# ------------------------------------------------------------------------------------------------ client tokens
def test_client_tokens_must_be_hard_to_guess(client):
    weak = ["short", "x" * 21, "a" * 40, "ab" * 20, "abcabcabcabcabcabcabcabc", "0000000000000000000000000000",
            "has space in it 0123456789"]
    for token in weak:
        r = client.get("/v1/users/x/recommendations", headers=bearer(token))
        assert r.status_code == 401 and r.json()["error"] == "bad_token", token
        assert "22" in r.json()["message"]
    for n, token in enumerate((secrets.token_urlsafe(16), uuid.uuid4().hex, A_TOKEN)):
        assert client.get(f"/v1/users/u{n}/recommendations", headers=bearer(token)).status_code == 200, token
    issued = client.post("/v1/sessions").json()["client_token"]
    assert token_looks_random(issued) and len(issued) >= 22


def test_random_tokens_of_the_least_length_are_never_refused():
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_"
    for _ in range(2000):
        assert token_looks_random("".join(rng.choice(alphabet) for _ in range(22)))
        assert token_looks_random("".join(rng.choice("0123456789abcdef") for _ in range(32)))
