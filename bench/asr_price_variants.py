"""Can whisper-base hear the prices in the evaluation catalog's narration-only videos under other decodings?

    .venv/bin/python bench/asr_price_variants.py --catalog /work/eval-catalog            # zh, held-out
    .venv/bin/python bench/asr_price_variants.py --catalog /work/eval-catalog --lang en --json

The videos are the held-out ones of `build_eval_catalog.py` that state a price only by narration (no caption), in
the chosen language: the price misses of `eval_ingest.py`. Each decoding variant transcribes their audio with
vidrec's own recogniser (`SpeechRecognizer`), and the prices in the transcript are found as ingest finds them
(`vidrec.nlu.numbers.find_prices`). A video counts as heard when the stated price is among them; "wrong" when a
price was found but none is the stated one; "from the prompt" when a found price is a number the prompt itself
contains (whisper copying its prompt, not hearing the audio).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name -> (SpeechSettings changes, languages or None for vidrec's own)
VARIANTS: dict[str, tuple[dict, tuple[str, ...] | None]] = {
    "default": ({}, None),
    "greedy": ({"beam_size": 1, "beam_size_zh": 1}, None),
    "beam 5": ({"beam_size": 5, "beam_size_zh": 5}, None),
    "full 30 s window": ({"compact_encoder": False}, None),
    "Mandarin only": ({}, ("zh",)),
    "prompt with a price": ({"zh_prompt": "以下是普通话的商品介绍。这件衣服只要一百九十九元。"}, None),
    "prompt with prices in digits": ({"zh_prompt": "商品介绍：只要199元，现在只要209元，仅需20元。"}, None),
}


def narration_only(catalog: Path, lang: str, split: str) -> list[dict]:
    with (catalog / "ground_truth.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if r["split"] == split and r["spoken_lang"] == lang and r["caption"] == "no"
            and r.get("stated_price")]


def run_variant(name: str, rows: list[dict], catalog: Path) -> dict:
    from vidrec.encoders import speech
    from vidrec.media.audio import extract_audio
    from vidrec.nlu.numbers import find_prices

    changes, languages = VARIANTS[name]
    settings = replace(speech.SpeechSettings(), **changes)
    recognizer = speech.SpeechRecognizer(settings=settings, languages=languages or speech.LANGUAGES)
    prompt_numbers = {float(m.value) for m in find_prices(settings.zh_prompt)} | {
        float(n) for n in re.findall(r"\d+", settings.zh_prompt)}
    heard = wrong = copied = 0
    examples = []
    t0 = time.process_time()
    for row in rows:
        audio = extract_audio(catalog / row["video"])
        text = " ".join(seg.text for seg in recognizer.transcribe(audio)) if audio is not None else ""
        found = {round(float(m.value), 2) for m in find_prices(text)}
        stated = round(float(row["stated_price"]), 2)
        heard += stated in found
        wrong += bool(found) and stated not in found
        copied += bool(found & prompt_numbers)
        examples.append({"id": row["id"], "stated": stated, "found": sorted(found), "said": row["narration"],
                         "heard": text})
    return {"variant": name, "n": len(rows), "heard": heard, "wrong": wrong, "from_prompt": copied,
            "cpu_s": round(time.process_time() - t0, 1), "videos": examples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, default=Path("/work/eval-catalog"), help="build_eval_catalog.py's --out")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh")
    ap.add_argument("--split", choices=("heldout", "dev"), default="heldout")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    ap.add_argument("--prompt", action="append", default=[], metavar="TEXT",
                    help="also try this Mandarin prompt (repeatable); its variant is named 'prompt: TEXT'")
    ap.add_argument("--beam", type=int, default=1, help="beam size of the --prompt variants")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--videos", action="store_true",
                    help="with --json: each video's narration, transcript and prices too (Myntra-derived text: "
                         "keep it out of the repository)")
    args = ap.parse_args()
    if not (args.catalog / "ground_truth.csv").is_file():
        sys.exit(f"error: {args.catalog}/ground_truth.csv not found; build it with bench/build_eval_catalog.py")
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    for text in args.prompt:
        name = f"prompt: {text}" + (f" (beam {args.beam})" if args.beam != 1 else "")
        VARIANTS[name] = ({"beam_size": args.beam, "beam_size_zh": args.beam, "zh_prompt": text}, None)
        names.append(name)
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        sys.exit(f"error: unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    rows = narration_only(args.catalog, args.lang, args.split)
    if not rows:
        sys.exit(f"error: no {args.split} {args.lang} narration-only videos with a price in {args.catalog}")
    report = {"catalog": str(args.catalog), "lang": args.lang, "split": args.split,
              "variants": [run_variant(name, rows, args.catalog) for name in names]}
    if args.json:
        if not args.videos:
            for v in report["variants"]:
                v.pop("videos")
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"{len(rows)} {args.split} narration-only {args.lang} videos that state a price")
    width = max(30, *(len(name) + 2 for name in names))
    print(f"{'variant':<{width}} {'heard':>6} {'wrong':>6} {'from prompt':>12} {'CPU s':>7}")
    for v in report["variants"]:
        print(f"{v['variant']:<{width}} {v['heard']:>3}/{v['n']:<2} {v['wrong']:>6} {v['from_prompt']:>12} {v['cpu_s']:>7}")


if __name__ == "__main__":
    main()
