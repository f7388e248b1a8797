"""Where videos are analysed: in this process, in a pool of local processes, or on Ray actors, behind one protocol.

The runner plans (what is new, changed or gone) and keeps the books; an :class:`Executor` only turns the videos it
is given into :class:`~vidrec.ingest.analysis.ItemAnalysis` results with
:func:`vidrec.ingest.analysis.analyze_item`, and hands each outcome to the runner's :class:`Outcomes` as soon as it
exists, in this process. The runner is the one writer of the store and commits each finished video at once,
whichever executor ran it: a crash or Ctrl-C loses nothing finished, and running the same command again resumes
with what is left. One broken video never stops the batch: it becomes a failure and the run goes on.

- :class:`InProcessExecutor`: one video after another here (``--workers 1``, or a single video).
- :class:`ProcessPoolExecutor`: one spawned process per worker, each with its own models.
- :class:`RayExecutor`: Ray actors, one CPU each, on this machine or a cluster (``vidrec ingest --ray``).

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

import ctypes
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from typing import Any, Protocol

from vidrec.catalog import Item
from vidrec.config import IngestSettings
from vidrec.errors import ConfigError, MediaError, ModelUnavailableError, VidrecError
from vidrec.ingest.analysis import ItemAnalysis, analyze_item
from vidrec.ingest.models import Models, shared_models
from vidrec.vocabulary import Taxonomy

log = logging.getLogger(__name__)

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20  # results are a few MB per video; a small object store is plenty


def worker_thread_environment() -> dict[str, str]:
    """The variables that give a worker one BLAS/OpenMP thread, less those the user set (their count is kept)."""
    return {var: "1" for var in THREAD_VARIABLES if var not in os.environ}


def one_thread_per_worker() -> None:
    """One BLAS/OpenMP/torch thread in this worker process, set first thing in every worker.

    Each worker already owns a core, and oversubscribed BLAS threads spinning against each other slowed workers
    down many times. The libraries read the variables when they load: a pool's spawned worker has them from its
    start (see :class:`_OneThreadSpawnProcess`); Ray starts its workers with OMP_NUM_THREADS set to their CPUs.
    """
    os.environ.update(worker_thread_environment())
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def failure_message(exc: BaseException) -> str:
    """What to tell the user about a video whose analysis raised ``exc``."""
    if isinstance(exc, VidrecError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc} (please report this with the video)"


@dataclass(frozen=True)
class AnalysisSetup:
    """What every worker needs to analyse a video of this run."""

    settings: IngestSettings
    taxonomy: Taxonomy
    brands: list[str]
    projection: Path | None = None  # the store's image-to-text projection; None: the shipped default


class Outcomes(Protocol):
    """Where an executor reports each video, in the process that drives the run, as soon as it is done."""

    def analysed(self, item: Item, result: ItemAnalysis, seconds: float) -> None: ...

    def failed(self, item: Item, error: str, seconds: float = 0.0) -> None: ...


class Executor(Protocol):
    """Analyses ``todo`` ((item, content digest) pairs) and reports every one of them to ``outcomes``."""

    def run(self, todo: Sequence[tuple[Item, str]], setup: AnalysisSetup, outcomes: Outcomes) -> None: ...


def choose_executor(todo: int, workers: int, *, ray: str | None = None, ray_workers: int | None = None,
                    models: Models | None = None) -> Executor:
    """The executor for a run: Ray when asked for, else processes when there is more than one worker and video."""
    if ray:
        return RayExecutor(ray, ray_workers)
    if workers == 1 or todo == 1:
        return InProcessExecutor(models)
    return ProcessPoolExecutor(workers)


# --- in this process ---------------------------------------------------------------------------------------------
class InProcessExecutor:
    def __init__(self, models: Models | None = None) -> None:
        self.models = models

    def run(self, todo: Sequence[tuple[Item, str]], setup: AnalysisSetup, outcomes: Outcomes) -> None:
        models = self.models or shared_models(setup.settings, setup.taxonomy, setup.projection)
        for item, digest in todo:
            t0 = time.perf_counter()
            try:
                result = analyze_item(item, digest, models, setup.settings, setup.brands)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # one broken video never stops the batch
                if not isinstance(exc, (MediaError, VidrecError)):
                    log.exception("analysing %s failed", item.id)
                outcomes.failed(item, failure_message(exc), time.perf_counter() - t0)
                continue
            outcomes.analysed(item, result, time.perf_counter() - t0)


# --- in a pool of local processes ---------------------------------------------------------------------------------
_worker_models: Models | None = None


class _OneThreadSpawnProcess(SpawnProcess):
    """A spawned pool worker whose environment has the one-thread variables from its first instruction: a worker
    loads numpy before any initializer runs (when it re-imports the main module, e.g. the `vidrec` command, and
    when it unpickles its arguments), and BLAS reads the variables only then. The parent's environment holds them
    only while the worker is being started."""

    @staticmethod
    def _Popen(process_obj):
        extra = worker_thread_environment()
        os.environ.update(extra)
        try:
            return SpawnProcess._Popen(process_obj)
        finally:
            for var in extra:
                os.environ.pop(var, None)


class OneThreadSpawnContext(SpawnContext):
    """The process pool's multiprocessing context: spawned (never forked: the models' libraries hold threads),
    one thread per worker."""

    Process = _OneThreadSpawnProcess


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_SECONDS = 1.0


def die_with_parent(parent_pid: int) -> str:
    """Make this worker process end when ``parent_pid`` (the process that drives the run) ends, however it ends:
    a driver killed with SIGKILL runs no cleanup, and its workers (hundreds of MB each) would otherwise live on.

    On Linux the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG); elsewhere a daemon thread polls
    whether the parent is still this process's parent. Returns which of the two is in place.
    """
    how = "parent check"
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                how = "pdeathsig"
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        os._exit(1)
    if how != "pdeathsig":
        threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), name="vidrec-parent-check",
                         daemon=True).start()
    return how


def _exit_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _start_worker(settings: IngestSettings, taxonomy: Taxonomy, projection_path: str | None,
                  parent_pid: int | None = None) -> None:
    global _worker_models
    if parent_pid is not None:
        die_with_parent(parent_pid)
    one_thread_per_worker()
    _worker_models = shared_models(settings, taxonomy, Path(projection_path) if projection_path else None)


def _work(item: Item, digest: str, settings: IngestSettings, brands: list[str]) -> ItemAnalysis:
    assert _worker_models is not None, "worker not initialised"
    return analyze_item(item, digest, _worker_models, settings, brands)


class ProcessPoolExecutor:
    """Local processes (see :class:`OneThreadSpawnContext`), restarted when one crashes; a video that crashed its
    process twice is a failure."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, todo: Sequence[tuple[Item, str]], setup: AnalysisSetup, outcomes: Outcomes) -> None:
        ctx = OneThreadSpawnContext()
        settings, workers = setup.settings, self.workers
        pending = list(todo)
        crashes: dict[str, int] = {}
        projection = str(setup.projection) if setup.projection else None
        while pending:
            pool = futures.ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx,
                                               initializer=_start_worker,
                                               initargs=(settings, setup.taxonomy, projection, os.getpid()))
            inflight: dict[futures.Future, tuple[Item, str, float]] = {}
            queue = list(pending)
            pending = []
            broken = False
            try:
                while queue or inflight:
                    while queue and len(inflight) < workers * 2:
                        item, digest = queue.pop(0)
                        inflight[pool.submit(_work, item, digest, settings, setup.brands)] = \
                            (item, digest, time.perf_counter())
                    finished, _ = futures.wait(inflight, return_when=futures.FIRST_COMPLETED)
                    for fut in finished:
                        item, digest, t0 = inflight.pop(fut)
                        try:
                            result = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            crashes[item.id] = crashes.get(item.id, 0) + 1
                            if crashes[item.id] >= 2:
                                outcomes.failed(item, "the analysis process crashed on this video twice "
                                                      "(corrupt file or out of memory?)")
                            else:
                                pending.append((item, digest))
                            continue
                        except Exception as exc:
                            outcomes.failed(item, failure_message(exc), time.perf_counter() - t0)
                            continue
                        outcomes.analysed(item, result, time.perf_counter() - t0)
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


