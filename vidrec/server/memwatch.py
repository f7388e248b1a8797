"""Where a running server's memory goes, written now and then to a file (opt-in, for finding leaks).

    VIDREC_MEMWATCH=/tmp/mem.jsonl vidrec serve --store S       # one JSON line every VIDREC_MEMWATCH_EVERY s (60)
    VIDREC_MEMWATCH_TRACEMALLOC=10 ...                          # also trace Python allocations (10 frames deep)

Each line has the seconds since start and the process's resident memory split the kernel's way (anonymous, file,
shared: /proc/self/status), what glibc's malloc holds (in use and free but kept, mallinfo2), what SQLite holds
(sqlite3_memory_used, every connection's page cache included), the thread count, the Python objects by type
(the 12 most numerous), the sizes of the server's in-memory structures (query memo, profile cache, session
locks, rate-limiter buckets, ...: whatever registered itself with :func:`register`) and, with tracemalloc on, the
Python heap traced and the 25 source lines whose allocations grew most since the first line.

Python heap flat while RSS grows points at native memory (malloc arenas, SQLite, ONNX Runtime, tantivy);
malloc's free-but-kept bytes growing points at fragmentation rather than a leak. tracemalloc slows the server
down and takes memory of its own: use it to find a source, not to measure.

Not opt-in: the server hands malloc's free pages back to the system every VIDREC_MALLOC_TRIM (default 60 s; 0:
never), see :func:`trim_malloc`, and lets its threads share at most VIDREC_MALLOC_ARENAS malloc arenas (default 2;
0: glibc's own limit, 8 per core), see :func:`limit_arenas`.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import os
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from vidrec.errors import ConfigError

log = logging.getLogger("vidrec.server")

DEFAULT_EVERY_S = 60.0
TOP_TYPES = 12
TOP_SITES = 25

_sizes: dict[str, Callable[[], int]] = {}
_sizes_lock = threading.Lock()


def register(name: str, size: Callable[[], int]) -> None:
    """Report ``size()`` (entries of an in-memory structure) as ``name`` in every line (the last one registered
    under a name wins)."""
    with _sizes_lock:
        _sizes[name] = size


def structure_sizes() -> dict[str, int]:
    with _sizes_lock:
        items = list(_sizes.items())
    out = {}
    for name, size in items:
        try:
            out[name] = int(size())
        except Exception as exc:  # a structure gone with a closed store: say so, keep watching the rest
            out[name] = -1
            log.debug("memwatch: size of %s failed: %s", name, exc)
    return out


def _proc_status() -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, RssShmem (bytes) and Threads, from /proc/self/status (Linux)."""
    out: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(value.split()[0]) * 1024
                elif key == "Threads":
                    out[key] = int(value)
    except OSError:
        pass
    return out


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
        return libc
    except (OSError, AttributeError):  # not glibc, or glibc before 2.33
        return None


def _sqlite():
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        return lib
    except (OSError, AttributeError, ImportError):
        return None


def malloc_stats() -> dict[str, int] | None:
    """glibc malloc: bytes in use (heap arenas + mmapped blocks) and bytes free but kept by the arenas."""
    libc = _libc()
    if libc is None:
        return None
    m = libc.mallinfo2()
    return {"in_use": m.uordblks + m.hblkhd, "free_kept": m.fordblks, "arenas": m.arena}


def sqlite_bytes() -> int | None:
    lib = _sqlite()
    return int(lib.sqlite3_memory_used()) if lib is not None else None


def object_counts(top: int = TOP_TYPES) -> tuple[int, dict[str, int]]:
    counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    return sum(counts.values()), dict(counts.most_common(top))


class MemWatch:
    """Writes one line at start and then every ``every_s`` seconds, from a daemon thread, until :meth:`stop`."""

    def __init__(self, path: Path, every_s: float = DEFAULT_EVERY_S, trace_frames: int = 0):
        self.path = path
        self.every_s = every_s
        self.trace_frames = trace_frames
        self._stop = threading.Event()
        self._started_tracing = False
        self._baseline: tracemalloc.Snapshot | None = None
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="vidrec-memwatch", daemon=True)

    def start(self) -> MemWatch:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.trace_frames and not tracemalloc.is_tracing():
            tracemalloc.start(self.trace_frames)
            self._started_tracing = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.write()  # the last state, at shutdown
        if self._started_tracing:
            tracemalloc.stop()

    def _run(self) -> None:
        while True:
            try:
                self.write()
            except Exception as exc:  # a failed line must not stop the watch (nor the server)
                log.warning("memwatch: writing %s failed: %s", self.path, exc)
            if self._stop.wait(self.every_s):
                return

    def line(self) -> dict:
        status = _proc_status()
        n_objects, types = object_counts()
        out: dict = {"t_s": round(time.monotonic() - self._t0, 1), "rss": status.get("VmRSS"),
                     "rss_anon": status.get("RssAnon"), "rss_file": status.get("RssFile"),
                     "rss_shmem": status.get("RssShmem"), "threads": status.get("Threads"),
                     "malloc": malloc_stats(), "sqlite": sqlite_bytes(), "gc_objects": n_objects, "types": types,
                     "structures": structure_sizes()}
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            out["traced"] = {"current": current, "peak": peak}
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
            if self._baseline is None:
                self._baseline = snap
            else:
                out["grown"] = [{"site": str(s.traceback), "size_diff": s.size_diff, "size": s.size,
                                 "count_diff": s.count_diff}
                                for s in snap.compare_to(self._baseline, "lineno")[:TOP_SITES]]
        return out

    def write(self) -> None:
        data = json.dumps(self.line(), ensure_ascii=False)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(data + "\n")


