"""CPU time of one dialog turn (`Engine.respond`) on a store, for comparing two versions of the code on one machine.

    .venv/bin/python bench/bench_turn_cpu.py --store /work/stores/myntra-1k [--rounds 6]

Process CPU time rather than wall time, so that another job on the machine moves the number less; run the versions
interleaved, a few times each, and compare the ranges. Prints JSON: turns, cpu_p50, cpu_p95 (ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from vidrec.dialog.engine import Engine
from vidrec.library import Library

# Everyday openings, refinements, a reference and a question, in both languages.
MESSAGES = ["我想买一件T恤", "要黑色的", "便宜一点的", "show me some sandals", "in blue", "under 500",
            "not the second one", "第一个是什么材质的", "more", "我想要运动鞋", "男款", "300元以内"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--rounds", type=int, default=6, help="conversations of len(MESSAGES) turns")
    args = ap.parse_args()
    library = Library.open(args.store, readonly=False)
    try:
        engine = Engine(library)
        for text in MESSAGES[:3]:  # load what the first turn loads lazily
            engine.respond("warm-up-" + uuid.uuid4().hex, text)
        cpu_ms = []
        for _ in range(args.rounds):
            session = uuid.uuid4().hex
            for text in MESSAGES:
                start = time.process_time()
                engine.respond(session, text)
                cpu_ms.append((time.process_time() - start) * 1000)
    finally:
        library.close()
    cpu_ms.sort()
    print(json.dumps({"turns": len(cpu_ms), "cpu_p50": round(statistics.median(cpu_ms), 1),
                      "cpu_p95": round(cpu_ms[int(len(cpu_ms) * 0.95)], 1)}))


if __name__ == "__main__":
    main()
