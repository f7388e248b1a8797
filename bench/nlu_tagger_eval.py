"""Choose how the joint tagger combines with the rules, on dev data only; then report once on held-out data.

    PYTHONPATH=. python bench/nlu_tagger_eval.py --data ../shared/data/dialogs select [--json FILE]
    PYTHONPATH=. python bench/nlu_tagger_eval.py --data ../shared/data/dialogs final [--json FILE]

select: for each mix weight of the tagger's intent probabilities (TAGGER_WEIGHT), each gate (the tagger consulted
only when the linear classifier's top probability is below TAGGER_GATE) and with / without its negation scope
(TAGGER_SCOPE): intent accuracy, slot micro-F1 and the calibration error (ECE, 10 bins) of the parse confidence on
the dev data: SIMMC 2.0's even dialogs, the hand-labelled set's dev+test split and the spent blind sets 3 and 5
(where bench/data has them). The combination with the best mean intent accuracy over these sets is switched on only
if a paired bootstrap over the dev messages (2,000 draws, seed 0) puts the lower end of the 95 % interval of its
gain over the rules alone above 0; the scope only if it raises the mean slot F1 without lowering any set's intent
accuracy. Nothing held out is read. --tagger judges a model trained elsewhere (tools/nlu_tagger_train.py --out).
final: with the constants as shipped in vidrec/nlu/parser.py, with the tagger off (the rules alone) and, given
--select, with the best dev combination and the tagger's intent alone: SIMMC's odd dialogs, the hand-labelled blind split, and parse latency (p50 / p95, batch 1, one thread). Blind set 3 is
scored separately by bench/nlu_blind.py (aggregates only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from nlu_eval import F1, TESTSET, catalog_lexicon, simmc_gold, slot_pairs  # noqa: E402

from tools.nlu_corpora import read_simmc2  # noqa: E402
from vidrec.nlu import Lexicon, parse  # noqa: E402
from vidrec.nlu import parser as P  # noqa: E402
from vidrec.nlu.tagger import default_tagger  # noqa: E402
from vidrec.vocabulary import COLOURS, DEFAULT_CATEGORIES  # noqa: E402

SIMMC_KEYS = {"category", "color", "brand", "price_direction", "price_max", "price_min", "size"}


def ece(conf: list[float], ok: list[bool], bins: int = 10) -> float:
    total = 0.0
    for b in range(bins):
        idx = [i for i, c in enumerate(conf) if b / bins < c <= (b + 1) / bins or (b == 0 and c == 0)]
        if idx:
            acc = sum(ok[i] for i in idx) / len(idx)
            mean = sum(conf[i] for i in idx) / len(idx)
            total += len(idx) / len(conf) * abs(acc - mean)
    return round(total, 4)


def hand_rows(splits: set[str]) -> list[dict]:
    rows = [json.loads(line) for line in TESTSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["split"] in splits]


def simmc_turns(data: Path, odd: bool) -> tuple[list, Lexicon]:
    turns = list(read_simmc2(data / "simmc2" / "simmc2_dev_even.json"))
    brands = sorted({t.slots["brand"] for t in turns if isinstance(t.slots.get("brand"), str)})
    lexicon = Lexicon.from_catalog([c.canonical for c in DEFAULT_CATEGORIES], [c.canonical for c in COLOURS],
                                   brands)
    return [t for t in turns if (t.meta["dialog"] % 2 == 1) == odd], lexicon


def score_hand(rows: list[dict], context: dict) -> dict:
    lexicon = catalog_lexicon()
    f1 = F1()
    conf, ok = [], []
    for r in rows:
        p = parse(r["text"], {"lexicon": lexicon, "shown": r.get("shown", 3), **context}).model_dump()
        ok.append(p["intent"] == r["intent"])
        conf.append(p["confidence"])
        f1.add(slot_pairs(p["slots"]), slot_pairs(r["slots"]))
    return {"n": len(rows), "intent_accuracy": round(sum(ok) / len(ok), 4), "slot_f1": f1.result()["f1"],
            "ece": ece(conf, ok), "_ok": ok}


def score_simmc(turns: list, lexicon: Lexicon, context: dict) -> dict:
    f1, req = F1(), F1()
    conf, ok = [], []
    risky = {"below": [0, 0], "above": [0, 0]}  # reject / buy predictions: [right, all] under / over UNSURE_ACT
    for t in turns:
        p = parse(t.text, {"lexicon": lexicon, "shown": 3, **context}).model_dump()
        gold = simmc_gold(t.slots, lexicon)
        pairs, gpairs = slot_pairs(p["slots"], SIMMC_KEYS), slot_pairs(gold, SIMMC_KEYS)
        f1.add(pairs, gpairs)
        if t.meta["act"] in ("REQUEST:GET", "INFORM:REFINE"):
            req.add(pairs, gpairs)
        if t.intent is None:
            continue
        right = p["intent"] == t.intent or (t.meta["act"] == "REQUEST:GET" and p["intent"] in ("search", "refine"))
        ok.append(right)
        conf.append(p["confidence"])
        if p["intent"] in ("reject", "buy"):
            side = risky["below" if p["confidence"] < 0.5 else "above"]
            side[0] += right
            side[1] += 1
    return {"n": len(ok), "intent_accuracy": round(sum(ok) / len(ok), 4), "slot_f1": f1.result()["f1"],
            "slot_f1_request_turns": req.result()["f1"], "ece": ece(conf, ok),
            "reject_buy_right_of_all_below_0.5_and_above": risky, "_ok": ok}


def paired_gain(a: list[list[bool]], b: list[list[bool]], draws: int = 2000) -> list[float]:
    """95 % percentile interval of mean-over-sets accuracy(b) - accuracy(a), messages resampled per set."""
    rng = random.Random(0)
    gains = []
    for _ in range(draws):
        g = 0.0
        for xa, xb in zip(a, b, strict=True):
            idx = [rng.randrange(len(xa)) for _ in xa]
            g += (sum(xb[i] for i in idx) - sum(xa[i] for i in idx)) / len(xa)
        gains.append(g / len(a))
    gains.sort()
    return [round(gains[int(0.025 * draws)], 4), round(gains[int(0.975 * draws)], 4)]


DEV_BLIND = (HERE / "data" / "nlu_blind3.jsonl", HERE / "data" / "nlu_blind5.jsonl")  # spent: dev material


def blind_dev_rows() -> list[dict]:
    return [json.loads(line) for path in DEV_BLIND if path.exists()
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def select(data: Path, tagger_path: str | None = None) -> dict:
    hand = hand_rows({"dev", "test"})
    blind = blind_dev_rows()
    turns, lexicon = simmc_turns(data, odd=False)
    tagger = None
    if tagger_path:
        from vidrec.nlu.tagger import Tagger

        tagger = Tagger(tagger_path)
    table = []
    configs = [(0.0, 1.0, False)] + [(w, g, s) for w in (0.25, 0.5, 0.75, 1.0) for g in (1.0, 0.7)
                                     for s in (False, True)]
    for weight, gate, scope in configs:
        P.TAGGER_WEIGHT, P.TAGGER_GATE, P.TAGGER_SCOPE = weight, gate, scope
        ctx = ({"tagger": tagger} if tagger is not None else {}) if (weight or scope) else {"tagger": False}
        row = {"weight": weight, "gate": gate, "scope": scope, "hand_dev+test": score_hand(hand, ctx),
               "simmc_even": score_simmc(turns, lexicon, ctx)}
        if blind:
            row["blind3+5"] = score_hand(blind, ctx)
        print(json.dumps({k: ({m: x for m, x in v.items() if m != "_ok"} if isinstance(v, dict) else v)
                          for k, v in row.items()}), file=sys.stderr)
        table.append(row)

    sets = ["hand_dev+test", "simmc_even"] + (["blind3+5"] if blind else [])

    def mean_intent(r: dict) -> float:
        return sum(r[k]["intent_accuracy"] for k in sets) / len(sets)

    def mean_slots(r: dict) -> float:
        return sum(r[k]["slot_f1"] for k in sets) / len(sets)

    def oks(r: dict) -> list[list[bool]]:
        return [r[k]["_ok"] for k in sets]

    rules = table[0]
    best = max((r for r in table if not r["scope"]), key=lambda r: (mean_intent(r), -r["weight"]))
    interval = paired_gain(oks(rules), oks(best))
    switch_on = best is not rules and interval[0] > 0
    chosen = best if switch_on else rules
    scoped = next((r for r in table if r["scope"] and r["weight"] == chosen["weight"] and
                   r["gate"] == chosen["gate"]), None)
    use_scope = scoped is not None and mean_slots(scoped) > mean_slots(chosen) and all(
        scoped[k]["intent_accuracy"] >= chosen[k]["intent_accuracy"] for k in sets)
    for r in table:
        for k in sets:
            r[k].pop("_ok")
    return {"table": table, "best": {"weight": best["weight"], "gate": best["gate"],
                                     "mean_intent_gain_95": interval},
            "chosen": {"TAGGER_WEIGHT": chosen["weight"], "TAGGER_GATE": chosen["gate"],
                       "TAGGER_SCOPE": use_scope}}


def latency(context: dict) -> dict:
    lexicon = catalog_lexicon()
    texts = [r["text"] for r in hand_rows({"train", "dev", "test", "blind"})]
    for t in texts:
        parse(t, {"lexicon": lexicon, "shown": 3, **context})
    times = []
    for _ in range(3):
        for t in texts:
            s = time.perf_counter()
            parse(t, {"lexicon": lexicon, "shown": 3, **context})
            times.append(1000 * (time.perf_counter() - s))
    times.sort()
    return {"messages": len(times), "p50_ms": round(times[len(times) // 2], 2),
            "p95_ms": round(times[int(0.95 * len(times))], 2), "load_average_1min": os.getloadavg()[0]}


def final(data: Path, best: dict | None) -> dict:
    turns, lexicon = simmc_turns(data, odd=True)
    blind = hand_rows({"blind"})
    shipped = (P.TAGGER_WEIGHT, P.TAGGER_GATE, P.TAGGER_SCOPE)
    out: dict = {"constants": dict(zip(("TAGGER_WEIGHT", "TAGGER_GATE", "TAGGER_SCOPE"), shipped, strict=True))}
    runs = [("rules_only", shipped, {"tagger": False}), ("shipped", shipped, {})]
    if best is not None:  # the best dev combination, reported even where it was not switched on
        runs.append((f"best_on_dev(weight={best['weight']},gate={best['gate']})",
                     (best["weight"], best["gate"], False), {}))
        runs.append(("tagger_alone(weight=1,gate=1)", (1.0, 1.0, False), {}))
    for name, (w, g, s), ctx in runs:
        P.TAGGER_WEIGHT, P.TAGGER_GATE, P.TAGGER_SCOPE = w, g, s
        out[name] = {"simmc_odd": score_simmc(turns, lexicon, ctx), "hand_blind": score_hand(blind, ctx),
                     "latency": latency(ctx)}
        for k in ("simmc_odd", "hand_blind"):
            out[name][k].pop("_ok")
    P.TAGGER_WEIGHT, P.TAGGER_GATE, P.TAGGER_SCOPE = shipped
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("select", "final"))
    ap.add_argument("--data", default=str(HERE.parents[1] / "shared" / "data" / "dialogs"))
    ap.add_argument("--json", default=None)
    ap.add_argument("--select", default=None, help="final: also report the best dev combination of this select JSON")
    ap.add_argument("--tagger", default=None, help="select: the tagger.onnx to judge (default: the shipped one)")
    args = ap.parse_args()
    if args.tagger and not Path(args.tagger).exists():
        raise SystemExit(f"no tagger model at {args.tagger}")
    if not args.tagger and default_tagger() is None:
        raise SystemExit("no tagger model at vidrec/resources/nlu/tagger.onnx: train it with "
                         "tools/nlu_tagger_train.py")
    if args.what == "select":
        result = select(Path(args.data), args.tagger)
    else:
        best = json.loads(Path(args.select).read_text(encoding="utf-8"))["best"] if args.select else None
        result = final(Path(args.data), best)
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
