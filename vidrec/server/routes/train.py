"""Admin (VIDREC_ADMIN_KEY): retrain the store's user model from what shoppers did, while the server keeps serving.

POST /v1/admin/train starts a job (202 and its id); GET /v1/admin/train/{job} follows it. The job trains in a
thread of this process (`vidrec.learn.retrain.train_store`), publishes the model atomically, and the next request
ranks with it (`Backend.use`). Too little data yet is a failed job saying what is missing; the server goes on with
the model it had (or none). One job at a time (409 while one runs).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from vidrec.errors import VidrecError
from vidrec.learn.models import DEFAULT_MODEL, MODEL_ALIASES, MODEL_NAMES, canonical_name
from vidrec.server.dependencies import Admin, AppSettings, JobPath
from vidrec.server.problems import Problem
from vidrec.server.schemas import Problems

log = logging.getLogger(__name__)
router = APIRouter(tags=["admin"])
KEEP_JOBS = 20
MODELS = MODEL_NAMES  # the CLI's list (`vidrec train --model`), aliases (`ours`) accepted too

_jobs: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


class TrainIn(BaseModel):
    model: str = Field(DEFAULT_MODEL, description="which model to train (the names `vidrec train --model` takes)",
                       json_schema_extra={"enum": [*MODELS, *MODEL_ALIASES]})


class TrainJobOut(BaseModel):
    id: str
    model: str
    state: str  # running, finished, failed
    created_at: float
    finished_at: float | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None


def _run(job: dict[str, Any], store) -> None:
    from vidrec.learn.retrain import train_store

    try:
        job["summary"] = train_store(store, job["model"])
        job["state"] = "finished"
    except VidrecError as exc:  # not enough data yet, a store problem: said in the job
        job["state"], job["error"] = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a failed training must never take the server down
        job["state"], job["error"] = "failed", f"training failed: {exc}"
        log.error("train job failed", extra={"job": job["id"]}, exc_info=exc)
    finally:
        job["finished_at"] = time.time()


@router.post("/v1/admin/train", status_code=202, response_model=TrainJobOut, responses=Problems)
def start_training(body: TrainIn, caller: Admin, response: Response, settings: AppSettings) -> dict:
    """Retrain the user model on the store's interactions (admin key); the server keeps serving meanwhile."""
    if body.model not in MODELS and body.model not in MODEL_ALIASES:
        raise Problem(422, "bad_model", f"unknown model {body.model!r}; choose from {', '.join(MODELS)}")
    model = canonical_name(body.model)
    with _lock:
        running = [j for j in _jobs.values() if j["state"] == "running" and j["store"] == str(settings.store)]
        if running:
            raise Problem(409, "train_running", f"train job {running[0]['id']} is still running; wait for it "
                          f"(GET /v1/admin/train/{running[0]['id']})", headers={"Retry-After": "10"})
        job = {"id": uuid.uuid4().hex[:16], "model": model, "state": "running", "created_at": time.time(),
               "store": str(settings.store)}
        _jobs[job["id"]] = job
        while len(_jobs) > KEEP_JOBS and next(iter(_jobs.values()))["state"] != "running":
            del _jobs[next(iter(_jobs))]
    threading.Thread(target=_run, args=(job, settings.store), name=f"train-{job['id']}", daemon=True).start()
    response.headers["Location"] = f"/v1/admin/train/{job['id']}"
    return job


@router.get("/v1/admin/train/{job_id}", response_model=TrainJobOut, responses=Problems)
def training_job(job_id: JobPath, caller: Admin) -> dict:
    """One train job: running, finished (with the summary) or failed (with the reason)."""
    job = _jobs.get(job_id)
    if job is None:
        raise Problem(404, "job_not_found", f"no train job {job_id!r} (the server keeps the last {KEEP_JOBS})")
    return job


RETRAIN_ENV = "VIDREC_RETRAIN_INTERVAL"


def retrain_interval_s(env: dict[str, str] | None = None) -> float | None:
    """VIDREC_RETRAIN_INTERVAL (seconds, or 30m, 12h, 1d): how often `vidrec serve` retrains the current model
    kind (`DEFAULT_MODEL` when there is none yet); None (unset or 0) for never. A bad value is a ConfigError."""
    import os

    from vidrec.server.settings import parse_duration

    raw = (os.environ if env is None else env).get(RETRAIN_ENV, "").strip()
    if not raw:
        return None
    seconds = parse_duration(raw, RETRAIN_ENV)
    return seconds if seconds > 0 else None


def retrain_once(store) -> dict[str, Any] | None:
    """One scheduled retraining of the store's current model kind; failures (not enough data yet) are logged and
    the server goes on with the model it has. The summary, or None."""
    from vidrec.learn.retrain import train_store
    from vidrec.learn.store_data import models_dir

    pointer = models_dir(store) / "current"
    model = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else DEFAULT_MODEL
    with _lock:
        if any(j["state"] == "running" and j["store"] == str(store) for j in _jobs.values()):
            log.info("scheduled retraining skipped: an admin train job is running")
            return None
    try:
        summary = train_store(store, model)
    except VidrecError as exc:
        log.warning("scheduled retraining did not run: %s", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - the next round tries again; serving goes on
        log.error("scheduled retraining failed: %s", exc, exc_info=exc)
        return None
    log.info("scheduled retraining done", extra={"model": summary["model"]})
    return summary
