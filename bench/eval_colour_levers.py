"""Where scenario A's colour fails on the tune/dev splits, and three levers measured against it (issue 15 §3;
BENCHMARKS.md "NAME=pseudo", colour, 2026-12-06).

    .venv/bin/python bench/eval_colour_levers.py --catalog /work/evalab-data/catalog \
        --store /work/evalab-data/stores/tune-bare-p --store /work/evalab-data/stores/dev-bare-p \
        --photos /work/shared/data/products-myntra --out RESULT.json [--learned]

Reads the bare tune and dev stores (`vidrec ingest --taxonomy`: what the colour fusion decided) and decodes their
videos' keyframes again as the ingest does (`vidrec.media.analyze`, the ingest's settings). Held-out items are
refused. It reports:

- ``by_source``: colour exact where a caption, on-screen text or speech named it, and where only the pixels did;
- ``photo_vs_video``: the pixel colour namer on each item's source photo against the same item's video keyframes
  (how much the video presentation costs the pixels);
- ``seed_prototypes``: the transductive idea for colour: items whose colour a caption / on-screen text / speech
  names (uncontested, raw confidence >= a bound) seed per-catalog colour class means over each item's pooled
  product-pixel descriptor (a Lab histogram or the namer's votes); every item only the pixels named is re-inferred
  from (1 - w) x the namer's shares + w x softmax(cosine to the class means / T). Tune and dev stores are ONE
  catalog (160 items, the held-out size); choices are read on tune, checked on dev;
- ``catalog_weights``: a per-catalog weight per colour name (the palette's vote weights, fitted to the seeds by
  coordinate search), 3-fold cross-validated on the seeds and scored on the pixel-only items;
- ``learned`` (with --learned): a softmax regression over the same descriptor fitted on the TUNE split's Myntra
  photos (bench/splits.py), scored on dev photos and on dev videos, alone and blended with the namer.

Nothing here reads the truth except to score.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.splits import split_of  # noqa: E402
from vidrec.config import IngestSettings  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.understand.colour import _as_rgb, _downscale, default_namer, srgb_to_lab  # noqa: E402

NAMED = ("text", "ocr", "speech")
L_BINS, A_BINS, B_BINS = 8, 10, 10  # CIELab histogram of the product's pixels: L 0..100, a and b -80..80


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    if n == 0:
        return [float("nan")] * 2
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / d
    return [round(c - h, 3), round(c + h, 3)]


def rate(flags) -> dict:
    flags = [bool(f) for f in flags]
    k, n = sum(flags), len(flags)
    return {"acc": round(k / n, 3) if n else None, "k": k, "n": n, "wilson95": wilson(k, n)}


def describe_frame(namer, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(Lab histogram of the product's weighted pixels, the namer's votes per name, the product's share)."""
    rgb = _downscale(_as_rgb(image), namer.settings.max_side)
    w = namer.product_weights(rgb)
    lab = srgb_to_lab(rgb)
    li = np.clip((lab[..., 0] / 100 * L_BINS).astype(int), 0, L_BINS - 1)
    ai = np.clip(((lab[..., 1] + 80) / 160 * A_BINS).astype(int), 0, A_BINS - 1)
    bi = np.clip(((lab[..., 2] + 80) / 160 * B_BINS).astype(int), 0, B_BINS - 1)
    hist = np.bincount(((li * A_BINS + ai) * B_BINS + bi).ravel(), weights=w.ravel(),
                       minlength=L_BINS * A_BINS * B_BINS)
    f = namer.frame(image)
    return hist, f.votes, f.product_share


