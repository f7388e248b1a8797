"""Admin (VIDREC_ADMIN_KEY): ingest a catalog that is on the server, and follow the job."""

from __future__ import annotations

from fastapi import APIRouter, Response

from vidrec.server.dependencies import Admin, AppJobs, AppSettings, JobPath
from vidrec.server.jobs import resolve_catalog
from vidrec.server.schemas import IngestIn, IngestJobOut, Problems

router = APIRouter(tags=["admin"])


@router.post("/v1/ingest", status_code=202, response_model=IngestJobOut, responses=Problems)
def start_ingest(body: IngestIn, caller: Admin, response: Response, jobs: AppJobs, settings: AppSettings) -> dict:
    """Ingest a catalog that is on the server (admin key). Poll the job; the store stays readable meanwhile."""
    catalog = resolve_catalog(settings, body.catalog)
    job = jobs.submit(catalog, workers=body.workers, prune=body.prune, force=body.force)
    response.headers["Location"] = f"/v1/ingest/{job.id}"
    return job.to_dict()


@router.get("/v1/ingest", response_model=list[IngestJobOut], responses=Problems)
def list_ingest_jobs(caller: Admin, jobs: AppJobs) -> list[dict]:
    """The latest ingest jobs, newest first."""
    return [j.to_dict() for j in jobs.list()]


@router.get("/v1/ingest/{job_id}", response_model=IngestJobOut, responses=Problems)
def ingest_job(job_id: JobPath, caller: Admin, jobs: AppJobs) -> dict:
    """One ingest job: state (queued, running, finished, failed, cancelled), progress and the summary."""
    return jobs.get(job_id).to_dict()
