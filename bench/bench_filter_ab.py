"""The search after the query embedding with FaissIndex's filter code before and after issue 20 §1 (NAME=speed),
alternating query by query in one process: CPU milliseconds per search and whether the results are identical.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_filter_ab.py --store STORE [--queries 150]

"Before" is main at 560add8: a filter's allowed values looked up through a table indexed by every row's code
(`table[codes + 1]`). "After" is this tree's `FaissIndex._allowed` (a comparison per value for up to 16 values).
(The 560add8 A/B also swapped how the IVF lists holding the filter's vectors are found, `np.unique` vs a count;
since issue 20 §2 those counts are kept per filter by `FaissIndex._per_list`, so that part is no longer swapped.)
Use a store of 100k items or more (bench/bench_search.py --synthetic 100000 --keep DIR builds one): at 1k items
both are a few microseconds. The masks that a search keeps for the next one are dropped before every search, so
each query pays its filter once, as a new shopper's query does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_search import queries_for  # noqa: E402

import vidrec.store.faiss_index as faiss_index  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.recommend.search import Searcher, dense_text  # noqa: E402


def old_allowed(self, name, values, rows=None):
    vocab = self._vocab[name]
    table = np.zeros(len(vocab) + 1, dtype=bool)
    for value in values:
        code = vocab.get(value) if value is not None else None
        if code is not None:
            table[code + 1] = True
    codes = self._codes[name][: len(self._ids)] if rows is None else self._codes[name][rows]
    return table[codes + 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True, help="a store (opened read-only)")
    ap.add_argument("--queries", type=int, default=150)
    args = ap.parse_args()
    if not (args.store / "vidrec.sqlite").exists():
        ap.error(f"{args.store} is not a vidrec store")
    if args.queries < 2:
        ap.error("--queries must be 2 or more")
    cls = faiss_index.FaissIndex
    versions = {"before": {"_allowed": old_allowed}, "after": {"_allowed": cls._allowed}}
    lib = Library.open(args.store, readonly=True)
    try:
        searcher = Searcher(lib)
        encoder = getattr(searcher.text, "inner", searcher.text)
        todo = []
        for q in queries_for(lib, args.queries):
            parsed = searcher.parse(q)
            request = searcher.grounded(parsed.request)
            todo.append((q, parsed, encoder.encode([dense_text(q, searcher.terms(request))], kind="query")[0]))
        cpu: dict[str, list[float]] = {"before": [], "after": []}
        same = 0
        for i, (q, parsed, qv) in enumerate(todo):
            results = {}
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                for attr, fn in versions[name].items():
                    setattr(cls, attr, fn)
                lib.store.vectors._forget_derived()
                c0 = time.process_time()
                hits = searcher.search(q, k=10, parsed=parsed, query_vector=qv).results
                cpu[name].append(1000 * (time.process_time() - c0))
                results[name] = [(h.id, h.score) for h in hits]
            same += results["before"] == results["after"]
    finally:
        for attr, fn in versions["after"].items():
            setattr(cls, attr, fn)
        lib.close()
    report = {"queries": len(todo), "identical_results": same,
              "load_average": [round(x, 2) for x in os.getloadavg()]}
    for name, values in cpu.items():
        v = sorted(values)
        report[f"cpu_ms_{name}"] = {"p50": round(v[len(v) // 2], 2), "p95": round(v[int(len(v) * 0.95)], 2),
                                    "mean": round(statistics.fmean(v), 2)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
