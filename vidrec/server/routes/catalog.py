"""The catalog: one-shot search, what the NLU understands, an item's profile, its video and thumbnails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from vidrec.errors import MediaError
from vidrec.server.auth import check_media_access, media_link
from vidrec.server.dependencies import (
    AppBackend,
    AppSettings,
    ItemPath,
    Shopper,
)
from vidrec.server.media import MediaFileResponse, best_second, video_path, video_type
from vidrec.server.problems import Problem
from vidrec.server.schemas import ParseIn, Problems, SearchIn

router = APIRouter(tags=["catalog"])


@router.post("/v1/search", responses=Problems)
def search(body: SearchIn, caller: Shopper, backend: AppBackend, settings: AppSettings) -> dict:
    """One-shot search: dense + keyword + filters, each hit with its reason and the second to play from."""
    with backend.use() as live:
        result = live.engine.searcher.search(body.query, k=body.k).to_dict()
    for hit in result["results"]:
        hit["video"] = media_link(settings, hit["id"], "video")
        hit["thumbnail"] = media_link(settings, hit["id"], "thumbnail")
    return result


@router.post("/v1/parse", responses=Problems)
def parse_text(body: ParseIn, caller: Shopper, backend: AppBackend) -> dict:
    """What the NLU understands in a message: language, intent, slots."""
    from vidrec.nlu import parse

    with backend.use() as live:
        return parse(body.text, context={"lexicon": live.engine.lexicon}).model_dump()


@router.get("/v1/items/{item_id}", responses=Problems)
def get_item(item_id: ItemPath, caller: Shopper, backend: AppBackend, settings: AppSettings) -> dict:
    """An item's fused profile: attributes with confidence and evidence (seconds, transcript, on-screen text)."""
    with backend.use() as live:
        profile = live.library.profile(item_id)
        if profile is None:
            raise Problem(404, "item_not_found", f"no item {item_id!r} in this catalog")
        data = profile.model_dump()
        data["best_second"] = round(best_second(live.library, profile), 2)
    data["video"] = media_link(settings, item_id, "video")
    data["thumbnail"] = media_link(settings, item_id, "thumbnail")
    return data


@router.get("/v1/items/{item_id}/video", response_class=FileResponse,
            responses={**Problems, 200: {"content": {"video/mp4": {}}}, 206: {"description": "a byte range"},
                       416: {"description": "range not satisfiable"}})
def get_video(item_id: ItemPath, request: Request, backend: AppBackend, settings: AppSettings) -> FileResponse:
    """The item's video. Supports range requests (``Range: bytes=...``), so players can seek."""
    check_media_access(request, settings, item_id)
    with backend.use() as live:
        path = video_path(live.library, item_id)
    return MediaFileResponse(path, media_type=video_type(path), headers={"Cache-Control": "private, max-age=3600"})


router.add_api_route("/v1/items/{item_id}/video", get_video, methods=["HEAD"], include_in_schema=False)


@router.get("/v1/items/{item_id}/thumbnail", response_class=FileResponse,
            responses={**Problems, 200: {"content": {"image/jpeg": {}}}})
async def get_thumbnail(item_id: ItemPath, request: Request,
                        t: Annotated[float | None, Query(ge=0, le=86400, allow_inf_nan=False,
                                                         description="Second of the video (default: the best "
                                                                     "shot's keyframe).")] = None,
                        w: Annotated[int, Query(ge=32, le=1280, description="Width in pixels (rounded to 160, 320, "
                                                                            "480 or 640).")] = 320) -> Response:
    """A JPEG frame of the item's video: its best shot's keyframe, or the frame at ``t``."""
    # the app's parts read here, not as dependencies: a page asks for one thumbnail per card, and FastAPI's
    # solving of three dependencies was a quarter of this route's CPU
    state = request.app.state
    backend, settings, thumbnails = state.backend, state.settings, state.thumbnails
    check_media_access(request, settings, item_id)
    # one the open store made before comes from memory without a worker thread (a page loads one per card)
    thumb = thumbnails.peek(backend.library if backend.mode == "serving" else None, item_id, t, w)
    if thumb is None:
        thumb = await run_in_threadpool(_thumbnail, backend, thumbnails, item_id, t, w)
    # a small JPEG, sent whole from memory (a Range header is ignored: 200 with all of it, as RFC 9110 allows)
    return Response(thumb.data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=86400", "ETag": thumb.etag})


def _thumbnail(backend, thumbnails, item_id: str, t: float | None, w: int):
    with backend.use() as live:
        try:
            return thumbnails.jpeg(live.library, item_id, t, w)
        except MediaError as exc:
            raise Problem(404, "no_thumbnail", f"no thumbnail can be made for {item_id!r}: {exc}") from exc
