"""SIMMC 2.0 turns read by (dialogue, turn) id from ../shared at test time: their CC BY-NC-SA text stays out of the
repository, and a test that needs one is skipped where ../shared is absent (an accepted skip: tests/skip_policy.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

SIMMC = Path(__file__).resolve().parents[2] / "shared" / "data" / "dialogs" / "simmc2" / "simmc2_dev_even.json"


@cache
def simmc_dialogues() -> list[dict]:
    """The even half's dialogues as SIMMC writes them (call `simmc_turn` first: it skips where they are absent)."""
    return json.loads(SIMMC.read_text(encoding="utf-8"))["dialogue_data"]


@cache
def _turns() -> dict[tuple[int, int], str]:
    return {(d["dialogue_idx"], j): t["transcript"] for d in simmc_dialogues() for j, t in enumerate(d["dialogue"])}


def simmc_turn(dialogue: int, turn: int) -> str:
    """The shopper's words of one turn of the even (dev) half."""
    if not SIMMC.exists():
        pytest.skip("SIMMC 2.0 not present (../shared/data)")
    return _turns()[(dialogue, turn)]
