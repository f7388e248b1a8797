"""The crash harness (bench/bench_crash.py) in small: three SIGKILLs of a real `vidrec ingest`, one per cheap phase
(right after an item's commit and during start-up and model loading with two workers, mid video with one), each resumed and
checked: nothing lost or orphaned in any index, doctor consistent, exact titles found first, no process left.
The 20-kill run with the projection phase is the bench (BENCHMARKS.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_crash.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("bench_crash", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def assert_recovered(o) -> None:
    assert o.rerun_exit == 0 and not o.rerun.get("failed"), o.rerun
    assert o.doctor_ok
    assert not any(o.lost.values()) and not any(o.orphaned.values()), (o.lost, o.orphaned)
    assert o.temp_files == []
    assert o.keyword_misses == [] and o.search_misses == []
    assert o.left_processes == []
    assert o.ok


def test_three_kills_across_an_ingest_lose_nothing_and_leave_no_process(tmp_path, harness):
    ctx = harness.Context(work=tmp_path, small_catalog=tmp_path / "catalog.csv", small_rows=[])
    ctx.small_rows = rows = harness.write_catalog(ctx.small_catalog, 4)
    # the demo's first four titles each find their item first in a store ingested without a kill
    ctx.reference_first[harness.catalog_key(rows)] = {r["id"] for r in rows}

    # two analysis workers: they must go with the ingest killed right after its first commit
    after_commit = harness.run_one(harness.Plan(0, "after_commit", 0, workers=2, method="commit:1"), ctx)
    assert after_commit.exit_code == -9 and after_commit.committed_at_kill == 1, after_commit
    # the kill may also leave tantivy's working file (lexical/.tmpXXXX) behind: repair removes it, and
    # assert_recovered checks that no temp file is left
    repaired = dict(after_commit.rerun["repaired"])
    assert repaired.pop("temp_files_removed", 0) <= 1, after_commit.rerun
    assert repaired == {"vectors_added": 1, "keywords_added": 1}, after_commit.rerun
    assert after_commit.rerun["skipped"] == 1 and len(after_commit.rerun["closed_runs"]) == 1
    assert_recovered(after_commit)

    # one worker, so the next item takes a while and the kill lands in the middle of it (two commit in bursts)
    mid_video = harness.run_one(harness.Plan(1, "mid_video", 0, workers=1, after_items=1, delay_s=0.0), ctx)
    assert mid_video.exit_code == -9 and 1 <= mid_video.committed_at_kill < len(rows), mid_video
    assert_recovered(mid_video)

    # halfway to the first commit of the first run, and never later than 1.5 s: interpreter start-up or model
    # loading, nothing committed (half of a first run slowed by a busy machine once landed after all four commits of
    # a quicker third run)
    start_up = harness.run_one(harness.Plan(2, "model_load", 0, workers=2,
                                            delay_s=round(min(after_commit.killed_at_s / 2, 1.5), 2)), ctx)
    assert start_up.exit_code == -9 and start_up.committed_at_kill == 0, start_up
    assert start_up.rerun["ingested"] == len(rows)
    assert_recovered(start_up)
