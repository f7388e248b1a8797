"""Every model through the same contract, on the tiny synthetic catalog."""

from __future__ import annotations

import numpy as np

from vidrec.learn.models import make_model

from .conftest import CATEGORIES, HashingEncoder
from .recommender_contract import RecommenderContract

SEQ = dict(
    dim=16, max_len=8, layers=1, heads=1, max_epochs=8, patience=8, batch_size=16, lr=0.01, dropout=0.1
)


class TestPopularity(RecommenderContract):
    personalised = False

    def make(self):
        return make_model("pop")


class TestItemKNN(RecommenderContract):
    def make(self):
        return make_model("itemknn", neighbours=20)


class ImplicitIterations:
    """The implicit-backed factor models report one progress call per iteration, whatever arity implicit's own
    callback has for that model class."""

    def test_one_progress_call_per_iteration(self, fitted, progress_calls):
        n = fitted.iterations
        assert progress_calls == [(i, n, fitted.name) for i in range(1, n + 1)]


class TestALS(ImplicitIterations, RecommenderContract):
    def make(self):
        return make_model("als", factors=8, iterations=8)


class TestBPR(ImplicitIterations, RecommenderContract):
    def make(self):
        return make_model("bpr", factors=8, iterations=60, learning_rate=0.05)


class TestSASRec(RecommenderContract):
    def make(self):
        return make_model("sasrec", **SEQ)


class TestSASRecCE(RecommenderContract):
    def make(self):
        return make_model("sasrec-ce", **SEQ)


def make_ours(**extra):
    m = make_model("ours", content_hidden=0, **SEQ, **extra)
    m.encoder = HashingEncoder()
    return m


class TestOurs(RecommenderContract):
    def make(self):
        return make_ours()


class TestOursSampledSoftmax(RecommenderContract):
    def make(self):
        return make_ours(loss="sampled", negatives=8)


def test_ours_ranks_a_brand_new_item_by_its_content(interactions, catalog):
    """Items with no interaction at all ("<category>-new") are scored from their text alone."""
    m = make_ours().fit(interactions, catalog)
    assert interactions.item_counts()[interactions.items.index["dress-new"]] == 0
    new_items = [f"{c}-new" for c in CATEGORIES]
    right = 0
    for user in interactions.users.ids:
        own = CATEGORIES[int(user[1:]) % len(CATEGORIES)]
        s = m.score(user, new_items)
        right += new_items[int(np.argmax(s))] == f"{own}-new"
    assert right >= 0.8 * interactions.n_users
    gate = m.net.items.id_gate().detach().numpy()
    assert gate[interactions.items.index["dress-new"]] == 0.0
    assert gate[interactions.items.index["dress-1"]] > 0.0


def test_content_model_needs_item_texts(interactions):
    import pytest

    from vidrec.errors import InputError

    with pytest.raises(InputError, match="needs item texts"):
        make_ours().fit(interactions, None)


def test_unknown_model_name():
    import pytest

    from vidrec.errors import InputError

    with pytest.raises(InputError, match="choose from"):
        make_model("magic")


def _tiny(rows):
    from vidrec.learn.interactions import InteractionsBuilder

    b = InteractionsBuilder()
    b.add([r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows], dtype=float))
    return b.build()


def test_short_histories_and_empty_history():
    """Users with one or two interactions: no validation users; the sequential model trains all its epochs."""
    inter = _tiny([("a", "x", 1), ("a", "y", 2), ("b", "y", 1), ("b", "z", 2), ("c", "x", 5)])
    m = make_model("sasrec-ce", **{**SEQ, "max_epochs": 2}).fit(inter)
    assert m.fit_info["epochs"] == 2
    assert m.knows_user("c")
    assert [i for i, _ in m.recommend("c", k=5)] and "x" not in [i for i, _ in m.recommend("c", k=5)]
    # an explicitly empty history carries no information: the popular items come back
    pop = make_model("pop").fit(inter)
    assert m.recommend("a", k=3, history=[], exclude_seen=False) == pop.recommend(
        "a", k=3, history=[], exclude_seen=False
    )


def test_sequential_model_needs_some_sequence():
    import pytest

    from vidrec.errors import InputError

    inter = _tiny([("a", "x", 1), ("b", "y", 1)])
    with pytest.raises(InputError, match="two or more interactions"):
        make_model("sasrec", **SEQ).fit(inter)
    assert make_model("pop").fit(inter).recommend("a", k=1) == [("y", 1.0)]


def test_item_table_gate_and_mean_prior():
    import torch

    from vidrec.learn.models.sequence_net import ItemTable

    counts = torch.tensor([0.0, 10.0, 30.0])
    content = torch.eye(3, 4)
    t = ItemTable(3, 4, counts, content=content, use_id=True, gate_init=10.0, id_prior="mean").eval()
    g = t.id_gate().detach()
    assert g[0] == 0 and 0 < g[1] < g[2] < 1
    table = t().detach()
    content_part = t.proj(t.content).detach()
    mean_id = t.ids.weight[1:].mean(dim=0).detach()
    # a new item: its content + the average ID
    torch.testing.assert_close(table[0], content_part[0] + mean_id)
    zero = ItemTable(3, 4, counts, content=content, use_id=True).eval()
    torch.testing.assert_close(zero()[0].detach(), zero.proj(zero.content)[0].detach())  # content alone


