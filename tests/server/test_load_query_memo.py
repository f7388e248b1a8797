"""A session's own query embedding is remembered for that session only (vidrec/server/query_memo.py): buttons and
"more" do not embed the same text again, answers are the same as without it, and nothing crosses sessions."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_settings
from ngram_encoder import NgramEncoder

from vidrec.errors import ConfigError
from vidrec.server.query_memo import SessionQueryMemo, in_session
from vidrec.server.settings import ServerSettings

TOKEN = {"Authorization": "Bearer Zp3kQ9vXw2LmT7rB5nYc8dHf1s"}


class Counting:
    """A text encoder that counts what it is asked to embed."""

    def __init__(self):
        self.inner = NgramEncoder()
        self.dim = self.inner.dim
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def encode(self, texts, kind="passage"):
        self.calls.append((kind, tuple(texts)))
        return self.inner.encode(list(texts), kind=kind)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_one_session_asking_again_is_not_embedded_again_and_gets_the_same_vector():
    inner = Counting()
    memo = SessionQueryMemo(inner)
    with in_session("s-aaaaaaaa"):
        first = memo.encode(["红色 连衣裙"], kind="query")
        again = memo.encode(["红色 连衣裙"], kind="query")
        other_text = memo.encode(["blue shorts"], kind="query")
    assert len(inner.calls) == 2 and np.array_equal(first, again) and first.shape == (1, inner.dim)
    assert not np.array_equal(first, other_text)
    assert memo.memo_stats() == {"sessions": 1, "hits": 1, "misses": 2}


def test_a_session_keeps_its_last_few_texts_and_goes_back_to_them():
    """A "not this" that probes with a condition dropped, then "more" on the session's own text: still a hit."""
    inner = Counting()
    memo = SessionQueryMemo(inner, per_session=3)
    with in_session("s-aaaaaaaa"):
        for text in ("red dress", "red", "dress", "red dress", "dress"):  # 3 texts embedded, then 2 hits
            memo.encode([text], kind="query")
        assert len(inner.calls) == 3 and memo.hits == 2
        memo.encode(["linen"], kind="query")  # a 4th text: "red", the least recently used, goes
        memo.encode(["red dress"], kind="query")
        memo.encode(["red"], kind="query")
    assert [texts[0] for _, texts in inner.calls] == ["red dress", "red", "dress", "linen", "red"]


def test_nothing_crosses_sessions_nor_leaves_them():
    inner = Counting()
    memo = SessionQueryMemo(inner)
    with in_session("s-aaaaaaaa"):
        memo.encode(["red dress"], kind="query")
    with in_session("s-bbbbbbbb"):  # another shopper, same words: embedded for them
        memo.encode(["red dress"], kind="query")
    memo.encode(["red dress"], kind="query")  # no session (one-shot search): never remembered
    memo.encode(["red dress"], kind="query")
    with in_session("s-aaaaaaaa"):
        memo.encode(["red dress"], kind="passage")  # only queries
    assert len(inner.calls) == 5
    assert memo.memo_stats()["sessions"] == 2 and memo.memo_stats()["hits"] == 0


def test_idle_sessions_and_the_least_recently_used_beyond_the_cap_are_let_go():
    inner, clock = Counting(), Clock()
    memo = SessionQueryMemo(inner, idle_s=60, max_sessions=2, clock=clock)
    for sid in ("s-1aaaaaaa", "s-2aaaaaaa"):
        with in_session(sid):
            memo.encode(["hat"], kind="query")
    clock.now += 30
    with in_session("s-1aaaaaaa"):
        memo.encode(["hat"], kind="query")  # a hit: s-1 is the most recently used now
    with in_session("s-3aaaaaaa"):
        memo.encode(["hat"], kind="query")  # over the cap: s-2, the least recently used, goes
    assert memo.memo_stats()["sessions"] == 2
    with in_session("s-2aaaaaaa"):
        memo.encode(["hat"], kind="query")
    assert memo.hits == 1 and len(inner.calls) == 4
    clock.now += 61
    assert memo.memo_stats()["sessions"] == 0  # all idle for more than a minute
    memo_b = SessionQueryMemo(Counting())
    with in_session("s-4aaaaaaa"):
        memo_b.encode(["hat"], kind="query")
    memo_b.forget("s-4aaaaaaa")
    assert memo_b.memo_stats()["sessions"] == 0


