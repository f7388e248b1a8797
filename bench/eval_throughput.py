"""Ingest throughput per stage, in CPU seconds, on a slice of the evaluation catalog (dev half by default).

    .venv/bin/python bench/eval_throughput.py --catalog /work/eval-catalog --n 24 --workers 2

Ingests N videos of one split as a bare catalog (video only: every modality runs) into a temporary store and
reports video seconds, wall seconds, CPU seconds per stage (the workers' own CPU time: their models run one thread
each), all CPU the workers used (model loading included), and from those the real-time factor this work would
reach on `--workers` dedicated cores: video seconds / (CPU seconds / workers). On a shared, loaded machine the
wall-clock factor says more about the other processes than about ingest, so both are printed.

The videos are taken in catalog order, every `len/N`-th one, so the slice mixes article types, narration
languages and captions like the split does.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidrec.config import IngestSettings  # noqa: E402
from vidrec.ingest import ingest  # noqa: E402
from vidrec.vocabulary import Taxonomy  # noqa: E402


def catalog_rows(root: Path, source: Path) -> list[dict]:
    truth = root / "ground_truth.csv"
    if truth.is_file():
        with truth.open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    # the catalog is still being built: the same seeded selection build_eval_catalog.py makes
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from build_eval_catalog import select_items

    return [{"id": it.id, "video": it.video, "split": it.split, "articleType": it.articleType,
             "spoken_lang": it.spoken_lang, "caption": it.caption} for it in select_items(source, 20, {"dev": 8, "heldout": 8}, 13)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, default=Path("/work/eval-catalog"))
    ap.add_argument("--source", type=Path, default=Path("/work/shared/data/products-myntra"))
    ap.add_argument("--split", default="dev")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-speech", action="store_true")
    args = ap.parse_args()
    rows = [r for r in catalog_rows(args.catalog, args.source) if r["split"] == args.split]
    rows = [r for r in rows if (args.catalog / r["video"]).is_file()]
    step = max(1, len(rows) // args.n)
    rows = rows[::step][: args.n]
    types = sorted({r["articleType"] for r in catalog_rows(args.catalog, args.source)})
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "taxonomy.txt").write_text("\n".join(types) + "\n", encoding="utf-8")
        with (work / "bare.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "video"])
            for r in rows:
                w.writerow([r["id"], str(args.catalog / r["video"])])
        load = os.getloadavg()
        t0 = time.perf_counter()
        s = ingest(work / "bare.csv", work / "store", workers=args.workers,
                   taxonomy=Taxonomy.from_file(work / "taxonomy.txt"),
                   settings=IngestSettings(speech=not args.no_speech))
        wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    cpu_all = children.ru_utime + children.ru_stime + me.ru_utime + me.ru_stime
    stages = {k: round(v, 1) for k, v in s.stage_seconds.items()}
    staged = sum(s.stage_seconds.values())
    report = {
        "videos": len(rows), "ingested": s.ingested, "failed": [f["id"] for f in s.failed],
        "spoken": {lang: sum(r.get("spoken_lang") == lang for r in rows) for lang in ("zh", "en", "none")},
        "captioned": sum(r.get("caption") == "yes" for r in rows),
        "video_seconds": round(s.video_seconds, 1), "wall_seconds": round(wall, 1),
        "wall_realtime_factor": round(s.video_seconds / wall, 2),
        "stage_cpu_seconds": stages, "stage_cpu_total": round(staged, 1),
        "all_cpu_seconds": round(cpu_all, 1),
        "cpu_realtime_factor_on_workers_cores": round(s.video_seconds / (cpu_all / args.workers), 2),
        "staged_cpu_realtime_factor": round(s.video_seconds / (staged / args.workers), 2),
        "workers": args.workers, "load_average_before": [round(x, 1) for x in load],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
