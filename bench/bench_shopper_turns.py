"""CPU per turn of the load test's shoppers, played straight into `Engine` (no HTTP), and what every turn answered.

    PYTHONPATH=. .venv/bin/python bench/bench_shopper_turns.py --store S [--sessions 60] [--dump turns.jsonl]
    PYTHONPATH=/tmp/base .venv/bin/python bench/bench_shopper_turns.py --store S ...   # another checkout's engine

The shoppers are bench/bench_server.py's: the same scripts (messages, "not this", like and cart buttons, answers to
the engine's questions) with their slots drawn from a seeded generator, so two runs play the same conversations.
The text encoder is the server's: no global query cache, the per-session memo on (vidrec/server/query_memo.py;
`--no-memo` embeds every query). The store is copied first (a turn writes its session), so every run starts from
the same store.

Prints JSON: turns, CPU ms per turn (mean, p50, p95; messages and buttons apart), query embeddings per turn, and
the run's total CPU. `--dump FILE` writes every turn's answer (reply, items with their match and what differs, the
question, the replacement of a "not this") as JSON lines: two versions of the code gave the same answers when
their dumps are equal. `--profile FILE` writes cProfile statistics (CPU clock) of the timed turns.
The session ids are drawn from the seed too, so dumps compare line by line.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import BUTTONS, SCRIPTS, SLOTS  # noqa: E402

from vidrec.dialog.engine import Engine  # noqa: E402
from vidrec.library import Library  # noqa: E402


@contextmanager
def store_copy(src: Path):
    """A writable copy of the store at ``src`` (without its write lock and thumbnails) in a temporary folder, open
    as a Library for the block; closed and removed after it (the original is never written)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(src, store, ignore=shutil.ignore_patterns("write.lock", "thumbnails"))
        library = Library.open(store, readonly=False)
        try:
            yield library
        finally:
            library.close()


class Counting:
    """Counts the query texts that reach the encoder."""

    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim
        self.queries = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts, kind="passage"):
        if kind == "query":
            self.queries += len(texts)
        return self.inner.encode(texts, kind=kind)


def answer(obj) -> dict:
    """What a turn shows the shopper (the parts that must not change with a speed-up)."""
    d = obj.model_dump()
    d.pop("state", None)
    if d.get("replacement"):
        d["replacement"] = {k: d["replacement"][k] for k in sorted(d["replacement"])}
    return d


def play(engine: Engine, sessions: int, seed: int, memo, dump, profiler) -> dict:
    from vidrec.server.query_memo import in_session

    cpu = {"message": [], "button": []}
    rng_ids = random.Random(seed)
    for n in range(sessions):
        rng = random.Random(seed * 1000 + n)
        lang = "zh" if n % 2 == 0 else "en"
        sid = f"{rng_ids.getrandbits(64):016x}"
        fill = {k: rng.choice(v) for k, v in SLOTS.items()}
        last = None
        for step in SCRIPTS[lang]:
            with in_session(sid if memo else None):
                if step in BUTTONS:
                    shown = list(last.items) if last is not None else []
                    if not shown:
                        continue
                    item = rng.choice(shown[:4]).id
                    kind = "button"
                    c = time.process_time()
                    if profiler:
                        profiler.enable()
                    out = engine.feedback(sid, item, BUTTONS[step], owner="bench")
                else:
                    text = step.format(**fill)
                    if step == "@answer":
                        q = (last.question if last is not None else None) or {}
                        labels = q.get("labels") or q.get("options")
                        text = labels[0] if labels else ("再来一些" if lang == "zh" else "more")
                    kind = "message"
                    c = time.process_time()
                    if profiler:
                        profiler.enable()
                    out = engine.respond(sid, text, user_id=f"bench-{seed}-{n}", owner="bench")
                if profiler:
                    profiler.disable()
                cpu[kind].append((time.process_time() - c) * 1000)
            if kind == "message" and out.items:
                last = out
            if dump is not None:
                dump.write(json.dumps({"session": n, "step": step, "kind": kind, **answer(out)},
                                      ensure_ascii=False, sort_keys=True, default=str) + "\n")
    return cpu


def stats(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    s = sorted(ms)
    return {"n": len(s), "mean": round(statistics.fmean(s), 2), "p50": round(s[len(s) // 2], 2),
            "p95": round(s[int(len(s) * 0.95)], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--sessions", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-memo", action="store_true", help="embed every query (no per-session memo)")
    ap.add_argument("--dump", type=Path, help="write every turn's answer here (JSON lines)")
    ap.add_argument("--profile", type=Path, help="cProfile statistics of the timed turns (CPU clock)")
    args = ap.parse_args()
    from vidrec.encoders.text import default_text_encoder
    from vidrec.server.query_memo import SessionQueryMemo

    with store_copy(args.store) as library:
        counting = Counting(default_text_encoder())
        encoder = counting if args.no_memo else SessionQueryMemo(counting)
        engine = Engine(library, text_encoder=encoder)
        for text in ("我想买一件T恤", "show me some sandals", "要黑色的"):  # what the first turns load lazily
            engine.respond("warm-up", text)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
        counting.queries = 0
        dump = args.dump.open("w") if args.dump else None
        c0 = time.process_time()
        cpu = play(engine, args.sessions, args.seed, not args.no_memo, dump, profiler)
        total = time.process_time() - c0
        if dump is not None:
            dump.close()
        if profiler is not None:
            profiler.dump_stats(str(args.profile))
    turns = cpu["message"] + cpu["button"]
    print(json.dumps({"store": str(args.store), "sessions": args.sessions, "turns": len(turns),
                      "cpu_ms_per_turn": stats(turns), "message": stats(cpu["message"]),
                      "button": stats(cpu["button"]), "query_embeddings_per_turn": round(counting.queries / len(turns), 3),
                      "cpu_s_total": round(total, 2)}))


if __name__ == "__main__":
    main()
