"""Interaction logs: who did what with which item, when.

`load_interactions(path)` reads CSV/TSV, Parquet or RecBole atomic `.inter` files in batches (pyarrow), maps user
and item ids to dense integer indices as it goes and keeps only compact columns (about 21 bytes a row), so the raw
table is never held whole. `interactions_from_records` does the same for rows coming from the vidrec store's
`interactions(user_id, item_id, event, value, ts, session_id)` table.

Rules (documented here and applied the same way everywhere):

- Columns are found by name, case-insensitively, after dropping a RecBole type suffix (`user_id:token` -> `user_id`):
  user: `user`, `user_id`, `userid`, `uid`; item: `item`, `item_id`, `itemid`, `iid`, `movie_id`, `movieid`;
  timestamp: `timestamp`, `ts`, `time`, `datetime`; optional `event` (`event`, `action`, `behavior`) and `value`
  (`value`, `rating`, `score`, `watch_seconds`). Missing user/item/timestamp columns are an `InputError`.
- Timestamps are epoch seconds (numbers) or ISO 8601 strings; rows need not be sorted. Ties keep file order.
- `value` must be numeric (rating, watch seconds); an empty value counts as missing (NaN). Anything else is an
  `InputError` naming the data row.
- Events: view/click/play (1) < like/rate/rating/interact (2) < cart/add_to_cart (3) < purchase/buy/order (4).
  Negative events (dislike, reject, skip, not_interested) are not positives: they are dropped and counted.
  `event_weight` is the same table for summing events (popularity), a negative event weighing minus a view.
  Unknown event names are an `InputError` that lists the known ones. A missing event column means `interact`.
- Timestamps more than `FUTURE_SLACK_S` (a day) after the moment of reading are left out and counted (a clock
  or unit error would otherwise sort after every real event).
- Duplicates: a (user, item) pair appears once in the result. Its timestamp is its latest occurrence (the point at
  which the user last chose it), its event the strongest seen and its value the one of the latest row. So exact
  duplicate rows collapse, and leave-last-out never tests an item the user already had in training.
- Empty input (no rows after the rules) is an `InputError`.

Scale: memory is O(rows kept) in compact numpy arrays, never the text table. For logs bigger than one machine, pass
`user_shard=(i, n)` to keep only users whose id hashes (CRC32) to shard i of n: every user's whole history lands in
one shard, which is what data-parallel training (Ray Train / TorchRec, see BENCHMARKS) needs.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vidrec.errors import InputError, NotFoundError

log = logging.getLogger(__name__)

EVENT_STRENGTH: dict[str, int] = {
    "view": 1,
    "click": 1,
    "play": 1,
    "watch": 1,
    "interact": 2,
    "like": 2,
    "rate": 2,
    "rating": 2,
    "cart": 3,
    "add_to_cart": 3,
    "purchase": 4,
    "buy": 4,
    "order": 4,
}
NEGATIVE_EVENTS = frozenset({"dislike", "reject", "skip", "not_interested"})
DEFAULT_EVENT = "interact"
# A row dated later than this after the moment it is read (clocks of different machines disagree by seconds, not
# days) is a clock or unit error: left out and counted, since it would sort after every real event
FUTURE_SLACK_S = 86_400.0
FUTURE_REASON = "dated more than a day in the future (left out)"
# What a negative event weighs where events are summed (popularity): a rejection takes back what a view gave.
NEGATIVE_WEIGHT = -float(EVENT_STRENGTH["view"])


def event_weight(event: str) -> float:
    """How much one recorded event says its item is wanted, on the scale the trained models learn from: a view
    1, a like 2, a cart 3, a purchase 4 (`EVENT_STRENGTH`), a negative event `NEGATIVE_WEIGHT`, an event this
    table does not know 0. The one table chat, server and training use."""
    name = str(event).strip().lower()
    if name in NEGATIVE_EVENTS:
        return NEGATIVE_WEIGHT
    return float(EVENT_STRENGTH.get(name, 0))

_ALIASES: dict[str, tuple[str, ...]] = {
    "user": ("user", "user_id", "userid", "uid", "customer_id"),
    "item": ("item", "item_id", "itemid", "iid", "movie_id", "movieid", "product_id", "video_id"),
    "timestamp": ("timestamp", "ts", "time", "datetime", "date"),
    "event": ("event", "action", "behavior", "behaviour", "event_type"),
    "value": ("value", "rating", "score", "watch_seconds", "watch_time"),
}
_REQUIRED = ("user", "item", "timestamp")


@dataclass
class IdMap:
    """External string ids <-> dense indices 0..n-1, in order of first appearance."""

    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, ids: Iterable[str]) -> IdMap:
        m = cls()
        for i in ids:
            m.add(i)
        return m

    def add(self, key: str) -> int:
        idx = self.index.get(key)
        if idx is None:
            idx = len(self.ids)
            self.index[key] = idx
            self.ids.append(key)
        return idx

    def add_many(self, keys: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.add(k) for k in keys), dtype=np.int32, count=len(keys))

    def get(self, key: str) -> int | None:
        return self.index.get(key)

    def require(self, key: str, what: str = "id") -> int:
        idx = self.index.get(key)
        if idx is None:
            raise NotFoundError(f"unknown {what} {key!r}: it does not appear in the training data")
        return idx

    def copy(self) -> IdMap:
        return IdMap(list(self.ids), dict(self.index))

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, key: object) -> bool:
        return key in self.index


@dataclass
class Interactions:
    """Positive interactions as parallel arrays, sorted by (user, timestamp, original order).

    `users` and `items` map external ids to the indices used in `user` and `item`. `items` may hold more ids than
    appear in `item` (catalog items nobody has touched yet): they are still ranked, as cold-start items.
    """

    user: np.ndarray  # int32
    item: np.ndarray  # int32
    timestamp: np.ndarray  # float64, epoch seconds
    event: np.ndarray  # int8, EVENT_STRENGTH value
    value: np.ndarray  # float32, NaN when missing
    users: IdMap
    items: IdMap
    dropped: dict[str, int] = field(default_factory=dict)  # rows removed by the rules, by reason
    # (user index, item index) pairs shown to the user and never chosen (`vidrec.learn.signals.skipped_pairs`):
    # an (n, 2) int32 array from the store's impressions, None for data without them
    skipped: np.ndarray | None = None
    notes: dict | None = None  # what else the input says (shown lists and their dwell, items the catalog lacks)

    def __len__(self) -> int:
        return int(self.user.shape[0])

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def user_bounds(self) -> np.ndarray:
        """offsets[u]:offsets[u+1] is user u's slice of the arrays (len n_users + 1)."""
        counts = np.bincount(self.user, minlength=self.n_users)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def sequences(self) -> list[np.ndarray]:
        """Each user's items in time order (index = user index; empty for users with no rows)."""
        b = self.user_bounds()
        return [self.item[b[u] : b[u + 1]] for u in range(self.n_users)]

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.item, minlength=self.n_items).astype(np.int64)

    def select(self, mask: np.ndarray) -> Interactions:
        """The rows where mask is true, sharing the id maps (order is kept)."""
        return Interactions(
            self.user[mask],
            self.item[mask],
            self.timestamp[mask],
            self.event[mask],
            self.value[mask],
            self.users,
            self.items,
            dict(self.dropped),
            self.skipped,
            self.notes,
        )

    def with_items(self, item_ids: Iterable[str]) -> Interactions:
        """Add catalog items (e.g. with text but no interactions yet) to the item vocabulary."""
        items = self.items.copy()
        for i in item_ids:
            items.add(str(i))
        return Interactions(
            self.user,
            self.item,
            self.timestamp,
            self.event,
            self.value,
            self.users,
            items,
            dict(self.dropped),
            self.skipped,
            self.notes,
        )

    def describe(self) -> str:
        """One line on what the rules set aside and what else the input said ("" when nothing)."""
        parts = [f"{n} {reason}" for reason, n in sorted(self.dropped.items()) if n]
        one = int((np.bincount(self.user, minlength=self.n_users) == 1).sum())
        if one:
            parts.append(f"{one} users with a single event (kept; served from that one event)")
        for key, value in sorted((self.notes or {}).items()):
            if isinstance(value, int) and value:
                parts.append(f"{value} {key}")
        return "; ".join(parts)

    def summary(self) -> dict:
        return {
            "rows": len(self),
            "users": self.n_users,
            "items": self.n_items,
            "items_with_interactions": int(np.count_nonzero(self.item_counts())),
            "dropped": dict(self.dropped),
            **({"shown_and_skipped": int(self.skipped.shape[0])} if self.skipped is not None else {}),
            "users_with_one_event": int((np.bincount(self.user, minlength=self.n_users) == 1).sum()),
            **({"notes": dict(self.notes)} if self.notes else {}),
        }


