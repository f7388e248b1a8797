"""ItemKNN: cosine item-item similarity over who-used-what (implicit's `CosineRecommender`), K neighbours kept per
item; a user's score for an item is the summed similarity to the items in their history."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from vidrec.learn.matrix import user_item_matrix
from vidrec.learn.models.base import Recommender, histories_matrix
from vidrec.learn.models.implicit_backend import require_implicit, single_threaded_blas


class ItemKNN(Recommender):
    name = "itemknn"

    def __init__(self, neighbours: int = 100, threads: int = 1, seed: int = 0, **params) -> None:
        super().__init__(seed=seed, neighbours=neighbours, threads=threads, **params)
        self.neighbours = neighbours
        self.threads = threads
        self.similarity: sp.csr_matrix | None = None

    def _fit(self, interactions, items, valid, progress) -> None:
        nn = require_implicit("implicit.nearest_neighbours")
        model = nn.CosineRecommender(K=self.neighbours, num_threads=self.threads)
        with single_threaded_blas(), warnings.catch_warnings():
            # implicit normalises to COO internally and then warns about its own conversion back to CSR
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            model.fit(user_item_matrix(interactions), show_progress=False)
        self.similarity = model.similarity.tocsr().astype(np.float32)
        if progress:
            progress(1, 1, "similarities")

    def score_histories(self, users: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
        h = histories_matrix(histories, self.n_items)
        return np.asarray((h @ self.similarity).todense(), dtype=np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {"sim_data": s.data, "sim_indices": s.indices, "sim_indptr": s.indptr}

    def _set_state(self, a: dict[str, np.ndarray]) -> None:
        n = len(self.items)
        self.similarity = sp.csr_matrix((a["sim_data"], a["sim_indices"], a["sim_indptr"]), shape=(n, n))
