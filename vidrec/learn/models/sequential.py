"""Training and serving for the sequential (history-in, next-item-out) models, on CPU with PyTorch.

Every position of a user's training sequence predicts the next item (SASRec's objective). Losses:
- "ce": softmax cross-entropy over the whole catalog (exact; cheap up to ~10^5 items),
- "sampled": sampled softmax against `negatives` items drawn uniformly per batch (shared), accidental hits masked;
  for large catalogs ("ce" switches to it above `full_softmax_max_items`),
- "bce": SASRec's original binary cross-entropy with one random negative per position.
Early stopping: after each epoch NDCG@10 on the validation holdout (full ranking, seen items excluded); training
stops after `patience` epochs without improvement and the best weights are kept. With no validation holdout given,
the model holds out each user's last item itself (users with >= 3 items), and still serves with full histories.

Determinism: seeds fixed, `threads` torch threads (default 1): same data + params + threads -> same digits.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from vidrec.errors import InputError
from vidrec.learn.evaluate import model_ranks, ndcg_from_ranks
from vidrec.learn.models.base import Recommender
from vidrec.learn.models.sequence_net import ItemTable, SequenceNet
from vidrec.learn.split import Holdout

log = logging.getLogger(__name__)


class SequentialRecommender(Recommender):
    uses_validation = True

    def __init__(
        self,
        dim: int = 64,
        max_len: int = 50,
        layers: int = 2,
        heads: int = 2,
        dropout: float = 0.2,
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        batch_size: int = 64,
        max_epochs: int = 60,
        patience: int = 8,
        loss: str = "ce",
        negatives: int = 256,
        full_softmax_max_items: int = 100_000,
        crop: bool = False,
        threads: int = 1,
        max_seconds: float | None = None,
        seed: int = 0,
        **params: Any,
    ) -> None:
        if loss not in ("ce", "sampled", "bce"):
            raise ValueError(f"loss must be 'ce', 'sampled' or 'bce', not {loss!r}")
        super().__init__(
            seed=seed,
            dim=dim,
            max_len=max_len,
            layers=layers,
            heads=heads,
            dropout=dropout,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            patience=patience,
            loss=loss,
            negatives=negatives,
            full_softmax_max_items=full_softmax_max_items,
            crop=crop,
            threads=threads,
            max_seconds=max_seconds,
            **params,
        )
        self.net: SequenceNet | None = None
        self._table: torch.Tensor | None = None  # cached item table for serving

    # ------------------------------------------------------------------ to implement

    def _item_table(self, n_items: int, counts: np.ndarray, content: np.ndarray | None) -> ItemTable:
        raise NotImplementedError

    def _content(self, interactions, items) -> np.ndarray | None:
        return None

    # ------------------------------------------------------------------ training

    def _build(self, n_items: int, counts: np.ndarray, content: np.ndarray | None) -> SequenceNet:
        p = self.params
        table = self._item_table(n_items, counts, content)
        return SequenceNet(table, p["max_len"], p["layers"], p["heads"], p["dropout"])

    def _fit(self, interactions, items, valid: Holdout | None, progress) -> None:
        p = self.params
        torch.set_num_threads(p["threads"])
        seqs = interactions.sequences()
        if valid is None:
            valid_users = np.array([u for u, s in enumerate(seqs) if len(s) >= 3], dtype=np.int32)
            valid_items = np.array([seqs[u][-1] for u in valid_users], dtype=np.int32)
            train_seqs = [s[:-1] if len(s) >= 3 else s for s in seqs]
            counts = np.bincount(np.concatenate(train_seqs), minlength=interactions.n_items)
            self.fit_info["validation"] = "last item of each user with >= 3 items, held out by the model"
        else:
            valid_users, valid_items, train_seqs = valid.users, valid.items, seqs
            counts = interactions.item_counts()
        valid_hist = [train_seqs[u] for u in valid_users]
        content = self._content(interactions, items)
        self.net = self._build(interactions.n_items, counts, content)
        opt = torch.optim.Adam(self.net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        rng = np.random.default_rng(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        trainable = [s for s in train_seqs if len(s) >= 2]
        self._known_items = torch.from_numpy(np.flatnonzero(counts > 0).astype(np.int64))
        self._unknown_mask = torch.from_numpy(counts == 0)
        if not trainable:
            raise InputError(
                f"the {self.name} model learns from what follows what: it needs users with two or more "
                "interactions, and every user here has one; use pop/itemknn/als or collect more history"
            )
        loss_kind = p["loss"]
        if loss_kind == "ce" and interactions.n_items > p["full_softmax_max_items"]:
            loss_kind = "sampled"
        best, best_state, best_epoch, bad = -1.0, None, 0, 0
        history: list[dict[str, float]] = []
        t0 = time.perf_counter()
        epoch = 0
        for epoch in range(1, p["max_epochs"] + 1):
            self.net.train()
            self._table = None
            order = rng.permutation(len(trainable))
            total, n_batches = 0.0, 0
            for s in range(0, len(order), p["batch_size"]):
                batch = [trainable[i] for i in order[s : s + p["batch_size"]]]
                inp, tgt = self._training_batch(batch, rng)
                loss = self._loss(inp, tgt, loss_kind, gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach())
                n_batches += 1
            if not len(valid_users):  # nothing to stop on (every user has < 3 items): train all epochs
                history.append(
                    {"epoch": epoch, "loss": total / max(1, n_batches), "valid_ndcg@10": float("nan")}
                )
                if progress:
                    progress(epoch, p["max_epochs"], f"epoch {epoch} (no validation users)")
                continue
            ndcg = ndcg_from_ranks(model_ranks(self, valid_users, valid_hist, valid_items), 10)
            history.append({"epoch": epoch, "loss": total / max(1, n_batches), "valid_ndcg@10": ndcg})
            log.debug(
                "%s epoch %d loss %.4f valid ndcg@10 %.4f", self.name, epoch, total / max(1, n_batches), ndcg
            )
            if progress:
                progress(epoch, p["max_epochs"], f"epoch {epoch} valid ndcg@10 {ndcg:.4f}")
            if ndcg > best:
                best, best_epoch, bad = ndcg, epoch, 0
                best_state = copy.deepcopy(self.net.state_dict())
            else:
                bad += 1
                if bad >= p["patience"]:
                    break
            if p["max_seconds"] is not None and time.perf_counter() - t0 > p["max_seconds"]:
                log.warning(
                    "%s stopped by its time budget (%.0f s) after epoch %d",
                    self.name,
                    p["max_seconds"],
                    epoch,
                )
                self.fit_info["stopped_by_time"] = True
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()
        self._table = None
        self.fit_info.update(
            {"epochs": epoch, "best_epoch": best_epoch, "best_valid_ndcg@10": best, "loss": loss_kind}
        )
        self.fit_info["curve"] = history

    def _training_batch(self, batch: Sequence[np.ndarray], rng: np.random.Generator):
        L = self.params["max_len"]
        pad = self.net.pad
        inp = np.full((len(batch), L), pad, dtype=np.int64)
        tgt = np.full((len(batch), L), -1, dtype=np.int64)
        for r, s in enumerate(batch):
            if self.params["crop"] and len(s) > L + 1:
                end = int(rng.integers(L + 1, len(s) + 1))
                s = s[end - L - 1 : end]
            else:
                s = s[-(L + 1) :]
            n = len(s) - 1
            inp[r, L - n :] = s[:-1]
            tgt[r, L - n :] = s[1:]
        return torch.from_numpy(inp), torch.from_numpy(tgt)

    def _loss(self, inp: torch.Tensor, tgt: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
        """Next-item loss over the items that occur in training. Items with no training interaction are left out
        of the negatives: a catalog item nobody has used yet would otherwise be pushed down at every step (a
        content model would learn to bury exactly the new items it exists to place), and a truly new item arriving
        after training has never been a negative either."""
        table = self.net.items()
        h = self.net.encode(inp, table)
        real = tgt >= 0
        return self._next_item_loss(h[real], tgt[real], table, kind, gen)

    def _next_item_loss(
        self, h: torch.Tensor, t: torch.Tensor, table: torch.Tensor, kind: str, gen: torch.Generator
    ) -> torch.Tensor:
        """Loss of hidden states h (N, d) predicting items t (N,) against item vectors `table`."""
        known = self._known_items
        if kind == "ce":
            logits = h @ table.T
            if known.shape[0] < table.shape[0]:
                logits = logits.masked_fill(self._unknown_mask[None, :], -math.inf)
            return nn.functional.cross_entropy(logits, t)
        if kind == "bce":
            neg = known[torch.randint(0, known.shape[0], t.shape, generator=gen)]
            pos_logit = (h * table[t]).sum(-1)
            neg_logit = (h * table[neg]).sum(-1)[neg != t]  # drawing the target itself gives no signal
            return nn.functional.binary_cross_entropy_with_logits(
                torch.cat([pos_logit, neg_logit]),
                torch.cat([torch.ones_like(pos_logit), torch.zeros_like(neg_logit)]),
            )
        k = min(self.params["negatives"], known.shape[0])
        neg = known[torch.randint(0, known.shape[0], (k,), generator=gen)]
        pos_logit = (h * table[t]).sum(-1, keepdim=True)
        neg_logit = h @ table[neg].T
        neg_logit = neg_logit.masked_fill(neg[None, :] == t[:, None], -math.inf)
        logits = torch.cat([pos_logit, neg_logit], dim=1)
        return nn.functional.cross_entropy(logits, torch.zeros(t.shape[0], dtype=torch.long))

    # ------------------------------------------------------------------ serving

    @torch.no_grad()
    def score_histories(self, users: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
        net = self.net
        was_training = net.training
        net.eval()
        if self._table is None or was_training:
            table = net.items()
            if not was_training:
                self._table = table
        else:
            table = self._table
        hidden = self._last_hidden(histories, table)
        out = (hidden @ table.T).numpy()
        if was_training:
            net.train()
        return out

    def _last_hidden(self, histories: Sequence[np.ndarray], table: torch.Tensor) -> torch.Tensor:
        """(len(histories), d) hidden state after each history's last item (its newest max_len items)."""
        net = self.net
        L = self.params["max_len"]
        longest = max(1, min(L, max((len(h) for h in histories), default=1)))
        inp = np.full((len(histories), longest), net.pad, dtype=np.int64)
        for r, h in enumerate(histories):
            h = np.asarray(h)[-longest:]
            if len(h):
                inp[r, longest - len(h) :] = h
        return net.encode(torch.from_numpy(inp), table)[:, -1]

    # ------------------------------------------------------------------ persistence

    def _state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}

    def _set_state(self, a: dict[str, np.ndarray]) -> None:
        counts = a["items.counts"]
        content = a.get("items.content")
        self.net = self._build(counts.shape[0], counts, content)
        self.net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in a.items()})
        self.net.eval()
        self._table = None