# --------------------------------------------------------------------------------------------------- building


class InteractionsBuilder:
    """Accumulates batches of raw rows (ids as strings) into compact arrays, then applies the rules in `build`."""

    def __init__(self, user_shard: tuple[int, int] | None = None, min_value: float | None = None) -> None:
        if user_shard is not None:
            i, n = user_shard
            if not (n >= 1 and 0 <= i < n):
                raise InputError(f"user_shard must be (i, n) with 0 <= i < n, got {user_shard}")
        self.users = IdMap()
        self.items = IdMap()
        self._user_shard = user_shard
        self._min_value = min_value
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.dropped: dict[str, int] = {}
        self.rows_read = 0

    def _drop(self, reason: str, n: int) -> None:
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(n)

    def add(
        self,
        users: Sequence[str],
        items: Sequence[str],
        timestamps: np.ndarray,
        events: Sequence[str | None] | None = None,
        values: np.ndarray | None = None,
        first_row: int = 0,
        source: str = "input",
    ) -> None:
        """Add one batch. `first_row` is the 1-based data row number of the batch's first row (for messages)."""
        n = len(users)
        self.rows_read += n
        if n == 0:
            return
        if len(items) != n or len(timestamps) != n:
            raise InputError(f"{source}: user, item and timestamp columns have different lengths")
        users = [_clean_id(u) for u in users]
        items = [_clean_id(i) for i in items]
        keep = np.ones(n, dtype=bool)
        for k in range(n):
            if users[k] is None or items[k] is None:
                keep[k] = False
        self._drop("missing user or item id", n - int(keep.sum()))
        ts = np.asarray(timestamps, dtype=np.float64)
        bad_ts = ~np.isfinite(ts) & keep
        if bad_ts.any():
            row = first_row + int(np.flatnonzero(bad_ts)[0])
            raise InputError(f"{source}: data row {row}: missing timestamp; every interaction needs a time")
        future = keep & (ts > time.time() + FUTURE_SLACK_S)
        if future.any():
            row = first_row + int(np.flatnonzero(future)[0])
            log.warning("%s: %d rows dated more than a day in the future (first: data row %d) are left out; check "
                        "the clock that wrote them", source, int(future.sum()), row)
            self._drop(FUTURE_REASON, int(future.sum()))
            keep &= ~future
        ev = np.full(n, EVENT_STRENGTH[DEFAULT_EVENT], dtype=np.int8)
        if events is not None:
            negative = 0
            for k, e in enumerate(events):
                if e is None or (isinstance(e, float) and math.isnan(e)) or str(e).strip() == "":
                    continue
                name = str(e).strip().lower()
                if name in NEGATIVE_EVENTS:
                    if keep[k]:
                        negative += 1
                    keep[k] = False
                    continue
                strength = EVENT_STRENGTH.get(name)
                if strength is None:
                    raise InputError(
                        f"{source}: data row {first_row + k}: unknown event {e!r}; known events are "
                        f"{sorted(EVENT_STRENGTH)} and the negative ones {sorted(NEGATIVE_EVENTS)}"
                    )
                ev[k] = strength
            self._drop("negative event", negative)
        val = np.full(n, np.nan, dtype=np.float32) if values is None else np.asarray(values, dtype=np.float32)
        if self._min_value is not None:
            low = keep & ~(val >= self._min_value)
            self._drop(f"value below {self._min_value}", int(low.sum()))
            keep &= ~low
        if self._user_shard is not None:
            i, nshard = self._user_shard
            in_shard = np.array([zlib.crc32(u.encode()) % nshard == i if u else False for u in users])
            self._drop("other user shard", int((keep & ~in_shard).sum()))
            keep &= in_shard
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            return
        u = self.users.add_many([users[k] for k in idx])
        it = self.items.add_many([items[k] for k in idx])
        self._chunks.append((u, it, ts[idx], ev[idx], val[idx]))

    def build(self) -> Interactions:
        if not self._chunks:
            raise InputError(
                "no interactions left to learn from"
                + (
                    f" (read {self.rows_read} rows; dropped: {self.dropped})"
                    if self.rows_read
                    else " (empty input)"
                )
            )
        user, item, ts, ev, val = (np.concatenate(c) for c in zip(*self._chunks, strict=True))
        self._chunks = []
        order_in = np.arange(user.shape[0], dtype=np.int64)
        # group (user, item); inside a group sort by time then input order
        o = np.lexsort((order_in, ts, item, user))
        user, item, ts, ev, val, order_in = user[o], item[o], ts[o], ev[o], val[o], order_in[o]
        new_group = np.ones(user.shape[0], dtype=bool)
        new_group[1:] = (user[1:] != user[:-1]) | (item[1:] != item[:-1])
        starts = np.flatnonzero(new_group)
        ends = np.concatenate([starts[1:], [user.shape[0]]]) - 1  # last row of each group = latest
        n_dupes = user.shape[0] - starts.shape[0]
        if n_dupes:
            self.dropped["repeated (user, item), collapsed"] = int(n_dupes)
        strongest = np.maximum.reduceat(ev, starts)
        user, item, ts, val, order_in = user[ends], item[ends], ts[ends], val[ends], order_in[ends]
        ev = strongest.astype(np.int8)
        o = np.lexsort((order_in, ts, user))
        out = Interactions(
            user[o].astype(np.int32),
            item[o].astype(np.int32),
            ts[o],
            ev[o],
            val[o].astype(np.float32),
            self.users,
            self.items,
            dict(self.dropped),
        )
        log.info("interactions: %s", out.summary())
        return out


