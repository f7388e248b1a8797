"""Item and Catalog: load a catalog (CSV, JSONL or a bare folder of videos) and validate it row by row.

A bad row never stops the load: it becomes a `RowError` naming the file and line, and every other row is kept.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidrec.errors import CatalogError

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".wmv", ".3gp",
     ".ogv"}
)
KNOWN_FIELDS = ("id", "video", "title", "description", "price", "currency", "category", "brand", "tags", "url")
MAX_ID_LENGTH = 128
# Size limits per cell: a row over one is a bad row. A title is what every search result and chat card shows (a
# 1 MB title was stored and sent with every search); platforms cap theirs at 60-250 characters, so 1,000 leaves
# room for two languages. A description is read by the text encoder (which keeps its first 512 tokens) and shown
# on the item page: 20,000 characters is several pages. No other field a product row carries (brand, category,
# tags, a URL, extra attributes) is longer than a description.
MAX_TITLE_CHARS = 1_000
MAX_DESCRIPTION_CHARS = 20_000
MAX_CELL_CHARS = 20_000
# Encodings tried, through charset-normalizer, for a file that is not UTF-8: what spreadsheets save product
# catalogs as on Chinese (GB18030/GBK, Big5) and Western (Windows-1252, Latin-1) systems, and Excel's "Unicode
# text" (UTF-16). Earlier in the list wins when the detector rates two alike (a few Chinese characters decode as
# GB18030 and as Big5 equally well; mainland catalogs are the likelier).
FALLBACK_ENCODINGS = ("gb18030", "big5", "cp1252", "latin_1", "utf_16")
_ENCODING_NAMES = {"gb18030": "GB18030", "big5": "Big5", "cp1252": "Windows-1252 (Latin-1)",
                   "latin_1": "ISO-8859-1 (Latin-1)", "utf_16": "UTF-16"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The csv module refuses cells over 131,072 characters by raising in the middle of the file, and after that error
# it resumes inside the cell it gave up on. The file is in memory already, so the parse takes any cell size and
# _add_row judges sizes per field. The limit is process-wide, hence the lock around a parse.
_NO_CSV_FIELD_LIMIT = 2**31 - 1
_CSV_FIELD_LIMIT_LOCK = threading.Lock()
_BAD_ID_CHARS = re.compile(r"[/\\#?%\x00-\x1f\x7f]")
_PRICE_RE = re.compile(r"^\s*(?:[¥￥$€£₹]|rmb|cny|usd|inr|eur)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:元|块|rmb|cny|usd)?\s*$",
                       re.IGNORECASE)


@dataclass
class Item:
    """One product of a catalog: its video and whatever metadata the platform has."""

    id: str
    video: Path
    title: str | None = None
    description: str | None = None
    price: float | None = None
    currency: str | None = None
    category: str | None = None
    brand: str | None = None
    tags: list[str] = field(default_factory=list)
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # "file:line" the row came from

    def metadata(self) -> dict[str, Any]:
        """The row's metadata as plain JSON-able data (without id and video)."""
        out: dict[str, Any] = {}
        for name in ("title", "description", "price", "currency", "category", "brand", "url"):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value
        if self.tags:
            out["tags"] = list(self.tags)
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


@dataclass
class RowError:
    """A row that could not be read, with where it is and what to do."""

    path: str
    line: int | None
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass
class Catalog:
    """The valid items of a catalog source, in file order, and the rows that were rejected."""

    source: Path
    items: list[Item]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


