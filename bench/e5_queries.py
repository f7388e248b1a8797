"""Real shopper-like queries, Chinese and English, from the shared data (never from vidrec's own wording).

zh: KuaiRec video captions (cut at 40 characters) and X-RiSAWOZ user turns; en: SIMMC 2.0 fashion user turns,
MG-ShopDial user utterances and MicroLens titles (first 14 words). Interleaved so any prefix mixes both languages.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

DATA = Path("/work/shared/data")


def _zh(root: Path) -> list[str]:
    out = []
    with open(root / "text/kuairec/kuairec_caption_category.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("caption") or "").strip()
            if text and text != "UNKNOWN":
                out.append(text[:40])
    for d in json.load(open(root / "dialogs/xrisawoz/zh_fewshot.json", encoding="utf-8")):
        out += [t["user_utterance"].strip() for t in d["dialogue"] if t.get("user_utterance", "").strip()]
    return out


def _en(root: Path) -> list[str]:
    out = []
    sim = json.load(open(root / "dialogs/simmc2/simmc2_dev_even.json", encoding="utf-8"))
    for d in sim["dialogue_data"]:
        out += [t["transcript"].strip() for t in d["dialogue"] if t.get("transcript", "").strip()]
    mg = json.load(open(root / "dialogs/mg_shopdial/MGShopDial.json", encoding="utf-8"))
    for d in mg if isinstance(mg, list) else mg.values():
        for u in d.get("utterances", d.get("dialogue", [])) if isinstance(d, dict) else []:
            if isinstance(u, dict) and str(u.get("participant", u.get("speaker", ""))).lower() in ("user", "client"):
                text = str(u.get("utterance", u.get("text", ""))).strip()
                if text:
                    out.append(text)
    with open(root / "text/microlens50k_titles.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            words = (row.get("title") or "").split()
            if words:
                out.append(" ".join(words[:14]))
    return out


def real_queries(n: int = 10000, seed: int = 0, root: Path = DATA) -> list[str]:
    """`n` distinct queries, half Chinese and half English, in a fixed shuffled order."""
    rng = random.Random(seed)
    zh, en = sorted(set(_zh(root))), sorted(set(_en(root)))
    rng.shuffle(zh)
    rng.shuffle(en)
    half = n // 2
    if len(zh) < half or len(en) < n - half:
        raise SystemExit(f"not enough queries: {len(zh)} zh, {len(en)} en for {n}")
    out = []
    for a, b in zip(zh[:half], en[: n - half], strict=False):
        out += [a, b]
    return out[:n]
