"""CPU time of one dialog turn (`Engine.respond`) on a store, for comparing two versions of the code on one machine.

    .venv/bin/python bench/bench_turn_cpu.py --store /work/stores/myntra-1k [--rounds 6] [--no-cache]
    .venv/bin/python bench/bench_turn_cpu.py --store S --profile turn.pstats     # where a turn's CPU goes

Process CPU time rather than wall time, so that another job on the machine moves the number less; run the versions
interleaved, a few times each, and compare the ranges. Prints JSON: turns, cpu_p50, cpu_p95, cpu_mean (ms).
`--no-cache` embeds every query (no query-embedding cache: the messages repeat each round, so with the cache only
the first round embeds). `--profile FILE` writes cProfile statistics of the timed turns (and prints the top 25
functions by cumulative time to stderr); the numbers are then inflated by the profiler.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
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
    ap.add_argument("--no-cache", action="store_true", help="embed every query (no query-embedding cache)")
    ap.add_argument("--profile", help="write cProfile statistics of the timed turns to this file")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be 1 or more")
    library = Library.open(args.store, readonly=False)
    profiler = None
    try:
        encoder = None
        if args.no_cache:
            from vidrec.encoders.text import default_text_encoder

            encoder = default_text_encoder()
        engine = Engine(library, text_encoder=encoder)
        for text in MESSAGES[:3]:  # load what the first turn loads lazily
            engine.respond("warm-up-" + uuid.uuid4().hex, text)
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU time: a shared machine's waits left out
        cpu_ms = []
        for _ in range(args.rounds):
            session = uuid.uuid4().hex
            for text in MESSAGES:
                start = time.process_time()
                if profiler:
                    profiler.enable()
                engine.respond(session, text)
                if profiler:
                    profiler.disable()
                cpu_ms.append((time.process_time() - start) * 1000)
    finally:
        library.close()
    if profiler:
        import pstats

        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    mean = statistics.fmean(cpu_ms)
    cpu_ms.sort()
    print(json.dumps({"turns": len(cpu_ms), "cpu_p50": round(statistics.median(cpu_ms), 1),
                      "cpu_p95": round(cpu_ms[int(len(cpu_ms) * 0.95)], 1), "cpu_mean": round(mean, 1)}))


if __name__ == "__main__":
    main()
