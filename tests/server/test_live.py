"""A real uvicorn process on a real socket: streaming (SSE), range requests, JSON logs, concurrency, ingest jobs."""

from __future__ import annotations

import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import ADMIN_KEY, DEMO, ServerProcess, free_port, server_env


def start_session(base, user_id=None):
    r = httpx.post(f"{base}/v1/sessions", json={"user_id": user_id} if user_id else {})
    assert r.status_code == 201, r.text
    return r.json()["session_id"], {"Authorization": f"Bearer {r.json()['client_token']}"}


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events, kind, data = [], None, []
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            events.append((kind, json.loads("\n".join(data))))
            kind, data = None, []
    return events


def test_streamed_reply_arrives_as_server_sent_events(test_server):
    srv = test_server()
    sid, h = start_session(srv.base)
    events = []
    for text in ("我想买一条连衣裙", "随便，直接推荐吧", "再来一些"):
        with httpx.stream("POST", f"{srv.base}/v1/sessions/{sid}/messages/stream", json={"text": text},
                          headers=h, timeout=60) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-store"
            events = sse_events(r)
        kinds = [k for k, _ in events]
        assert kinds[0] == "accepted" and kinds[1] == "reply" and kinds[-1] == "done"
        if "item" in kinds:
            break
    done = events[-1][1]
    items = [d["item"] for k, d in events if k == "item"]
    assert items and items == done["items"] and [d["index"] for k, d in events if k == "item"] == list(
        range(len(items)))
    assert events[1][1]["reply"] == done["reply"] and done["session_id"] == sid
    plain = httpx.get(f"{srv.base}/v1/sessions/{sid}", headers=h).json()
    assert plain["state"]["shown"] == [i["id"] for i in items]  # the streamed turn was saved like a plain one


def test_range_requests_over_a_socket(test_server):
    srv = test_server()
    size = (DEMO / "videos" / "d001.mp4").stat().st_size
    with httpx.Client(base_url=srv.base) as c:
        head = c.head("/v1/items/d001/video")
        assert head.status_code == 200 and head.headers["content-length"] == str(size)
        r = c.get("/v1/items/d001/video", headers={"Range": "bytes=1000-"})
        assert r.status_code == 206 and r.headers["content-range"] == f"bytes 1000-{size - 1}/{size}"
        assert len(r.content) == size - 1000
        assert r.content == (DEMO / "videos" / "d001.mp4").read_bytes()[1000:]
        first = c.get("/v1/items/d001/video", headers={"Range": "bytes=0-0"})
        assert first.status_code == 206 and first.content == b"\x00"


def test_concurrent_shoppers_and_json_logs(test_server):
    srv = test_server()

    def shopper(n):
        sid, h = start_session(srv.base, user_id=f"load-{n}")
        statuses = []
        for text in ("我想买T恤", "随便", "便宜一点", "show me dresses"):
            statuses.append(httpx.post(f"{srv.base}/v1/sessions/{sid}/messages", json={"text": text}, headers=h,
                                       timeout=60).status_code)
        return statuses, h["Authorization"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(shopper, range(8)))
    assert all(s == 200 for statuses, _ in results for s in statuses)
    srv.stop()
    lines = [json.loads(line) for line in srv.log.read_text().splitlines() if line.startswith("{")]
    requests = [r for r in lines if r.get("msg") == "request"]
    assert len(requests) >= 8 * 5 and all({"request_id", "method", "path", "status", "ms"} <= set(r)
                                          for r in requests)
    assert any(r["caller"] and r["caller"].startswith("client:") for r in requests)
    log_text = srv.log.read_text()
    for _, auth in results:  # credentials never reach the log
        assert auth.split()[1] not in log_text


ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@contextmanager
def admin_server(tmp_path, store, roots):
    """A test server over ``store`` with the admin key on and ``roots`` as its ingest roots."""
    port = free_port()
    srv = ServerProcess([sys.executable, str(Path(__file__).parent / "serve_test_app.py"), str(store), str(port)],
                        server_env(VIDREC_ADMIN_KEY=ADMIN_KEY, VIDREC_INGEST_ROOTS=str(roots)), port,
                        tmp_path / "server.log")
    try:
        srv.wait_ready(60)
        yield srv
    finally:
        srv.stop()


def finished_job(base, response, timeout_s=120):
    """The ingest job that ``response`` (a 202 from POST /v1/ingest) started, once it stopped running."""
    job = response.json()
    deadline = time.monotonic() + timeout_s
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = httpx.get(f"{base}/v1/ingest/{job['id']}", headers=ADMIN).json()
    return job


