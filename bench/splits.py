"""The one split of source records (photos, products) into tune / dev / held-out, by a stable hash of their id.

Every fitted thing (palettes, projections, prototypes, thresholds, weights, rules) is fitted on `tune`; choices
between fitted variants are made on `dev`; `heldout` is read once, for reporting. The split depends only on the
id (SHA-256, not Python's salted `hash`), so it is the same in every process, machine and run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal, TypeVar

Split = Literal["tune", "dev", "heldout"]
SPLITS: tuple[Split, ...] = ("tune", "dev", "heldout")
# Share of ids in each split, in percent: tune 50, dev 20, held-out 30.
_BOUNDS = (("tune", 50), ("dev", 70), ("heldout", 100))
_SALT = b"vidrec-split-v1:"

T = TypeVar("T")


def split_of(record_id: str | int) -> Split:
    """Which split a source record belongs to."""
    digest = hashlib.sha256(_SALT + str(record_id).strip().encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    for name, bound in _BOUNDS:
        if bucket < bound:
            return name  # type: ignore[return-value]
    raise AssertionError("unreachable")


def select(records: Iterable[T], split: Split, key=lambda r: r["id"]) -> list[T]:
    """The records of one split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return [r for r in records if split_of(key(r)) == split]


def for_fitting(records: Iterable[T], split: str, key=lambda r: r["id"]) -> list[T]:
    """The records a fitting step may use: the tune split only. Anything else is refused."""
    if split != "tune":
        raise ValueError(f"fitting on the {split!r} split is not allowed: fit on 'tune', choose on 'dev', "
                         "report on 'heldout'")
    return select(records, "tune", key)
