"""The `implicit` library behind the ALS, BPR and ItemKNN baselines: loading it with a clear message when it is
missing, keeping BLAS to one thread around it, and the fitting both matrix-factorisation models share
(`ImplicitFactorModel`: factors/regularisation/iterations/threads, progress per iteration, a seeded model)."""

from __future__ import annotations

import contextlib
import importlib
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np

from vidrec.errors import ModelUnavailableError
from vidrec.learn.matrix import user_item_matrix
from vidrec.learn.models.base import Progress, Recommender


def require_implicit(module: str = "implicit"):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelUnavailableError(
            "the pop/itemknn/als/bpr baselines need the 'implicit' package: pip install 'implicit==0.7.3'"
        ) from exc


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """implicit runs its own threads; BLAS threads on top of them only slow it down (and it warns)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with implicit
        yield
        return
    with threadpool_limits(1, "blas"):
        yield


class ImplicitFactorModel(Recommender):
    """A user x item factorisation fitted by `implicit` on the binary user x item matrix of the training data."""

    learns_negatives = False  # whether a negative entry in the matrix means "disliked" to the implicit model

    def __init__(
        self,
        factors: int,
        regularization: float,
        iterations: int,
        threads: int = 1,
        seed: int = 0,
        **params: Any,
    ) -> None:
        super().__init__(
            seed=seed,
            factors=factors,
            regularization=regularization,
            iterations=iterations,
            threads=threads,
            **params,
        )
        self.factors, self.regularization = factors, regularization
        self.iterations, self.threads = iterations, threads

    @abstractmethod
    def _new_model(self):
        """A fresh, seeded implicit model with this recommender's parameters."""

    def _fit_model(self, interactions, progress: Progress | None):
        """Fit a fresh implicit model on `interactions` (one progress call per iteration) and return it."""
        with single_threaded_blas():  # implicit checks (and warns about) the BLAS thread count when built
            model = self._new_model()
        cb = self._iteration_callback(progress) if progress else None
        with single_threaded_blas():
            model.fit(self._training_matrix(interactions), show_progress=False, callback=cb)
        return model

    def _training_matrix(self, interactions):
        """The binary user x item matrix; a model that `learns_negatives` also gets the shown-and-skipped pairs as
        `vidrec.learn.signals.SKIPPED_VALUE` (they never overlap a positive)."""
        m = user_item_matrix(interactions)
        skipped = getattr(interactions, "skipped", None)
        if not self.learns_negatives or skipped is None or skipped.shape[0] == 0:
            return m
        import scipy.sparse as sp

        from vidrec.learn.signals import SKIPPED_VALUE

        negative = sp.csr_matrix((np.full(skipped.shape[0], SKIPPED_VALUE, dtype=np.float32),
                                  (skipped[:, 0], skipped[:, 1])), shape=m.shape)
        out = (m + negative).tocsr()
        out.sort_indices()
        return out

    def _iteration_callback(self, progress: Progress):
        """implicit's per-iteration callback as a `Progress` call. Only the 0-based iteration (always first) is
        used: the rest differs by model and version (ALS passes elapsed and loss, BPR in 0.7.3 elapsed, correct
        and skipped counts), so they are taken as `*_rest` rather than a fixed arity."""

        def callback(iteration: int, *_rest: Any) -> None:
            progress(iteration + 1, self.iterations, self.name)

        return callback
