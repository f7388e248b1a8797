"""Temporal leave-last-out split per user: last item -> test, second-to-last -> validation, the rest -> training.

Rule for short histories: a user with fewer than 3 interactions keeps them all in training and is not evaluated
(there is nothing left to learn from otherwise); they are counted in `Split.info["users_too_short"]`.
Order inside a user is (timestamp, file order), as sorted by the loader; duplicates were already collapsed, so a
held-out item never also sits in that user's training history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidrec.errors import InputError
from vidrec.learn.interactions import Interactions

MIN_HISTORY = 3


@dataclass
class Holdout:
    """One held-out item per user: parallel arrays of user and item indices."""

    users: np.ndarray  # int32
    items: np.ndarray  # int32

    def __len__(self) -> int:
        return int(self.users.shape[0])


@dataclass
class Split:
    train: Interactions
    valid: Holdout
    test: Holdout
    info: dict = field(default_factory=dict)

    def histories(self, phase: str) -> list[np.ndarray]:
        """What each evaluated user has done before the held-out item of `phase` ("valid" or "test").

        valid: the training sequence; test: the training sequence followed by the validation item.
        """
        seqs = self.train.sequences()
        if phase == "valid":
            return [seqs[u] for u in self.valid.users]
        if phase == "test":
            valid_item = dict(zip(self.valid.users.tolist(), self.valid.items.tolist(), strict=True))
            return [
                np.append(seqs[u], np.int32(valid_item[u])).astype(np.int32) if u in valid_item else seqs[u]
                for u in self.test.users.tolist()
            ]
        raise ValueError(f"phase must be 'valid' or 'test', not {phase!r}")

    def holdout(self, phase: str) -> Holdout:
        return {"valid": self.valid, "test": self.test}[phase]


def leave_last_out(interactions: Interactions, min_history: int = MIN_HISTORY) -> Split:
    """Split each user's time-ordered history: ..., valid, test. See the module doc for the short-history rule."""
    if len(interactions) == 0:
        raise InputError("no interactions to split")
    bounds = interactions.user_bounds()
    lengths = np.diff(bounds)
    evaluated = np.flatnonzero(lengths >= min_history).astype(np.int32)
    test_rows = bounds[evaluated + 1] - 1
    valid_rows = bounds[evaluated + 1] - 2
    keep = np.ones(len(interactions), dtype=bool)
    keep[test_rows] = False
    keep[valid_rows] = False
    train = interactions.select(keep)
    counts = train.item_counts()
    test_items = interactions.item[test_rows]
    info = {
        "method": "temporal leave-last-out per user (last -> test, second-to-last -> validation)",
        "users": interactions.n_users,
        "items": interactions.n_items,
        "interactions": len(interactions),
        "train": len(train),
        "valid": int(evaluated.shape[0]),
        "test": int(evaluated.shape[0]),
        "users_too_short": int(np.count_nonzero((lengths > 0) & (lengths < min_history))),
        "min_history": min_history,
        "test_items_unseen_in_train": int(np.count_nonzero(counts[test_items] == 0)),
    }
    if evaluated.size == 0:
        raise InputError(
            f"no user has {min_history} or more interactions, so nothing can be held out for evaluation; "
            "collect more history or train without evaluating (`vidrec train`)"
        )
    return Split(
        train,
        Holdout(evaluated, interactions.item[valid_rows].astype(np.int32)),
        Holdout(evaluated, test_items.astype(np.int32)),
        info,
    )
