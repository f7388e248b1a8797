"""SASRec (Kang & McAuley 2018): self-attentive sequential recommendation with ID embeddings only.

Default loss is the paper's binary cross-entropy with one sampled negative per position; `SASRecCE` ("sasrec-ce")
is the same network trained with full softmax cross-entropy, which the later literature found much stronger
(Klenitskiy & Vasilev 2023) - kept as a baseline so the content model is compared with the strongest ID-only one.
"""

from __future__ import annotations

import numpy as np
import torch

from vidrec.learn.models.sequence_net import ItemTable
from vidrec.learn.models.sequential import SequentialRecommender


class SASRec(SequentialRecommender):
    name = "sasrec"

    def __init__(self, loss: str = "bce", **params) -> None:
        super().__init__(loss=loss, **params)

    def _item_table(self, n_items: int, counts: np.ndarray, content: np.ndarray | None) -> ItemTable:
        return ItemTable(
            n_items, self.params["dim"], torch.as_tensor(np.asarray(counts)), content=None, use_id=True
        )


class SASRecCE(SASRec):
    name = "sasrec-ce"

    def __init__(self, loss: str = "ce", **params) -> None:
        super().__init__(loss=loss, **params)
