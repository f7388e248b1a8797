"""Per-item vector files: the source of truth the vector index can always be rebuilt from.

Written atomically before the item's metadata row, so a crash between the two only costs a re-analysis.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np

from vidrec.ingest.analysis import ItemAnalysis


def _name(item_id: str) -> str:
    return hashlib.sha1(item_id.encode("utf-8")).hexdigest()[:20] + ".npz"


class FeatureFiles:
    """A folder of `.npz` files, one per item: text/image/shot vectors and raw image features."""

    def __init__(self, root: str | os.PathLike, *, create: bool = True):
        self.root = Path(root)
        if create:
            self.root.mkdir(parents=True, exist_ok=True)

    def path(self, item_id: str) -> Path:
        return self.root / _name(item_id)

    def write(self, a: ItemAnalysis) -> None:
        buf = io.BytesIO()
        np.savez(buf, item_id=np.array(a.item_id), text_vector=a.text_vector,
                 image_vector=a.image_vector if a.image_vector is not None else np.zeros(0, np.float32),
                 shot_vectors=a.shot_vectors, shot_starts=np.asarray(a.shot_starts, np.float32),
                 image_features=a.image_features.astype(np.float16),
                 category_probs=(a.category_probs if a.category_probs is not None
                                 else np.zeros((0, 0), np.float32)).astype(np.float16))
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(buf.getvalue())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path(a.item_id))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, item_id: str) -> dict[str, np.ndarray] | None:
        p = self.path(item_id)
        if not p.exists():
            return None
        with np.load(p) as z:
            return {k: z[k] for k in z.files}

    def delete(self, item_id: str) -> None:
        self.path(item_id).unlink(missing_ok=True)