# --- on Ray actors ----------------------------------------------------------------------------------------------
class VideoAnalyser:
    """One Ray actor: its own models, loaded once, analysing one video at a time."""

    def __init__(self, settings: IngestSettings, taxonomy: Taxonomy, projection: bytes | None,
                 driver_pid: int | None = None) -> None:
        if driver_pid is not None:
            # a local Ray's own processes share the driver's fate (Ray sets PDEATHSIG on them), and its workers
            # leave when their raylet goes; this is the second line, for an actor that outlives both somehow
            threading.Thread(target=_exit_when_gone, args=(driver_pid,), name="vidrec-driver-check",
                             daemon=True).start()
        one_thread_per_worker()  # one CPU per actor, as one core per local worker process
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
        self.analysed += 1
        return analyze_item(item, digest, self.models, self.settings, brands)

    def pid(self) -> int:
        return os.getpid()


def _exit_when_gone(pid: int) -> None:
    """End this process once process ``pid`` (on this machine) no longer exists."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # exists, owned by someone else
            pass
        time.sleep(PARENT_CHECK_SECONDS)


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


class RayExecutor:
    """A pool of :class:`VideoAnalyser` actors; ``workers`` None means as many as the cluster has CPUs."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers

    def run(self, todo: Sequence[tuple[Item, str]], setup: AnalysisSetup, outcomes: Outcomes) -> None:
        ray, started = connect(self.address, self.workers)
        actors: list[Any] = []
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            count = max(1, min(self.workers or cpus, cpus, len(todo)))
            remote = ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)(VideoAnalyser)
            blob = setup.projection.read_bytes() if setup.projection is not None else None
            # arguments by value (small), not object refs: a restarted actor must still find them
            driver = os.getpid() if started else None  # a Ray this run started lives on this machine
            actors = [remote.remote(setup.settings, setup.taxonomy, blob, driver) for _ in range(count)]
            log.info("ray: %d actors on %d CPUs", count, cpus)
            idle = list(actors)
            queue = list(todo)
            inflight: dict[Any, tuple[Item, float, Any]] = {}
            while queue or inflight:
                while queue and idle:
                    item, digest = queue.pop(0)
                    actor = idle.pop()
                    inflight[actor.analyse.remote(item, digest, setup.brands)] = (item, time.perf_counter(), actor)
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    item, t0, actor = inflight.pop(ref)
                    idle.append(actor)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                        outcomes.failed(item, failure_message(cause), time.perf_counter() - t0)
                        continue
                    except ray.exceptions.RayActorError:
                        outcomes.failed(item, "the Ray worker analysing this video died twice "
                                              "(corrupt file or out of memory?)", time.perf_counter() - t0)
                        continue
                    outcomes.analysed(item, result, time.perf_counter() - t0)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started:
                ray.shutdown()
