"""The runner: plan (skip unchanged, find new/changed/deleted), analyse with an executor, write as results arrive.

Each finished video is committed to the store at once, so a crash or Ctrl-C loses nothing already done and the
next run resumes with what is left. One broken video never stops the batch: it is reported and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vidrec.catalog import Item, confine, load_catalog
from vidrec.config import IngestSettings, store_dir
from vidrec.errors import ConfigError
from vidrec.ingest.analysis import STAGES, ItemAnalysis
from vidrec.ingest.executors import AnalysisSetup, choose_executor
from vidrec.ingest.models import Models
from vidrec.ingest.writer import StoreWriter
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

# Bump when the analysis changes in a way that should re-analyse every video on the next run.
PIPELINE_VERSION = "2"  # 2: image features of the product crop, not the whole keyframe

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
    pseudo_labels: str | None = None  # what happened to the prototypes learned from the catalog's own named items
    repaired: dict[str, int] = field(default_factory=dict)  # what a killed run had left undone, fixed first
    closed_runs: list[str] = field(default_factory=list)  # earlier runs found unfinished, now marked interrupted

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


# --- driver --------------------------------------------------------------------------------------------------------
def ingest(catalog_path: str | os.PathLike, store: str | os.PathLike | None = None, *,
           settings: IngestSettings | None = None, workers: int | None = None, prune: bool = False,
           taxonomy: Taxonomy | None = None, force: bool = False, progress: ProgressFn | None = None,
           models: Models | None = None, ray: str | None = None,
           media_roots: Sequence[str | os.PathLike] | None = None) -> IngestSummary:
    """Ingest a catalog into a store. Returns the summary; raises only for problems with the whole run.

    ``ray``: analyse on Ray instead of local processes ("auto", "local" or a cluster address; see executors.py).
    ``media_roots``: every video must lie inside one of these folders (symbolic links followed); a row whose video
    does not is a row error (see `vidrec.catalog.confine`).
    """
    started = time.perf_counter()
    settings = settings or IngestSettings()
    ray_workers = workers  # on Ray, unset means as many actors as the cluster has CPUs
    workers = max(1, int(workers or settings.workers or 1))
    root = store_dir(store)
    catalog = load_catalog(catalog_path)
    if media_roots is not None:
        catalog = confine(catalog, media_roots)
    writer = StoreWriter.open(root, taxonomy=taxonomy)
    taxonomy = writer.taxonomy
    summary = IngestSummary(run_id="", catalog=str(catalog.source), store=str(root), total=len(catalog.items))
    summary.row_errors = [{"where": f"{e.path}:{e.line}" if e.line else e.path, "id": e.item_id,
                           "error": e.message} for e in catalog.errors]
    summary.warnings = list(catalog.warnings)
    summary.repaired, summary.closed_runs = dict(writer.repaired), list(writer.interrupted_runs)
    if summary.closed_runs or summary.repaired:
        fixed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.repaired.items()) or "nothing to repair"
        summary.warnings.append(f"{len(summary.closed_runs)} earlier run(s) had stopped unfinished (killed?) and "
                                f"are marked interrupted; the store was checked and repaired: {fixed}")
    summary.run_id = writer.start_run({"catalog": str(catalog.source), "workers": workers, "prune": prune,
                                       "force": force, **({"ray": ray} if ray else {})})
    outcomes = RunOutcomes(summary, writer, progress)
    try:
        stored = writer.hashes()
        todo: list[tuple[Item, str]] = []
        for item in catalog.items:
            try:
                digest = content_hash(item, settings)
            except OSError as exc:
                outcomes.failed(item, _unreadable(item, exc))
                continue
            if not force and stored.get(item.id) == digest:
                outcomes.skipped(item)
                continue
            todo.append((item, digest))
        if prune:
            present = {i.id for i in catalog.items} | {e.item_id for e in catalog.errors if e.item_id}
            gone = [i for i in stored if i not in present]
            if gone:
                writer.delete(gone)
                summary.pruned = len(gone)
        brands = sorted({i.brand for i in catalog.items if i.brand} | writer.known_brands())
        if todo:
            executor = choose_executor(len(todo), workers, ray=ray, ray_workers=ray_workers, models=models)
            executor.run(todo, AnalysisSetup(settings, taxonomy, brands, _projection(writer, settings)), outcomes)
        # every run, not only one that changed items: a fit killed halfway by an earlier run is done again here
        # (the fit itself is skipped while its titled items are those of the last fit that ran to its end)
        from vidrec.ingest.alignment import fit_catalog_projection

        summary.projection = fit_catalog_projection(writer).reason
        # then what the catalog's own videos name teaches its prototypes (vidrec/ingest/pseudo.py)
        from vidrec.ingest.pseudo import fit_pseudo_labels

        summary.pseudo_labels = fit_pseudo_labels(writer, _projection(writer, settings)).reason
        # and every item no text names firmly is recognised again by its nearest firmly named items' pictures
        from vidrec.ingest.pseudo import propagate_labels

        summary.pseudo_labels += "; " + propagate_labels(writer).reason
        # which items' category / colour is unsure: search reads it instead of every profile
        from vidrec.understand.calibration import UNSURE_INDEX_KEY, unsure_index

        writer.store.metadata.set_meta(UNSURE_INDEX_KEY,
                                       unsure_index({**(r["profile"] or {}), "id": r["id"]}
                                                    for r in writer.store.metadata.items()))
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


class RunOutcomes:
    """The runner's books: each video's outcome goes to the store (at once), the summary and the progress."""

    def __init__(self, summary: IngestSummary, writer: StoreWriter, progress: ProgressFn | None) -> None:
        self.summary, self.writer, self.progress = summary, writer, progress
        self.done = 0

    def analysed(self, item: Item, result: ItemAnalysis, seconds: float) -> None:
        self.writer.write(result)
        self.writer.record(self.summary.run_id, result.item_id, "ingested", None, seconds)
        self.summary.ingested += 1
        self.summary.video_seconds += result.video_seconds
        for stage, s in result.timings.items():
            self.summary.stage_seconds[stage] = self.summary.stage_seconds.get(stage, 0.0) + s
        self._report(item.id, "ingested")

    def failed(self, item: Item, error: str, seconds: float = 0.0) -> None:
        self.summary.failed.append({"id": item.id, "error": error, "where": item.source})
        self.writer.record(self.summary.run_id, item.id, "failed", error, seconds)
        log.info("%s failed: %s", item.id, error)
        self._report(item.id, "failed")

    def skipped(self, item: Item) -> None:
        self.summary.skipped += 1
        self.writer.record(self.summary.run_id, item.id, "skipped", None, 0.0)
        self._report(item.id, "skipped")

    def _report(self, item_id: str, status: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(item_id, status, self.done, self.summary.total)


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
