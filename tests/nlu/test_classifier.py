import numpy as np

from tools.nlu_templates import generate
from vidrec.nlu.classifier import IntentModel, default_model, fit
from vidrec.nlu.features import features, hashed
from vidrec.nlu.lexicon import Lexicon
from vidrec.nlu.slots import extract

LABELS = ("a", "b")


def test_fit_learns_and_round_trips(tmp_path):
    rows = [([1, 2], [1.0, 1.0])] * 5 + [([3, 4], [1.0, 1.0])] * 5
    labels = ["a"] * 5 + ["b"] * 5
    model = fit(rows, labels, l2=1e-3, min_count=1, label_set=LABELS)
    assert model.predict([1, 2], [1.0, 1.0]).argmax() == 0
    assert model.predict([3, 4], [1.0, 1.0]).argmax() == 1
    assert np.allclose(model.predict([999], [1.0]).sum(), 1.0)  # unknown features: the prior only
    path = tmp_path / "m.npz"
    model.save(path)
    again = IntentModel.load(path)
    assert again.labels == LABELS
    assert np.allclose(again.predict([1, 2], [1.0, 1.0]), model.predict([1, 2], [1.0, 1.0]), atol=1e-2)


def test_training_is_deterministic():
    lex = Lexicon.default()
    examples = generate(per_intent=20, seed=3)
    assert [e.text for e in examples] == [e.text for e in generate(per_intent=20, seed=3)]
    rows = [hashed(features(e.text, extract(e.text, lex), e.lang)) for e in examples]
    labels = [e.intent for e in examples]
    m1 = fit(rows, labels, max_iter=30)
    m2 = fit(rows, labels, max_iter=30)
    assert np.array_equal(m1.weights, m2.weights)


def test_shipped_model_is_documented():
    model = default_model()
    assert "trained_on" in model.card
    assert "SIMMC 2.0 (CC BY-NC-SA 4.0)" in model.card["trained_on"]["never_trained_on"]
