"""Ours: a content-aware sequential recommender.

Item side: pretrained content features (the multilingual e5 text embedding of the item text; for product videos
also the image/video vectors the store holds) projected into the model space, plus a learned ID embedding gated
by the item's training count (`ItemTable`): it fades in as an item gathers interactions, and an item nobody has
used yet is scored from its content alone. During training a share of items (`id_dropout`) lose their ID part in
each step, so the content path alone must also rank well (what cold items rely on).
User side: SASRec's causal transformer over the user's history of those item vectors.
Trained with full softmax cross-entropy (sampled softmax for big catalogs) and early stopping on validation.

`use_content=False` / `use_id=False` switch a part off (the ablations in the benchmark).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vidrec.errors import InputError
from vidrec.learn.items import content_features
from vidrec.learn.models.sequence_net import ItemTable
from vidrec.learn.models.sequential import SequentialRecommender


class ContentSequential(SequentialRecommender):
    name = "ours"
    uses_content = True

    def __init__(
        self,
        use_content: bool = True,
        use_id: bool = True,
        gate_init: float = 5.0,
        id_dropout: float = 0.1,
        content_hidden: int = 256,
        content_dropout: float = 0.1,
        cache_features: bool = True,
        id_init_std: float | None = None,
        id_prior: str = "zero",
        gate_kind: str = "count",
        content_loss: float = 0.0,
        **params: Any,
    ) -> None:
        super().__init__(
            use_content=use_content,
            use_id=use_id,
            gate_init=gate_init,
            id_dropout=id_dropout,
            content_hidden=content_hidden,
            content_dropout=content_dropout,
            cache_features=cache_features,
            id_init_std=id_init_std,
            id_prior=id_prior,
            gate_kind=gate_kind,
            content_loss=content_loss,
            **params,
        )
        self.encoder = None  # anything with encode(texts, kind); None = the bundled multilingual e5

    def _content(self, interactions, items) -> np.ndarray | None:
        if not self.params["use_content"]:
            return None
        if items is None or len(items) == 0:
            raise InputError(
                "the content-aware model needs item texts: pass --items (an item file, e.g. ml-100k.item) or "
                "train from a vidrec store"
            )
        return content_features(
            interactions.items.ids, items, encoder=self.encoder, cache=self.params["cache_features"]
        )

    def _item_table(self, n_items: int, counts: np.ndarray, content: np.ndarray | None) -> ItemTable:
        p = self.params
        return ItemTable(
            n_items,
            p["dim"],
            torch.as_tensor(np.asarray(counts)),
            content=None if content is None else torch.as_tensor(np.asarray(content)),
            use_id=p["use_id"],
            gate=True,
            gate_init=p["gate_init"],
            id_dropout=p["id_dropout"],
            content_hidden=p["content_hidden"],
            content_dropout=p["content_dropout"],
            id_init_std=p["id_init_std"],
            id_prior=p["id_prior"],
            gate_kind=p["gate_kind"],
        )

    def _loss(self, inp: torch.Tensor, tgt: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
        """The next-item loss of the full item table, plus (`content_loss` > 0) the same loss with every item
        represented by its content alone, from the same hidden states: the content path must rank on its own,
        which is what an item with no interactions gets at serving time."""
        weight = self.params["content_loss"]
        if weight <= 0 or self.net.items.proj is None or not self.net.items.use_id:
            return super()._loss(inp, tgt, kind, gen)
        table, content_only = self.net.items.parts()
        h = self.net.encode(inp, table)
        real = tgt >= 0
        h, t = h[real], tgt[real]
        return self._next_item_loss(h, t, table, kind, gen) + weight * self._next_item_loss(
            h, t, content_only, kind, gen
        )

    def content_part(self) -> np.ndarray | None:
        """The content vectors of the items (as the model sees them, before projection)."""
        return None if self.net is None or self.net.items.proj is None else self.net.items.content.numpy()
