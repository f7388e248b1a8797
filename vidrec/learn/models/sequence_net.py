"""PyTorch parts shared by the sequential models: the item table and the causal transformer over a history.

`ItemTable` gives one vector per item: a projection of the item's pretrained content features (text embedding,
image features) plus a learned ID embedding scaled by a gate that grows with the item's training count,
g = n / (n + c) with c > 0 learned: an item nobody has used yet (n = 0) is represented by its content alone, a
popular item mostly by what its users taught its ID vector. ID-only (SASRec) and content-only tables are the same
class with one part switched off.

`SequenceNet` is SASRec's self-attentive encoder (Kang & McAuley 2018): item vectors + learned positions, causal
pre-norm transformer blocks; the hidden state at a position scores the next item by dot product with the table.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _inv_softplus(x: float) -> float:
    return x + math.log(-math.expm1(-x))


class ItemTable(nn.Module):
    def __init__(
        self,
        n_items: int,
        dim: int,
        counts: torch.Tensor,
        content: torch.Tensor | None = None,
        use_id: bool = True,
        gate: bool = True,
        gate_init: float = 5.0,
        id_dropout: float = 0.0,
        content_hidden: int = 0,
        content_dropout: float = 0.0,
        id_init_std: float | None = None,
        id_prior: str = "zero",
        gate_kind: str = "count",
    ) -> None:
        super().__init__()
        if content is None and not use_id:
            raise ValueError("an item table needs content features, ID embeddings or both")
        self.n_items = n_items
        self.dim = dim
        self.use_id = use_id
        self.gate = gate and content is not None and use_id
        self.id_dropout = id_dropout
        if id_prior not in ("zero", "mean"):
            raise ValueError("id_prior must be 'zero' or 'mean'")
        if gate_kind not in ("count", "seen"):
            raise ValueError("gate_kind must be 'count' (n / (n + c)) or 'seen' (1 once an item has data)")
        self.gate_kind = gate_kind
        self.id_prior = id_prior
        self.register_buffer("counts", counts.float().clone())
        if content is not None:
            self.register_buffer("content", content.float().clone())
            f = content.shape[1]
            if content_hidden > 0:
                self.proj = nn.Sequential(
                    nn.Dropout(content_dropout),
                    nn.Linear(f, content_hidden),
                    nn.GELU(),
                    nn.Linear(content_hidden, dim),
                )
            else:
                self.proj = nn.Sequential(nn.Dropout(content_dropout), nn.Linear(f, dim))
        else:
            self.content = None
            self.proj = None
        if use_id:
            self.ids = nn.Embedding(n_items, dim)
            if id_init_std is None:  # small next to the content part; SASRec's scale when IDs stand alone
                id_init_std = 0.02 if content is not None else 1.0 / math.sqrt(dim)
            nn.init.normal_(self.ids.weight, std=id_init_std)
        if self.gate and gate_kind == "count":
            self.gate_c = nn.Parameter(torch.tensor(_inv_softplus(gate_init)))

    def id_gate(self) -> torch.Tensor:
        if not self.gate:
            return torch.ones_like(self.counts)
        if self.gate_kind == "seen":
            return (self.counts > 0).float()
        c = nn.functional.softplus(self.gate_c)
        return self.counts / (self.counts + c)

    def content_part(self) -> torch.Tensor | None:
        """The projected content vectors alone: how an item nobody has used yet is represented."""
        return None if self.proj is None else self.proj(self.content)

    def forward(self) -> torch.Tensor:
        return self.parts()[0]

    def parts(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(full table, content-only table or None)."""
        table = None
        if self.proj is not None:
            table = self.proj(self.content)
        content_only = table
        if self.use_id:
            idv = self.ids.weight
            if self.gate:
                g = self.id_gate()[:, None]
                if self.id_prior == "mean":  # fade in from the average known item, not from nothing
                    known = self.counts > 0
                    prior = (
                        idv[known].mean(dim=0, keepdim=True)
                        if bool(known.any())
                        else idv.new_zeros(1, self.dim)
                    )
                    idv = g * idv + (1 - g) * prior
                else:
                    idv = idv * g
            if self.training and self.id_dropout > 0:
                keep = (torch.rand(self.n_items, device=idv.device) >= self.id_dropout).float()
                idv = idv * keep[:, None]
            table = idv if table is None else table + idv
        return table, content_only


class SequenceNet(nn.Module):
    def __init__(
        self, items: ItemTable, max_len: int, layers: int = 2, heads: int = 2, dropout: float = 0.2
    ) -> None:
        super().__init__()
        d = items.dim
        self.items = items
        self.max_len = max_len
        self.heads = heads
        self.pad = items.n_items  # index of the all-zero padding row
        self.pos = nn.Embedding(max_len, d)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.input_norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(
            d,
            heads,
            dim_feedforward=d * 2,
            dropout=dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.out_norm = nn.LayerNorm(d)
        self.register_buffer("causal", torch.triu(torch.ones(max_len, max_len, dtype=torch.bool), diagonal=1))

    def encode(self, seq: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """seq: (B, L) item indices, left-padded with self.pad -> hidden states (B, L, d)."""
        padded = torch.cat([table, table.new_zeros(1, table.shape[1])], dim=0)
        length = seq.shape[1]
        x = padded[seq] + self.pos.weight[self.max_len - length :][None]
        x = self.dropout(self.input_norm(x))
        is_pad = seq == self.pad
        # causal, and no attention to padding keys; every position may see itself, so no row is fully masked
        causal = self.causal[self.max_len - length :, self.max_len - length :]
        blocked = causal[None] | is_pad[:, None, :]
        blocked = blocked & ~torch.eye(length, dtype=torch.bool, device=seq.device)[None]
        mask = blocked.repeat_interleave(self.heads, dim=0)
        h = self.blocks(x, mask=mask)
        return self.out_norm(h)
