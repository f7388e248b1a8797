"""What the store's logs say beyond likes and purchases: plays with watch time, shown-and-skipped cards, dwell.

The store logs (vidrec/store/metadata.py):
- interactions: like, reject, cart, buy from the chat's buttons and words; events from the shop's platform
  (view, click, play, buy); a ``play`` from the web page's player carries the seconds watched as its value
  (``watch_s`` in POST /v1/feedback: sent when the player closes, the video ends or the page is left);
- impressions: every list a turn showed a user, card by card (session, turn, position, time).

How training reads them (`vidrec.learn.store_data.load_store_data`):
- a play with its watch time counts as a choice (a positive, as strong as a view) when it covers at least
  `WATCH_SHARE` of the item's video; a shorter one is dropped ("play under half of the video", counted in the
  summary). A play without a watch time, or of an item whose length is unknown, counts as before;
- a shown-and-skipped card: an impression of an item the user never chose (no positive interaction with it, in any
  session) is a weak negative, `SKIPPED_VALUE`, for the models that take negatives.

Which models use what:
- ``als``: positives, and skipped cards as negative confidence (implicit's ALS reads a negative entry as "disliked":
  target 0 with confidence ``alpha * |SKIPPED_VALUE|``, twice an unseen item's with the default alpha 2);
- ``content-seq``, ``sasrec`` and the other sequential models, ``bpr``, ``itemknn``, ``pop``: positives only (a
  next-item softmax, BPR's sampled pairs and item co-occurrence have no place for an explicit negative).

Dwell of a shown list: the seconds from the moment a list was shown to the session's next logged step (the next
list shown, or the next interaction recorded in that session: a button, a play), capped at `DWELL_CAP_S` (a tab
left open is not attention); none for a session's last list. It is derived from the logs' timestamps, not logged
twice; `vidrec train --store` reports it; no model reads it yet.

The constants are definitions, not fitted: there is no logged watch-time or dwell data to fit them on yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from vidrec.learn.interactions import IdMap

WATCH_SHARE = 0.5  # a play counts as a choice when at least this share of the video was watched
SHORT_PLAY = f"play under {WATCH_SHARE:.0%} of the video"
SKIPPED_VALUE = -1.0  # a shown-and-skipped card, for models that take negatives (same size as one positive)
DWELL_CAP_S = 600.0  # a list on screen longer than this counts as this long


def qualified_plays(records: Iterable, durations: Mapping[str, float | None], dropped: Counter) -> Iterator:
    """The store's interaction records, without the plays that covered less than `WATCH_SHARE` of their video
    (counted in ``dropped`` under `SHORT_PLAY`)."""
    for r in records:
        if str(r.event).strip().lower() == "play" and r.value is not None:
            length = durations.get(r.item_id)
            if length and float(r.value) < WATCH_SHARE * float(length):
                dropped[SHORT_PLAY] += 1
                continue
        yield r


def skipped_pairs(impressions: Iterable, users: IdMap, items: IdMap, positives: set[tuple[int, int]]) -> np.ndarray:
    """(user index, item index) of every card shown to a user who never chose its item: an (n, 2) int32 array,
    each pair once. Users or items the training data does not know are left out."""
    out: set[tuple[int, int]] = set()
    for imp in impressions:
        u, i = users.get(str(imp.user_id)), items.get(str(imp.item_id))
        if u is None or i is None or (u, i) in positives:
            continue
        out.add((u, i))
    return np.array(sorted(out), dtype=np.int32).reshape(-1, 2)


def list_dwell(impressions: Iterable, interactions: Iterable) -> list[float]:
    """The dwell of every shown list that was followed by another step of its session (see the module's text),
    in seconds, capped at `DWELL_CAP_S`."""
    shown: dict[tuple[str, int], float] = {}
    steps: dict[str, list[float]] = {}
    for imp in impressions:
        key = (str(imp.session_id), int(imp.turn))
        shown[key] = min(shown.get(key, imp.ts), imp.ts)
        steps.setdefault(str(imp.session_id), []).append(float(imp.ts))
    for e in interactions:
        if e.session_id is not None and str(e.session_id) in steps:
            steps[str(e.session_id)].append(float(e.ts))
    for times in steps.values():
        times.sort()
    out = []
    for (session, _turn), at in shown.items():
        times = steps[session]
        k = int(np.searchsorted(times, at, side="right"))
        if k < len(times):
            out.append(min(times[k] - at, DWELL_CAP_S))
    return out
