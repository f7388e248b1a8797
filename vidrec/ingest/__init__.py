"""The ingest pipeline: catalog → per-video analysis → fused profiles, vectors and texts in the store."""

from vidrec.ingest.runner import IngestSummary, ingest

__all__ = ["IngestSummary", "ingest"]
