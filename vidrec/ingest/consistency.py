"""Are the store's derived indexes whole? A check of the vectors, the keyword index and the feature files against
the metadata, the store's source of truth.

The metadata row of an item is written last and committed at once; the vector and keyword indexes are saved
every few items. A process killed in between leaves items the indexes lack; one killed after a deletion leaves
entries of items that are gone (orphans). The ingest writer runs this check when it opens a store and repairs
what it finds (:meth:`vidrec.ingest.writer.StoreWriter.repair`); `vidrec doctor` runs it on demand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from vidrec.ingest.features import FeatureFiles
from vidrec.store import LEXICAL, LexicalIndex, Store

INDEXES = ("vectors", "keywords", "features")
# Metadata key holding the signature of the last projection fit that ran to its end; "" while a fit runs, so a
# fit killed halfway (projection saved, vectors partly re-projected) shows as "" afterwards.
FIT_KEY = "projection_fit_items"


@dataclass
class IndexCheck:
    """One derived index against the items: which items it lacks and which entries belong to no item."""

    name: str
    where: str
    held: int  # items (or, for features, files) the index holds
    missing: list[str] = field(default_factory=list)  # item ids
    orphaned: list[str] = field(default_factory=list)  # item ids (features: file names)
    absent: bool = False  # the file or folder itself is gone
    orphans_checked: bool = True  # False where the backend cannot list what it holds

    @property
    def ok(self) -> bool:
        return not self.missing and not self.orphaned

    def describe(self) -> str:
        head = f"{self.name} ({self.where}): "
        if self.absent:
            head += "missing entirely; "
        parts = [f"{len(self.missing)} items missing", f"{len(self.orphaned)} orphaned"]
        if not self.orphans_checked:
            parts[1] = "orphans not checked (the backend cannot list its entries)"
        shown = ", ".join(self.missing[:5]) + (", ..." if len(self.missing) > 5 else "")
        return head + ", ".join(parts) + (f" ({shown})" if self.missing else "")


@dataclass
class StoreCheck:
    """The state of one store: what each derived index lacks or holds in excess, and what is left to re-analyse."""

    store: str
    items: int
    indexes: dict[str, IndexCheck]
    awaiting_analysis: list[str] = field(default_factory=list)  # the next ingest re-analyses these
    unfinished_runs: list[str] = field(default_factory=list)
    writer_pid: int | None = None  # another process writing while this check ran: its unsaved work shows here
    projection_unfinished: bool = False  # a projection fit was killed halfway: vectors partly re-projected

    @property
    def ok(self) -> bool:
        return (all(c.ok for c in self.indexes.values()) and not self.awaiting_analysis
                and not self.projection_unfinished)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        for name, c in self.indexes.items():
            d["indexes"][name].update(missing_count=len(c.missing), orphaned_count=len(c.orphaned), ok=c.ok)
        return d


def check_store(store: Store, features: FeatureFiles) -> StoreCheck:
    """Compare every derived index of ``store`` with its items. Reads only; nothing is changed."""
    hashes = store.metadata.item_hashes()
    items = set(hashes)
    awaiting = sorted(i for i, h in hashes.items() if h is None)
    analysed = items.difference(awaiting)
    return StoreCheck(
        store=str(store.path), items=len(items),
        indexes={"vectors": _vectors(store, items, analysed), "keywords": _keywords(store, items),
                 "features": _features(features, items, analysed)},
        awaiting_analysis=awaiting,
        unfinished_runs=[r["run_id"] for r in store.metadata.runs(unfinished_only=True)],
        projection_unfinished=store.metadata.get_meta(FIT_KEY) == "",
    )


def _vectors(store: Store, items: set[str], analysed: set[str]) -> IndexCheck:
    index = store.vectors
    path = getattr(index, "path", None)
    where = str(path) if path is not None else type(index).__name__
    missing = sorted(i for i in analysed if i not in index)
    listing = getattr(index, "ids", None)  # the FAISS index lists its ids; Milvus cannot cheaply
    if listing is None:
        held = len(analysed) - len(missing)
        return IndexCheck("vectors", where, held, missing, [], orphans_checked=False)
    vector_ids = listing()
    held_items = set(index.item_ids_of(vector_ids)) if vector_ids else set()
    absent = path is not None and not path.exists()
    return IndexCheck("vectors", where, len(held_items), missing, sorted(held_items - items), absent=absent)


def _keywords(store: Store, items: set[str]) -> IndexCheck:
    held = store.lexical.ids()
    folder = store.path / LEXICAL
    return IndexCheck("keywords", str(folder), len(held), sorted(items - held), sorted(held - items),
                      absent=not LexicalIndex.exists(folder))


def _features(features: FeatureFiles, items: set[str], analysed: set[str]) -> IndexCheck:
    expected = {features.path(i).name: i for i in items}
    on_disk = {p.name for p in features.root.iterdir() if p.is_file()} if features.root.exists() else set()
    missing = sorted(i for i in analysed if features.path(i).name not in on_disk)
    orphaned = sorted(name for name in on_disk if name not in expected)  # gone items, and half-written .tmp files
    return IndexCheck("features", str(features.root), len(on_disk & set(expected)), missing, orphaned)
