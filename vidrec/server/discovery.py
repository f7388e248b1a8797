"""How `vidrec search --store S` finds a `vidrec serve` already running on S, so it can ask it.

At start-up the server writes ``S/.server-address.json`` (its URL, process id, the process's start time where the
system says it, and the store's resolved path); at shutdown it removes the file if it is still its own. A reader
trusts the file only when it names this very store and a live process that is the one that wrote it (a dead pid, a
pid reused by another process, a store copied or moved elsewhere: the file is ignored). A refused connection is left
to the caller, which then searches the store itself.

Kept free of heavy imports: the command line reads it before it has loaded anything else.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

FILE = ".server-address.json"  # hidden, beside .server.sqlite; copies of a store in the tests leave out .server*

log = logging.getLogger("vidrec.server")


def _started(pid: int) -> str | None:
    """When the process started, in clock ticks since boot (Linux /proc); None where the system does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    return stat.rpartition(")")[2].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def local_url(host: str, port: int) -> str:
    """The URL a process on this machine reaches a server listening on ``host``:``port`` at."""
    if host in ("", "0.0.0.0", "*"):  # noqa: S104 - a listen address, not a bind
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announce(store: Path, url: str) -> Path | None:
    """Write the address file (atomically: a reader never sees half of it). None when the store is not writable;
    the server runs on and searches just do not find it."""
    pid = os.getpid()
    data = {"url": url, "pid": pid, "started": _started(pid), "store": str(Path(store).resolve())}
    path = Path(store) / FILE
    tmp = path.with_name(f"{FILE}.{pid}.tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write %s (searches will not find this server): %s", path, exc)
        tmp.unlink(missing_ok=True)
        return None
    return path


def withdraw(store: Path) -> None:
    """Remove the address file if it is this process's (a newer server on the same store may have replaced it)."""
    path = Path(store) / FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def find(store: Path) -> str | None:
    """The URL of the live server that announced itself on ``store``, or None (no file, a stale or foreign one)."""
    path = Path(store) / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        url, pid, started, where = data["url"], int(data["pid"]), data.get("started"), data["store"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    try:
        same_store = Path(where).resolve() == Path(store).resolve()
    except (OSError, TypeError, ValueError):
        return None
    if not same_store or pid <= 0 or not _alive(pid):
        return None
    if started is not None and _started(pid) != started:  # the pid now belongs to another process
        return None
    return url
