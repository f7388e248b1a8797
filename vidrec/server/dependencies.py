"""What route functions declare they need: the caller (shopper, identified, admin), the app's parts (backend,
owners, settings, ingest jobs, thumbnails) and the path parameters, each an ``Annotated`` type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi import Path as PathParam

from vidrec.server.auth import Caller, identify, require_admin, require_identified
from vidrec.server.backend import Backend
from vidrec.server.jobs import IngestJobs
from vidrec.server.media import Thumbnails
from vidrec.server.owners import Ownership
from vidrec.server.schemas import ITEM_ID_PATTERN, SESSION_ID_PATTERN, USER_ID_PATTERN
from vidrec.server.settings import ServerSettings

SessionPath = Annotated[str, PathParam(pattern=SESSION_ID_PATTERN, description="A session id from POST /v1/sessions.")]
UserPath = Annotated[str, PathParam(pattern=USER_ID_PATTERN, description="Your id for the shopper.")]
ItemPath = Annotated[str, PathParam(min_length=1, max_length=128, pattern=ITEM_ID_PATTERN,
                                    description="An item id of the catalog.")]
JobPath = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]


# async, as the lookups below: checking a key or token is a hash (microseconds), and FastAPI runs a plain-function
# dependency in a worker thread, a hop that cost more than the check under load (issue 20 §1)
async def _shopper(request: Request) -> Caller:
    caller = identify(request, request.app.state.settings)
    request.state.caller = caller.id
    return caller


async def _identified(request: Request) -> Caller:
    return require_identified(await _shopper(request))


async def _admin(request: Request) -> Caller:
    caller = require_admin(request, request.app.state.settings)
    request.state.caller = caller.id
    return caller


Shopper = Annotated[Caller, Depends(_shopper)]
Identified = Annotated[Caller, Depends(_identified)]
Admin = Annotated[Caller, Depends(_admin)]


async def _backend(request: Request) -> Backend:
    return request.app.state.backend


async def _owners(request: Request) -> Ownership:
    return request.app.state.owners


async def _settings(request: Request) -> ServerSettings:
    return request.app.state.settings


async def _jobs(request: Request) -> IngestJobs:
    return request.app.state.jobs


async def _thumbnails(request: Request) -> Thumbnails:
    return request.app.state.thumbnails


# async: a lookup on the app needs no worker thread (FastAPI runs a plain function dependency in one)
AppBackend = Annotated[Backend, Depends(_backend)]
AppOwners = Annotated[Ownership, Depends(_owners)]
AppSettings = Annotated[ServerSettings, Depends(_settings)]
AppJobs = Annotated[IngestJobs, Depends(_jobs)]
AppThumbnails = Annotated[Thumbnails, Depends(_thumbnails)]

