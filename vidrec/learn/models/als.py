"""ALS: implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008) through `implicit`.

Users are scored from their history by recomputing the user factor exactly (implicit's `recalculate_user`, a
least-squares solve against the fixed item factors), so the validation item added to a test user's history counts,
and a new user with a history can be served.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vidrec.learn.models.base import histories_matrix
from vidrec.learn.models.implicit_backend import ImplicitFactorModel, require_implicit, single_threaded_blas


class ALS(ImplicitFactorModel):
    name = "als"
    learns_negatives = True  # implicit's ALS reads a negative entry as a dislike (target 0, confidence alpha*|v|)

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        threads: int = 1,
        seed: int = 0,
        **params,
    ) -> None:
        super().__init__(factors, regularization, iterations, threads, seed, alpha=alpha, **params)
        self.alpha = alpha
        self._model = None

    def _new_model(self):
        als = require_implicit("implicit.cpu.als")
        with single_threaded_blas():  # implicit checks (and warns about) the BLAS thread count when built
            return als.AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                calculate_training_loss=False,
                num_threads=self.threads,
                random_state=self.seed,
            )

    def _fit(self, interactions, items, valid, progress) -> None:
        self._model = self._fit_model(interactions, progress)

    def score_histories(self, users: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
        h = histories_matrix(histories, self.n_items)
        with single_threaded_blas():
            uf = self._model.recalculate_user(np.arange(len(histories)), h)
        uf = np.atleast_2d(uf)
        return (uf @ self._model.item_factors.T).astype(np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_factors": self._model.item_factors, "user_factors": self._model.user_factors}

    def _set_state(self, a: dict[str, np.ndarray]) -> None:
        self._model = self._new_model()
        self._model.item_factors = a["item_factors"]
        self._model.user_factors = a["user_factors"]