def load_catalog(path: str | Path) -> Catalog:
    """Load a CSV or JSONL catalog, or a folder of videos (ids from file names)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise CatalogError("no such file or folder; give a catalog .csv/.jsonl or a folder of videos", path=str(p))
    if p.is_dir():
        return _load_folder(p)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _load_csv(p, delimiter="\t" if suffix == ".tsv" else ",")
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _load_jsonl(p)
    if suffix in VIDEO_EXTENSIONS:
        raise CatalogError("this is a video, not a catalog; give its folder or a .csv/.jsonl listing it", path=str(p))
    raise CatalogError(f"unknown catalog format {suffix!r}; use .csv, .tsv, .jsonl or a folder of videos", path=str(p))


def confine(catalog: Catalog, roots: Sequence[str | Path]) -> Catalog:
    """Keep the items whose video, followed through every symbolic link, lies inside one of ``roots``; each other
    item becomes a row error. For catalogs written by someone else (an admin ingest through the server), where a
    row such as ``video=../../home/x.mp4`` or a link to a private file would otherwise be ingested and served."""
    allowed = [Path(r).resolve() for r in roots]
    kept: list[Item] = []
    for item in catalog.items:
        try:
            real = item.video.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # a symlink loop, a path too long
            catalog.errors.append(RowError(str(catalog.source), None, item.id, f"video path unusable ({exc})"))
            continue
        if any(real == r or real.is_relative_to(r) for r in allowed):
            kept.append(item)
        else:
            catalog.errors.append(RowError(str(catalog.source), None, item.id,
                                           f"video {str(item.video)!r} lies outside the ingest roots "
                                           f"({', '.join(str(r) for r in allowed)}); refused"))
    catalog.items = kept
    return catalog


def _read_text(p: Path) -> tuple[str, list[str]]:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog ({exc.strerror}); check the path and permissions",
                           path=str(p)) from exc
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        first_bad = data[: exc.start].count(b"\n") + 1
    as_utf8 = data.decode("utf-8-sig", errors="replace")
    undecodable = as_utf8.count("\ufffd")
    valid = len(as_utf8) - len(as_utf8.encode("ascii", "ignore")) - undecodable  # non-ASCII characters
    # Chinese text in GB18030 or Big5 read as UTF-8 gives at most one valid character per two undecodable bytes
    # (product titles measured 0 to 0.5); a UTF-8 file with a damaged line has far more valid ones than bad.
    if valid < 4 * undecodable:
        detected = _detect_encoding(data)
        if detected is not None:
            encoding, text = detected
            return text, [f"{p}: not UTF-8 (first bad byte on line {first_bad}); detected "
                          f"{_ENCODING_NAMES.get(encoding, encoding)} and read it as that. If titles look wrong, "
                          "re-save the file as UTF-8; that also silences this warning"]
    # Mostly valid UTF-8 with some damaged bytes, or no encoding fits: keep every line that decodes; the others
    # become row errors downstream through the replacement marker.
    return as_utf8, [f"{p}:{first_bad}: not UTF-8 throughout (and no other encoding fits it); lines with "
                     "undecodable bytes were rejected: re-save the file as UTF-8"]


def _detect_encoding(data: bytes) -> tuple[str, str] | None:
    """(codec name, text) of the likeliest of FALLBACK_ENCODINGS for `data`, or None when none fits. A decoding
    with control characters in it is wrong whatever the detector thinks (Latin-1 turns any stray byte into one)."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=list(FALLBACK_ENCODINGS)))
    if not matches:
        return None
    best = matches[0]

    def preference(m) -> tuple[bool, int]:
        alike = abs(m.chaos - best.chaos) < 0.01 and abs(m.coherence - best.coherence) <= 0.02
        return (not alike, FALLBACK_ENCODINGS.index(m.encoding) if m.encoding in FALLBACK_ENCODINGS else 99)

    for m in sorted(matches, key=preference):
        text = str(m)
        if not _CONTROL_CHARS.search(text):
            return m.encoding, text.removeprefix("\ufeff")
    return None


@contextlib.contextmanager
def _csv_cells_of_any_size() -> Iterator[None]:
    with _CSV_FIELD_LIMIT_LOCK:
        before = csv.field_size_limit(_NO_CSV_FIELD_LIMIT)
        try:
            yield
        finally:
            csv.field_size_limit(before)


def _load_csv(p: Path, delimiter: str) -> Catalog:
    with _csv_cells_of_any_size():
        return _parse_csv(p, delimiter)


