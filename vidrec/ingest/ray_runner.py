"""The Ray runner: the same per-video analysis as the local runner, on Ray actors (one machine or a cluster).

``vidrec ingest CATALOG --ray auto|local|ADDRESS`` plans exactly as the local runner (unchanged videos are skipped
by content hash, deleted ones pruned), then hands the videos to a pool of Ray actors. Each actor is one worker
with one CPU that loads the models once (in its own process, on first use) and analyses video after video with
:func:`vidrec.ingest.analysis.analyze_item`, the function the local runner calls. Results come back to this
process, the one writer of the store, which commits each finished video at once, as the local runner does: a
crash or Ctrl-C loses nothing finished, and running the same command again resumes with what is left.

Where Ray runs:

- ``auto``: the Ray this process is already connected to, else a running cluster (``$RAY_ADDRESS``, or one started
  with ``ray start`` on this machine), else a new local Ray with ``--workers`` CPUs;
- ``local``: always a new local Ray (stopped again at the end);
- anything else is a cluster address for :func:`ray.init`, e.g. ``ray://head:10001`` or ``head:6379``.

On a cluster every node needs vidrec installed (the same version) and must see the videos at the paths the
catalog gives (a shared file system); the store stays on the machine that runs the command. The image-to-text
projection the store learned is sent to the actors as bytes, so the nodes need no access to the store.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from vidrec.catalog import Item
from vidrec.config import IngestSettings
from vidrec.errors import ConfigError, ModelUnavailableError
from vidrec.ingest.analysis import ItemAnalysis
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

LOCAL_OBJECT_STORE_BYTES = 256 * 2**20  # results are a few MB per video; a small object store is plenty


class VideoAnalyser:
    """One Ray actor: its own models, loaded once, analysing one video at a time."""

    def __init__(self, settings: IngestSettings, taxonomy: Taxonomy, projection: bytes | None) -> None:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        try:
            import torch

            torch.set_num_threads(1)  # one CPU per actor, as one core per local worker process
        except ImportError:  # pragma: no cover
            pass
        from vidrec.ingest.models import shared_models

        path = None
        if projection is not None:
            fd, name = tempfile.mkstemp(prefix="vidrec-projection-", suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                f.write(projection)
            path = Path(name)
        self.settings = settings
        self.models = shared_models(settings, taxonomy, path)
        self.analysed = 0

    def analyse(self, item: Item, digest: str, brands: list[str]) -> ItemAnalysis:
        from vidrec.ingest.analysis import analyze_item

        self.analysed += 1
        return analyze_item(item, digest, self.models, self.settings, brands)

    def pid(self) -> int:
        return os.getpid()


def connect(address: str, workers: int | None) -> tuple[Any, bool]:
    """(the ray module, whether this call started a Ray that the caller should shut down)."""
    try:
        import ray
    except ImportError as exc:
        raise ModelUnavailableError(
            "`--ray` needs Ray; install it with `pip install 'vidrec[ray]'` (or run without --ray)"
        ) from exc
    if ray.is_initialized():
        return ray, False
    if address == "auto":
        try:
            ray.init(address="auto", log_to_driver=False)
            return ray, False
        except ConnectionError:
            log.info("no running Ray cluster; starting a local one")
            address = "local"
    if address == "local":
        ray.init(
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
        )
        return ray, True
    try:
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(
            f"cannot connect to the Ray cluster at {address!r} ({exc}); start it (`ray start --head`) or pass "
            f"--ray local"
        ) from exc
    return ray, False


def run_ray(todo: list[tuple[Item, str]], settings, taxonomy, writer, summary, brands, report,
            address: str, workers: int | None, projection: Path | None) -> None:
    """Analyse ``todo`` on Ray actors and write each result as it arrives (same bookkeeping as the local runner)."""
    from vidrec.ingest.runner import _describe_error, _fail, _store

    ray, started = connect(address, workers)
    actors: list[Any] = []
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, min(workers or cpus, cpus, len(todo)))
        remote = ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)(VideoAnalyser)
        blob = projection.read_bytes() if projection is not None else None
        # arguments by value (small), not object refs: a restarted actor must still find them
        actors = [remote.remote(settings, taxonomy, blob) for _ in range(count)]
        log.info("ray: %d actors on %d CPUs", count, cpus)
        idle = list(actors)
        queue = list(todo)
        inflight: dict[Any, tuple[Item, float, Any]] = {}
        while queue or inflight:
            while queue and idle:
                item, digest = queue.pop(0)
                actor = idle.pop()
                inflight[actor.analyse.remote(item, digest, brands)] = (item, time.perf_counter(), actor)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                item, t0, actor = inflight.pop(ref)
                idle.append(actor)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                    _fail(summary, writer, item, _describe_error(cause), time.perf_counter() - t0)
                    report(item.id, "failed")
                    continue
                except ray.exceptions.RayActorError:
                    _fail(summary, writer, item, "the Ray worker analysing this video died twice "
                                                 "(corrupt file or out of memory?)", time.perf_counter() - t0)
                    report(item.id, "failed")
                    continue
                _store(summary, writer, result, time.perf_counter() - t0)
                report(item.id, "ingested")
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()