def test_item_table_seen_gate_is_a_residual_on_content():
    """gate_kind='seen': an item with data gets content + its whole ID vector, an item without gets content only."""
    import torch

    from vidrec.learn.models.sequence_net import ItemTable

    counts = torch.tensor([0.0, 1.0, 40.0])
    t = ItemTable(3, 4, counts, content=torch.eye(3, 4), gate_kind="seen", id_init_std=0.5).eval()
    torch.testing.assert_close(t.id_gate(), torch.tensor([0.0, 1.0, 1.0]))
    table, content_only = t.parts()
    torch.testing.assert_close(content_only, t.proj(t.content))
    torch.testing.assert_close(table[0], content_only[0])
    torch.testing.assert_close(table[1:], content_only[1:] + t.ids.weight[1:])
    assert not any(n == "gate_c" for n, _ in t.named_parameters())  # nothing to learn in a 0/1 gate


def test_content_loss_trains_the_content_path_to_rank_alone(interactions, catalog):
    """With the joint content-only loss, the items' content vectors alone rank each user's category first."""
    import torch

    m = make_ours(gate_kind="seen", id_init_std=0.0, content_loss=1.0).fit(interactions, catalog)
    assert m.params["content_loss"] == 1.0
    with torch.no_grad():
        _, content_only = m.net.items.parts()
    right = 0
    for user in interactions.users.ids:
        own = CATEGORIES[int(user[1:]) % len(CATEGORIES)]
        u = interactions.users.index[user]
        h = m.net.encode(torch.as_tensor(m.user_history(u)[None].astype(np.int64)), m.net.items())[0, -1]
        scores = (content_only @ h).detach().numpy()
        mine = [scores[i] for i, x in enumerate(interactions.items.ids) if x.startswith(own)]
        other = [scores[i] for i, x in enumerate(interactions.items.ids) if not x.startswith(own)]
        right += np.mean(mine) > np.mean(other)
    assert right >= 0.8 * interactions.n_users


def test_field_tokens_become_a_multi_hot_content_part(interactions, catalog, tmp_path):
    from vidrec.learn.items import ItemTexts, field_tokens, token_features

    assert field_tokens({"genres": "Action Comedy", "year": "1995", "price": "3"}) == [
        "genres=action",
        "genres=comedy",
        "decade=1990s",
    ]
    p = tmp_path / "ml.item"
    p.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "1\tA\t1995\tAction Comedy\n2\tB\t1991\tAction\n3\tC\t1960\tWestern\n",
        encoding="utf-8",
    )
    items = ItemTexts.from_file(p)
    f = token_features(["1", "2", "3", "unknown"], items)
    assert f.shape == (4, 2)  # genres=action and decade=1990s occur on two items; the rest on one
    np.testing.assert_allclose(np.linalg.norm(f[:2], axis=1), 1.0)
    assert not f[2:].any()
    store_items = ItemTexts.from_store_items(
        [{"id": "v", "title": "t", "profile": {"colors": ["Red", "white"]}}]
    )
    assert store_items.tokens == {"v": ["colors=red", "colors=white"]}
    m = make_ours(field_tokens=True).fit(interactions, catalog)  # the toy catalog has no fields: zero columns
    assert m.net.items.content.shape[1] == HashingEncoder.dim


def test_content_mixture_lifts_brand_new_items_into_the_top(interactions, catalog):
    """content_mix: (1-w) softmax(full) + w softmax(content only), one fit. A user's own-category new item (no
    interactions) reaches their top 5 more often than with the full table alone, and the scores are log-probs."""
    m = make_ours(gate_kind="seen", id_init_std=0.0, content_loss=1.0, content_mix=0.3).fit(
        interactions, catalog
    )

    def new_item_in_top5() -> int:
        hits = 0
        for user in interactions.users.ids:
            own = CATEGORIES[int(user[1:]) % len(CATEGORIES)]
            hits += f"{own}-new" in [i for i, _ in m.recommend(user, k=5)]
        return hits

    mixed = new_item_in_top5()
    probs = np.exp(m.score("u0").astype(np.float64))
    assert abs(probs.sum() - 1.0) < 1e-3
    m.params["content_mix"] = 0.0
    full_only = new_item_in_top5()
    assert mixed > full_only and mixed >= 0.5 * interactions.n_users


def test_a_model_saved_by_the_first_version_loads_with_its_behaviour(interactions, catalog, tmp_path):
    """meta.json of the first version has no gate_kind/content_loss/content_mix: it loads as count-gated, unmixed."""
    import json

    from vidrec.learn.models.base import Recommender

    old = make_ours(gate_kind="count", id_init_std=None, content_loss=0.0, content_mix=0.0).fit(
        interactions, catalog
    )
    old.save(tmp_path / "v1")
    meta_path = tmp_path / "v1" / "meta.json"
    meta = json.loads(meta_path.read_text())
    for k in ("gate_kind", "content_loss", "content_mix", "field_tokens"):
        del meta["params"][k]
    meta_path.write_text(json.dumps(meta))
    loaded = Recommender.load(tmp_path / "v1")
    assert loaded.params["gate_kind"] == "count" and loaded.params["content_mix"] == 0.0
    np.testing.assert_allclose(loaded.score("u2"), old.score("u2"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.score("u2"), loaded.score("u2"))  # served twice from the cached tables


def test_every_model_class_keeps_the_contract():
    """Each model `make_model` knows has a contract test class here (fitted with a progress callback)."""
    from vidrec.learn.models import MODEL_NAMES, model_class

    from .recommender_contract import RecommenderContract

    classes, todo = [], list(RecommenderContract.__subclasses__())
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo += cls.__subclasses__()
    tested = {type(cls().make()) for cls in classes}
    missing = sorted(n for n in MODEL_NAMES if model_class(n) not in tested)
    assert missing == [], f"no contract test for {missing}"
