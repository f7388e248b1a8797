"""`vidrec train`, `vidrec evaluate`, `vidrec recommend`: the command-line face of vidrec.learn.

    vidrec train interactions.csv [--model content-seq] [--items catalog] [--out DIR] [--store DIR]
    vidrec evaluate [interactions.csv | --store DIR] --models pop,itemknn,als,bpr,sasrec,content-seq [--k 5,10,20]
    vidrec recommend --user U123 [--k 10] [--json] [--store DIR]

`register(app)` adds them to a typer app. Errors print one line (what to do) and exit with the error's code
(2 bad input/flags, 4 model package missing, 5 store problem, 6 not found, 7 not enough data to train yet); progress goes to stderr, results
(and --json) to stdout. An unknown user gets the most popular items and the output says so. `ours`, the content
model's earlier name, is accepted wherever a model name is.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vidrec.errors import InputError, VidrecError
from vidrec.learn.models import DEFAULT_MODEL, MODEL_NAMES

log = logging.getLogger(__name__)
DEFAULT_MODELS = "pop,itemknn,als,bpr,sasrec,content-seq"  # `vidrec evaluate`'s default comparison


def _stderr() -> Console:
    return Console(file=sys.stderr)


def _stdout() -> Console:
    return Console(file=sys.stdout, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def _handle_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except VidrecError as exc:
            _stderr().print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper


def parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise InputError(
            f"--k takes whole numbers separated by commas, like 5,10,20 (got {text!r})"
        ) from None
    if not ks or ks[0] <= 0:
        raise InputError(f"--k needs positive cut-offs, like 5,10,20 (got {text!r})")
    return ks


def parse_models(text: str) -> list[str]:
    from vidrec.learn.models import MODEL_ALIASES, MODEL_NAMES

    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in MODEL_NAMES and n not in MODEL_ALIASES]
    if unknown or not names:
        raise InputError(f"unknown model(s) {unknown or text!r}; choose from {','.join(MODEL_NAMES)}")
    return list(dict.fromkeys(names))


def _load_items(interactions: Path | None, items: Path | None):
    from vidrec.learn.interactions import items_file_beside
    from vidrec.learn.items import ItemTexts

    if items is not None:
        return ItemTexts.from_file(items)
    if interactions is not None:
        beside = items_file_beside(interactions)
        if beside is not None:
            return ItemTexts.from_file(beside)
    return None


def _training_data(interactions: Path | None, items: Path | None, store: Path | None):
    """(interactions, item texts or None): from the files given, else from the store's metadata (SQLite or
    PostgreSQL), whose catalog items are all in the vocabulary."""
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.store_data import load_store_data

    if interactions is None:
        if items is not None:
            raise InputError("--items goes with an interactions file; a store brings its own items")
        return load_store_data(store)
    data = load_interactions(interactions)
    texts = _load_items(interactions, items)
    if texts is not None:
        known = set(texts.ids())
        unknown = sum(1 for i in set(data.item.tolist()) if data.items.ids[i] not in known)
        data = data.with_items(texts.ids())
        if unknown:
            data.notes = {**(data.notes or {}), "items not in the item file (learned by id only, no content)": unknown}
    return data, texts


def _erasures_seen(store: Path | None) -> int:
    """The store's erasure count, read before its interactions (see `vidrec.learn.trained`)."""
    from vidrec.learn.trained import erasures_seen
    from vidrec.store import open_metadata

    meta = open_metadata(store)
    try:
        return erasures_seen(meta)
    finally:
        meta.close()


def _prune_erasures(store: Path | None) -> None:
    """Erased users every saved model was trained without leave the store's erasure list: whoever is given one
    of those ids later is a new user to the next model."""
    from vidrec.learn.trained import prune_erasures
    from vidrec.store import open_metadata

    meta = open_metadata(store, readonly=False)
    try:
        left = prune_erasures(store, meta)
    finally:
        meta.close()
    if left:
        log.info("%d erased users stay forgotten: a saved model in the store was trained before they were erased",
                 left)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=_stderr(),
        transient=False,
    )


