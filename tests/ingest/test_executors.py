"""The executors behind the runner: which one a run gets, and a pool worker limited to one BLAS thread before
numpy loads (the parent's own environment left alone)."""

from __future__ import annotations

import os
from concurrent import futures

import pytest

from vidrec.config import IngestSettings
from vidrec.errors import MediaError
from vidrec.ingest import executors
from vidrec.ingest.executors import (
    THREAD_VARIABLES,
    InProcessExecutor,
    ProcessPoolExecutor,
    RayExecutor,
    choose_executor,
    failure_message,
)
from vidrec.vocabulary import Taxonomy


def _blas_threads() -> tuple[list[int], dict[str, str | None]]:
    import numpy  # noqa: F401  (loads OpenBLAS, which reads the thread variables now)
    from threadpoolctl import threadpool_info

    return ([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"],
            {var: os.environ.get(var) for var in THREAD_VARIABLES})


def _pool(**kwargs) -> futures.ProcessPoolExecutor:
    return futures.ProcessPoolExecutor(1, mp_context=executors.OneThreadSpawnContext(), **kwargs)


def test_a_pool_worker_has_one_blas_thread_from_its_start_and_the_parent_keeps_its_environment(monkeypatch):
    """No initializer here: the variables must be in the worker's environment before anything in it can load
    numpy (a worker re-imports the main module and unpickles its task before an initializer would run)."""
    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    with _pool() as pool:
        threads, env = pool.submit(_blas_threads).result(timeout=120)
    assert threads and set(threads) == {1}, threads
    assert env == dict.fromkeys(THREAD_VARIABLES, "1")
    assert not any(var in os.environ for var in THREAD_VARIABLES)


def test_the_pool_workers_initializer_keeps_one_thread(monkeypatch):
    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    with _pool(initializer=executors._start_worker, initargs=(IngestSettings(), Taxonomy.default(), None)) as pool:
        threads, env = pool.submit(_blas_threads).result(timeout=120)
    assert set(threads) == {1} and env == dict.fromkeys(THREAD_VARIABLES, "1")


def test_a_thread_count_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    executors.one_thread_per_worker()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2" and os.environ["OMP_NUM_THREADS"] == "1"


def test_the_run_gets_ray_processes_or_this_process():
    assert isinstance(choose_executor(5, 4, ray="local", ray_workers=None), RayExecutor)
    assert isinstance(choose_executor(5, 4), ProcessPoolExecutor) and choose_executor(5, 4).workers == 4
    assert isinstance(choose_executor(5, 1), InProcessExecutor)
    assert isinstance(choose_executor(1, 4), InProcessExecutor)


@pytest.mark.parametrize(("exc", "message"), [
    (MediaError("cannot decode x.mp4"), "cannot decode x.mp4"),
    (ZeroDivisionError("division by zero"), "unexpected ZeroDivisionError: division by zero (please report this "
                                            "with the video)"),
])
def test_failure_messages(exc, message):
    assert failure_message(exc) == message


# A process that starts a "worker" (a child that asks to die with it: with PR_SET_PDEATHSIG, or with the parent
# check used where prctl is missing), prints the worker's pid once the worker is set up, and waits to be killed.
_PARENT = """
import subprocess, sys
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE, text=True)
how = worker.stdout.readline().strip()
print(worker.pid, how, flush=True)
worker.wait()
"""
_WORKER = """
import os, sys, time
from vidrec.ingest.executors import die_with_parent
if sys.argv[1] == "parent check":
    sys.platform = "darwin"  # as where prctl is missing
print(die_with_parent(os.getppid()), flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["pdeathsig", "parent check"])
def test_a_worker_dies_with_its_parent(how):
    import signal
    import subprocess
    import sys

    import psutil

    parent = subprocess.Popen([sys.executable, "-c", _PARENT, _WORKER, how], stdout=subprocess.PIPE, text=True)
    try:
        pid, said = parent.stdout.readline().split(maxsplit=1)
        assert said.strip() == how
        worker = psutil.Process(int(pid))
        assert worker.is_running()
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        try:
            worker.wait(timeout=30)  # a bound for a loaded machine, not a timing assertion
        except psutil.TimeoutExpired:
            worker.kill()
            pytest.fail(f"the worker outlived its parent ({how})")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