def _conversation(client) -> list:
    sid = client.post("/v1/sessions", json={}, headers=TOKEN).json()["session_id"]
    out = []
    first = client.post(f"/v1/sessions/{sid}/messages", json={"text": "推荐几件连衣裙"}, headers=TOKEN).json()
    out.append([i["id"] for i in first["items"]])
    shown = first["items"]
    assert shown, first  # the demo catalog has dresses
    for event, item in (("reject", shown[0]["id"]), ("like", shown[-1]["id"])):
        r = client.post("/v1/feedback", json={"session_id": sid, "item_id": item, "event": event}, headers=TOKEN)
        assert r.status_code == 200, r.text
        body = r.json()
        out.append((body["shown"], (body["replacement"] or {}).get("id")))
    more = client.post(f"/v1/sessions/{sid}/messages", json={"text": "more"}, headers=TOKEN).json()
    out.append([i["id"] for i in more["items"]])
    return out, sid


def test_a_chat_with_the_memo_answers_as_without_it_and_embeds_less(make_client, store_copy, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(store_copy, other)
    with_memo = make_client(store_copy, rate_limit="0")
    without = make_client(other, rate_limit="0", query_memo=False)
    answers, sid = _conversation(with_memo)
    assert _conversation(without)[0] == answers
    ready = with_memo.get("/readyz").json()
    assert ready["query_memo"]["hits"] >= 1 and ready["query_memo"]["sessions"] == 1
    assert without.get("/readyz").json()["query_memo"] is None
    assert with_memo.delete(f"/v1/sessions/{sid}", headers=TOKEN).status_code == 204
    assert with_memo.get("/readyz").json()["query_memo"]["sessions"] == 0  # deleted with its session


def test_the_memo_setting_is_checked():
    assert ServerSettings.from_env("/tmp/s", env={"VIDREC_QUERY_MEMO": "0"}).query_memo is False
    assert ServerSettings.from_env("/tmp/s", env={}).query_memo is True
    with pytest.raises(ConfigError, match="VIDREC_QUERY_MEMO must be 1 .on. or 0 .off."):
        ServerSettings.from_env("/tmp/s", env={"VIDREC_QUERY_MEMO": "yes"})
    assert make_settings("/tmp/s", query_memo=False).query_memo is False
    assert ServerSettings.from_env("/tmp/s", env={}).query_memo_idle_s == 60.0
    assert ServerSettings.from_env("/tmp/s", env={"VIDREC_QUERY_MEMO_IDLE": "5m"}).query_memo_idle_s == 300.0
    for bad in ("soon", "0"):
        with pytest.raises(ConfigError, match="VIDREC_QUERY_MEMO_IDLE"):
            ServerSettings.from_env("/tmp/s", env={"VIDREC_QUERY_MEMO_IDLE": bad})


def test_with_the_defaults_the_memo_holds_only_the_sessions_of_the_last_idle_period():
    """Many sessions that each chat for a while and leave (as the soak's shoppers do): with the default settings the
    memo holds the sessions of the last IDLE_S seconds, not every session since the server started."""
    from vidrec.server.query_memo import IDLE_S, MAX_SESSIONS

    inner, clock = Counting(), Clock()
    memo = SessionQueryMemo(inner, clock=clock)
    per_s = 2  # new sessions a second
    held = []
    for n in range(int(IDLE_S * per_s * 4)):
        with in_session(f"s-{n:08d}"):
            memo.encode([f"text {n % 7}"], kind="query")
            memo.encode([f"text {n % 7}"], kind="query")
        clock.now += 1 / per_s
        held.append(memo.memo_stats()["sessions"])
    assert max(held) <= IDLE_S * per_s + 1 < MAX_SESSIONS
    assert held[-1] >= IDLE_S * per_s - 1  # full, and flat from then on
    assert memo.hits == len(held)
