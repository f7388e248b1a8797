"""BPR: matrix factorisation trained with the pairwise Bayesian Personalised Ranking loss, through `implicit`.

BPR has no exact fold-in, so a known user is scored with the factor learned in training (as in RecBole's protocol,
an item added to the history later is only excluded from the ranking, not used). A user unseen in training but
with a history is scored from the mean of their items' factors (item bias column kept).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vidrec.learn.models.implicit_backend import ImplicitFactorModel, require_implicit


class BPR(ImplicitFactorModel):
    name = "bpr"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        threads: int = 1,
        seed: int = 0,
        **params,
    ) -> None:
        super().__init__(
            factors, regularization, iterations, threads, seed, learning_rate=learning_rate, **params
        )
        self.learning_rate = learning_rate
        self.user_factors = np.zeros((0, 0), np.float32)
        self.item_factors = np.zeros((0, 0), np.float32)

    def _new_model(self):
        bpr = require_implicit("implicit.cpu.bpr")
        return bpr.BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            num_threads=self.threads,
            random_state=self.seed,
        )

    def _fit(self, interactions, items, valid, progress) -> None:
        model = self._fit_model(interactions, progress)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def score_histories(self, users: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
        uf = np.zeros((len(users), self.item_factors.shape[1]), dtype=np.float32)
        for k, (u, h) in enumerate(zip(users.tolist(), histories, strict=True)):
            if u >= 0:
                uf[k] = self.user_factors[u]
            elif len(h):
                uf[k] = self.item_factors[h].mean(axis=0)
                uf[k, -1] = 1.0  # implicit keeps the item bias in the last column, users carry a 1 there
        return uf @ self.item_factors.T

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def _set_state(self, a: dict[str, np.ndarray]) -> None:
        self.user_factors = a["user_factors"]
        self.item_factors = a["item_factors"]
