"""bench/bench_server.py's arithmetic: the memory slope, percentiles, and the issue's targets as it prints them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("bench_server",
                                               Path(__file__).resolve().parents[2] / "bench" / "bench_server.py")
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_server"] = bench  # its dataclasses look their module up
_SPEC.loader.exec_module(bench)


def test_memory_slope_is_mb_per_minute_of_a_least_squares_line():
    samples = [(t, 300 + 0.5 * t / 60 + (0.2 if i % 2 else -0.2)) for i, t in enumerate(range(0, 600, 10))]
    assert bench.slope_mb_per_min(samples) == pytest.approx(0.5, abs=0.01)
    assert bench.slope_mb_per_min([(0, 300.0), (10, 300.0), (20, 300.0)]) == 0
    assert bench.slope_mb_per_min([(0, 300.0), (10, 310.0)]) is None  # too few samples to fit


def test_memory_per_1000_turns_and_the_curve_at_whole_minutes():
    # 20 turns a second, RSS +0.1 MB per 1,000 turns (102.4 KB), sampled every 10 s for 16 minutes
    samples = [(float(t), 300 + 0.1 * (20 * t) / 1000, 20 * t) for t in range(0, 961, 10)]
    assert bench.kb_per_1000_turns(samples) == pytest.approx(102.4, abs=0.1)
    assert bench.kb_per_1000_turns(samples[:2]) is None
    at = bench.rss_at_minutes(samples)
    assert list(at) == ["1 min", "2 min", "5 min", "10 min", "15 min"]  # only minutes the run reached
    assert at["5 min"] == pytest.approx(300 + 0.1 * 6000 / 1000) and at["15 min"] == pytest.approx(301.8)
    line = bench.verdict(_run(150.0, 0.4))[3]
    assert "0.4 MB/min (12.0 KB per 1,000 turns) after 60 s; at {'1 min': 300.0}" in line


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (bench.pct(values, 50), bench.pct(values, 95), bench.pct(values, 99)) == (51.0, 95.0, 99.0)
    assert bench.pct([], 95) is None
    assert bench.latency([5.0, 1.0]) == {"n": 2, "p50": 1.0, "p95": 5.0, "p99": 5.0, "max": 5.0}


def _run(p95: float, slope: float, errors: int = 0, cache: str = "off", mode: str = "soak") -> dict:
    t = {"n": 10, "p50": 50.0, "p95": p95, "p99": p95, "max": p95}
    return {"cache": cache, "mode": mode, "shoppers": 50, "think_mean_s": 1.0, "duration_s": 600.0,
            "loadavg_before": [1.0], "loadavg_after": [1.0], "turns": 10, "turns_per_s": 1.0, "requests": 20,
            "errors": errors, "error_kinds": {"HTTP 500 POST": errors} if errors else {}, "turn_ms": t,
            "message_ms": t, "button_ms": t, "server_errors_logged": [], "query_memo": None,
            "rss_mb": {"first": 300.0, "last": 301.0, "max": 301.0, "slope_mb_per_min": slope, "slope_from_s": 60,
                       "kb_per_1000_turns": 12.0, "at": {"1 min": 300.0}}}


def test_the_targets_apply_to_the_cache_off_soak_and_say_met_or_missed():
    met = bench.verdict(_run(150.0, 0.4))[-1]
    assert met == "  targets: 0 errors met, p95 turn <= 200 ms met, memory <= 1.0 MB/min met"
    missed = bench.verdict(_run(250.0, 1.5, errors=3))[-1]
    assert missed == "  targets: 0 errors MISSED, p95 turn <= 200 ms MISSED, memory <= 1.0 MB/min MISSED"
    assert not any("targets" in line for line in bench.verdict(_run(250.0, 1.5, cache="on")))
    assert not any("targets" in line for line in bench.verdict(_run(250.0, 1.5, mode="saturate")))