def _clean_id(x: object) -> str | None:
    if x is None:
        return None
    if isinstance(x, float):
        if math.isnan(x):
            return None
        if x.is_integer():
            x = int(x)
    s = str(x).strip()
    return s or None


# --------------------------------------------------------------------------------------------------- file readers


def resolve_columns(names: Sequence[str], source: str) -> dict[str, str]:
    """Map roles (user, item, timestamp, event, value) to the file's column names."""
    plain = {n.split(":")[0].strip().lower(): n for n in names}
    found: dict[str, str] = {}
    for role, aliases in _ALIASES.items():
        for a in aliases:
            if a in plain:
                found[role] = plain[a]
                break
    missing = [r for r in _REQUIRED if r not in found]
    if missing:
        raise InputError(
            f"{source}: no column for {', '.join(missing)}; columns are {list(names)}. Name them "
            + "; ".join(f"{r}: one of {list(_ALIASES[r])}" for r in missing)
        )
    return found


def _parse_numbers(arr, source: str, first_row: int, what: str, allow_dates: bool) -> np.ndarray:
    """pyarrow string/number array -> float64 numpy; dates -> epoch seconds; bad cell -> InputError with row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        secs = pc.cast(pc.cast(arr, pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False)
        return np.asarray(secs, dtype=np.float64) / 1e6
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    arr = pc.cast(arr, pa.string())
    arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), pa.scalar(None, pa.string()), arr)
    try:
        out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(out, dtype=np.float64)
    except pa.ArrowInvalid:
        pass
    values = arr.to_pylist()
    out = np.empty(len(values), dtype=np.float64)
    for k, v in enumerate(values):
        if v is None:
            out[k] = np.nan
            continue
        try:
            out[k] = float(v)
            continue
        except ValueError:
            pass
        if allow_dates:
            try:
                d = datetime.fromisoformat(v.strip())
                if d.tzinfo is None:
                    d = d.replace(tzinfo=UTC)
                out[k] = d.timestamp()
                continue
            except ValueError:
                pass
        expected = "a number or an ISO 8601 date" if allow_dates else "a number"
        raise InputError(
            f"{source}: data row {first_row + k}: {what} {v!r} is not {expected}; fix or drop the row"
        )
    return out


def _strings(arr) -> list[str | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(arr.type):
        return [_clean_id(v) for v in arr.to_pylist()]
    return pc.cast(arr, pa.string()).to_pylist()


def _csv_header(path: Path) -> tuple[list[str], str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    if not header.strip():
        raise InputError(
            f"{path}: the file is empty; expected a header line with user, item, timestamp columns"
        )
    if path.suffix.lower() in (".inter", ".tsv", ".tab") or header.count("\t") > header.count(","):
        delimiter = "\t"
    else:
        delimiter = ","
    names = [n.strip().strip('"') for n in header.rstrip("\r\n").split(delimiter)]
    return names, delimiter


def _csv_batches(path: Path, delimiter: str, columns: list[str], batch_bytes: int) -> Iterator:
    """Stream the CSV in blocks, parsing only the columns that are used (as strings; converted later)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    return pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=batch_bytes),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in columns},
            include_columns=columns,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def iter_interaction_batches(
    path: str | Path, batch_rows: int = 1_000_000
) -> Iterator[tuple[dict[str, str], object, int]]:
    """Yield (columns, pyarrow RecordBatch, first data row number) from a CSV/TSV/.inter or Parquet file."""
    import pyarrow as pa

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; give a CSV, Parquet or RecBole .inter file of interactions")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(p)
            cols = resolve_columns(pf.schema_arrow.names, str(p))
            row = 1
            for batch in pf.iter_batches(batch_size=batch_rows, columns=list(cols.values())):
                yield cols, batch, row
                row += batch.num_rows
            return
        names, delimiter = _csv_header(p)
        cols = resolve_columns(names, str(p))
        reader = _csv_batches(p, delimiter, list(cols.values()), batch_bytes=max(1 << 16, batch_rows * 32))
        row = 1
        for batch in reader:
            yield cols, batch, row
            row += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{p}: cannot read the table ({exc}); check the delimiter and the number of columns"
        ) from exc


