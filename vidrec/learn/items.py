"""What is known about items besides who used them: a text per item (and optional extra vectors, e.g. image features).

`ItemTexts` maps item id -> text. It is built from a RecBole `.item` file (ml-100k: title, year, genres), from a CSV /
JSONL item file with an id and a title, or from the vidrec store (`items()` yielding dicts with `id`, `title`,
`profile`), so the same models learn from movies and from product videos.

`content_features` turns the texts into L2-normalised vectors with the bundled multilingual text encoder and caches
them under `cache_dir()/learn` (keyed by the texts and the encoder), so the cost is paid once per catalog.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import InputError

log = logging.getLogger(__name__)

_ID_NAMES = ("id", "item", "item_id", "itemid", "iid", "movie_id", "product_id", "video_id")
_TITLE_NAMES = ("title", "movie_title", "name", "product_name", "productdisplayname")
_RENAME = {"class": "genres", "release_year": "year", "movie_title": "title"}
# profile keys from the store worth putting into the text, in this order
_PROFILE_KEYS = (
    "category",
    "attributes",
    "colors",
    "colours",
    "brand",
    "material",
    "usage",
    "description",
    "summary",
    "transcript",
    "ocr",
)


@dataclass
class ItemTexts:
    """Item id -> text describing the item (title first), plus optional extra per-item vectors."""

    texts: dict[str, str] = field(default_factory=dict)
    extra: dict[str, np.ndarray] | None = None  # e.g. image features from the store, same dim for every item
    tokens: dict[str, list[str]] | None = None  # item id -> "field=value" tokens (genres, decade, category)
    titles: dict[str, str] | None = None  # item id -> the title alone, what a person reads in a list
    # item id -> the item's text vector as the store already holds it (`content_features` uses these instead of
    # embedding the texts again when every item with a text has one)
    text_vectors: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.texts

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def get(self, item_id: str, default: str = "") -> str:
        return self.texts.get(item_id, default)

    def ids(self) -> list[str]:
        return list(self.texts)

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_file(cls, path: str | Path) -> ItemTexts:
        """A RecBole `.item` file, a CSV/TSV with an id and a title column, or JSONL objects with `id` and `title`."""
        p = Path(path)
        if not p.exists():
            raise InputError(f"{p}: no such item file")
        if p.suffix.lower() in (".jsonl", ".json"):
            return cls._from_jsonl(p)
        return cls._from_table(p)

    @classmethod
    def _from_table(cls, p: Path) -> ItemTexts:
        with open(p, encoding="utf-8", newline="") as fh:
            first = fh.readline()
            if not first.strip():
                raise InputError(f"{p}: the item file is empty")
            delim = (
                "\t" if p.suffix.lower() in (".item", ".tsv") or first.count("\t") > first.count(",") else ","
            )
            fh.seek(0)
            reader = csv.reader(fh, delimiter=delim)
            header = next(reader)
            plain = [h.split(":")[0].strip().lower() for h in header]
            id_col = next((plain.index(n) for n in _ID_NAMES if n in plain), None)
            if id_col is None:
                raise InputError(
                    f"{p}: no item id column; columns are {header}; name one of {list(_ID_NAMES)}"
                )
            title_col = next((plain.index(n) for n in _TITLE_NAMES if n in plain), None)
            texts: dict[str, str] = {}
            tokens: dict[str, list[str]] = {}
            titles: dict[str, str] = {}
            for line, row in enumerate(reader, start=2):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) < len(header):
                    row = row + [""] * (len(header) - len(row))
                item_id = row[id_col].strip()
                if not item_id:
                    raise InputError(f"{p}:{line}: empty item id")
                fields = {
                    _RENAME.get(plain[k], plain[k]): row[k].strip()
                    for k in range(len(header))
                    if k not in (id_col, title_col)
                }
                title = row[title_col].strip() if title_col is not None else ""
                texts[item_id] = describe(title, fields)
                tokens[item_id] = field_tokens(fields)
                titles[item_id] = title
        return cls(texts, tokens=tokens, titles=titles)

    @classmethod
    def _from_jsonl(cls, p: Path) -> ItemTexts:
        texts: dict[str, str] = {}
        tokens: dict[str, list[str]] = {}
        titles: dict[str, str] = {}
        with open(p, encoding="utf-8") as fh:
            for line, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{p}:{line}: not valid JSON ({exc.msg})") from exc
                rid = next((obj[k] for k in _ID_NAMES if k in obj), None)
                if rid is None:
                    raise InputError(f"{p}:{line}: no item id; add one of {list(_ID_NAMES)}")
                title = next((str(obj[k]) for k in _TITLE_NAMES if k in obj), "")
                rest = {k: v for k, v in obj.items() if k not in _ID_NAMES and k not in _TITLE_NAMES}
                texts[str(rid)] = describe(title, rest)
                tokens[str(rid)] = field_tokens(rest)
                titles[str(rid)] = title
        return cls(texts, tokens=tokens, titles=titles)

    @classmethod
    def from_store_items(cls, items: Iterable[Mapping]) -> ItemTexts:
        """Dicts from the vidrec store: `id`, `title`, `profile` (a dict, or JSON text in `profile_json`).

        An `item_vector` / `vector` entry, when present, becomes the item's extra content vector (image/video).
        """
        texts: dict[str, str] = {}
        tokens: dict[str, list[str]] = {}
        extra: dict[str, np.ndarray] = {}
        titles: dict[str, str] = {}
        for it in items:
            rid = it.get("id")
            if rid is None:
                raise InputError("a store item has no id")
            profile = it.get("profile")
            if profile is None and it.get("profile_json"):
                try:
                    profile = json.loads(it["profile_json"])
                except (TypeError, json.JSONDecodeError):
                    profile = {}
            profile = profile if isinstance(profile, Mapping) else {}
            title = str(it.get("title") or profile.get("title") or "")
            fields = {k: profile[k] for k in _PROFILE_KEYS if k in profile}
            for k in ("category", "brand", "price"):
                if k not in fields and it.get(k) not in (None, ""):
                    fields[k] = it[k]
            texts[str(rid)] = describe(title, fields)
            tokens[str(rid)] = field_tokens(fields)
            titles[str(rid)] = title
            vec = it.get("item_vector", it.get("vector"))
            if vec is not None:
                extra[str(rid)] = np.asarray(vec, dtype=np.float32)
        return cls(texts, extra or None, tokens, titles)


def describe(title: str, fields: Mapping[str, object]) -> str:
    """One line of text for an item: "Toy Story (1995). genres: Animation, Children's, Comedy"."""
    fields = dict(fields)
    year = fields.pop("year", None)
    head = title.strip()
    if year not in (None, ""):
        head = f"{head} ({year})" if head else str(year)
    parts = []
    for k, v in fields.items():
        if v in (None, "", [], {}):
            continue
        if isinstance(v, Mapping):
            v = ", ".join(f"{a} {b}" for a, b in v.items() if b not in (None, "", []))
        elif isinstance(v, (list, tuple)):
            v = ", ".join(str(x) for x in v)
        elif k == "genres":
            v = ", ".join(str(v).split())
        parts.append(f"{k}: {v}")
    return ". ".join([head] + parts) if head else ". ".join(parts)


_TOKEN_FIELDS = ("genres", "year", "category", "brand", "colors", "colours", "material", "usage", "gender")


def field_tokens(fields: Mapping[str, object]) -> list[str]:
    """Exact "field=value" tokens of the short categorical fields: each genre, the decade of the year, the
    category/brand/colours of a product. They go into the content vector as a multi-hot part (`token_features`),
    so two items sharing a genre share a coordinate however differently their titles read."""
    out: list[str] = []
    for k in _TOKEN_FIELDS:
        v = fields.get(k)
        if v in (None, "", [], {}):
            continue
        if k == "year":
            y = str(v).strip()
            if y[:4].isdigit():
                out.append(f"decade={y[:3]}0s")
            continue
        values = v if isinstance(v, (list, tuple)) else str(v).split() if k == "genres" else [v]
        out.extend(f"{k}={str(x).strip().lower()}" for x in values if str(x).strip())
    return out


def token_features(item_ids: Sequence[str], item_texts: ItemTexts | None, min_items: int = 2) -> np.ndarray:
    """(len(item_ids), n_tokens) L2-normalised multi-hot of the items' field tokens (tokens on >= min_items
    items; zero columns when there are none)."""
    if item_texts is None or not item_texts.tokens:
        return np.zeros((len(item_ids), 0), dtype=np.float32)
    per_item = [item_texts.tokens.get(i, []) for i in item_ids]
    freq: dict[str, int] = {}
    for toks in per_item:
        for t in set(toks):
            freq[t] = freq.get(t, 0) + 1
    vocab = {t: j for j, t in enumerate(sorted(t for t, n in freq.items() if n >= min_items))}
    out = np.zeros((len(item_ids), len(vocab)), dtype=np.float32)
    for r, toks in enumerate(per_item):
        for t in toks:
            j = vocab.get(t)
            if j is not None:
                out[r, j] = 1.0
    return l2_normalise(out)


def content_features(
    item_ids: Sequence[str],
    item_texts: ItemTexts | None,
    encoder=None,
    cache: bool = True,
    batch: int = 64,
) -> np.ndarray:
    """(len(item_ids), dim) float32 content vectors: text embedding (+ extra vectors, L2-normalised, concatenated).

    Items without a text are embedded from an empty string and logged. `encoder` defaults to the bundled
    multilingual e5 (`vidrec.encoders.text.default_text_encoder()`); anything with `encode(texts, kind)` works.
    Text vectors the store already holds (`ItemTexts.text_vectors`) are used as they are; only the items with a
    text and no stored vector are embedded (a few new items cost a few embeddings, not the whole catalog's: on a
    2-core machine e5 takes seconds per product text), unless the fresh vectors differ in size from the stored
    ones, when every item is embedded so that all share one space.
    """
    stored, missing = _stored_text_vectors(item_ids, item_texts)
    if stored is not None and not missing:
        return _with_extra(stored, item_ids, item_texts)
    if encoder is None:
        from vidrec.encoders.text import default_text_encoder

        encoder = default_text_encoder()
    if stored is not None:
        fresh = _embed([item_texts.get(item_ids[r], "") for r in missing], encoder, cache, batch)
        if fresh.shape[1] == stored.shape[1]:
            log.info("%d of %d items have no stored text vector; embedded those alone", len(missing), len(item_ids))
            stored[missing] = l2_normalise(fresh)
            return _with_extra(stored, item_ids, item_texts)
        log.warning(
            "the text encoder gives %d-dim vectors and the store holds %d-dim ones; embedding every item again",
            fresh.shape[1],
            stored.shape[1],
        )
    texts = [item_texts.get(i, "") if item_texts is not None else "" for i in item_ids]
    empty = sum(1 for t in texts if not t)
    if empty:
        log.warning("%d of %d items have no text; they are embedded from an empty string", empty, len(texts))
    return _with_extra(_embed(texts, encoder, cache, batch), item_ids, item_texts)


def _embed(texts: list[str], encoder, cache: bool, batch: int) -> np.ndarray:
    """(len(texts), dim) vectors of `encoder`, cached under cache_dir()/learn by the texts and the encoder."""
    name = f"{type(encoder).__module__}.{type(encoder).__name__}:{getattr(encoder, 'dim', '')}"
    key = hashlib.sha1((name + "\x00" + "\x00".join(texts)).encode("utf-8")).hexdigest()[:20]
    path = None
    if cache:
        from vidrec.config import cache_dir

        path = cache_dir() / "learn" / f"text-{key}.npy"
        if path.exists():
            arr = np.load(path)
            if arr.shape[0] == len(texts):
                return arr
    chunks = [encoder.encode(texts[s : s + batch], kind="passage") for s in range(0, len(texts), batch)]
    feats = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros((0, 1), np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, feats)
        tmp.replace(path)
    return feats


def stored_text_vectors(item_ids: Sequence[str], item_texts: ItemTexts | None) -> np.ndarray | None:
    """The items' text vectors as the store holds them (L2-normalised; zeros for an item with neither text nor
    vector, as an item the store no longer has), or None when an item with a text lacks one or the vectors differ
    in size."""
    stored, missing = _stored_text_vectors(item_ids, item_texts)
    return None if missing else stored


def _stored_text_vectors(
    item_ids: Sequence[str], item_texts: ItemTexts | None
) -> tuple[np.ndarray | None, list[int]]:
    """(the stored vectors as in `stored_text_vectors`, with zero rows for the items that have a text and no
    vector; the positions of those items), or (None, []) when there are none or they differ in size."""
    vectors = item_texts.text_vectors if item_texts is not None else None
    if not vectors:
        return None, []
    dims = {np.asarray(v).shape[-1] for v in vectors.values()}
    if len(dims) != 1:
        return None, []
    out = np.zeros((len(item_ids), dims.pop()), dtype=np.float32)
    missing = []
    for k, i in enumerate(item_ids):
        v = vectors.get(i)
        if v is not None:
            out[k] = v
        elif item_texts.get(i):
            missing.append(k)
    return l2_normalise(out).astype(np.float32), missing


def _with_extra(feats: np.ndarray, item_ids: Sequence[str], item_texts: ItemTexts | None) -> np.ndarray:
    if item_texts is None or not item_texts.extra:
        return feats
    dims = {v.shape[-1] for v in item_texts.extra.values()}
    if len(dims) != 1:
        raise InputError(
            f"extra item vectors have different sizes {sorted(dims)}; give every item the same size"
        )
    dim = dims.pop()
    ex = np.zeros((len(item_ids), dim), dtype=np.float32)
    for k, i in enumerate(item_ids):
        v = item_texts.extra.get(i)
        if v is not None:
            n = float(np.linalg.norm(v))
            ex[k] = v / n if n > 0 else v
    return np.concatenate([feats, ex], axis=1)
