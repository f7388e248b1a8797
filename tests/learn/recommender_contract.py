"""The contract every recommender must keep (a mixin, as in implicit's test suite): subclass it with `make()`."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.learn.models.base import Recommender

from .conftest import CATEGORIES, category_of


class RecommenderContract:
    personalised = True

    def make(self) -> Recommender:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def fitted(self, interactions, catalog, progress_calls):
        # fitted with a progress callback, as the CLI does: a library calling it with another arity must fail here
        return self.make().fit(interactions, catalog, progress=lambda *call: progress_calls.append(call))

    def test_fit_returns_the_model(self, fitted):
        assert isinstance(fitted, Recommender)
        assert fitted.fit_seconds is not None and fitted.fit_seconds >= 0

    def test_progress_counts_up_to_its_total(self, fitted, progress_calls):
        assert progress_calls
        done = [d for d, _, _ in progress_calls]
        totals = {t for _, t, _ in progress_calls}
        assert len(totals) == 1 and all(isinstance(n, str) for _, _, n in progress_calls)
        assert done == sorted(done) and 1 <= done[0] and done[-1] <= totals.pop()

    def test_score_all_items_and_candidates(self, fitted, interactions):
        s = fitted.score("u0")
        assert s.shape == (interactions.n_items,)
        assert np.isfinite(s).all()
        c = fitted.score("u0", ["dress-1", "no-such-item", "kettle-2"])
        assert np.isfinite(c[[0, 2]]).all() and np.isnan(c[1])
        np.testing.assert_allclose(
            c[[0, 2]], s[[interactions.items.index["dress-1"], interactions.items.index["kettle-2"]]]
        )

    def test_recommend_excludes_seen_and_excluded(self, fitted):
        seen = set(fitted.history("u1"))
        assert seen
        recs = fitted.recommend("u1", k=5, exclude=["sneaker-0"])
        ids = [i for i, _ in recs]
        assert len(ids) == 5 == len(set(ids))
        assert not seen & set(ids) and "sneaker-0" not in ids
        scores = [s for _, s in recs]
        assert scores == sorted(scores, reverse=True)
        assert len(fitted.recommend("u1", k=1000)) == fitted.n_items - len(seen)

    def test_unknown_user_gets_popular_items(self, fitted, interactions):
        assert not fitted.knows_user("stranger") and fitted.knows_user("u0")
        counts = interactions.item_counts()
        recs = fitted.recommend("stranger", k=5)
        top = np.argsort(-counts, kind="stable")[:5]
        assert [i for i, _ in recs] == [interactions.items.ids[t] for t in top]

    def test_unknown_user_with_history(self, fitted):
        recs = fitted.recommend("stranger", k=5, history=["kettle-1", "kettle-2", "kettle-3", "nope"])
        ids = [i for i, _ in recs]
        assert len(ids) == 5 and not {"kettle-1", "kettle-2", "kettle-3"} & set(ids)

    def test_batch_scores_match_single(self, fitted, interactions):
        users = np.array([0, 1, 2])
        hists = [fitted.user_history(u) for u in users]
        batch = fitted.score_histories(users, hists)
        assert batch.shape == (3, interactions.n_items)
        np.testing.assert_allclose(batch[1], fitted.score(interactions.users.ids[1]), rtol=1e-5, atol=1e-6)

    def test_save_load_round_trip(self, fitted, tmp_path):
        fitted.save(tmp_path / "m")
        loaded = Recommender.load(tmp_path / "m")
        assert type(loaded) is type(fitted)
        np.testing.assert_allclose(loaded.score("u3"), fitted.score("u3"), rtol=1e-5, atol=1e-6)
        a, b = loaded.recommend("u3", k=5), fitted.recommend("u3", k=5)
        assert [i for i, _ in a] == [i for i, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
        assert loaded.recommend("stranger", k=3) == fitted.recommend("stranger", k=3)

    def test_same_seed_same_digits(self, interactions, catalog):
        a = self.make().fit(interactions, catalog)
        b = self.make().fit(interactions, catalog)
        np.testing.assert_array_equal(a.score("u5"), b.score("u5"))

    def test_learns_each_users_category(self, fitted, interactions):
        if not self.personalised:
            pytest.skip("not a personalised model")
        wins = 0
        users = [u for u in interactions.users.ids]
        for user in users:
            own = CATEGORIES[int(user[1:]) % len(CATEGORIES)]
            seen = set(fitted.history(user))
            s = fitted.score(user)
            ids = interactions.items.ids
            mine = [
                s[k] for k, i in enumerate(ids) if i not in seen and category_of(i) == own and "new" not in i
            ]
            other = [
                s[k] for k, i in enumerate(ids) if i not in seen and category_of(i) != own and "new" not in i
            ]
            wins += np.mean(mine) > np.mean(other)
        assert wins >= 0.8 * len(users)
