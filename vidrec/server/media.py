"""Item videos and thumbnails.

Videos are served from the file the catalog named (range requests come from Starlette's ``FileResponse``, so a
browser can seek; a Range header it cannot use is ignored, see ``MediaFileResponse``). A thumbnail is one decoded frame as JPEG: by default the keyframe of the item's *best shot* —
the shot whose picture vector is closest to the item's own text (title, description) — or the frame at a given
second. Thumbnails are decoded once with PyAV, encoded with Pillow and cached in ``<store>/thumbnails/``, keyed by
the item, its content hash, the second and the width (a re-ingested video gets new thumbnails).
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from PIL import Image
from starlette.responses import FileResponse, MalformedRangeHeader

from vidrec.errors import MediaError, NotFoundError
from vidrec.library import Library
from vidrec.media.decode import frame_to_rgb
from vidrec.media.probe import sample_aspect_ratio, time_origin
from vidrec.understand.profile import ItemProfile

log = logging.getLogger("vidrec.server")

THUMB_WIDTHS = (160, 320, 480, 640)
THUMB_STEP_S = 0.5  # requested seconds are rounded to this, so the cache stays small
JPEG_QUALITY = 82
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
               ".mkv": "video/x-matroska", ".avi": "video/x-msvideo", ".ts": "video/mp2t"}


def video_path(library: Library, item_id: str) -> Path:
    """The item's video file on disk; NotFoundError when the item or its file is gone."""
    row = library.item(item_id)
    if row is None:
        raise NotFoundError(f"no item {item_id!r} in this catalog")
    raw = row.get("video_path") or (row.get("profile") or {}).get("video")
    path = Path(raw) if raw else None
    if path is None or not path.is_file():
        raise NotFoundError(f"the video of item {item_id!r} is no longer on the server; re-ingest the catalog")
    return path


class MediaFileResponse(FileResponse):
    """A file with range requests as RFC 9110 (section 14.2) has them: a Range header that is invalid (a first
    byte after the last, another unit than bytes, no range at all) is ignored and the whole file sent with 200,
    where Starlette answers 400. A range that starts past the end is still 416."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # FileResponse sends the whole file for an empty list


def video_type(path: Path) -> str:
    return VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def best_second(library: Library, profile: ItemProfile) -> float:
    """The keyframe second of the shot that looks most like the item's own description."""
    text = library.vector(profile.id)
    best: tuple[float, float] | None = None  # (similarity, shot start)
    if text is not None:
        for i in range(len(profile.shots)):
            v = library.vector(profile.id, "shot", i)
            if v is None:
                continue
            start = library.shot_start(profile.id, i)
            sim = float(np.dot(v, text))
            if start is not None and (best is None or sim > best[0]):
                best = (sim, start)
    shots = profile.shots
    if best is not None and shots:
        shot = min(shots, key=lambda s: abs(s.start - best[1]))
    elif shots:
        shot = shots[0]
    else:
        return min(1.0, (profile.duration or 2.0) / 2)
    if shot.keyframe is not None:
        return float(shot.keyframe)
    return shot.start + 0.3 * max(0.0, shot.end - shot.start)


def decode_frame(path: Path, second: float, max_side: int) -> Image.Image:
    """The first frame at or after ``second`` (the last one if the video ends first), upright, as an image."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                raise MediaError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            origin = time_origin(container)
            if second > 0 and stream.time_base:
                container.seek(int((second + origin) / stream.time_base), stream=stream, backward=True,
                               any_frame=False)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time - origin >= second - 1e-3:
                    break
            if chosen is None:
                raise MediaError(f"no frame of {path.name} could be decoded")
            image, _ = frame_to_rgb(chosen, max_side, sample_aspect_ratio(stream))
            return Image.fromarray(image)
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot decode {path.name}: {exc}") from exc


MEMO_BYTES = 16 * 2**20  # thumbnails kept in memory, at most (a 320-px JPEG is 10-30 KB: ~1,000 of them)
MEMO_ENTRIES = 4096


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail's JPEG bytes, its cache file and the video it was cut from."""

    data: bytes
    path: Path
    video: Path

    @property
    def etag(self) -> str:
        return f'"{self.path.stem}"'  # the cache key: item, content hash, second, width


