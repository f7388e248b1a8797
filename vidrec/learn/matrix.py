"""Sparse user x item matrices, built incrementally so peak memory stays near the size of the result.

`SparseMatrixBuilder` takes (rows, cols, values) chunks as they stream in and folds them into a CSR matrix every
`compact_every` entries (duplicates summed), instead of holding one giant COO triple plus its CSR copy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vidrec.learn.interactions import Interactions


class SparseMatrixBuilder:
    def __init__(self, shape: tuple[int, int], compact_every: int = 5_000_000, dtype=np.float32) -> None:
        self.shape = shape
        self.dtype = dtype
        self._compact_every = compact_every
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_n = 0
        self._matrix = sp.csr_matrix(shape, dtype=dtype)

    def add(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float = 1.0) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        cols = np.asarray(cols, dtype=np.int32)
        vals = np.broadcast_to(np.asarray(values, dtype=self.dtype), rows.shape).copy()
        self._pending.append((rows, cols, vals))
        self._pending_n += rows.shape[0]
        if self._pending_n >= self._compact_every:
            self._compact()

    def _compact(self) -> None:
        if not self._pending:
            return
        r, c, v = (np.concatenate(x) for x in zip(*self._pending, strict=True))
        self._pending, self._pending_n = [], 0
        chunk = sp.csr_matrix((v, (r, c)), shape=self.shape, dtype=self.dtype)
        self._matrix = self._matrix + chunk

    def build(self) -> sp.csr_matrix:
        self._compact()
        m = self._matrix.tocsr()
        m.sum_duplicates()
        m.sort_indices()
        return m


def user_item_matrix(
    interactions: Interactions, binary: bool = True, chunk_rows: int = 5_000_000
) -> sp.csr_matrix:
    """(n_users, n_items) CSR of the interactions: 1 per (user, item) when binary, else the event strength."""
    b = SparseMatrixBuilder((interactions.n_users, interactions.n_items), compact_every=chunk_rows)
    for s in range(0, len(interactions), chunk_rows):
        e = s + chunk_rows
        vals = 1.0 if binary else interactions.event[s:e].astype(np.float32)
        b.add(interactions.user[s:e], interactions.item[s:e], vals)
    m = b.build()
    if binary:
        m.data[:] = 1.0
    return m
