"""Closed loop: returning shoppers shop, the store logs them, the model trains, and their next sessions are compared.

    .venv/bin/python bench/eval_closed_loop.py --store STORE --truth CATALOG/ground_truth.csv --catalog STORE_CSV \
        --taxonomy TAXONOMY [--no-speech] --out bench/results/closed_loop_bare.json

1. The store is copied; `--new-items` items (drawn per taste colour, seeded) are pruned from the copy: they are
   the videos a platform adds after training.
2. `--users` simulated returning shoppers with stable tastes (a colour, a price band within each category, a
   language) each shop `--train-sessions` sessions through the chat engine with their user id: each session hunts
   one item of their taste ("I want jeans", then critiques in the blind phrase bank's words, likes near misses,
   puts the target in the cart when it is shown). What they said is counted against what the store logged.
3. `vidrec train --store` (the default model unless --model) trains on the store's logs; its time is reported.
4. The new items are ingested (only they are analysed), as a platform adds videos after training.
5. Each user then shops `--test-sessions` new targeted sessions and `--vague-sessions` vague "recommend me something"
   sessions, in three arms on separate copies of the trained store: the same user with the model ("model"), the
   same user with no model ("no_model"), and a fresh user id with the model ("fresh"). The same shoppers (same
   seeds, same targets) talk in every arm. `--blends` adds one "model" arm per blend setting (a JSON list of
   `vidrec.dialog.ranking.Blend` fields, e.g. '[{"user_model": 0.3, "user_content": 0.5}]'), to fit its weights
   on a tune catalogue; each is compared with no_model like the model arm.

Reported: success@3 / success@10 and turns to success per arm with paired 95 % bootstrap intervals of model minus
no_model; in vague sessions, the share of shown items in the user's colour (and colour + price band) against the
catalog's base rate; and the new items' exposure: among shown items that fit a user's colour, the share that are
new, divided by the new items' share of the catalog's items in that colour (1.0 = a fair share).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `tools`
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, for eval_dialog

from eval_dialog import load_targets  # noqa: E402

from tools.simulator import OPENINGS, PHRASEBANK, PhraseBank, Shopper, Target  # noqa: E402
from vidrec.config import IngestSettings  # noqa: E402
from vidrec.dialog.ranking import Blend  # noqa: E402
from vidrec.ingest import ingest  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy, colours_match  # noqa: E402

ARMS = ("model", "no_model", "fresh")


class Taste:
    """A returning shopper's stable taste: a base colour (its family included), a price half per category, and
    (with `--kind-taste`) the kinds of item they keep coming back for (`kinds`: empty without)."""

    def __init__(self, user: str, colour: str, band: str, lang: str, medians: dict[str, float],
                 kinds: tuple[str, ...] = ()):
        self.user, self.colour, self.band, self.lang, self.medians = user, colour, band, lang, medians
        self.kinds = kinds

    def kind_fits(self, t: Target | None) -> bool:
        return t is not None and t.category in self.kinds

    def colour_fits(self, t: Target | None) -> bool:
        return t is not None and bool(t.colour) and colours_match([t.colour], [self.colour])

    def fits(self, t: Target | None) -> bool:
        if not self.colour_fits(t) or t.price is None:
            return False
        low = t.price <= self.medians.get(t.category, t.price)
        return low if self.band == "low" else not low

    def as_dict(self) -> dict:
        return {"user": self.user, "colour": self.colour, "band": self.band, "lang": self.lang,
                **({"kinds": list(self.kinds)} if self.kinds else {})}


def give_kinds(users: list[Taste], targets: dict[str, Target], n_kinds: int, rng: random.Random) -> None:
    """A style for each user: the `n_kinds` kinds of item with the most items of their colour (at least 2 each,
    ties broken by ``rng``), e.g. a blue-loving shopper who buys jeans and shirts."""
    for u in users:
        counts = Counter(t.category for t in targets.values() if u.colour_fits(t))
        kinds = [k for k, n in counts.items() if n >= 2]
        rng.shuffle(kinds)
        kinds.sort(key=lambda k: -counts[k])
        u.kinds = tuple(sorted(kinds[:n_kinds]))


def kind_pool(u: Taste, items: dict[str, Target]) -> list[str]:
    """The items of the user's colour and kinds, in their price band when the band leaves any."""
    pool = sorted(i for i, t in items.items() if u.colour_fits(t) and u.kind_fits(t))
    return [i for i in pool if u.fits(items[i])] or pool


