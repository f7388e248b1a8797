"""Operations: is the process up, can it serve shoppers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vidrec.server import problems
from vidrec.server.dependencies import AppBackend
from vidrec.server.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    """The process is up."""  # async: nothing to wait for, so no worker-thread hop (two for a plain function)
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "not serving (no catalog yet, or starting)"}})
def readyz(backend: AppBackend) -> JSONResponse:
    """Whether the server can answer shoppers: 200 when serving (or read-only during an ingest job)."""
    s = backend.status()
    if s["mode"] == "serving":
        return JSONResponse({"status": "ready", **s})
    if s["mode"] == "ingesting" and s["items"]:
        return JSONResponse({"status": "degraded", **s})
    return JSONResponse({"status": "unavailable", **s}, status_code=503,
                        headers={"Retry-After": str(problems.RETRY_AFTER_S)})