def _parse_csv(p: Path, delimiter: str) -> Catalog:
    text, warnings = _read_text(p)
    catalog = Catalog(source=p, items=[], warnings=warnings)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if reader.fieldnames is None:
        raise CatalogError("the catalog is empty: it needs a header row with at least 'id' and 'video'", path=str(p))
    header = [h.strip().lower() if h else "" for h in reader.fieldnames]
    missing = [c for c in ("id", "video") if c not in header]
    if missing:
        raise CatalogError(f"the header lacks column(s) {missing}; found {reader.fieldnames}", path=str(p), line=1)
    reader.fieldnames = header
    seen: dict[str, int] = {}
    start_line = reader.line_num + 1
    for row in reader:
        line = start_line
        start_line = reader.line_num + 1
        if _unclosed_quote(row, delimiter, len(header)):
            catalog.warnings.append(f"{p}:{line}: a quote opened on this line is closed only on line "
                                    f"{reader.line_num} (or never), so the lines in between were read as one "
                                    'cell; close the quote, or double a quote inside a cell ("")')
        if None in row:  # more cells than header columns
            catalog.errors.append(RowError(str(p), line, row.get("id"),
                                           f"row has {len(header) + len(row[None])} cells but the header has "
                                           f"{len(header)}; quote cells that contain the delimiter"))
            continue
        if all((v or "").strip() == "" for v in row.values()):
            continue
        _add_row(catalog, row, p, line, seen)
    return catalog


def _unclosed_quote(row: dict, delimiter: str, columns: int) -> bool:
    """Whether a cell with line breaks looks like a quote left open rather than text with line breaks: a line
    inside it has as many cells as the header (rows were swallowed), or it runs on to the end of the file."""
    for value in row.values():
        if not isinstance(value, str) or "\n" not in value:
            continue
        if value.endswith("\n"):
            return True
        for inner in value.splitlines()[1:]:
            if len(next(csv.reader([inner], delimiter=delimiter), [])) >= columns:
                return True
    return False


