"""A stand-in text encoder for tests that need no model: each text's vector is fixed by its SHA-256."""

from __future__ import annotations

import hashlib

import numpy as np

from vidrec.encoders.vectors import l2_normalise


class SeededEncoder:
    """A text encoder whose vector for a text is fixed by the text's SHA-256 (the same in every process)."""

    dim = 384

    def encode(self, texts, kind="passage"):
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).normal(size=self.dim)
                for t in texts]
        return l2_normalise(np.stack(rows).astype(np.float32))