def test_admin_ingest_job_runs_and_the_server_takes_the_store_back(tmp_path, store_copy):
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    (catalogs / "broken.csv").write_text("id,video,title\nb1,missing-1.mp4,Gone\nb2,missing-2.mp4,Gone too\n",
                                         encoding="utf-8")
    with admin_server(tmp_path, store_copy, catalogs) as srv:
        r = httpx.post(f"{srv.base}/v1/ingest", json={"catalog": "broken.csv", "workers": 1}, headers=ADMIN)
        assert r.status_code == 202, r.text
        assert r.headers["location"] == f"/v1/ingest/{r.json()['id']}"
        job = finished_job(srv.base, r)
        assert job["state"] == "finished", job
        assert job["summary"]["failed_count"] == 2 and job["counts"]["failed"] == 2 and job["done"] == 2
        assert "video not found" in job["summary"]["failed"][0]["error"]
        assert httpx.get(f"{srv.base}/readyz").json()["status"] == "ready"  # the server has the store back
        sid, h = start_session(srv.base)
        assert httpx.post(f"{srv.base}/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=h,
                          timeout=60).status_code == 200
        listed = httpx.get(f"{srv.base}/v1/ingest", headers=ADMIN).json()
        assert [j["id"] for j in listed] == [job["id"]]


@pytest.mark.slow
def test_admin_ingest_refuses_videos_outside_the_ingest_roots(tmp_path, store_copy):
    """A catalog inside the roots may not reach outside them through its rows: `..`, an absolute path or a link."""
    catalogs, outside = tmp_path / "catalogs", tmp_path / "private"
    catalogs.mkdir()
    outside.mkdir()
    shutil.copy(DEMO / "videos" / "d001.mp4", outside / "secret.mp4")
    (catalogs / "link.mp4").symlink_to(outside / "secret.mp4")
    (catalogs / "sneaky.csv").write_text(
        "id,video,title\nx-up,../private/secret.mp4,Up\nx-link,link.mp4,Linked\n"
        f"x-abs,{outside / 'secret.mp4'},Absolute\n", encoding="utf-8")
    with admin_server(tmp_path, store_copy, catalogs) as srv:
        job = finished_job(srv.base, httpx.post(f"{srv.base}/v1/ingest", json={"catalog": "sneaky.csv",
                                                                               "workers": 1}, headers=ADMIN))
        assert job["state"] == "finished", job
        refused = {e["id"]: e["error"] for e in job["summary"]["row_errors"]}
        assert set(refused) == {"x-up", "x-link", "x-abs"}, job["summary"]
        assert all("outside the ingest roots" in e for e in refused.values())
        assert job["summary"]["ingested"] == 0
        for item_id in refused:
            assert httpx.get(f"{srv.base}/v1/items/{item_id}").status_code == 404


def test_admin_ingest_of_real_videos_adds_items_the_chat_finds(tmp_path, store_copy):
    """Real models: ingest two demo videos into a new store through the API, then chat about them."""
    catalogs = tmp_path / "catalogs"
    (catalogs / "videos").mkdir(parents=True)
    rows = [line for line in (DEMO / "catalog.csv").read_text(encoding="utf-8").splitlines()]
    keep = [rows[0]] + [r for r in rows[1:] if r.startswith(("d001,", "d004,"))]
    (catalogs / "catalog.csv").write_text("\n".join(keep) + "\n", encoding="utf-8")
    for name in ("d001.mp4", "d004.mp4"):
        shutil.copy(DEMO / "videos" / name, catalogs / "videos" / name)
    store = tmp_path / "fresh-store"
    port = free_port()
    srv = ServerProcess([sys.executable, "-m", "vidrec.cli", "serve", "--store", str(store), "--port", str(port)],
                        server_env(VIDREC_ADMIN_KEY=ADMIN_KEY, VIDREC_INGEST_ROOTS=str(catalogs)), port,
                        tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{srv.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert httpx.get(f"{srv.base}/readyz").status_code == 503  # no catalog yet
        job = finished_job(srv.base, httpx.post(f"{srv.base}/v1/ingest", json={"catalog": "catalog.csv"},
                                                headers=ADMIN), timeout_s=900)
        assert job["state"] == "finished" and job["counts"]["ingested"] == 2, (job["error"], job["summary"])
        assert httpx.get(f"{srv.base}/readyz").json()["items"] == 2
        hits = httpx.post(f"{srv.base}/v1/search", json={"query": "黑色T恤", "k": 1}, timeout=120).json()["results"]
        assert hits[0]["id"] == "d001"
        thumb = httpx.get(f"{srv.base}{hits[0]['thumbnail']}", timeout=60)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    finally:
        srv.stop()