def base_colours(targets: dict[str, Target], min_items: int) -> list[str]:
    """Base colours (no family) with at least `min_items` items in their family, most common first."""
    counts: Counter = Counter()
    for term in COLOUR_VOCABULARY:
        if getattr(term, "family", "") == "" and term.canonical not in ("Multi",):
            counts[term.canonical] = sum(colours_match([t.colour], [term.canonical]) for t in targets.values()
                                         if t.colour)
    return [c for c, n in counts.most_common() if n >= min_items]


def make_users(targets: dict[str, Target], n: int, rng: random.Random) -> list[Taste]:
    by_cat: dict[str, list[float]] = {}
    for t in targets.values():
        if t.price is not None:
            by_cat.setdefault(t.category, []).append(t.price)
    medians = {c: statistics.median(v) for c, v in by_cat.items()}
    colours = base_colours(targets, max(8, len(targets) // 20))[: max(1, (n + 1) // 2)]
    if not colours:
        sys.exit("error: no colour has enough items for a stable taste; use a larger catalog")
    users = []
    for k in range(n):
        users.append(Taste(f"loop-user-{k}", colours[k % len(colours)], ("low", "high")[(k // len(colours)) % 2],
                           ("zh", "en")[k % 2], medians))
    rng.shuffle(users)
    return users


def catalog_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


# ------------------------------------------------------------------------------------------------ sessions


def targeted_session(engine, shopper: Shopper, sid: str, user_id: str, max_turns: int, said: Counter) -> dict:
    """One hunt: the target is put in the cart when shown. Returns what happened."""
    text = shopper.opening()
    shown_all: list[str] = []
    said_turns: list[list] = []
    success = None
    for turn_no in range(1, max_turns + 1):
        turn = engine.respond(sid, text, user_id)
        shown = [i.id for i in turn.items]
        shown_all += shown
        said_turns.append([text, turn.intent, shown, (turn.question or {}).get("slot")])
        if shopper.target.id in shown:
            success = turn_no
            engine.respond(sid, shopper.buy(shown.index(shopper.target.id) + 1), user_id)
            said["cart"] += 1
            break
        before = len(shopper.liked)
        text = shopper.answer(turn.question) if turn.question else shopper.react(shown)
        said["like"] += len(shopper.liked) - before
    return {"target": shopper.target.id, "success_turn": success, "shown": shown_all, "turns": said_turns}


def vague_session(engine, bank: PhraseBank, lang: str, rng: random.Random, sid: str, user_id: str,
                  turns: int = 3) -> tuple[list[str], list[list]]:
    """"Recommend me something": a vague opening, "you pick" to questions, "more" otherwise; what was shown, and
    per turn what was said, the intent, the shown ids and the question's slot."""
    text = rng.choice(bank.phrasings("open_vague", lang))
    shown_all: list[str] = []
    said_turns: list[list] = []
    for _ in range(turns):
        turn = engine.respond(sid, text, user_id)
        shown = [i.id for i in turn.items]
        shown_all += shown
        said_turns.append([text, turn.intent, shown, (turn.question or {}).get("slot")])
        text = rng.choice(bank.phrasings("answer_any" if turn.question else "more", lang))
    return shown_all, said_turns


def parse_openings(text: str) -> dict[str, float]:
    """"category" or "category:2,vague:1,precise:1": how a hunt opens (`tools.simulator.OPENINGS`), with weights."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, w = part.partition(":")
        if name not in OPENINGS:
            raise ValueError(f"unknown opening {name!r}; one of {', '.join(OPENINGS)}")
        out[name] = float(w) if w else 1.0
        if out[name] < 0:
            raise ValueError(f"opening {name!r} has a negative weight")
    if not out or sum(out.values()) <= 0:
        raise ValueError("no opening with a positive weight")
    return out


def opening_for(openings: dict[str, float], seed: int) -> str:
    """The session's opening, drawn from the session's own seed (one opening: no draw, as before the mix)."""
    if len(openings) == 1:
        return next(iter(openings))
    names = sorted(openings)
    return random.Random(seed ^ 0x5EED).choices(names, [openings[n] for n in names])[0]


def shopper_for(user: Taste, target: Target, truth: dict[str, Target], taxonomy: Taxonomy, bank: PhraseBank,
                seed: int, opening: str = "category") -> Shopper:
    return Shopper(target, truth, taxonomy, user.lang, seed=seed, bank=bank, opening=opening, change_mind=0.0,
                   greet=0.0, like_near_miss=0.5)


# ------------------------------------------------------------------------------------------------ statistics


def success_stats(sessions: list[dict], max_turns: int) -> dict:
    ok = [s["success_turn"] for s in sessions if s["success_turn"] is not None]
    n = len(sessions)
    return {"sessions": n, "success@3": round(sum(t <= 3 for t in ok) / n, 4),
            "success@10": round(sum(t <= max_turns for t in ok) / n, 4),
            "mean_turns_to_success": round(statistics.mean(ok), 3) if ok else None,
            "mean_turns_capped": round(statistics.mean(s["success_turn"] or max_turns + 1 for s in sessions), 3)}


def paired_ci(a: list[dict], b: list[dict], key: str, max_turns: int, boots: int, rng: random.Random) -> list:
    """a - b of success_stats[key], sessions paired by position, 95 % percentile interval over pairs."""
    pairs = list(zip(a, b, strict=True))

    def diff(ps):
        return success_stats([p[0] for p in ps], max_turns)[key] - success_stats([p[1] for p in ps], max_turns)[key]

    point = diff(pairs)
    d = sorted(diff([rng.choice(pairs) for _ in pairs]) for _ in range(boots))
    return [round(point, 4), round(d[int(0.025 * boots)], 4), round(d[int(0.975 * boots) - 1], 4)]


# ------------------------------------------------------------------------------------------------ the run


def train_model(store: Path, model: str | None, timeout: int) -> dict:
    cmd = [sys.executable, "-m", "vidrec.cli", "train", "--store", str(store), "--json"]
    if model:
        cmd += ["--model", model]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    except subprocess.TimeoutExpired:
        return {"model": model or "default", "ok": False, "seconds": timeout, "error": f"timed out after {timeout} s"}
    seconds = round(time.perf_counter() - t0, 1)
    if out.returncode != 0:
        return {"model": model or "default", "ok": False, "seconds": seconds, "error": out.stderr.strip()[-500:]}
    start = out.stdout.find("{")
    summary = json.loads(out.stdout[start:]) if start >= 0 else {}
    return {"model": summary.get("model", model), "ok": True, "seconds": seconds,
            "train_seconds": summary.get("train_seconds"), "interactions": summary.get("interactions")}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, help="an ingested store (copied; the original is not written)")
    ap.add_argument("--truth", required=True, help="the catalog's ground_truth.csv")
    ap.add_argument("--catalog", required=True, help="the catalog CSV the store was ingested from")
    ap.add_argument("--taxonomy", default=None, help="the taxonomy file the store was ingested with")
    ap.add_argument("--no-speech", action="store_true", help="the store was ingested with speech off")
    ap.add_argument("--no-ocr", action="store_true", help="the store was ingested with on-screen text off")
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--train-sessions", type=int, default=4)
    ap.add_argument("--test-sessions", type=int, default=3)
    ap.add_argument("--vague-sessions", type=int, default=2)
    ap.add_argument("--new-items", type=int, default=16)
    ap.add_argument("--model", default=None, help="the model to train (default: vidrec train's default)")
    ap.add_argument("--fallback-model", default="als", help="trained instead when the model fails or times out")
    ap.add_argument("--train-timeout", type=int, default=900)
    ap.add_argument("--max-turns", type=int, default=10)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blends", default=None,
                    help="JSON list of Blend settings, each run as one more model arm (model:0, model:1, ...)")
    ap.add_argument("--openings", default="category",
                    help='how hunts open, with weights: "category" (default: only the kind, "I want jeans") or e.g. '
                         '"category:2,vague:1,precise:1" (tools.simulator.OPENINGS), drawn per session')
    ap.add_argument("--kind-taste", type=float, default=0.0,
                    help="the chance that a session hunts an item of the user's own kinds (a style taste: the "
                         "--user-kinds kinds with most items of their colour); 0 (default): no kind taste")
    ap.add_argument("--user-kinds", type=int, default=2, help="how many kinds a style taste has (--kind-taste)")
    ap.add_argument("--bank", default=str(PHRASEBANK),
                    help="the phrase bank the shoppers talk in (default: tools/data/phrasebank.json)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--sessions-out", default=None,
                    help="write every test session (arm, user, target, success turn, shown ids) as JSON lines here")
    args = ap.parse_args(argv)
    if args.users < 2 or args.train_sessions < 1 or args.test_sessions < 1:
        sys.exit("error: --users needs at least 2, --train-sessions and --test-sessions at least 1")
    try:
        blends = [Blend(**b) for b in json.loads(args.blends)] if args.blends else []
    except (ValueError, TypeError) as exc:
        sys.exit(f"error: --blends must be a JSON list of Blend settings ({exc})")
    try:
        openings = parse_openings(args.openings)
    except ValueError as exc:
        sys.exit(f"error: --openings: {exc}")
    arm_blends = {arm: None for arm in ARMS} | {f"model:{k}": b for k, b in enumerate(blends)}
    rng = random.Random(args.seed)
    bank = PhraseBank.load(args.bank)
    taxonomy = Taxonomy.from_file(args.taxonomy) if args.taxonomy else None
    settings = IngestSettings(speech=not args.no_speech, ocr=not args.no_ocr)
    fields, rows = catalog_rows(Path(args.catalog))
    catalog_dir = Path(args.catalog).resolve().parent
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "store": args.store,
                    "bank": Path(args.bank).name,
                    "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir=catalog_dir, prefix=".closed-loop-") as tmp:
        tmp = Path(tmp)
        store = tmp / "store"
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock"))
        with Library.open(store) as lib:
            truth = load_targets(Path(args.truth), lib)
            tax = lib.taxonomy
        users = make_users(truth, args.users, rng)
        if args.kind_taste > 0:
            give_kinds(users, truth, args.user_kinds, rng)
        colours = sorted({u.colour for u in users})
        # the new items: an even draw per taste colour, then any
        new: list[str] = []
        per = max(1, args.new_items // len(colours))
        for c in colours:
            pool = sorted(i for i, t in truth.items() if colours_match([t.colour or ""], [c]) and i not in new)
            new += rng.sample(pool, min(per, len(pool) // 3))
        new = sorted(new)[: args.new_items]
        base_rows = [r for r in rows if r["id"] not in set(new)]
        write_rows(catalog_dir / f"{tmp.name}-base.csv", fields, base_rows)
        pruned = ingest(catalog_dir / f"{tmp.name}-base.csv", store, settings=settings, prune=True, taxonomy=taxonomy)
        (catalog_dir / f"{tmp.name}-base.csv").unlink()
        report["catalog"] = {"items": len(truth), "new_items": len(new), "pruned": pruned.pruned,
                             "reanalysed_when_pruning": pruned.ingested}
        report["users"] = [u.as_dict() for u in users]
        old = {i: t for i, t in truth.items() if i not in set(new)}
        pools = {u.user: sorted(i for i, t in truth.items() if u.fits(t)) for u in users}
        if min(len(p) for p in pools.values()) < 2:
            sys.exit("error: a taste fits fewer than 2 items; use a larger catalog or fewer users")

        # 2. training sessions (only old items exist)
        from vidrec.dialog.engine import Engine

        said: Counter = Counter()
        trained_targets: dict[str, set[str]] = {}
        t0 = time.perf_counter()
        with Library.open(store, readonly=False) as lib:
            engine = Engine(lib, thumbnail_url=None)
            train_sessions = []
            for u in users:
                pool = [i for i in pools[u.user] if i in old] or [i for i in old if u.colour_fits(old[i])]
                kpool = kind_pool(u, old) if args.kind_taste > 0 else []
                picks = [rng.choice(kpool if kpool and rng.random() < args.kind_taste else pool)
                         if args.kind_taste > 0 else rng.choice(pool) for _ in range(args.train_sessions)]
                trained_targets[u.user] = set(picks)
                for k, tid in enumerate(picks):
                    seed = rng.randrange(1 << 30)
                    sh = shopper_for(u, old[tid], old, tax, bank, seed, opening_for(openings, seed))
                    train_sessions.append(targeted_session(engine, sh, f"train-{u.user}-{k}", u.user,
                                                           args.max_turns, said))
            logged = Counter(x.event for x in lib.interactions() if x.user_id.startswith("loop-user-"))
        report["training_sessions"] = {**success_stats(train_sessions, args.max_turns),
                                       "seconds": round(time.perf_counter() - t0, 1),
                                       "said": dict(said), "logged": dict(logged)}
        print("training sessions", report["training_sessions"], file=sys.stderr, flush=True)

        # 3. train
        trained = train_model(store, args.model, args.train_timeout)
        if not trained["ok"] and args.fallback_model:
            print("training failed:", trained, file=sys.stderr, flush=True)
            trained = {"first_try": trained, **train_model(store, args.fallback_model, args.train_timeout)}
        report["training"] = trained
        print("training", trained, file=sys.stderr, flush=True)

        # 4. the new items arrive
        added = ingest(Path(args.catalog), store, settings=settings, taxonomy=taxonomy)
        report["catalog"]["ingested_after_training"] = added.ingested

        # 5. the next sessions, in three arms on copies of the store
        plan = []
        for u in users:
            pool = [i for i in pools[u.user] if i not in trained_targets[u.user]] or pools[u.user]
            kpool = [i for i in kind_pool(u, truth) if i not in trained_targets[u.user]] if args.kind_taste > 0 \
                else []
            for k in range(args.test_sessions):
                if args.kind_taste > 0:
                    tid = rng.choice(kpool if kpool and rng.random() < args.kind_taste else pool)
                else:
                    tid = rng.choice(pool)
                plan.append((u, tid, rng.randrange(1 << 30), k))
        vague_seeds = [(u, rng.randrange(1 << 30), k) for u in users for k in range(args.vague_sessions)]
        arms: dict[str, dict] = {}
        for arm, blend in arm_blends.items():
            arm_store = tmp / f"arm-{arm.replace(':', '-')}"
            shutil.copytree(store, arm_store, ignore=shutil.ignore_patterns("write.lock"))
            with Library.open(arm_store, readonly=False) as lib:
                model = lib.trained_model() if arm != "no_model" else None
                if arm != "no_model" and model is None:
                    sys.exit("error: the trained model did not load; see the log above")
                engine = Engine(lib, user_model=model, thumbnail_url=None, blend=blend)
                sessions, vague = [], []
                c: Counter = Counter()
                for u, tid, seed, k in plan:
                    uid = u.user if arm != "fresh" else f"fresh-{u.user}-{k}"
                    sh = shopper_for(u, truth[tid], truth, tax, bank, seed, opening_for(openings, seed))
                    s = targeted_session(engine, sh, f"{arm}-{u.user}-{k}", uid, args.max_turns, c)
                    s["user"] = u.user
                    s["opening"] = sh.opening_kind
                    sessions.append(s)
                for u, seed, k in vague_seeds:
                    uid = u.user if arm != "fresh" else f"fresh-{u.user}-v{k}"
                    shown, turns = vague_session(engine, bank, u.lang, random.Random(seed), f"{arm}-{u.user}-v{k}",
                                                 uid)
                    vague.append({"user": u.user, "shown": shown, "turns": turns})
            arms[arm] = {"sessions": sessions, "vague": vague}
            print(arm, success_stats(sessions, args.max_turns), file=sys.stderr, flush=True)

        by_user_d = {u.user: u.as_dict() for u in users}
        if args.sessions_out:
            with open(args.sessions_out, "w", encoding="utf-8") as f:
                for arm, data in arms.items():
                    for s in data["sessions"]:
                        f.write(json.dumps({"arm": arm, **s, "trained_on": sorted(trained_targets[s["user"]])})
                                + "\n")
                    for v in data["vague"]:
                        f.write(json.dumps({"arm": arm, "vague": True, **v, "taste": by_user_d[v["user"]]}) + "\n")
        # statistics
        by_user = {u.user: u for u in users}
        out_arms = {}
        for arm, data in arms.items():
            shown_v = [(by_user[v["user"]], i) for v in data["vague"] for i in v["shown"]]
            colour_share = sum(u.colour_fits(truth.get(i)) for u, i in shown_v) / max(1, len(shown_v))
            taste_share = sum(u.fits(truth.get(i)) for u, i in shown_v) / max(1, len(shown_v))
            kind_share = sum(u.kind_fits(truth.get(i)) for u, i in shown_v) / max(1, len(shown_v))
            fit_shown = new_shown = 0
            for s in [*data["sessions"], *data["vague"]]:
                u = by_user[s["user"]]
                for i in s["shown"]:
                    if u.colour_fits(truth.get(i)):
                        fit_shown += 1
                        new_shown += i in set(new)
            out_arms[arm] = {
                **success_stats(data["sessions"], args.max_turns),
                "vague_items_shown": len(shown_v),
                "vague_colour_share": round(colour_share, 4), "vague_taste_share": round(taste_share, 4),
                **({"vague_kind_share": round(kind_share, 4)} if args.kind_taste > 0 else {}),
                "new_share_of_shown_colour_fits": round(new_shown / max(1, fit_shown), 4),
            }
            if len(openings) > 1:
                out_arms[arm]["by_opening"] = {
                    o: success_stats([s for s in data["sessions"] if s["opening"] == o], args.max_turns)
                    for o in sorted({s["opening"] for s in data["sessions"]})}
        base_colour = statistics.mean(sum(u.colour_fits(t) for t in truth.values()) / len(truth) for u in users)
        base_taste = statistics.mean(sum(u.fits(t) for t in truth.values()) / len(truth) for u in users)
        base_kind = statistics.mean(sum(u.kind_fits(t) for t in truth.values()) / len(truth) for u in users)
        new_fair = statistics.mean(
            sum(u.colour_fits(truth[i]) for i in new) / max(1, sum(u.colour_fits(t) for t in truth.values()))
            for u in users)
        for arm in out_arms:
            out_arms[arm]["vague_colour_vs_base"] = round(out_arms[arm]["vague_colour_share"] / base_colour, 3)
            out_arms[arm]["vague_taste_vs_base"] = round(out_arms[arm]["vague_taste_share"] / base_taste, 3)
            if args.kind_taste > 0:
                out_arms[arm]["vague_kind_vs_base"] = round(out_arms[arm]["vague_kind_share"] / max(base_kind, 1e-9), 3)
            out_arms[arm]["new_item_exposure_vs_fair"] = round(
                out_arms[arm]["new_share_of_shown_colour_fits"] / new_fair, 3)
        report["base_rates"] = {"colour": round(base_colour, 4), "taste": round(base_taste, 4),
                                **({"kind": round(base_kind, 4)} if args.kind_taste > 0 else {}),
                                "new_items_fair_share_of_colour_fits": round(new_fair, 4)}
        report["arms"] = out_arms
        report["blends"] = {arm: vars(b) | {"repeat_categories": sorted(b.repeat_categories)}
                            for arm, b in arm_blends.items() if b is not None}
        brng = random.Random(args.seed + 1)
        report["model_minus_no_model"] = {
            k: paired_ci(arms["model"]["sessions"], arms["no_model"]["sessions"], k, args.max_turns, args.bootstrap,
                         brng) for k in ("success@3", "success@10", "mean_turns_capped")}
        report["model_minus_fresh"] = {
            k: paired_ci(arms["model"]["sessions"], arms["fresh"]["sessions"], k, args.max_turns, args.bootstrap,
                         brng) for k in ("success@3", "success@10", "mean_turns_capped")}
        for arm in arm_blends:
            if arm.startswith("model:"):
                report[f"{arm}_minus_no_model"] = {
                    k: paired_ci(arms[arm]["sessions"], arms["no_model"]["sessions"], k, args.max_turns,
                                 args.bootstrap, brng) for k in ("success@3", "success@10", "mean_turns_capped")}
    report["load_average_end"] = os.getloadavg()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
