"""Loading the `implicit` library (ALS, BPR, ItemKNN baselines) with a clear message when it is missing."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

from vidrec.errors import ModelUnavailableError


def require_implicit(module: str = "implicit"):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelUnavailableError(
            "the pop/itemknn/als/bpr baselines need the 'implicit' package: pip install 'implicit>=0.7,<0.8'"
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