def _fit_with_progress(progress: Progress, model, train, items, valid=None):
    task = progress.add_task(f"training {model.name}", total=None, note="")

    def update(done: int, total: int, note: str) -> None:
        progress.update(task, completed=done, total=total, note=note)

    model.fit(train, items, valid=valid, progress=update)
    progress.update(task, note=f"done in {model.fit_seconds:.1f} s")
    return model


# ------------------------------------------------------------------------------------------------ train


@_handle_errors
def train(
    interactions: Annotated[
        Path | None,
        typer.Argument(help="CSV/Parquet/RecBole .inter file; omit to train on the store's interactions"),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help=f"{', '.join(MODEL_NAMES)} (content-seq: the content-aware sequential "
                                          "model; `ours` is its earlier name)")
    ] = DEFAULT_MODEL,
    items: Annotated[
        Path | None, typer.Option("--items", help="item file with text (e.g. ml-100k.item)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="folder for the model (default <store>/models/NAME)")
    ] = None,
    store: Annotated[Path | None, typer.Option("--store", help="vidrec store folder")] = None,
    max_epochs: Annotated[
        int | None, typer.Option("--max-epochs", help="cap for the sequential models")
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    content_only: Annotated[
        bool,
        typer.Option(
            "--content-only",
            help="content-seq without the ID part: every item is its content alone (for catalogs where new items "
            "dominate)",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Train one recommender on all interactions and save it as the store's current model, which chat, the server,
    `search --user` and `recommend` then use."""
    from vidrec.learn.models import canonical_name, model_class
    from vidrec.learn.retrain import publish
    from vidrec.learn.store_data import check_enough, models_dir, save_item_titles, set_current_model
    from vidrec.learn.trained import ERASURES_SEEN

    model = canonical_name(model)
    klass = model_class(model)
    seen = _erasures_seen(store) if interactions is None else None
    data, texts = _training_data(interactions, items, store)
    if interactions is not None:
        check_enough(data, str(interactions))
    if klass.uses_content and texts is None:
        raise InputError(f"the {model} model needs item texts: pass --items FILE (or train from a store)")
    params: dict[str, Any] = {"seed": seed}
    if max_epochs is not None:
        if not hasattr(klass, "_training_batch"):
            raise InputError(f"--max-epochs applies to the sequential models, not {model}")
        params["max_epochs"] = max_epochs
    if content_only:
        if not klass.uses_content:
            raise InputError(f"--content-only applies to the content model (content-seq), not {model}")
        params["use_id"] = False
    m = klass(**params)
    with _progress() as progress:
        _fit_with_progress(progress, m, data, texts)
    if seen is not None:
        m.fit_info[ERASURES_SEEN] = seen
    folder = out if out is not None else models_dir(store) / model
    if out is None:  # the store's model: swapped in atomically under readers (chat, a server)
        publish(m, texts, folder)
    else:
        m.save(folder)
        save_item_titles(folder, texts)
    if out is None:
        set_current_model(store, model)
        if seen is not None:
            _prune_erasures(store)
    summary = {
        "model": model,
        "saved_to": str(folder),
        "train_seconds": m.fit_seconds,
        "interactions": data.summary(),
        **{k: v for k, v in m.fit_info.items() if k != "curve"},
    }
    if as_json:
        _stdout().print_json(json.dumps(summary, ensure_ascii=False))
    else:
        _stdout().print(
            f"trained {model} on {len(data)} interactions ({data.n_users} users, {data.n_items} items) "
            f"in {m.fit_seconds:.1f} s -> {folder}",
            highlight=False,
        )
        if data.describe():
            _stdout().print(f"input: {data.describe()}", highlight=False, soft_wrap=True)


# ------------------------------------------------------------------------------------------------ evaluate


@_handle_errors
def evaluate(
    interactions: Annotated[
        Path | None,
        typer.Argument(
            help="CSV/Parquet/RecBole .inter file (or a folder holding one); omit to evaluate on the store's"
        ),
    ] = None,
    models: Annotated[str, typer.Option("--models", help="comma-separated model names")] = DEFAULT_MODELS,
    k: Annotated[str, typer.Option("--k", help="cut-offs, e.g. 5,10,20")] = "5,10,20",
    items: Annotated[Path | None, typer.Option("--items", help="item file with text")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the JSON results to this file")
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="bootstrap resamples for the 95% intervals")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print results as JSON")] = False,
    store: Annotated[
        Path | None, typer.Option("--store", help="vidrec store folder (when no interactions file is given)")
    ] = None,
) -> None:
    """Temporal leave-last-out evaluation of several models, full ranking, with 95% bootstrap intervals."""
    from vidrec.learn.evaluate import Evaluator
    from vidrec.learn.models import make_model, model_class
    from vidrec.learn.split import leave_last_out

    ks = parse_ks(k)
    names = parse_models(models)
    data, texts = _training_data(interactions, items, store)
    needs_text = [n for n in names if model_class(n).uses_content]
    if needs_text and texts is None:
        raise InputError(f"{', '.join(needs_text)} need item texts: pass --items FILE (e.g. ml-100k.item)")
    split = leave_last_out(data)
    evaluator = Evaluator(split, ks=ks, n_boot=bootstrap, seed=seed)
    reports = []
    with _progress() as progress:
        for name in names:
            m = make_model(name, seed=seed)
            _fit_with_progress(progress, m, split.train, texts, valid=split.valid)
            reports.append(evaluator.evaluate(m, "test", name=name))
    result = evaluator.to_json(reports)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    if as_json:
        _stdout().print_json(json.dumps(result, ensure_ascii=False))
        return
    table = Table(title=f"test, {split.info['test']} users, full ranking over {split.info['items']} items")
    mid = 10 if 10 in ks else ks[len(ks) // 2]
    table.add_column("model")
    for m in ("ndcg", "recall"):
        for kk in ks:
            table.add_column(f"{m}@{kk}", justify="right")
    table.add_column(f"ndcg@{mid} 95% CI", justify="right")
    table.add_column(f"cold ndcg@{mid}", justify="right")
    table.add_column("train s", justify="right")
    for r in reports:
        row = [r.name] + [f"{r.metrics[f'{m}@{kk}']:.4f}" for m in ("ndcg", "recall") for kk in ks]
        lo, hi = r.ci95[f"ndcg@{mid}"]
        row.append(f"{lo:.4f}-{hi:.4f}")
        cold = r.cold_start.get(f"ndcg@{mid}")
        row.append("-" if cold is None else f"{cold:.4f} (n={r.cold_start['users']})")
        row.append(f"{r.train_seconds:.1f}")
        table.add_row(*row)
    _stdout().print(table)


# ------------------------------------------------------------------------------------------------ recommend


@_handle_errors
def recommend(
    user: Annotated[str, typer.Option("--user", help="user id")],
    k: Annotated[int, typer.Option("--k", help="how many items")] = 10,
    store: Annotated[Path | None, typer.Option("--store", help="vidrec store folder")] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="model name (default: the current one)")
    ] = None,
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="a saved model folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Top-k items for a user from the trained model; an unknown user gets the most popular items (and is told)."""
    from vidrec.learn.models import load_model
    from vidrec.learn.store_data import current_model_dir, load_item_titles
    from vidrec.learn.trained import load_trained_model

    if k <= 0:
        raise InputError("--k must be a positive number of items")
    if model_dir is not None:
        folder, m = model_dir, load_model(model_dir)
    else:
        folder = current_model_dir(store, model)
        m = load_trained_model(store, model, required=True)
    titles = load_item_titles(folder)
    known = m.knows_user(user)
    recs = m.recommend(user, k=k)
    fallback = None if known else "popular"
    if as_json:
        payload = {
            "user": user,
            "model": m.name,
            "known_user": known,
            "fallback": fallback,
            "items": [{"id": i, "score": s, "title": titles.get(i)} for i, s in recs],
        }
        if not known:
            payload["message"] = f"unknown user {user!r}: showing the most popular items"
        _stdout().print_json(json.dumps(payload, ensure_ascii=False))
        return
    if not known:
        _stderr().print(f"unknown user {user!r}: showing the most popular items", highlight=False)
    for rank, (i, s) in enumerate(recs, start=1):
        title = titles.get(i, "")
        _stdout().print(f"{rank:>3}. {i}  {title}  ({s:.3f})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add train, evaluate and recommend to the vidrec CLI app."""
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("recommend")(recommend)