def _load_jsonl(p: Path) -> Catalog:
    text, warnings = _read_text(p)
    catalog = Catalog(source=p, items=[], warnings=warnings)
    seen: dict[str, int] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            catalog.errors.append(RowError(str(p), line_no, None, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(row, dict):
            catalog.errors.append(RowError(str(p), line_no, None, "each line must be a JSON object"))
            continue
        _add_row(catalog, {str(k).strip().lower(): v for k, v in row.items()}, p, line_no, seen)
    return catalog


def _load_folder(p: Path) -> Catalog:
    catalog = Catalog(source=p, items=[])
    seen: dict[str, Path] = {}
    for f in sorted(p.rglob("*")):
        if not f.is_file() or f.suffix.lower() not in VIDEO_EXTENSIONS or f.name.startswith("."):
            continue
        item_id = f.stem
        problem = _id_problem(item_id)
        if problem:
            catalog.errors.append(RowError(str(f), None, item_id, problem))
            continue
        if item_id in seen:
            catalog.errors.append(RowError(str(f), None, item_id,
                                           f"duplicate id {item_id!r}: {seen[item_id]} has the same file name; "
                                           "rename one or use a catalog file with explicit ids"))
            continue
        seen[item_id] = f
        catalog.items.append(Item(id=item_id, video=f.resolve(), source=str(f)))
    if not catalog.items and not catalog.errors:
        catalog.warnings.append(f"{p}: no video files found (looked for {', '.join(sorted(VIDEO_EXTENSIONS))})")
    return catalog


def _id_problem(item_id: str) -> str | None:
    if not item_id:
        return "empty id; every row needs an 'id'"
    if len(item_id) > MAX_ID_LENGTH:
        return f"id is {len(item_id)} characters long; the limit is {MAX_ID_LENGTH}"
    if _BAD_ID_CHARS.search(item_id):
        return "id contains '/', '\\', '#', '?', '%' or a control character; use letters, digits, '-', '_' or '.'"
    if item_id in (".", ".."):
        return "id may not be '.' or '..'"
    return None


def _size_problem(row: dict[str, Any]) -> str | None:
    for name, value in row.items():
        if value is None:
            continue
        size = len(value) if isinstance(value, str) else len(str(value))
        if name == "title" and size > MAX_TITLE_CHARS:
            return (f"title is {size:,} characters long; the limit is {MAX_TITLE_CHARS:,}: keep the name in "
                    "'title' and the rest in 'description'")
        if name == "description" and size > MAX_DESCRIPTION_CHARS:
            return f"description is {size:,} characters long; the limit is {MAX_DESCRIPTION_CHARS:,}: shorten it"
        if name not in ("title", "description") and size > MAX_CELL_CHARS:
            return f"{name or 'a cell'!r} is {size:,} characters long; the limit for a cell is {MAX_CELL_CHARS:,}"
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def parse_price(value: Any) -> float:
    """A price cell as a number: 199, "199.00", "¥1,299", "199元". Raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("not a price")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        m = _PRICE_RE.match(str(value))
        if not m:
            raise ValueError("not a price")
        number = float(m.group(1).replace(",", ""))
    if number < 0 or number != number or number == float("inf"):
        raise ValueError("not a price")
    return number


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [t.strip() for t in re.split(r"[,;|、，；]", str(value)) if t.strip()]


def _add_row(catalog: Catalog, row: dict[str, Any], p: Path, line: int, seen: dict[str, int]) -> None:
    item_id = _text(row.get("id"))
    if "\ufffd" in json.dumps(row, ensure_ascii=False):
        catalog.errors.append(RowError(str(p), line, item_id, "row has bytes that are not valid UTF-8; re-save the "
                                                              "file as UTF-8"))
        return
    problem = _id_problem(item_id or "") or _size_problem(row)
    if problem:
        catalog.errors.append(RowError(str(p), line, item_id, problem))
        return
    assert item_id is not None
    if item_id in seen:
        catalog.errors.append(RowError(str(p), line, item_id,
                                       f"duplicate id {item_id!r} (first on line {seen[item_id]}); ids must be unique"))
        return
    video = _text(row.get("video"))
    if not video:
        catalog.errors.append(RowError(str(p), line, item_id, "no 'video' path; give a path relative to the catalog "
                                                              "file or an absolute one"))
        return
    video_path = Path(video).expanduser()
    if not video_path.is_absolute():
        video_path = (p.parent / video_path).resolve()
    price = None
    raw_price = row.get("price")
    if _text(raw_price) is not None:
        try:
            price = parse_price(raw_price)
        except ValueError:
            catalog.errors.append(RowError(str(p), line, item_id,
                                           f"price {raw_price!r} is not a number; write e.g. 199 or 199.00"))
            return
    seen[item_id] = line
    extra = {k: v for k, v in row.items() if k not in KNOWN_FIELDS and k and _text(v) is not None}
    catalog.items.append(Item(
        id=item_id, video=video_path, title=_text(row.get("title")), description=_text(row.get("description")),
        price=price, currency=_text(row.get("currency")), category=_text(row.get("category")),
        brand=_text(row.get("brand")), tags=_tags(row.get("tags")), url=_text(row.get("url")), extra=extra,
        source=f"{p}:{line}",
    ))


def sample_catalog(catalog_csv: str | Path, out: str | Path, n: int) -> tuple[Path, list[dict[str, str]]]:
    """Copy the first `n` rows of a CSV catalog and their videos into `out` (videos beside the new catalog.csv):
    a small, self-contained sample to try settings or a runner on. Returns the new catalog's path and its rows."""
    import shutil

    src = Path(catalog_csv)
    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:n]
    if not rows:
        raise CatalogError(f"{src}: no rows to sample")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for r in rows:
        video = Path(r["video"])
        shutil.copy(video if video.is_absolute() else src.parent / video, out / video.name)
        r["video"] = video.name
    path = out / "catalog.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path, rows