def load_interactions(
    path: str | Path,
    *,
    batch_rows: int = 1_000_000,
    user_shard: tuple[int, int] | None = None,
    min_value: float | None = None,
) -> Interactions:
    """Read interactions from CSV/TSV, Parquet or a RecBole `.inter` file (or a folder holding one), streaming."""
    p = _resolve_inter_path(Path(path))
    builder = InteractionsBuilder(user_shard=user_shard, min_value=min_value)
    for cols, batch, first_row in iter_interaction_batches(p, batch_rows=batch_rows):
        get = {role: batch.column(batch.schema.get_field_index(name)) for role, name in cols.items()}
        builder.add(
            _strings(get["user"]),
            _strings(get["item"]),
            _parse_numbers(get["timestamp"], str(p), first_row, "timestamp", allow_dates=True),
            events=_strings(get["event"]) if "event" in get else None,
            values=(
                _parse_numbers(get["value"], str(p), first_row, "value", allow_dates=False).astype(np.float32)
                if "value" in get
                else None
            ),
            first_row=first_row,
            source=str(p),
        )
    return builder.build()


def _resolve_inter_path(p: Path) -> Path:
    if p.is_dir():
        found = sorted(p.glob("*.inter")) or sorted(p.glob("*.parquet")) or sorted(p.glob("*.csv"))
        if len(found) != 1:
            raise InputError(
                f"{p}: a folder must hold exactly one .inter (or .parquet/.csv) interactions file, found "
                f"{[f.name for f in found]}; pass the file itself"
            )
        return found[0]
    return p


