"""Accuracy of naming a product's colour from its pixels, on real catalog photos (Myntra "Fashion Product Images").

    .venv/bin/python bench/eval_colour.py                       # held-out half, 1,000 photos, 12 commonest colours
    .venv/bin/python bench/eval_colour.py --split dev --n 2000  # the half used for tuning
    .venv/bin/python bench/eval_colour.py --json
    .venv/bin/python bench/eval_colour.py --video                # frames like a product video's shots, pooled
    .venv/bin/python bench/eval_colour.py --compose 200 --n 200  # real videos built with tools.compose
    .venv/bin/python bench/eval_colour.py --tune 8 --split dev --n 5000 > palette.py   # re-tune the palette
    .venv/bin/python bench/eval_colour.py --tune 4 --split dev --n 5000 --start default # ... or refine the shipped one

Photos whose id is odd are held out: tune on `--split dev` only. A prediction is correct when it equals the
catalog's `baseColour`; "family" accuracy also accepts the same broader colour (Navy Blue = Blue, Maroon = Red,
Charcoal = Grey, Off White = White, Cream = Beige), as a catalog filter on the broad colour would.
Reports top-1 / top-2 (exact and family), the mean per-colour recall, the commonest confusions and ms per photo.

`--video` also builds, from each photo, the frames a product video made from it shows (as tools.compose
does): a slow zoom on the photo over its blurred copy, a close-up crop, both with a caption banner, and a final card
with the photo small on a plain colour above a caption; it reports each kind of frame alone and
`name_colours_multi` over all of them. `--compose N` builds real videos from the first N photos with
tools.compose, decodes them with vidrec.media.analyze and pools one keyframe per shot, as ingest does.

`--tune ROUNDS` (development half only) re-derives the default palette of vidrec.understand.colour: it starts from
the hand-picked sRGB looks in START_LOOKS and, for the twelve commonest colours only, moves each prototype's Lab
coordinates (at most 15 units from the start), each name's penalty and vote weight, and the lightness weight, one at a
time, keeping changes that raise top-1 + 0.3 top-2 + 0.2 family top-1 on one random half of the photos; the other
half is reported as a check. It prints the Palette as Python source.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidrec.understand.colour import (  # noqa: E402
    _CELL_LAB,
    DEFAULT_PALETTE,
    ColourNamer,
    Palette,
    Prototype,
    _as_rgb,
    _cell_index,
    _downscale,
    colour_family,
    default_namer,
    srgb_to_lab,
)

DEFAULT_DATA = Path("/work/shared/data/products-myntra")


@dataclass
class Photo:
    id: str
    colour: str
    article: str
    image: np.ndarray


def load_sample(data: Path, *, split: str, n: int, seed: int = 0, colours: int = 12) -> list[Photo]:
    """A seeded sample of n photos of the `colours` commonest baseColours, from one half of the ids."""
    rows = list(csv.DictReader(open(data / "styles.csv", encoding="utf-8")))
    common = [c for c, _ in collections.Counter(r["baseColour"] for r in rows).most_common(colours)]
    want = 1 if split == "heldout" else 0
    rows = [r for r in rows if r["baseColour"] in common and int(r["id"]) % 2 == want
            and (data / "images" / f"{r['id']}.jpg").exists()]
    rows.sort(key=lambda r: int(r["id"]))
    random.Random(seed).shuffle(rows)
    out = []
    for r in rows[:n]:
        with Image.open(data / "images" / f"{r['id']}.jpg") as im:
            out.append(Photo(r["id"], r["baseColour"], r["articleType"], np.asarray(im.convert("RGB"))))
    return out


VIDEO_SIZE = (384, 640)  # tools.compose's default
CARD_COLOURS = ((246, 244, 240), (236, 240, 244), (34, 36, 40), (250, 246, 236), (28, 40, 56))
ACCENT_COLOURS = ((214, 40, 40), (232, 86, 20), (200, 20, 90))


def video_frames(image: np.ndarray, rng: random.Random) -> dict[str, np.ndarray]:
    """The frames of a short product video built from one photo: zoom, close-up (with a caption banner), card."""
    w, h = VIDEO_SIZE
    photo = Image.fromarray(image)
    accent = rng.choice(ACCENT_COLOURS)

    def fit(im: Image.Image, box: tuple[int, int]) -> Image.Image:
        s = min(box[0] / im.width, box[1] / im.height)
        return im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.BILINEAR)

    def banner(im: Image.Image) -> Image.Image:
        im = im.copy()
        d = ImageDraw.Draw(im)
        bw, bh = int(w * rng.uniform(0.4, 0.8)), int(h * 0.06)
        x, y = (w - bw) // 2, int(h * 0.76)
        d.rounded_rectangle((x, y, x + bw, y + bh), radius=bh // 3, fill=accent)
        d.text((x + bh // 2, y + bh // 4), "NOW ONLY 199", fill=(255, 255, 255))
        return im

    s = max(w / photo.width, h / photo.height)
    cover = photo.resize((round(photo.width * s), round(photo.height * s)), Image.Resampling.BILINEAR)
    cover = cover.crop(((cover.width - w) // 2, (cover.height - h) // 2, (cover.width - w) // 2 + w,
                        (cover.height - h) // 2 + h)).filter(ImageFilter.GaussianBlur(radius=w // 30))
    canvas = Image.blend(cover, Image.new("RGB", (w, h)), 0.25)
    fitted = fit(photo, (w, h))
    canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    z = rng.uniform(1.0, 1.32)
    vw, vh = w / z, h / z
    x0, y0 = (w - vw) * rng.uniform(0.38, 0.62), (h - vh) * rng.uniform(0.38, 0.62)
    zoom = banner(canvas.resize((w, h), Image.Resampling.BILINEAR, box=(x0, y0, x0 + vw, y0 + vh)))

    frac = rng.uniform(0.50, 0.62)
    ch = min(photo.height, photo.width * frac * h / w)
    cw = ch * w / h
    cx = photo.width / 2 + rng.uniform(-0.06, 0.06) * photo.width
    cy = photo.height / 2 + rng.uniform(-0.06, 0.06) * photo.height
    x0, y0 = min(max(0.0, cx - cw / 2), photo.width - cw), min(max(0.0, cy - ch / 2), photo.height - ch)
    closeup = banner(photo.resize((w, h), Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch)))

    bg = rng.choice(CARD_COLOURS)
    card = Image.new("RGB", (w, h), bg)
    small = fit(photo, (int(w * 0.72), int(h * 0.46)))
    card.paste(small, ((w - small.width) // 2, int(h * 0.10)))
    d = ImageDraw.Draw(card)
    text = (20, 20, 20) if sum(bg) > 380 else (240, 240, 240)
    d.text((w // 4, int(h * 0.62)), "Cotton summer collection", fill=text)
    d.text((w // 3, int(h * 0.70)), "199 yuan", fill=accent)
    return {"zoom": np.asarray(zoom), "closeup": np.asarray(closeup), "card": np.asarray(card)}


def composed_keyframes(workdir: Path, seed: int = 0) -> Callable[[Photo, int], list[np.ndarray]]:
    """Keyframes (one per shot, as vidrec ingest takes them) of a real video built from each photo with
    tools.compose (H.264; 3 in 4 with a caption and a price banner)."""
    from tools.compose import compose_product_video
    from vidrec.media import analyze

    def frames(photo: Photo, i: int) -> list[np.ndarray]:
        path = workdir / f"{photo.id}.mp4"
        captioned = i % 4 != 0
        compose_product_video(Image.fromarray(photo.image), path, seed=seed + i,
                              caption="Cotton summer collection" if captioned else None,
                              price_caption="now only 199" if captioned else None)
        return [shot.keyframe for shot in analyze(path, max_side=480).shots]

    return frames


def evaluate(namer: ColourNamer, photos: list[Photo], *, video: str | None = None, seed: int = 0,
             frames_of: Callable[[Photo, int], list[np.ndarray]] | None = None) -> dict:
    """Top-1/top-2 accuracy (exact and family), mean per-colour recall, confusions and speed.

    video=None names each photo; "zoom", "closeup" or "card" names that frame of a video built from it; "multi"
    pools all three frames with name_multi. frames_of(photo, index), when given, supplies the frames to pool.
    """
    hits = collections.Counter()
    per_colour = collections.defaultdict(lambda: [0, 0])
    confusions = collections.Counter()
    times = []
    rng = random.Random(seed)
    for i, p in enumerate(photos):
        if frames_of is not None:
            frames = frames_of(p, i)
        elif video is None:
            frames = [p.image]
        else:
            shots = video_frames(p.image, rng)
            frames = list(shots.values()) if video == "multi" else [shots[video]]
        t0 = time.perf_counter()
        named = namer.name(frames[0], top=2) if len(frames) == 1 else namer.name_multi(frames, top=2)
        times.append((time.perf_counter() - t0) / len(frames))
        pred = [name for name, _ in named]
        fam = [colour_family(x) for x in pred]
        label_fam = colour_family(p.colour)
        hits["top1"] += bool(pred) and pred[0] == p.colour
        hits["top2"] += p.colour in pred
        hits["top1_family"] += bool(fam) and fam[0] == label_fam
        hits["top2_family"] += label_fam in fam
        per_colour[p.colour][1] += 1
        if pred and pred[0] == p.colour:
            per_colour[p.colour][0] += 1
        elif pred:
            confusions[(p.colour, pred[0])] += 1
    n = len(photos)
    recall = {c: h / t for c, (h, t) in sorted(per_colour.items())}
    return {
        "n": n,
        **{k: hits[k] / n for k in ("top1", "top2", "top1_family", "top2_family")},
        "mean_recall": float(np.mean(list(recall.values()))),
        "recall": recall,
        "confusions": [(a, b, c) for (a, b), c in confusions.most_common(15)],
        "ms_median": 1000 * float(np.median(times)),
        "ms_p90": 1000 * float(np.percentile(times, 90)),
    }


def _print(title: str, result: dict) -> None:
    print(f"{title}: {result['n']} photos, 12 commonest colours")
    print(f"  top-1 {result['top1']:.3f}  top-2 {result['top2']:.3f}  family top-1 {result['top1_family']:.3f}  "
          f"family top-2 {result['top2_family']:.3f}  mean per-colour recall {result['mean_recall']:.3f}")
    print("  recall: " + ", ".join(f"{c} {r:.2f}" for c, r in result["recall"].items()))
    print("  confusions (label -> predicted): "
          + ", ".join(f"{a}->{b} {c}" for a, b, c in result["confusions"][:10]))
    print(f"  speed: {result['ms_median']:.1f} ms median, {result['ms_p90']:.1f} ms p90 per frame")


# Where tuning starts: typical looks of catalog colours in product photos (studio light, shading, denim...).
START_LOOKS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("Black", (20, 20, 22)), ("Black", (45, 45, 50)),
    ("Grey", (128, 128, 128)), ("Grey", (175, 175, 178)), ("Grey", (90, 90, 95)),
    ("White", (245, 245, 245)), ("White", (225, 225, 228)),
    ("Red", (200, 30, 35)), ("Red", (230, 60, 60)), ("Red", (160, 25, 35)),
    ("Maroon", (110, 20, 35)), ("Maroon", (90, 30, 40)),
    ("Pink", (240, 150, 180)), ("Pink", (230, 110, 140)), ("Pink", (250, 200, 210)),
    ("Magenta", (200, 30, 140)), ("Peach", (250, 190, 160)), ("Orange", (240, 120, 30)),
    ("Yellow", (245, 210, 40)), ("Yellow", (245, 235, 140)), ("Mustard", (205, 160, 40)),
    ("Green", (40, 140, 60)), ("Green", (120, 200, 120)), ("Green", (20, 80, 40)),
    ("Olive", (110, 110, 50)), ("Teal", (0, 128, 128)),
    ("Blue", (40, 90, 190)), ("Blue", (130, 170, 220)), ("Blue", (60, 90, 130)),
    ("Navy Blue", (25, 35, 80)), ("Navy Blue", (35, 45, 65)), ("Turquoise Blue", (64, 200, 200)),
    ("Purple", (110, 50, 150)), ("Purple", (70, 40, 90)), ("Lavender", (190, 160, 220)),
    ("Brown", (120, 75, 40)), ("Brown", (80, 50, 35)), ("Tan", (200, 160, 110)), ("Khaki", (190, 175, 130)),
    ("Beige", (225, 205, 170)),
)


def tune_palette(photos: list[Photo], *, rounds: int, seed: int = 0, bound: float = 15.0,
                 start_from: Palette | None = None, log=print) -> Palette:
    """Coordinate search of the palette on half the photos (see the module docstring); logs the check half.

    Starts from START_LOOKS, or from `start_from` (a palette with the same prototypes in the same order, such as
    the shipped default); prototypes stay within `bound` Lab units of START_LOOKS either way.
    """
    import scipy.sparse as sp

    namer = ColourNamer(palette=Palette(tuple(Prototype(n, tuple(map(float, srgb_to_lab(np.array(rgb)))))
                                              for n, rgb in START_LOOKS)))
    start = [[p.name, *p.lab] for p in namer.palette.prototypes]
    protos, lw, penalty, weight = [list(q) for q in start], 0.5, {}, {}
    if start_from is not None:
        if [p.name for p in start_from.prototypes] != [q[0] for q in start]:
            raise ValueError("start_from must list the prototypes of START_LOOKS in the same order")
        protos = [[p.name, *p.lab] for p in start_from.prototypes]
        lw, penalty, weight = start_from.lightness_weight, dict(start_from.penalty), dict(start_from.vote_weight)
    names = namer.names
    tuned = {p.colour for p in photos}
    rows, cols, vals = [], [], []
    for i, p in enumerate(photos):  # each photo's product pixels, as weights over the quantised RGB cells
        rgb = _downscale(_as_rgb(p.image), namer.settings.max_side)
        w = namer.product_weights(rgb)
        m = w > 0
        rows.append(np.full(int(m.sum()), i))
        cols.append(_cell_index(rgb)[m])
        vals.append(w[m])
    hist = sp.csr_matrix((np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(len(photos), len(_CELL_LAB)))
    label = np.array([names.index(p.colour) if p.colour in names else -1 for p in photos])
    family = np.array([colour_family(n) for n in names])
    label_family = np.array([colour_family(p.colour) for p in photos])
    half = np.random.default_rng(seed).integers(0, 2, len(photos)) == 0

    def top2(protos, lw, penalty, weight):
        lab = np.array([q[1:] for q in protos], dtype=np.float32)
        idx = np.array([names.index(q[0]) for q in protos])
        pen = np.array([penalty.get(q[0], 0.0) for q in protos], dtype=np.float32)
        d = ((lw * (_CELL_LAB[:, None, 0] - lab[None, :, 0])) ** 2 + (_CELL_LAB[:, None, 1] - lab[None, :, 1]) ** 2
             + (_CELL_LAB[:, None, 2] - lab[None, :, 2]) ** 2 + pen[None])
        cell_name = idx[np.argmin(d, axis=1)]
        onehot = sp.csr_matrix((np.ones(len(cell_name), np.float32), (np.arange(len(cell_name)), cell_name)),
                               shape=(len(cell_name), len(names)))
        votes = (hist @ onehot).toarray() * np.array([weight.get(n, 1.0) for n in names])[None]
        return np.argsort(-votes, axis=1)[:, :2]

    def scores(order, sel):
        t1 = order[:, 0] == label
        return (t1[sel].mean(), (t1 | (order[:, 1] == label))[sel].mean(),
                (family[order[:, 0]] == label_family)[sel].mean())

    def objective(*args):
        t1, t2, f1 = scores(top2(*args), half)
        return t1 + 0.3 * t2 + 0.2 * f1

    best = objective(protos, lw, penalty, weight)
    order = top2(protos, lw, penalty, weight)
    log(f"start: tuning half top-1/top-2/family {' '.join(f'{x:.3f}' for x in scores(order, half))}; check half "
        f"{' '.join(f'{x:.3f}' for x in scores(order, ~half))}")
    for r in range(rounds):
        changed = 0
        step = 4.0 if r < rounds // 2 else 2.0
        for i, q in enumerate(protos):
            if q[0] not in tuned:
                continue
            for j in (1, 2, 3):
                for sign in (-1, 1):
                    trial = [list(x) for x in protos]
                    trial[i][j] += sign * step
                    if abs(trial[i][j] - start[i][j]) > bound or (j == 1 and not 0 <= trial[i][j] <= 100):
                        continue
                    v = objective(trial, lw, penalty, weight)
                    if v > best + 1e-9:
                        best, protos, changed = v, trial, changed + 1
        for n in sorted(tuned & set(names)):
            for sign in (-1, 1):
                pen = {**penalty, n: float(np.clip(penalty.get(n, 0.0) + sign * 40, -200, 200))}
                v = objective(protos, lw, pen, weight)
                if v > best + 1e-9:
                    best, penalty, changed = v, pen, changed + 1
                wt = {**weight, n: float(np.clip(weight.get(n, 1.0) * np.exp(sign * 0.1), 0.5, 2.0))}
                v = objective(protos, lw, penalty, wt)
                if v > best + 1e-9:
                    best, weight, changed = v, wt, changed + 1
        for delta in (-0.1, 0.1):
            v = objective(protos, float(np.clip(lw + delta, 0.2, 1.0)), penalty, weight)
            if v > best + 1e-9:
                best, lw, changed = v, float(np.clip(lw + delta, 0.2, 1.0)), changed + 1
        order = top2(protos, lw, penalty, weight)
        log(f"round {r + 1}: {changed} changes; tuning half top-1/top-2/family "
            f"{' '.join(f'{x:.3f}' for x in scores(order, half))}; check half "
            f"{' '.join(f'{x:.3f}' for x in scores(order, ~half))}")
        if not changed:
            break
    return Palette(tuple(Prototype(q[0], (round(q[1], 1), round(q[2], 1), round(q[3], 1))) for q in protos),
                   round(lw, 2), {n: v for n, v in sorted(penalty.items()) if v},
                   {n: round(v, 2) for n, v in sorted(weight.items()) if abs(v - 1) > 1e-3})


def palette_source(palette: Palette) -> str:
    """The palette as Python source for vidrec/understand/colour.py."""
    lines = ["DEFAULT_PALETTE = Palette(", "    prototypes=("]
    lines += [f'        Prototype("{p.name}", ({p.lab[0]:.1f}, {p.lab[1]:.1f}, {p.lab[2]:.1f})),'
              for p in palette.prototypes]
    lines += ["    ),", f"    lightness_weight={palette.lightness_weight:.2f},", "    penalty={"]
    lines += [f'        "{n}": {v:.0f},' for n, v in palette.penalty.items()]
    lines += ["    },", "    vote_weight={"]
    lines += [f'        "{n}": {v:.2f},' for n, v in palette.vote_weight.items()]
    lines += ["    },", ")"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--split", choices=["dev", "heldout"], default="heldout")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--video", action="store_true", help="also name frames of videos built from the photos")
    ap.add_argument("--compose", type=int, metavar="N", default=0,
                    help="also build real videos (tools.compose) from the first N photos and pool their "
                         "keyframes (slow: a few seconds each)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tune", type=int, metavar="ROUNDS", help="re-tune the palette on the dev split; print it")
    ap.add_argument("--start", choices=["looks", "default"], default="looks",
                    help="tune from the hand-picked START_LOOKS or from the shipped default palette")
    args = ap.parse_args(argv)
    if not (args.data / "styles.csv").exists():
        print(f"no styles.csv under {args.data}; pass --data DIR (Myntra Fashion Product Images)", file=sys.stderr)
        return 2
    if args.tune:
        if args.split != "dev":
            print("tune on --split dev only: the held-out half is for reporting", file=sys.stderr)
            return 2
        photos = load_sample(args.data, split="dev", n=args.n, seed=args.seed)
        palette = tune_palette(photos, rounds=args.tune, seed=args.seed,
                               start_from=DEFAULT_PALETTE if args.start == "default" else None,
                               log=lambda line: print(line, file=sys.stderr, flush=True))
        print(palette_source(palette))
        return 0
    photos = load_sample(args.data, split=args.split, n=args.n, seed=args.seed)
    namer = default_namer()
    results = {"photo": evaluate(namer, photos)}
    if args.video:
        for kind in ("zoom", "closeup", "card", "multi"):
            results[kind] = evaluate(namer, photos, video=kind, seed=args.seed)
    if args.compose:
        with tempfile.TemporaryDirectory(prefix="vidrec-colour-") as tmp:
            results["composed videos"] = evaluate(namer, photos[:args.compose],
                                                  frames_of=composed_keyframes(Path(tmp), args.seed))
        results["same photos"] = evaluate(namer, photos[:args.compose])
    if args.json:
        print(json.dumps({"split": args.split, "seed": args.seed, **results}, indent=2))
        return 0
    for kind, result in results.items():
        _print(f"{args.split} / {kind}", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
