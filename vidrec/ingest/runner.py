"""The local runner: plan (skip unchanged, find new/changed/deleted), analyse in parallel, write as results arrive.

Each finished video is committed to the store at once, so a crash or Ctrl-C loses nothing already done and the
next run resumes with what is left. One broken video never stops the batch: it is reported and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vidrec.catalog import Item, load_catalog
from vidrec.config import IngestSettings, store_dir
from vidrec.errors import ConfigError, MediaError, VidrecError
from vidrec.ingest.analysis import STAGES, ItemAnalysis, analyze_item
from vidrec.ingest.models import Models, shared_models
from vidrec.ingest.writer import StoreWriter
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

# Bump when the analysis changes in a way that should re-analyse every video on the next run.
PIPELINE_VERSION = "1"

ProgressFn = Callable[[str, str, int, int], None]  # (item_id, status, done, total)


@dataclass
class IngestSummary:
    """What a run did; also what `vidrec ingest --json` prints."""

    run_id: str
    catalog: str
    store: str
    total: int = 0
    ingested: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)  # {"id", "error", "where"}
    pruned: int = 0
    row_errors: list[dict] = field(default_factory=list)  # catalog rows that could not be read
    warnings: list[str] = field(default_factory=list)
    video_seconds: float = 0.0
    wall_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    interrupted: bool = False
    projection: str | None = None  # what happened to the catalog-learned image→text projection

    @property
    def ok(self) -> bool:
        return not self.failed and not self.row_errors and not self.interrupted

    def to_dict(self) -> dict:
        d = asdict(self)
        d["failed_count"] = len(self.failed)
        d["realtime_factor"] = round(self.video_seconds / self.wall_seconds, 2) if self.wall_seconds else None
        return d


def content_hash(item: Item, settings: IngestSettings) -> str:
    """Changes when the video bytes, the item's metadata or the analysis settings change."""
    h = hashlib.sha256()
    h.update(PIPELINE_VERSION.encode())
    h.update(json.dumps(item.metadata(), sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(json.dumps([settings.image_backend, settings.clip_model, settings.max_seconds, settings.speech,
                         settings.ocr]).encode())
    with open(item.video, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- worker side -------------------------------------------------------------------------------------------------
_worker_models: Models | None = None


def _init_worker(settings: IngestSettings, taxonomy: Taxonomy, projection_path: str | None) -> None:
    global _worker_models
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    _worker_models = shared_models(settings, taxonomy, Path(projection_path) if projection_path else None)


def _work(item: Item, digest: str, settings: IngestSettings, brands: list[str]) -> ItemAnalysis:
    assert _worker_models is not None, "worker not initialised"
    return analyze_item(item, digest, _worker_models, settings, brands)


# --- driver --------------------------------------------------------------------------------------------------------
def ingest(catalog_path: str | os.PathLike, store: str | os.PathLike | None = None, *,
           settings: IngestSettings | None = None, workers: int | None = None, prune: bool = False,
           taxonomy: Taxonomy | None = None, force: bool = False, progress: ProgressFn | None = None,
           models: Models | None = None, ray: str | None = None) -> IngestSummary:
    """Ingest a catalog into a store. Returns the summary; raises only for problems with the whole run.

    ``ray``: analyse on Ray instead of local processes ("auto", "local" or a cluster address; see ray_runner.py).
    """
    started = time.perf_counter()
    settings = settings or IngestSettings()
    ray_workers = workers  # on Ray, unset means as many actors as the cluster has CPUs
    workers = max(1, int(workers or settings.workers or 1))
    root = store_dir(store)
    catalog = load_catalog(catalog_path)
    writer = StoreWriter.open(root, taxonomy=taxonomy)
    taxonomy = writer.taxonomy
    summary = IngestSummary(run_id="", catalog=str(catalog.source), store=str(root), total=len(catalog.items))
    summary.row_errors = [{"where": f"{e.path}:{e.line}" if e.line else e.path, "id": e.item_id,
                           "error": e.message} for e in catalog.errors]
    summary.warnings = list(catalog.warnings)
    summary.run_id = writer.start_run({"catalog": str(catalog.source), "workers": workers, "prune": prune,
                                       "force": force, **({"ray": ray} if ray else {})})
    done = 0

    def report(item_id: str, status: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(item_id, status, done, summary.total)

    try:
        stored = writer.hashes()
        todo: list[tuple[Item, str]] = []
        for item in catalog.items:
            try:
                digest = content_hash(item, settings)
            except OSError as exc:
                _fail(summary, writer, item, _unreadable(item, exc))
                report(item.id, "failed")
                continue
            if not force and stored.get(item.id) == digest:
                summary.skipped += 1
                writer.record(summary.run_id, item.id, "skipped", None, 0.0)
                report(item.id, "skipped")
                continue
            todo.append((item, digest))
        if prune:
            present = {i.id for i in catalog.items} | {e.item_id for e in catalog.errors if e.item_id}
            gone = [i for i in stored if i not in present]
            if gone:
                writer.delete(gone)
                summary.pruned = len(gone)
        brands = sorted({i.brand for i in catalog.items if i.brand} | writer.known_brands())
        if todo and ray:
            from vidrec.ingest.ray_runner import run_ray

            run_ray(todo, settings, taxonomy, writer, summary, brands, report, ray, ray_workers,
                    _projection(writer, settings))
        elif todo:
            if workers == 1 or len(todo) == 1:
                _run_inline(todo, settings, taxonomy, writer, summary, brands, report, models)
            else:
                _run_pool(todo, settings, taxonomy, writer, summary, brands, report, workers)
        if todo or summary.pruned:
            from vidrec.ingest.alignment import fit_catalog_projection

            summary.projection = fit_catalog_projection(writer).reason
    except KeyboardInterrupt:
        summary.interrupted = True
        summary.warnings.append("interrupted: everything finished so far is stored; run the same command to resume")
    finally:
        writer.flush()
        summary.wall_seconds = round(time.perf_counter() - started, 3)
        summary.video_seconds = round(summary.video_seconds, 2)
        summary.stage_seconds = {k: round(v, 3) for k, v in summary.stage_seconds.items()}
        writer.finish_run(summary.run_id, summary.to_dict())
        writer.close()
    return summary


def _unreadable(item: Item, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"video not found: {item.video} (paths are relative to the catalog file)"
    if isinstance(exc, PermissionError):
        return f"cannot read {item.video}: permission denied"
    if isinstance(exc, IsADirectoryError):
        return f"{item.video} is a folder, not a video file"
    return f"cannot read {item.video}: {exc.strerror or exc}"


def _fail(summary: IngestSummary, writer: StoreWriter, item: Item, error: str, seconds: float = 0.0) -> None:
    summary.failed.append({"id": item.id, "error": error, "where": item.source})
    writer.record(summary.run_id, item.id, "failed", error, seconds)
    log.info("%s failed: %s", item.id, error)


def _store(summary: IngestSummary, writer: StoreWriter, result: ItemAnalysis, seconds: float) -> None:
    writer.write(result)
    writer.record(summary.run_id, result.item_id, "ingested", None, seconds)
    summary.ingested += 1
    summary.video_seconds += result.video_seconds
    for stage, s in result.timings.items():
        summary.stage_seconds[stage] = summary.stage_seconds.get(stage, 0.0) + s


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, VidrecError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc} (please report this with the video)"


def _projection(writer: StoreWriter, settings: IngestSettings) -> Path | None:
    """The store's own projection, else the one the settings name, else None (the shipped default)."""
    if writer.projection_path is not None:
        return writer.projection_path
    if settings.projection:
        p = Path(settings.projection).expanduser()
        if not p.exists():
            raise ConfigError(f"projection file {p} (setting 'projection') does not exist")
        return p
    return None


def _run_inline(todo, settings, taxonomy, writer, summary, brands, report, models) -> None:
    models = models or shared_models(settings, taxonomy, _projection(writer, settings))
    for item, digest in todo:
        t0 = time.perf_counter()
        try:
            result = analyze_item(item, digest, models, settings, brands)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one broken video never stops the batch
            if not isinstance(exc, (MediaError, VidrecError)):
                log.exception("analysing %s failed", item.id)
            _fail(summary, writer, item, _describe_error(exc), time.perf_counter() - t0)
            report(item.id, "failed")
            continue
        _store(summary, writer, result, time.perf_counter() - t0)
        report(item.id, "ingested")


def _run_pool(todo, settings, taxonomy, writer, summary, brands, report, workers) -> None:
    ctx = multiprocessing.get_context("spawn")
    # One BLAS/OpenMP thread per worker, set before the workers start (and import numpy): each worker already
    # owns a core, and oversubscribed BLAS threads spinning against each other slowed workers down many times.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    pending = list(todo)
    crashes: dict[str, int] = {}
    path = _projection(writer, settings)
    projection = str(path) if path else None
    while pending:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx,
                                   initializer=_init_worker, initargs=(settings, taxonomy, projection))
        inflight: dict[Future, tuple[Item, str, float]] = {}
        queue = list(pending)
        pending = []
        broken = False
        try:
            while queue or inflight:
                while queue and len(inflight) < workers * 2:
                    item, digest = queue.pop(0)
                    inflight[pool.submit(_work, item, digest, settings, brands)] = (item, digest, time.perf_counter())
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    item, digest, t0 = inflight.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        crashes[item.id] = crashes.get(item.id, 0) + 1
                        if crashes[item.id] >= 2:
                            _fail(summary, writer, item, "the analysis process crashed on this video twice "
                                                         "(corrupt file or out of memory?)")
                            report(item.id, "failed")
                        else:
                            pending.append((item, digest))
                        continue
                    except Exception as exc:
                        _fail(summary, writer, item, _describe_error(exc), time.perf_counter() - t0)
                        report(item.id, "failed")
                        continue
                    _store(summary, writer, result, time.perf_counter() - t0)
                    report(item.id, "ingested")
                if broken:
                    pending.extend((i, d) for i, d, _ in inflight.values())
                    pending.extend(queue)
                    inflight.clear()
                    queue = []
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