def from_env(env: dict[str, str] | None = None) -> MemWatch | None:
    """The watch VIDREC_MEMWATCH asks for (not started), or None when it is not set."""
    env = dict(os.environ if env is None else env)
    target = env.get("VIDREC_MEMWATCH", "").strip()
    if not target:
        return None
    try:
        every = float(env.get("VIDREC_MEMWATCH_EVERY", DEFAULT_EVERY_S))
        frames = int(env.get("VIDREC_MEMWATCH_TRACEMALLOC", "0"))
    except ValueError as exc:
        raise ConfigError("VIDREC_MEMWATCH_EVERY must be seconds (e.g. 60) and VIDREC_MEMWATCH_TRACEMALLOC a "
                          f"number of frames (e.g. 10, or 0 for off): {exc}") from exc
    if every <= 0 or frames < 0:
        raise ConfigError("VIDREC_MEMWATCH_EVERY must be more than 0 s and VIDREC_MEMWATCH_TRACEMALLOC 0 or more")
    return MemWatch(Path(target), every, frames)


# ---------------------------------------------------------------------------------------------- giving memory back
TRIM_ENV = "VIDREC_MALLOC_TRIM"
DEFAULT_TRIM_S = 60.0


def trim_interval_s(env: dict[str, str] | None = None) -> float | None:
    """VIDREC_MALLOC_TRIM (seconds, or 1m ...; default 60, 0 for never): how often the server hands the memory
    malloc holds free back to the system. None: never. A bad value is a ConfigError."""
    from vidrec.server.settings import parse_duration

    raw = (os.environ if env is None else env).get(TRIM_ENV, "").strip()
    seconds = parse_duration(raw, TRIM_ENV) if raw else DEFAULT_TRIM_S
    return seconds if seconds > 0 else None


def trim_malloc() -> bool:
    """glibc's malloc_trim(0): free pages inside every malloc arena go back to the system (madvise), not only the
    top of the main heap. The server's 12 worker threads allocate in up to 16 arenas, and a page kept by one of
    them for a while grows that arena while the bytes in use stay flat (issue 19's soak: arenas +3 MB in 3 minutes
    with the bytes in use flat). False where there is no glibc (nothing to do)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(ctypes.c_size_t(0))
    return True


ARENAS_ENV = "VIDREC_MALLOC_ARENAS"
DEFAULT_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc malloc.h)


def arena_limit(env: dict[str, str] | None = None) -> int | None:
    """VIDREC_MALLOC_ARENAS (default 2; 0: glibc's own limit): how many malloc arenas the server's threads share.
    None: leave glibc alone (0, or MALLOC_ARENA_MAX set, which glibc reads itself). A bad value is a ConfigError."""
    env = os.environ if env is None else env
    if env.get("MALLOC_ARENA_MAX", "").strip():
        return None
    raw = env.get(ARENAS_ENV, "").strip()
    try:
        n = int(raw) if raw else DEFAULT_ARENAS
    except ValueError:
        n = -1
    if n < 0:
        raise ConfigError(f"{ARENAS_ENV} must be a number of malloc arenas (e.g. 2) or 0 for glibc's own limit, "
                          f"not {raw!r}")
    return n or None


def limit_arenas(n: int) -> bool:
    """glibc's mallopt(M_ARENA_MAX, n): threads created from now on share at most ``n`` malloc arenas. glibc gives
    each new thread an arena of its own up to 8 per core, and memory freed in one arena is not reused by threads of
    another: with the server's worker threads and ONNX Runtime's, 16 arenas each kept their own free pages and the
    issue-19 soak's RSS grew with them while the bytes in use stayed flat; with 2 arenas the arenas stayed flat
    (87.6 MB against 122-129 MB) at the same turns/s (BENCHMARKS "Memory under load, quiet soaks"). Call it before
    the threads start. False where there is no glibc or it refused."""
    libc = _libc()
    if libc is None or n < 1:
        return False
    return bool(libc.mallopt(ctypes.c_int(_M_ARENA_MAX), ctypes.c_int(n)))
