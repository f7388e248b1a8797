"""The ingest pipeline: catalog → per-video analysis → fused profiles, vectors and texts in the store."""

from __future__ import annotations

__all__ = ["IngestSummary", "ingest"]


def __getattr__(name: str):  # imported lazily: a spawned worker imports this package before it may load numpy
    if name in __all__:
        from vidrec.ingest import runner

        return getattr(runner, name)
    raise AttributeError(name)