def items_file_beside(path: str | Path) -> Path | None:
    """The RecBole `.item` file next to a `.inter` file (or inside its folder), if there is one."""
    p = _resolve_inter_path(Path(path))
    cand = p.with_suffix(".item")
    return cand if cand.exists() else None


# --------------------------------------------------------------------------------------------------- store rows


def interactions_from_records(
    records: Iterable[Mapping | Sequence],
    *,
    batch_rows: int = 100_000,
    user_shard: tuple[int, int] | None = None,
    source: str = "store interactions",
) -> Interactions:
    """Rows shaped like the store table `interactions(user_id, item_id, event, value, ts, session_id)`.

    Each record is a mapping with those keys (`user`/`item`/`timestamp` also accepted), an object with those
    attributes (the store's `Interaction`) or a tuple in that column order. `ts` may be epoch seconds or an ISO 8601 string. Same rules as the file loader.
    """
    builder = InteractionsBuilder(user_shard=user_shard)
    buf: dict[str, list] = {"u": [], "i": [], "t": [], "e": [], "v": []}
    row = 1

    def flush() -> None:
        nonlocal row
        if not buf["u"]:
            return
        ts = np.array([_ts_value(t, source, row + k) for k, t in enumerate(buf["t"])], dtype=np.float64)
        vals = np.array([_num_value(v, source, row + k) for k, v in enumerate(buf["v"])], dtype=np.float32)
        builder.add(buf["u"], buf["i"], ts, buf["e"], vals, first_row=row, source=source)
        row += len(buf["u"])
        for v in buf.values():
            v.clear()

    for rec in records:
        if isinstance(rec, Mapping):
            u = rec.get("user_id", rec.get("user"))
            i = rec.get("item_id", rec.get("item"))
            t = rec.get("ts", rec.get("timestamp"))
            e = rec.get("event")
            v = rec.get("value")
        elif hasattr(rec, "user_id"):
            u, i, e, v, t = rec.user_id, rec.item_id, rec.event, rec.value, rec.ts
        else:
            u, i, e, v, t = rec[0], rec[1], rec[2], rec[3], rec[4]
        buf["u"].append(u)
        buf["i"].append(i)
        buf["t"].append(t)
        buf["e"].append(e)
        buf["v"].append(v)
        if len(buf["u"]) >= batch_rows:
            flush()
    flush()
    return builder.build()


def _ts_value(t: object, source: str, row: int) -> float:
    if t is None or t == "":
        return float("nan")
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
    try:
        return float(t)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    try:
        d = datetime.fromisoformat(str(t).strip())
    except ValueError as exc:
        raise InputError(
            f"{source}: data row {row}: timestamp {t!r} is not a number or an ISO 8601 date"
        ) from exc
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()


def _num_value(v: object, source: str, row: int) -> float:
    if v is None or v == "":
        return float("nan")
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{source}: data row {row}: value {v!r} is not a number (rating, watch seconds)"
        ) from exc
