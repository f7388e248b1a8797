"""Learning from interaction logs: load, split, train, evaluate, serve.

    from vidrec.learn import load_interactions, ItemTexts, leave_last_out, Evaluator, make_model

    inter = load_interactions("ml-100k/")                   # CSV / Parquet / RecBole .inter, streamed
    items = ItemTexts.from_file("ml-100k/ml-100k.item")     # id -> text (or from the store)
    split = leave_last_out(inter.with_items(items.ids()))
    model = make_model("content-seq").fit(split.train, items, valid=split.valid)
    report = Evaluator(split).evaluate(model)                # NDCG/Recall/HR/Precision/F1 @5/10/20 + CIs
    model.recommend("196", k=10)

Modules: `interactions` (loading rules), `items` (item texts, content features), `split`, `metrics`, `evaluate`,
`matrix` (sparse matrices built incrementally), `models` (the contract and every model), `store_data` (the vidrec
store as training data), `trained` (the store's current model, as chat, the server, `search --user` and
`recommend` load it), `personal` (what a user's taste does to a ranking); the CLI is in `vidrec.cli.learn`. The one
table of how much each event weighs is `interactions.EVENT_STRENGTH` / `event_weight`.

Scale-out path (not built): interactions are sharded by user (`load_interactions(..., user_shard=(i, n))`), so each
worker holds whole histories; the sequential models are plain `torch.nn.Module`s trained with Adam on batches of
user sequences, which is what Ray Train's `TorchTrainer` (DDP) runs unchanged, one shard per worker. For catalogs
whose item table no longer fits one machine, the ID embeddings move to TorchRec's sharded `EmbeddingCollection`
while the content projection stays data-parallel, and the full softmax switches to the sampled one
(`loss="sampled"`, already the default above 100k items).
"""

from vidrec.learn.evaluate import Evaluator, ModelReport
from vidrec.learn.interactions import Interactions, interactions_from_records, load_interactions
from vidrec.learn.items import ItemTexts, content_features
from vidrec.learn.models import MODEL_NAMES, Recommender, load_model, make_model
from vidrec.learn.split import Split, leave_last_out

__all__ = [
    "MODEL_NAMES",
    "Evaluator",
    "Interactions",
    "ItemTexts",
    "ModelReport",
    "Recommender",
    "Split",
    "content_features",
    "interactions_from_records",
    "leave_last_out",
    "load_interactions",
    "load_model",
    "make_model",
]
