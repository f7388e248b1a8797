"""bench/dialog_compare.py: episodes of several eval_dialog runs pooled, paired only within a run (a bank)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, rows: list[tuple[str, str, str, int | None]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for system, target, opening, success in rows:
            f.write(json.dumps({"system": system, "target": target, "lang": "en", "opening": opening,
                                "success_turn": success, "turns": success or 10, "false_claims": 0,
                                "false_claims_truth": 0, "dialog": [{"say": "x"}]}) + "\n")
    return path


def test_paired_within_each_file_and_asking_minus_never(tmp_path):
    # the same target id in two banks: bank 1's new run fails it, bank 2's succeeds; old runs the other way round.
    # Pooled, new and old have the same success, and pairs that crossed files would hide that each bank changed
    new = [_write(tmp_path / "n1.jsonl", [("vidrec", "a", "vague", None), ("no_questions", "a", "vague", None),
                                           ("vidrec", "b", "precise", 2), ("no_questions", "b", "precise", 2)]),
           _write(tmp_path / "n2.jsonl", [("vidrec", "a", "vague", 3), ("no_questions", "a", "vague", None),
                                           ("vidrec", "b", "precise", 1), ("no_questions", "b", "precise", 1)])]
    old = [_write(tmp_path / "o1.jsonl", [("vidrec", "a", "vague", 4), ("no_questions", "a", "vague", None),
                                           ("vidrec", "b", "precise", 2), ("no_questions", "b", "precise", 2)]),
           _write(tmp_path / "o2.jsonl", [("vidrec", "a", "vague", None), ("no_questions", "a", "vague", None),
                                           ("vidrec", "b", "precise", 1), ("no_questions", "b", "precise", 1)])]
    out = tmp_path / "c.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "dialog_compare.py"), "--new", *map(str, new),
                    "--old", *map(str, old), "--boots", "50", "--out", str(out)], check=True, capture_output=True)
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["new:vidrec"]["all"]["success@10"][0] == 0.75 == r["old:vidrec"]["all"]["success@10"][0]
    assert r["new-old:vidrec"]["all_success@10"][0] == 0.0
    assert r["new-old:vidrec"]["vague_success@10"][0] == 0.0  # +0.5 if bank 1's new run were paired with bank 2's old
    assert r["new-old:vidrec"]["vague_mean_episode_turns"][0] == (10 + 3) / 2 - (4 + 10) / 2
    # asking minus never asking on vague openings: bank 2's vague target found only when asking
    assert r["ask-never:new"]["vague_success@10"][0] == 0.5
    assert r["ask-never:new"]["precise_success@10"][0] == 0.0


def test_old_files_must_match_new_files_in_number(tmp_path):
    a = _write(tmp_path / "a.jsonl", [("vidrec", "a", "vague", 1)])
    done = subprocess.run([sys.executable, str(REPO / "bench" / "dialog_compare.py"), "--new", str(a), "--old",
                           str(a), str(a)], capture_output=True, text=True)
    assert done.returncode != 0 and "same order" in done.stderr
