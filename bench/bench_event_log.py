"""What one scripted shopper session logs, and what the logging costs a turn (issue 18 §1).

    PYTHONPATH=. .venv/bin/python bench/bench_event_log.py [--rounds 8] [--out bench/results/event_log.json]

Builds the demo catalog's test store (real videos and titles, character n-gram vectors: tests/server/conftest.py)
in a temporary folder and runs, through the HTTP API (FastAPI's TestClient), one scripted session of a known user:
six messages, a like, a "not this" (which brings a replacement card), two plays reported as the web page reports
them (seconds watched, on close) and a cart. It then counts what the store holds for that user: interactions by
event and shown cards (impressions). Run it on two checkouts (PYTHONPATH) to compare them: a checkout without the
impressions table reports the plays' seconds as `value`, as its page did.

Cost per turn: the same messages through `Engine.respond`, alternating a session with a user id (everything is
logged) and one without (nothing is), `--rounds` times each, process CPU time and wall time (the writes wait on
the disk); the ratio of the medians is what logging adds (the machine is shared: only the ratio within one run means anything).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "server"))

MESSAGES = ["show me some clothes", "any is fine", "black ones", "cheaper", "more", "我想看看裙子"]


def scripted_session(client, user: str, watch_field: str) -> None:
    body = client.post("/v1/sessions", json={"user_id": user}).json()
    sid, h = body["session_id"], {"Authorization": f"Bearer {body['client_token']}"}

    def say(text: str) -> list[str]:
        r = client.post(f"/v1/sessions/{sid}/messages", json={"text": text}, headers=h)
        r.raise_for_status()
        return [i["id"] for i in r.json()["items"]]

    shown = []
    for k, text in enumerate(MESSAGES):
        shown = say(text) or shown
        if k == 2 and shown:
            client.post("/v1/feedback", json={"session_id": sid, "item_id": shown[0], "event": "like"}, headers=h)
            client.post("/v1/feedback", json={"session_id": sid, "item_id": shown[1], "event": "reject"}, headers=h)
            for item in shown[2:4]:
                client.post("/v1/feedback", json={"session_id": sid, "item_id": item, "event": "play",
                                                   watch_field: 4.0}, headers=h).raise_for_status()
        if k == 4 and shown:
            client.post("/v1/feedback", json={"session_id": sid, "item_id": shown[0], "event": "cart"}, headers=h)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from conftest import build_store
    from fastapi.testclient import TestClient
    from ngram_encoder import NgramEncoder

    from vidrec.dialog.engine import Engine
    from vidrec.library import Library
    from vidrec.server.app import create_app
    from vidrec.server.schemas import FeedbackIn
    from vidrec.server.settings import ServerSettings

    has_watch_s = "watch_s" in FeedbackIn.model_fields
    encoder = NgramEncoder()
    out: dict = {"checkout": str(Path(sys.modules["vidrec"].__file__).parents[1]), "watch_field":
                 "watch_s" if has_watch_s else "value"}
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), encoder)
        with TestClient(create_app(ServerSettings(store=store), text_encoder=encoder)) as client:
            scripted_session(client, "scripted-shopper", out["watch_field"])
            lib = client.app.state.backend.library
            events = Counter(e.event for e in lib.interactions("scripted-shopper"))
            plays = [e.value for e in lib.interactions("scripted-shopper") if e.event == "play"]
            impressions = list(lib.impressions("scripted-shopper")) if hasattr(lib, "impressions") else []
        out["interactions"] = dict(sorted(events.items()))
        out["plays_with_seconds"] = sum(1 for v in plays if v is not None)
        out["impressions"] = len(impressions)
        out["shown_lists"] = len({(i.session_id, i.turn) for i in impressions})

        library = Library.open(store, readonly=False)
        try:
            engine = Engine(library, text_encoder=encoder)
            for text in MESSAGES:
                engine.respond("warm-up", text, user_id="warm-up")
            cpu: dict[str, list[float]] = {"logged": [], "anonymous": []}
            wall: dict[str, list[float]] = {"logged": [], "anonymous": []}
            for _ in range(args.rounds):
                for kind in ("logged", "anonymous") if _ % 2 == 0 else ("anonymous", "logged"):
                    session, user = uuid.uuid4().hex, ("u-" + uuid.uuid4().hex[:8]) if kind == "logged" else None
                    for text in MESSAGES:
                        start, start_wall = time.process_time(), time.perf_counter()
                        engine.respond(session, text, user_id=user)
                        cpu[kind].append((time.process_time() - start) * 1000)
                        wall[kind].append((time.perf_counter() - start_wall) * 1000)
            if hasattr(library, "log_shown"):  # one shown list of 4 cards: 4 view rows (before) vs 4 impressions
                ids = [i for i, _ in zip(library.item_ids(), range(4), strict=False)]
                write: dict[str, list[float]] = {"views_4_transactions": [], "impressions_1_transaction": []}
                for k in range(args.rounds * 10):
                    for kind in sorted(write, reverse=k % 2 == 1):
                        start_wall = time.perf_counter()
                        if kind.startswith("views"):
                            for i in ids:
                                library.record("writer", i, "view", session_id="w")
                        else:
                            library.log_shown("writer", "w", k, ids)
                        write[kind].append((time.perf_counter() - start_wall) * 1000)
                out["shown_list_write_wall_ms_median"] = {k: round(statistics.median(v), 3) for k, v in write.items()}
                out["shown_list_writes_each"] = len(write["views_4_transactions"])
        finally:
            library.close()
    med = {k: statistics.median(v) for k, v in cpu.items()}
    med_wall = {k: statistics.median(v) for k, v in wall.items()}
    out["turns_each"] = len(cpu["logged"])
    out["turn_cpu_ms_median"] = {k: round(v, 2) for k, v in med.items()}
    out["turn_wall_ms_median"] = {k: round(v, 2) for k, v in med_wall.items()}
    out["logging_cost_ratio_cpu"] = round(med["logged"] / med["anonymous"], 3)
    out["logging_cost_ratio_wall"] = round(med_wall["logged"] / med_wall["anonymous"], 3)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
