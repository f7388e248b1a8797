"""Fault injection for crash tests: ``VIDREC_FAULT=POINT:N`` makes the process kill itself with SIGKILL the N-th
time it reaches POINT, so a test or bench/bench_crash.py can stop an ingest at an exact moment that timing alone
hits only by luck. Unset (always, outside tests) it costs one environment lookup per call.

Points: ``commit`` (an item's metadata row is committed, its vectors and keyword entries not saved yet) and
``reproject`` (the catalog projection is saved and part of the vectors re-projected in memory, not saved).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "VIDREC_FAULT"
POINTS = ("commit", "reproject")
_reached: Counter[str] = Counter()


def reached(point: str) -> None:
    """Count one arrival at ``point``; SIGKILL this process when ``VIDREC_FAULT`` names it and its count."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, count = spec.partition(":")
    if name not in POINTS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{ENV}={spec!r}: expected POINT:N with POINT one of {', '.join(POINTS)} and N >= 1")
    if name != point:
        return
    _reached[point] += 1
    if _reached[point] == int(count):
        os.kill(os.getpid(), signal.SIGKILL)
