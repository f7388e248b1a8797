"""`content-seq` (formerly `ours`): a content-aware sequential recommender.

Item side: pretrained content features (the multilingual e5 text embedding of the item text; for product videos
also the image/video vectors the store holds; optionally a multi-hot of exact field tokens such as genres, decade,
category: `field_tokens`) projected into the model space, plus a learned ID embedding (`ItemTable`). How the ID part
joins the content part is `gate_kind`: "seen" (the default) adds the full ID vector as a residual on the content
vector of every item that has interactions, IDs starting at zero (`id_init_std=0`), so warm items end up as good
as an ID-only model while an item nobody has used is its content alone; "count" scales the ID by n / (n + c) (the
first version). During training a share of items (`id_dropout`) lose their ID part in each step.
User side: SASRec's causal transformer over the user's history of those item vectors.
Loss: full softmax cross-entropy (sampled softmax for big catalogs) over the full table, plus `content_loss` times
the same loss with every item represented by content alone, from the same hidden states (one fit, shared
encoder): the content path learns to rank on its own. Serving (`content_mix` = w): the documented mixture
(1 - w) softmax(full table) + w softmax(content-only table), which is how an item without interactions reaches a top
list. Early stopping on validation NDCG@10 of that mixture.

`use_content=False` / `use_id=False` switch a part off (the ablations in the benchmark).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from vidrec.errors import InputError
from vidrec.learn.items import content_features, token_features
from vidrec.learn.models.sequence_net import ItemTable
from vidrec.learn.models.sequential import SequentialRecommender


class ContentSequential(SequentialRecommender):
    name = "content-seq"
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
        id_init_std: float | None = 0.0,
        id_prior: str = "zero",
        gate_kind: str = "seen",
        content_loss: float = 0.5,
        field_tokens: bool = False,
        content_mix: float = 0.2,
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
            field_tokens=field_tokens,
            content_mix=content_mix,
            **params,
        )
        self.encoder = None  # anything with encode(texts, kind); None = the bundled multilingual e5
        self._parts: tuple[torch.Tensor, torch.Tensor] | None = (
            None  # (full, content-only) tables for serving
        )

    @classmethod
    def upgrade_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """A model saved by the first version (no gate_kind) keeps that version's behaviour when loaded."""
        if "gate_kind" in params:
            return params
        return {
            "gate_kind": "count",
            "content_loss": 0.0,
            "content_mix": 0.0,
            "field_tokens": False,
            **params,
        }

    def _content(self, interactions, items) -> np.ndarray | None:
        if not self.params["use_content"]:
            return None
        if items is None or len(items) == 0:
            raise InputError(
                "the content-aware model needs item texts: pass --items (an item file, e.g. ml-100k.item) or "
                "train from a vidrec store"
            )
        feats = content_features(
            interactions.items.ids, items, encoder=self.encoder, cache=self.params["cache_features"]
        )
        if self.params["field_tokens"]:
            feats = np.concatenate([feats, token_features(interactions.items.ids, items)], axis=1)
        return feats

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

    @torch.no_grad()
    def score_histories(self, users: np.ndarray, histories) -> np.ndarray:
        """Log-probability of each item next. With `content_mix` w > 0 it is the documented mixture
        (1 - w) * softmax(full table) + w * softmax(content-only table), both from the same hidden state and one
        fit: the content softmax is the one `content_loss` trains, where every item competes on content alone, so an
        item with no interactions can reach the top of the list instead of competing with ID-boosted items."""
        w = self.params["content_mix"]
        net = self.net
        if w <= 0 or net.items.proj is None or not net.items.use_id:
            return super().score_histories(users, histories)
        was_training = net.training
        net.eval()
        if was_training or self._parts is None or self._table is None:
            table, content_only = net.items.parts()
            self._parts = None if was_training else (table, content_only)
            self._table = None if was_training else table
        else:
            table, content_only = self._parts
        hidden = self._last_hidden(histories, table)
        full = torch.log_softmax(hidden @ table.T, dim=-1)
        content = torch.log_softmax(hidden @ content_only.T, dim=-1)
        mixed = torch.logaddexp(full + math.log1p(-w), content + math.log(w)) if w < 1 else content
        if was_training:
            net.train()
        return mixed.numpy()

    def content_part(self) -> np.ndarray | None:
        """The content vectors of the items (as the model sees them, before projection)."""
        return None if self.net is None or self.net.items.proj is None else self.net.items.content.numpy()