class Thumbnails:
    """Decode-once JPEG thumbnails, cached on disk; concurrent requests for one thumbnail decode it once.

    The most recent ones are also kept in memory (`jpeg`, at most MEMO_BYTES): a chat page loads each card's
    thumbnail, and looking one up again costs two item rows read from the database, the best shot's vectors and
    a file streamed through worker threads: about an eighth of the server's CPU under load (BENCHMARKS, issue 20
    §1, NAME=speed). The memory copy belongs to the library it was made from: when the server opens the store
    again (after an ingest, which may change a video), the copies go."""

    def __init__(self, folder: Path, memo_bytes: int = MEMO_BYTES, memo_entries: int = MEMO_ENTRIES):
        self.folder = folder
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.memo_bytes = memo_bytes
        self.memo_entries = memo_entries
        self._memo: OrderedDict[tuple[str, float | None, int], Thumbnail] = OrderedDict()
        self._memo_size = 0
        self._memo_of: weakref.ref | None = None  # the library the copies were made from

    def peek(self, library: Library | None, item_id: str, second: float | None = None,
             width: int = 320) -> Thumbnail | None:
        """The thumbnail from memory if `library` made it before and its video is still there, else None; never
        waits for a decode or the database (what an async route may call without a worker thread)."""
        if library is None:
            return None
        with self._guard:
            if self._memo_of is None or self._memo_of() is not library:
                return None
            hit = self._memo.get((item_id, second, width))
            if hit is not None:
                self._memo.move_to_end((item_id, second, width))
        return hit if hit is not None and hit.video.is_file() else None

    def jpeg(self, library: Library, item_id: str, second: float | None = None, width: int = 320) -> Thumbnail:
        """The thumbnail (as `get`) with its bytes, from memory when this library made it before."""
        key = (item_id, second, width)
        with self._guard:
            if self._memo_of is None or self._memo_of() is not library:
                self._memo.clear()
                self._memo_size = 0
                self._memo_of = weakref.ref(library)
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
        if hit is not None and hit.video.is_file():  # a video moved away since is still a 404, as in `get`
            return hit
        path = self.get(library, item_id, second, width)
        thumb = Thumbnail(data=path.read_bytes(), path=path, video=video_path(library, item_id))
        with self._guard:
            if self._memo_of is not None and self._memo_of() is library and len(thumb.data) <= self.memo_bytes:
                old = self._memo.pop(key, None)
                self._memo_size -= len(old.data) if old is not None else 0
                self._memo[key] = thumb
                self._memo_size += len(thumb.data)
                while self._memo and (self._memo_size > self.memo_bytes or len(self._memo) > self.memo_entries):
                    _, gone = self._memo.popitem(last=False)
                    self._memo_size -= len(gone.data)
        return thumb

    def memo_stats(self) -> dict[str, int]:
        with self._guard:
            return {"thumbnails": len(self._memo), "bytes": self._memo_size}

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            if len(self._locks) > 4096:  # forget idle locks now and then
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())

    def get(self, library: Library, item_id: str, second: float | None = None, width: int = 320) -> Path:
        profile = library.profile(item_id)
        if profile is None:
            raise NotFoundError(f"no item {item_id!r} in this catalog")
        path = video_path(library, item_id)
        if second is None:
            second = best_second(library, profile)
        if profile.duration:
            second = min(second, max(0.0, profile.duration - 0.05))
        second = round(max(0.0, second) / THUMB_STEP_S) * THUMB_STEP_S
        width = min(THUMB_WIDTHS, key=lambda w: abs(w - width))
        row = library.item(item_id) or {}
        key = hashlib.sha256(f"{item_id}\n{row.get('content_hash')}\n{second:.2f}\n{width}".encode()).hexdigest()
        target = self.folder / key[:2] / f"{key}.jpg"
        if target.exists():
            return target
        with self._lock(key):
            if target.exists():
                return target
            image = decode_frame(path, second, max_side=width * 2)
            if image.width > width:
                image = image.resize((width, max(1, round(image.height * width / image.width))),
                                     Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            image.convert("RGB").save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(buf.getvalue())
            os.replace(tmp, target)
            log.debug("thumbnail of %s at %.1f s: %d bytes", item_id, second, len(buf.getvalue()))
        return target