def descriptor(hist: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """Hellinger-mapped histogram and votes, side by side."""
    h = np.sqrt(hist / max(hist.sum(), 1e-12))
    v = np.sqrt(votes / max(votes.sum(), 1e-12))
    return np.concatenate([h, v])


def video_frames(catalog: Path, video: str, namer) -> list[tuple[np.ndarray, np.ndarray, float]]:
    from vidrec.media import analyze

    s = IngestSettings()
    media = analyze(catalog / video, max_seconds=s.max_seconds, sample_fps=s.sample_fps, max_side=s.max_side,
                    max_shots=s.max_shots, ocr_frames_per_shot=0, audio=False, threads=1)
    return [describe_frame(namer, shot.keyframe) for shot in media.shots]


def pooled(frames) -> tuple[np.ndarray, np.ndarray]:
    """(histogram, votes) pooled over keyframes as `ColourNamer.name_multi` pools votes: each frame normalised and
    weighted by min(1, product share / 0.05)."""
    h = np.zeros_like(frames[0][0], dtype=np.float64)
    v = np.zeros_like(frames[0][1], dtype=np.float64)
    for fh, fv, share in frames:
        if fv.sum() <= 0:
            continue
        k = min(1.0, share / 0.05)
        v += fv / fv.sum() * k
        if fh.sum() > 0:
            h += fh / fh.sum() * k
    return h / max(h.sum(), 1e-12), v / max(v.sum(), 1e-12)


def colour_seed(attr, bound: float) -> str | None:
    """A colour a caption, on-screen text or speech names, uncontested by another named colour."""
    if attr is None or attr.source not in NAMED:
        return None
    if any(c.get("named") for c in attr.conflicts):
        return None
    return str(attr.value) if attr.confidence >= bound else None


def seed_prototypes(items: dict, names: list[str], seeds: dict[str, str], feature: str, weight: float,
                    temperature: float) -> dict[str, str]:
    """The colour of every pixel-only item re-inferred with the seeds' class means (see the module doc)."""
    labels = sorted(set(seeds.values()) | set(names))
    index = {c: j for j, c in enumerate(labels)}

    def vec(it):
        h, v = it["hist"], it["votes"]
        x = {"hist": np.sqrt(h), "votes": np.sqrt(v), "both": np.concatenate([np.sqrt(h), np.sqrt(v)])}[feature]
        return x / max(np.linalg.norm(x), 1e-12)

    sums = np.zeros((len(labels), len(vec(next(iter(items.values()))))))
    counts = np.zeros(len(labels))
    for i, c in seeds.items():
        sums[index[c]] += vec(items[i])
        counts[index[c]] += 1
    have = counts > 0
    centroids = sums[have] / counts[have, None]
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    out = {}
    for i, it in items.items():
        if i in seeds or it["source"] in NAMED:
            continue
        pix = np.zeros(len(labels))
        for j, n in enumerate(names):
            pix[index[n]] = it["votes"][j]
        z = vec(it) @ centroids.T / temperature
        e = np.exp(z - z.max())
        q = np.zeros(len(labels))
        q[have] = e / e.sum()
        out[i] = labels[int(np.argmax((1 - weight) * pix + weight * q))]
    return out


def fit_catalog_weights(votes: np.ndarray, labels: list[str], names: list[str], penalty: float = 0.0,
                        steps=(0.5, 0.67, 0.8, 1.25, 1.5, 2.0), rounds: int = 3) -> np.ndarray:
    """Per-name multipliers of the namer's votes that name the seeds best (coordinate search)."""
    b = np.ones(len(names))

    def score(b):
        pred = np.argmax(votes * b, axis=1)
        return sum(names[p] == t for p, t in zip(pred, labels, strict=True)) - penalty * np.abs(np.log(b)).sum()

    best = score(b)
    for _ in range(rounds):
        for j in range(len(names)):
            for s in steps:
                c = b.copy()
                c[j] *= s
                sc = score(c)
                if sc > best + 1e-9:
                    best, b = sc, c
    return b


def softmax_regression(x: np.ndarray, y: np.ndarray, k: int, lam: float, maxiter: int = 300):
    from scipy.optimize import minimize

    d = x.shape[1]

    def f(w):
        wm, b = w[: k * d].reshape(k, d), w[k * d:]
        z = x @ wm.T + b
        z -= z.max(1, keepdims=True)
        lse = np.log(np.exp(z).sum(1))
        p = np.exp(z - lse[:, None])
        loss = -(z[np.arange(len(y)), y] - lse).mean() + lam * (wm ** 2).sum()
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        return loss, np.concatenate([(g.T @ x + 2 * lam * wm).ravel(), g.sum(0)])

    r = minimize(f, np.zeros(k * d + k), jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
    return r.x[: k * d].reshape(k, d), r.x[k * d:]


def proba(w, b, x):
    z = x @ w.T + b
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, required=True)
    ap.add_argument("--store", type=Path, action="append", required=True)
    ap.add_argument("--photos", type=Path, default=Path("/work/shared/data/products-myntra"))
    ap.add_argument("--learned", action="store_true", help="also fit and score the softmax regression (slow)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from PIL import Image

    namer = default_namer()
    names = list(namer.names)
    with open(args.catalog / "ground_truth.csv", encoding="utf-8") as f:
        truth = {r["id"]: r for r in csv.DictReader(f)}
    items: dict[str, dict] = {}
    for store in args.store:
        with Library.open(store) as lib:
            for p in lib.profiles():
                if p.id not in truth:
                    continue
                if split_of(p.id) == "heldout" or truth[p.id]["split"] == "heldout":
                    raise SystemExit(f"{p.id} is a held-out item: this script reads tune and dev stores only")
                attr = p.attributes.get("color")
                frames = video_frames(args.catalog, truth[p.id]["video"], namer)
                hist, votes = pooled(frames)
                photo = np.array(Image.open(args.photos / truth[p.id]["source_image"]).convert("RGB"))
                items[p.id] = {"split": truth[p.id]["split"], "truth": truth[p.id]["baseColour"],
                               "value": attr.value if attr else None, "attr": attr,
                               "source": attr.source if attr else None, "hist": hist, "votes": votes,
                               "frames": frames, "photo_name": namer.name(photo, top=1)[0][0]}
    result: dict = {"items": len(items), "splits": dict(Counter(it["split"] for it in items.values()))}

    by_source = defaultdict(list)
    for it in items.values():
        by_source[(it["split"], "named" if it["source"] in NAMED else "pixels")].append(it["value"] == it["truth"])
    result["by_source"] = {f"{s}/{g}": rate(v) for (s, g), v in sorted(by_source.items())}
    result["pixel_confusion"] = {s: Counter(f"{it['truth']} -> {it['value']}" for it in items.values()
                                            if it["split"] == s and it["source"] not in NAMED
                                            and it["value"] != it["truth"]).most_common(15)
                                 for s in ("tune", "dev")}

    pv = defaultdict(list)
    for it in items.values():
        pv[f"{it['split']}/photo"].append(it["photo_name"] == it["truth"])
        pv[f"{it['split']}/video"].append(names[int(np.argmax(it["votes"]))] == it["truth"])
    result["photo_vs_video"] = {k: rate(v) for k, v in sorted(pv.items())}

    def score(pred: dict[str, str], seeds: dict[str, str]) -> dict:
        out = {}
        for s in ("tune", "dev"):
            allv, pix = [], []
            for i, it in items.items():
                if it["split"] != s:
                    continue
                v = pred.get(i, it["value"])
                allv.append(v == it["truth"])
                if i not in seeds and it["source"] not in NAMED:
                    pix.append(v == it["truth"])
            out[s] = {"all": rate(allv)["acc"], "pixel_only": rate(pix)}
        return out

    grid = []
    for bound in (0.3, 0.5, 0.7):
        seeds = {i: c for i, it in items.items() if (c := colour_seed(it["attr"], bound))}
        prec = rate([c == items[i]["truth"] for i, c in seeds.items()])
        grid.append({"bound": bound, "seeds": len(seeds), "seed_precision": prec, "mode": "none",
                     **score({}, seeds)})
        for feature, weight, temp in itertools.product(("hist", "votes", "both"), (0.3, 0.5, 0.7, 0.9),
                                                       (0.02, 0.05, 0.1)):
            pred = seed_prototypes(items, names, seeds, feature, weight, temp)
            grid.append({"bound": bound, "seeds": len(seeds), "feature": feature, "weight": weight,
                         "temperature": temp, **score(pred, seeds)})
    grid.sort(key=lambda g: -(g["tune"]["all"] or 0))
    result["seed_prototypes"] = {"baseline": [g for g in grid if g.get("mode") == "none"], "top_on_tune": grid[:8]}

    seeds = {i: c for i, it in items.items() if (c := colour_seed(it["attr"], 0.3))}
    ids = sorted(seeds)
    cw = []
    for penalty in (0.0, 0.5, 1.0, 2.0):
        b = fit_catalog_weights(np.array([items[i]["votes"] for i in ids]), [seeds[i] for i in ids], names, penalty)
        before = after = 0
        for k in range(3):
            train = [i for j, i in enumerate(ids) if j % 3 != k]
            test = [i for j, i in enumerate(ids) if j % 3 == k]
            bk = fit_catalog_weights(np.array([items[i]["votes"] for i in train]), [seeds[i] for i in train],
                                     names, penalty)
            before += sum(names[int(np.argmax(items[i]["votes"]))] == seeds[i] for i in test)
            after += sum(names[int(np.argmax(items[i]["votes"] * bk))] == seeds[i] for i in test)
        pred = {i: names[int(np.argmax(it["votes"] * b))] for i, it in items.items()
                if i not in seeds and it["source"] not in NAMED}
        cw.append({"penalty": penalty, "seeds_cv_before": before, "seeds_cv_after": after, "seeds": len(ids),
                   "weights": {names[j]: round(float(b[j]), 2) for j in range(len(names)) if b[j] != 1},
                   **score(pred, seeds)})
    result["catalog_weights"] = cw

    if args.learned:
        result["learned"] = learned(args.photos, items, names)
    text = json.dumps(result, indent=1, ensure_ascii=False, default=str)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


def learned(photos: Path, items: dict, names: list[str]) -> dict:
    """The softmax regression over photo descriptors, fitted on tune-split photos (classes with >= 10 of them)."""
    from PIL import Image

    namer = default_namer()
    with open(photos / "styles.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if split_of(r["id"]) in ("tune", "dev")]
    xs, ys, sp, pal = [], [], [], []
    for r in rows:
        path = photos / "images" / f"{r['id']}.jpg"
        if not path.is_file():
            continue
        h, v, _ = describe_frame(namer, np.array(Image.open(path).convert("RGB")))
        if h.sum() <= 0:
            continue
        xs.append(descriptor(h, v))
        ys.append(r["baseColour"])
        sp.append(split_of(r["id"]))
        pal.append(names[int(np.argmax(v))])
    x, y, sp, pal = np.array(xs), np.array(ys), np.array(sp), np.array(pal)
    counts = Counter(y[sp == "tune"])
    classes = sorted(c for c, n in counts.items() if n >= 10)
    index = {c: j for j, c in enumerate(classes)}
    train = (sp == "tune") & np.isin(y, classes)
    labels = sorted(set(classes) | set(names))
    li = {c: j for j, c in enumerate(labels)}
    out = {"photos": {s: int((sp == s).sum()) for s in ("tune", "dev")}, "classes": len(classes), "fits": []}
    for lam in (1e-4, 1e-3, 1e-2):
        w, b = softmax_regression(x[train], np.array([index[c] for c in y[train]]), len(classes), lam)
        row = {"lambda": lam}
        for s in ("tune", "dev"):
            m = sp == s
            pred = np.array(classes)[proba(w, b, x[m]).argmax(1)]
            row[f"{s}_photos"] = {"learned": round(float((pred == y[m]).mean()), 3),
                                  "namer": round(float((pal[m] == y[m]).mean()), 3)}
            for mix in (0.0, 0.5, 1.0):
                ok = []
                for it in items.values():
                    if it["split"] != s:
                        continue
                    good = [descriptor(h, v) for h, v, _ in it["frames"] if h.sum() > 0]
                    p = np.mean([proba(w, b, g) for g in good], 0) if good else np.ones(len(classes)) / len(classes)
                    q = np.zeros(len(labels))
                    for j, c in enumerate(classes):
                        q[li[c]] += mix * p[j]
                    for j, c in enumerate(names):
                        q[li[c]] += (1 - mix) * it["votes"][j]
                    ok.append(labels[int(np.argmax(q))] == it["truth"])
                row[f"{s}_videos_learned_share_{mix}"] = rate(ok)
        out["fits"].append(row)
    return out


if __name__ == "__main__":
    main()
