"""Which card "not this" brings when every match is on screen: ranked by the session's own query vector (as
shipped) vs ranked by a query text embedded per dropped condition (before), on the same session states.

    PYTHONPATH=. .venv/bin/python bench/bench_replacement_choice.py --store S [--sessions 80] [--json OUT]

It plays bench_server.py's shoppers into `Engine` (as bench_shopper_turns.py does); at each "not this" press it
asks both ways for the replacement of the same card on a copy of the same state (the reject applied as
`Engine.feedback` applies it), then presses the button as shipped. Reported: presses, how often the two ways pick
the same card and drop the same condition, query embeddings each way, whether each card meets the request with
its dropped condition relaxed (it must), how many of the unrelaxed request's conditions it misses, and whether it
is of the kind asked for; the differing pairs (request, dropped condition, both cards' titles) are listed for
reading.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import BUTTONS, SCRIPTS, SLOTS  # noqa: E402
from bench_shopper_turns import Counting, store_copy  # noqa: E402

from vidrec.dialog.engine import Engine, Turn  # noqa: E402
from vidrec.dialog.fit import fit  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.request import REGISTRY  # noqa: E402


def per_text_replacement(engine: Engine, state, rejected: str, avoid=()):
    """`Engine._replacement` as it was: each probe embeds its own (relaxed) query text."""
    probe = state.model_copy(deep=True)
    probe.user_id = None
    probe.shown = list(dict.fromkeys([*probe.shown, *probe.last_shown, rejected, *avoid]))
    names = [a.name for a in REGISTRY if state.request.get(a.name) is not None
             or any(v is not None for v in state.request.range(a.name))]
    names.sort(key=lambda n: n == "category")
    for dropped in (None, *names):
        probe.request = state.request if dropped is None else state.request.without(dropped)
        turn = engine._recommend(probe, Turn(session_id=state.session_id, reply="", lang=state.lang,
                                             intent="reject"), page=True)
        item = next((i for i in turn.items if i.id not in state.last_shown and i.id not in state.rejected
                     and i.match), None)
        if item is not None:
            return item, dropped
    return None, None


def rejected_state(engine: Engine, sid: str, item_id: str):
    """The session's state as `Engine.feedback` has it when it looks for the replacement, and what to avoid."""
    state = engine.load_state(sid)
    on_list = item_id in state.last_shown
    seen = set() if on_list else engine._seen(state)
    state.rejected = list(dict.fromkeys([*state.rejected, item_id]))
    state.liked = [i for i in state.liked if i != item_id]
    if state.pivot == item_id:
        state.pivot = None
    return state, seen


def judge(library: Library, state, item, dropped) -> dict:
    if item is None:
        return {"none": True}
    profile = library.profile(item.id)
    relaxed = state.request if dropped is None else state.request.without(dropped)
    full = fit(profile, state.request)
    return {"meets_relaxed": fit(profile, relaxed).match, "missed": len(full.missed),
            "kind_asked": state.request.get("category") is None or "category" not in full.missed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--sessions", type=int, default=80)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from vidrec.encoders.text import default_text_encoder

    rows = []
    with store_copy(args.store) as library:
        counting = Counting(default_text_encoder())
        engine = Engine(library, text_encoder=counting)
        rng_ids = random.Random(args.seed)
        for n in range(args.sessions):
            rng = random.Random(args.seed * 1000 + n)
            lang = "zh" if n % 2 == 0 else "en"
            sid = f"{rng_ids.getrandbits(64):016x}"
            fill = {k: rng.choice(v) for k, v in SLOTS.items()}
            last = None
            for step in SCRIPTS[lang]:
                if step in BUTTONS:
                    if last is None or not last.items:
                        continue
                    item = rng.choice(list(last.items)[:4]).id
                    if BUTTONS[step] == "reject":
                        state, seen = rejected_state(engine, sid, item)
                        row = {"request": state.request.describe("en", library.taxonomy)}
                        for way, pick in (("per_text", per_text_replacement), ("one_vector", None)):
                            counting.queries = 0
                            card, dropped = (pick(engine, state, item, seen) if pick else
                                             engine._replacement(state, item, avoid=seen))
                            row[way] = {"id": card.id if card else None, "title": card.title if card else None,
                                        "dropped": dropped, "embeddings": counting.queries,
                                        **judge(library, state, card, dropped)}
                        rows.append(row)
                    engine.feedback(sid, item, BUTTONS[step], owner="bench")
                    continue
                text = step.format(**fill)
                if step == "@answer":
                    q = (last.question if last is not None else None) or {}
                    labels = q.get("labels") or q.get("options")
                    text = labels[0] if labels else ("再来一些" if lang == "zh" else "more")
                out = engine.respond(sid, text, user_id=f"bench-{args.seed}-{n}", owner="bench")
                if out.items:
                    last = out

    def share(key, way):  # of the presses that found a card
        found = [r for r in rows if not r[way].get("none")]
        return round(sum(bool(r[way].get(key)) for r in found) / len(found), 3) if found else None

    relaxing = [r for r in rows if r["per_text"]["dropped"] or r["one_vector"]["dropped"]]
    summary = {
        "store": str(args.store), "sessions": args.sessions, "presses": len(rows),
        "presses_relaxing": len(relaxing),
        "same_card": sum(r["per_text"]["id"] == r["one_vector"]["id"] for r in rows),
        "same_card_when_relaxing": sum(r["per_text"]["id"] == r["one_vector"]["id"] for r in relaxing),
        "same_dropped": sum(r["per_text"]["dropped"] == r["one_vector"]["dropped"] for r in rows),
        **{way: {"embeddings_per_press": round(sum(r[way]["embeddings"] for r in rows) / max(len(rows), 1), 3),
                 "max_embeddings_per_press": max((r[way]["embeddings"] for r in rows), default=0),
                 "no_card": sum(bool(r[way].get("none")) for r in rows),
                 "meets_relaxed": share("meets_relaxed", way),
                 "misses_of_full_request_mean": round(sum(r[way].get("missed", 0) for r in relaxing)
                                                      / max(len(relaxing), 1), 3),
                 "of_kind_asked_when_relaxing": round(sum(bool(r[way].get("kind_asked")) for r in relaxing)
                                                     / max(len(relaxing), 1), 3)}
           for way in ("per_text", "one_vector")},
        "differing": [{"request": r["request"], "dropped": [r["per_text"]["dropped"], r["one_vector"]["dropped"]],
                       "per_text": r["per_text"]["title"], "one_vector": r["one_vector"]["title"]}
                      for r in rows if r["per_text"]["id"] != r["one_vector"]["id"]],
    }
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
