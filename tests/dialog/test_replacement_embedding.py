""""Not this" once every match is on screen: the replacement probes drop one condition at a time, and rank by the
session's own query vector (one query embedding a press at most, not one per dropped condition)."""

import pytest

from vidrec.dialog.engine import Engine
from vidrec.dialog.fit import conditions, fit
from vidrec.library import Library
from vidrec.request import attribute_label


@pytest.fixture(scope="module")
def library(demo_store):
    lib = Library.open(demo_store, readonly=False, memory_sessions=True)
    yield lib
    lib.close()


class CountingEncoder:
    """The engine's own text encoder, counting the query texts it embeds."""

    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim
        self.queries: list[str] = []

    def encode(self, texts, kind="passage"):
        if kind == "query":
            self.queries.extend(texts)
        return self.inner.encode(texts, kind=kind)


def _engine_showing_every_match(library, text):
    """An engine whose first page is exactly the request's matches, and that page."""
    probe = Engine(library, ask_questions=False)
    request = probe.load_state(probe.respond(None, text).session_id).request
    matches = [p.id for p in library.profiles() if fit(p, request).match]
    assert matches, request
    engine = Engine(library, page_size=len(matches), ask_questions=False)
    counting = CountingEncoder(engine.text)
    engine.text = engine.searcher.text = counting
    turn = engine.respond(None, text)
    assert sorted(i.id for i in turn.items) == sorted(matches)
    return engine, counting, turn


@pytest.mark.parametrize("text, lang", [("black skirts under 200 yuan", "en"), ("200元以内的黑色半身裙", "zh")])
def test_a_replacement_embeds_at_most_one_query_and_meets_the_relaxed_request(library, text, lang):
    engine, counting, turn = _engine_showing_every_match(library, text)
    request = engine.load_state(turn.session_id).request
    assert len(conditions(request)) >= 2  # a kind, a colour and a budget: several probes before a replacement

    shown = [i.id for i in turn.items]
    card = shown[0]
    for _ in range(2):  # the second press relaxes again, past the first replacement
        counting.queries.clear()
        result = engine.feedback(turn.session_id, card, "reject")
        assert len(counting.queries) <= 1, counting.queries
        assert result.replacement is not None
        assert result.replacement.id not in shown
        profile = library.profile(result.replacement.id)
        assert not fit(profile, request).match  # every match was on screen: this is a close match
        relaxed = [n for n in conditions(request) if fit(profile, request.without(n)).match]
        assert relaxed, "the replacement meets the request with one condition dropped"
        # the reply names a condition the card does not meet
        assert any(attribute_label(n, lang) in result.reply for n in relaxed), result.reply
        shown.append(result.replacement.id)
        card = result.replacement.id


def test_a_match_left_unshown_still_comes_first_without_a_new_embedding(library):
    engine, counting, turn = _engine_showing_every_match(library, "show me some shirts")
    shirts = [i.id for i in turn.items]
    small = Engine(library, page_size=len(shirts) - 1, ask_questions=False)
    small.text = small.searcher.text = counting
    first = small.respond(None, "show me some shirts")
    counting.queries.clear()
    result = small.feedback(first.session_id, first.items[0].id, "reject")
    assert len(counting.queries) <= 1, counting.queries
    assert result.replacement is not None and result.replacement.id in set(shirts) - {i.id for i in first.items}
    assert fit(library.profile(result.replacement.id), small.load_state(first.session_id).request).match
