"""Admin ingest jobs: one at a time, in a child process, with progress the API can report.

The job runs ``vidrec.ingest.ingest`` in a child Python process (``python -m vidrec.server.jobs``), so the models
it loads and any crash stay out of the server. The child prints one JSON line per finished item and a final
summary; the server keeps the last jobs in memory (the store's own ``runs`` table keeps every run for good).
While a job runs the server answers from a read-only view of the store (see backend.py).

Catalog paths must lie inside one of the configured ingest roots (``VIDREC_INGEST_ROOTS``), after resolving
``..`` and symbolic links, so an API key can't be used to read arbitrary files on the server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from vidrec.server.backend import Backend
from vidrec.server.problems import Problem
from vidrec.server.settings import ServerSettings

log = logging.getLogger("vidrec.server.ingest")

JobState = Literal["queued", "running", "finished", "failed", "cancelled"]
KEEP_JOBS = 20
STOP_GRACE_S = 30.0
_EVENT = "vidrec-job"  # marks the child's JSON lines on stdout


@dataclass
class IngestJob:
    id: str
    catalog: str
    state: JobState = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    done: int = 0
    total: int | None = None
    last_item: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"ingested": 0, "skipped": 0, "failed": 0})
    summary: dict | None = None
    error: str | None = None
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_catalog(settings: ServerSettings, raw: str) -> Path:
    """The catalog file or folder, if it lies inside an ingest root: 403 when it lies outside them, 404 when there
    is nothing there, 400 for a path that cannot be a catalog."""
    if "\x00" in raw:
        raise Problem(400, "bad_catalog_path", "the catalog path contains a NUL character")
    roots = settings.ingest_roots
    try:
        given = Path(raw)  # no "~" expansion: every relative path starts at the first ingest root
        candidate = given if given.is_absolute() else roots[0] / given
        resolved = candidate.resolve(strict=False)
        exists, is_file, is_dir = resolved.exists(), resolved.is_file(), resolved.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:
        raise Problem(400, "bad_catalog_path", f"cannot use this catalog path: {exc}") from exc
    if not any(resolved == r or resolved.is_relative_to(r) for r in roots):
        shown = ", ".join(str(r) for r in roots)
        raise Problem(403, "catalog_outside_roots", f"catalogs must lie inside the ingest roots ({shown}); "
                      "put the catalog there or add its folder to VIDREC_INGEST_ROOTS")
    if not exists:
        raise Problem(404, "catalog_not_found", f"no catalog at {raw!r} (relative paths start at {roots[0]})")
    if not (is_file or is_dir):
        raise Problem(400, "bad_catalog_path", "the catalog must be a .csv/.jsonl file or a folder of videos")
    return resolved


class IngestJobs:
    """Runs one ingest job at a time against the server's store."""

    def __init__(self, settings: ServerSettings, backend: Backend):
        self.settings = settings
        self.backend = backend
        self._jobs: dict[str, IngestJob] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, catalog: Path, *, workers: int | None, prune: bool, force: bool) -> IngestJob:
        with self._lock:
            running = [j for j in self._jobs.values() if j.state in ("queued", "running")]
            if running:
                raise Problem(409, "ingest_running", f"ingest job {running[0].id} is still running; wait for it "
                              f"(GET /v1/ingest/{running[0].id})", headers={"Retry-After": "30"})
            if self._stopping:
                raise Problem(503, "shutting_down", "the server is shutting down")
            job = IngestJob(id=uuid.uuid4().hex[:16], catalog=str(catalog),
                            options={"workers": workers, "prune": prune, "force": force})
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].state in ("queued", "running"):
                    break
                del self._jobs[oldest]
            self._thread = threading.Thread(target=self._run, args=(job,), name=f"ingest-{job.id}", daemon=True)
            self._thread.start()
        return job

    def get(self, job_id: str) -> IngestJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise Problem(404, "job_not_found", f"no ingest job {job_id!r} (the server keeps the last {KEEP_JOBS} "
                          "jobs since it started)")
        return job

    def list(self) -> list[IngestJob]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def _command(self, job: IngestJob) -> list[str]:
        cmd = [sys.executable, "-m", "vidrec.server.jobs", job.catalog, str(self.settings.store)]
        workers = job.options.get("workers") or self.settings.ingest_workers
        if workers:
            cmd += ["--workers", str(workers)]
        if job.options.get("prune"):
            cmd.append("--prune")
        if job.options.get("force"):
            cmd.append("--force")
        for root in self.settings.ingest_roots:  # the videos a catalog names are confined as the catalog is
            cmd += ["--media-root", str(root)]
        return cmd

    def _run(self, job: IngestJob) -> None:
        try:
            self.backend.begin_ingest(job.id)
            job.state, job.started_at = "running", time.time()
            log.info("ingest job started", extra={"job": job.id, "catalog": job.catalog})
            with tempfile.TemporaryFile(mode="w+b") as errors:
                with self._lock:
                    if self._stopping:
                        raise RuntimeError("the server is shutting down")
                    self._proc = subprocess.Popen(self._command(job), stdout=subprocess.PIPE, stderr=errors,
                                                  stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
                                                  errors="replace", env={**os.environ, "PYTHONUNBUFFERED": "1"})
                assert self._proc.stdout is not None
                for line in self._proc.stdout:
                    self._event(job, line)
                code = self._proc.wait()
                errors.seek(0, os.SEEK_END)
                errors.seek(max(0, errors.tell() - 2000))
                tail = errors.read().decode("utf-8", "replace").strip()
            if job.state == "running":
                if self._stopping:
                    job.state, job.error = "cancelled", "stopped with the server; run it again to resume"
                elif code == 0 and job.summary is not None:
                    job.state = "finished"
                else:
                    job.state = "failed"
                    job.error = job.error or f"the ingest process exited with code {code}: {tail[-500:]}"
        except Exception as exc:
            job.state, job.error = "failed", f"could not run the ingest job: {exc}"
            log.error("ingest job failed to run", extra={"job": job.id}, exc_info=exc)
        finally:
            job.finished_at = time.time()
            with self._lock:
                self._proc = None
            self.backend.end_ingest()
            log.info("ingest job ended", extra={"job": job.id, "state": job.state, "counts": job.counts})

    @staticmethod
    def _event(job: IngestJob, line: str) -> None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            return
        if not isinstance(event, dict) or _EVENT not in event:
            return
        kind = event[_EVENT]
        if kind == "progress":
            job.done, job.total, job.last_item = event["done"], event["total"], event["item"]
            if event["status"] in job.counts:
                job.counts[event["status"]] += 1
        elif kind == "summary":
            job.summary = event["summary"]
            if job.summary:
                job.counts["failed"] = int(job.summary.get("failed_count", job.counts["failed"]))
        elif kind == "error":
            job.state, job.error = "failed", str(event["message"])

    def stop(self) -> None:
        """On shutdown: interrupt a running job (it keeps what it finished) and wait for it."""
        with self._lock:
            self._stopping = True
            proc, thread = self._proc, self._thread
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
        if thread is not None:
            thread.join(STOP_GRACE_S)


# ------------------------------------------------------------------------------------------------ the child side
def _emit(kind: str, **data) -> None:
    sys.stdout.write(json.dumps({_EVENT: kind, **data}, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    from vidrec.config import load_settings
    from vidrec.errors import VidrecError
    from vidrec.ingest import ingest

    parser = argparse.ArgumentParser(prog="python -m vidrec.server.jobs", description="One server ingest job.")
    parser.add_argument("catalog")
    parser.add_argument("store")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--prune", action="store_true")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--media-root", action="append", default=None,
                        help="a folder every video must lie in (repeat); a row whose video does not is refused")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    def progress(item_id: str, status: str, done: int, total: int) -> None:
        _emit("progress", item=item_id, status=status, done=done, total=total)

    try:
        settings = load_settings(Path(args.store) / "vidrec.toml")
        summary = ingest(args.catalog, args.store, settings=settings, workers=args.workers, prune=args.prune,
                         force=args.force, progress=progress, media_roots=args.media_root)
    except VidrecError as exc:
        _emit("error", message=str(exc))
        return 2
    _emit("summary", summary=summary.to_dict())
    return 130 if summary.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
