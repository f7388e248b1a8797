"""The dialog engine: one call per shopper message. The CLI, the HTTP API and the web page all go through it.

    engine = Engine(library)
    turn = engine.respond(session_id, "我想买一个红色的连衣裙", user_id="u1")

A turn understands the message (NLU), updates the session's state, then asks one clarifying question, recommends
3–5 items, answers a question about an item from its evidence, compares, or records feedback.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from vidrec.dialog.answers import answer, compare
from vidrec.dialog.policy import choose_question, price_option_range
from vidrec.dialog.ranking import Blend, blended_scores, diverse_page
from vidrec.dialog.replies import say, slot_name, small_talk
from vidrec.dialog.sessions import SessionLocks
from vidrec.dialog.state import DialogState
from vidrec.encoders.vectors import l2_normalise
from vidrec.errors import InputError, NotFoundError
from vidrec.learn.personal import user_taste
from vidrec.library import Library
from vidrec.nlu.language import reply_language
from vidrec.nlu.schema import Parse
from vidrec.recommend.search import Searcher
from vidrec.request import REGISTRY, Request, attribute_label
from vidrec.store.vector_index import Filter
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
CANDIDATES = 40
# An item whose category was inferred (not given) with less confidence than this, and whose runner-up categories
# include the one asked for, is still a candidate for that request, its score scaled down: a category that the
# pixels got wrong must not hide the product for the whole conversation.
UNSURE_CATEGORY = 0.6
UNSURE_CATEGORY_PENALTY = 0.85
# In a "buy"-sounding message with no ordinal, any attribute but these states a wish, not a purchase ("I'd like it
# in black"); a size does not ("I'll take it in XL").
NOT_A_WISH = ("size",)
# Attributes that make a critique a change of request ("something more formal"), not a move in feature space.
CRITIQUE_ATTRIBUTES = ("colour", "usage", "material", "pattern", "gender")
# "Any is fine" as the answer to a question: the shopper has no preference on that slot, so show items.
NO_PREFERENCE = re.compile(
    r"(都可以|都行|随便|无所谓|不限|没有要求|没要求|不挑|都好|哪个都|什么都|直接推荐|先看看)"
    r"|\b(any(thing|one)?( is| are)? (fine|ok|okay|good)|no preference|doesn'?t matter|don'?t care|whatever|"
    r"either|any of them|just show me|surprise me|not sure)\b", re.IGNORECASE)
FEEDBACK_LIKE = 0.35  # Rocchio weights: how far likes pull and rejects push the query vector
FEEDBACK_REJECT = 0.15
PIVOT_WEIGHT = 0.8
# What a numbered reference is about when a question is pending and items were shown: the item.
ABOUT_ITEMS = ("like", "reject", "buy", "ask_detail", "compare")


class TurnItem(BaseModel):
    id: str
    title: str
    price: float | None = None
    video: str
    start: float | None = None
    thumbnail: str | None = None
    why: str = ""


class Turn(BaseModel):
    """One reply. Also the JSON line of `vidrec chat --jsonl` and the body of the HTTP API's message endpoint."""

    session_id: str
    reply: str
    lang: str
    intent: str
    slots: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)
    items: list[TurnItem] = Field(default_factory=list)
    question: dict[str, Any] | None = None
    table: list[dict[str, Any]] | None = None  # compare: attribute rows


ButtonEvent = Literal["like", "reject", "cart"]


class FeedbackResult(BaseModel):
    """What a button on a card (like / not this / add to cart) did to its session."""

    reply: str
    lang: str
    replacement: TurnItem | None = None  # "not this": the item now shown in the rejected one's place
    shown: list[str]
    state: dict[str, Any]


class Engine:
    """Conversational recommender over one library (store opened for writing: sessions and interactions)."""

    def __init__(self, library: Library, *, user_model=None, page_size: int = 4, text_encoder=None,
                 thumbnail_url: str | None = "/v1/items/{id}/thumbnail", ask_questions: bool = True,
                 blend: Blend | None = None):
        self.library = library
        self.searcher = Searcher(library, text_encoder=text_encoder, candidates=200)
        self.text = self.searcher.text
        self.user_model = user_model
        self.page_size = page_size
        self.thumbnail_url = thumbnail_url
        self.ask_questions = ask_questions
        self.blend = blend or Blend()
        self.lexicon = self.searcher.lexicon
        self.sessions = SessionLocks()
        self._by_category, self._unsure = self._category_index()

    # ------------------------------------------------------------------------------------------------ sessions

    def load_state(self, session_id: str) -> DialogState | None:
        row = self.library.session(session_id)
        if row is None:
            return None
        return DialogState.model_validate(row["state"])

    def _save_state(self, state: DialogState, owner: str | None) -> None:
        self.library.save_session(state.session_id, state.model_dump(), owner=owner)

    def _category_index(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """category -> the items filed under it, and category -> items filed elsewhere by an unsure inference that
        names it as runner-up."""
        filed: dict[str, set[str]] = {}
        unsure: dict[str, set[str]] = {}
        for profile in self.library.profiles():
            cat = profile.attributes.get("category")
            if cat is None:
                continue
            filed.setdefault(str(cat.value), set()).add(profile.id)
            if cat.source == "metadata" or cat.confidence >= UNSURE_CATEGORY:
                continue
            for other in cat.conflicts:
                value = other.get("value")
                if value and value != cat.value:
                    unsure.setdefault(str(value), set()).add(profile.id)
        return filed, unsure

    # ------------------------------------------------------------------------------------------------ the turn
    def respond(self, session_id: str | None, text: str, user_id: str | None = None,
                owner: str | None = None) -> Turn:
        """Answer one message. An unknown or missing session id starts a new session with that id."""
        if not isinstance(text, str):
            raise InputError("text must be a string")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputError(f"message is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
        session_id = session_id or uuid.uuid4().hex
        with self.sessions.hold(session_id):
            state = self.load_state(session_id) or DialogState(session_id=session_id, user_id=user_id)
            if user_id:
                state.user_id = user_id
            turn = self._respond(state, text)
            self._end_turn(state, owner, text=text[:200], intent=turn.intent, items=[i.id for i in turn.items],
                           question=turn.question["slot"] if turn.question else None)
            turn.state = self.state_view(state)
            return turn

    def feedback(self, session_id: str, item_id: str, event: ButtonEvent, owner: str | None = None) -> FeedbackResult:
        """A button on a card, applied to a session that exists (NotFoundError otherwise).

        A button is not a sentence, so it skips the NLU: it changes the state as the matching intent would, records
        the interaction for the session's user and counts as a turn. "Not this" also puts one replacement — the
        best item not shown in this request yet — in the rejected card's place, so "the second one" still means
        the second card on the screen.
        """
        if event not in ("like", "reject", "cart"):
            raise InputError(f"unknown button {event!r}; use like, reject or cart")
        with self.sessions.hold(session_id):
            state = self.load_state(session_id)
            if state is None:
                raise NotFoundError(f"no session {session_id!r}; start one with a message first")
            profile = self.library.profile(item_id)
            if profile is None:
                raise NotFoundError(f"no item {item_id!r} in this catalog")
            lang = state.lang
            replacement = None
            if event == "reject":
                state.rejected = list(dict.fromkeys([*state.rejected, item_id]))
                state.liked = [i for i in state.liked if i != item_id]
                if state.pivot == item_id:
                    state.pivot = None
                self._record(state, [item_id], "reject")
                was_shown = item_id in state.last_shown
                replacement, dropped = self._replacement(state, item_id) if was_shown else (None, None)
                if replacement is not None:
                    state.last_shown = [replacement.id if i == item_id else i for i in state.last_shown]
                    state.shown = list(dict.fromkeys([*state.shown, replacement.id]))
                    self._record(state, [replacement.id], "view")
                else:
                    state.last_shown = [i for i in state.last_shown if i != item_id]
                if dropped is not None:
                    reply = say("rejected_close", lang, state.turn, slot=attribute_label(dropped, lang))
                elif was_shown and replacement is None:
                    reply = say("rejected_none", lang, state.turn)
                else:
                    reply = say("rejected", lang, state.turn)
            elif event == "like":
                state.liked = list(dict.fromkeys([*state.liked, item_id]))
                state.pivot = state.focus = item_id
                self._record(state, [item_id], "like")
                reply = say("liked", lang, state.turn)
            else:
                state.cart = list(dict.fromkeys([*state.cart, item_id]))
                state.focus = item_id
                self._record(state, [item_id], "cart")
                reply = say("cart", lang, state.turn, title=profile.display_title())
            self._end_turn(state, owner, text=f"[{event} {item_id}]", intent=event, items=[item_id], question=None)
            return FeedbackResult(reply=reply, lang=lang, replacement=replacement, shown=list(state.last_shown),
                                  state=self.state_view(state))

    def _replacement(self, state: DialogState, rejected: str) -> tuple[TurnItem | None, str | None]:
        """The best item for the session's request not shown yet (asks nothing, records nothing), and None; when
        every match has been shown, the best unshown item with one condition of the request dropped and the name
        of that condition (the category is dropped last), so a rejected card is replaced by a close match that the
        reply says is one rather than vanishing."""
        probe = state.model_copy(deep=True)
        probe.user_id = None
        probe.shown = list(dict.fromkeys([*probe.shown, *probe.last_shown, rejected]))
        names = [a.name for a in REGISTRY if state.request.get(a.name) is not None
                 or any(v is not None for v in state.request.range(a.name))]
        names.sort(key=lambda n: n == "category")  # the kind of item is what the shopper asked for first
        for dropped in (None, *names):
            probe.request = state.request if dropped is None else state.request.without(dropped)
            turn = self._recommend(probe, Turn(session_id=state.session_id, reply="", lang=state.lang,
                                               intent="reject"), page=True)
            item = next((i for i in turn.items if i.id not in state.last_shown and i.id not in state.rejected), None)
            if item is not None:
                return item, dropped
        return None, None

    def _end_turn(self, state: DialogState, owner: str | None, **entry: Any) -> None:
        state.turn += 1
        state.history = [*state.history, entry][-50:]
        self._save_state(state, owner)

    @staticmethod
    def state_view(state: DialogState) -> dict[str, Any]:
        return {"constraints": state.request.model_dump(), "query": state.query, "critiques": state.critiques,
                "liked": state.liked, "rejected": state.rejected, "cart": state.cart, "shown": state.last_shown,
                "turn": state.turn + 1, "pending_question": state.pending_question}

    def _respond(self, state: DialogState, text: str) -> Turn:
        from vidrec.nlu import parse

        parsed = parse(text, context={"lexicon": self.lexicon, "shown": len(state.last_shown)})
        lang = reply_language(text, parsed.lang, state.lang)
        state.lang = lang
        asked = parsed.request
        intent = parsed.intent
        turn = Turn(session_id=state.session_id, reply="", lang=lang, intent=intent, slots=parsed.slot_values())
        if len(self.library) == 0:
            turn.reply = say("empty_catalog", lang, state.turn)
            return turn

        if intent in ("more", "buy") and not state.last_shown and not state.focus:
            # nothing shown yet to page through or to buy ("show me some clothes", "我想买衣服", "I'd like it in
            # grey" after a question): a request, or more of the one under way
            under_way = bool(state.request.known() or state.query)
            intent = turn.intent = "refine" if under_way and asked.get("category") is None else "search"
        pointed = bool(parsed.refs.item_refs) or parsed.refs.item_ref not in (None, 0)
        if intent == "buy" and not pointed and asked.without(*NOT_A_WISH):
            intent = turn.intent = "refine"  # "I'd like it in black", "想要黑色的": a wish, not "add it to my cart"
        answered = self._apply_answer(state, text, parsed)
        if answered and intent in ("chitchat", "search", "more", "like", "buy"):
            intent = turn.intent = "refine"

        if intent == "reset":
            state.reset()
            turn.reply = say("reset", lang, state.turn)
            return turn
        if intent == "chitchat":
            turn.reply = say(small_talk(text), lang, state.turn)
            return turn
        if intent == "search":
            if self._is_new_request(state, asked):
                state.new_request()
            state.query = text
            self._apply_request(state, parsed)
            return self._recommend(state, turn)
        if intent == "refine":
            self._apply_request(state, parsed)
            return self._recommend(state, turn)
        if intent == "critique":
            self._apply_critique(state, text, parsed)
            return self._recommend(state, turn)
        if intent == "more":
            self._apply_request(state, parsed)
            return self._recommend(state, turn, page=True)
        if intent in ("reject", "like", "buy", "ask_detail", "compare"):
            return self._about_items(state, turn, intent, parsed, text)
        turn.reply = say("unclear", lang, state.turn)
        return turn

    # ------------------------------------------------------------------------------------------------ state
    def _is_new_request(self, state: DialogState, asked: Request) -> bool:
        new_cat = asked.get("category")
        current = state.request.get("category")
        return not current or (new_cat is not None and new_cat != current) or (new_cat is None and not state.last_shown)

    def _apply_request(self, state: DialogState, parsed: Parse, request: Request | None = None) -> None:
        """The message's request (default: all of it) merged into the session's; a pending question the message
        answers (its attribute named, or "cheaper" for the budget) is no longer pending."""
        request = parsed.request if request is None else request
        state.request = state.request.merge(request)
        named = {*request.known(), *parsed.refs.model_dump(exclude_none=True)}
        if parsed.price_direction is not None:
            named.add("price_direction")
        if state.pending_question and state.pending_question in {"price" if k.startswith("price") else k
                                                                 for k in named}:
            state.pending_question = None

    def _apply_answer(self, state: DialogState, text: str, parsed: Parse) -> bool:
        """An answer to the last question: a value of its attribute, or one of the offered options by name or
        number."""
        slot = state.pending_question
        if not slot:
            return False
        attribute = REGISTRY.get(slot)
        if attribute.compare == "range":
            if any(v is not None for v in parsed.request.range(slot)):
                return True
        elif parsed.request.get(slot) is not None:
            return True
        if NO_PREFERENCE.search(text):
            state.pending_question = None
            state.pending_options = []
            return True
        options = state.pending_options
        chosen = None
        lowered = text.strip().lower()
        for opt in options:
            if opt.lower() in lowered:
                chosen = opt
        ref = parsed.refs.item_ref
        if state.last_shown and parsed.intent in ABOUT_ITEMS:
            ref = None  # "I like the 2nd one" with items on screen is about the item, not the question's option
        if chosen is None and ref and options and 1 <= ref <= len(options):
            chosen = options[ref - 1]
        if chosen is None:
            return False
        if attribute.compare == "range":
            state.request.set_range(*price_option_range(chosen), name=slot)
        else:
            state.request.set(slot, [chosen] if attribute.multi else chosen)
        state.pending_question = None
        state.pending_options = []
        return True

    def _apply_critique(self, state: DialogState, text: str, parsed: Parse) -> None:
        r = state.request
        shown = [p for p in (self.library.profile(i) for i in state.last_shown) if p is not None]
        prices = [float(p.value("price")) for p in shown if isinstance(p.value("price"), (int, float))]
        direction = parsed.price_direction
        lo, hi = r.range("price")
        if direction == "lower":
            ref = min(prices) if prices else (hi or 0)
            if ref:
                hi = round(ref - 0.01, 2)
                r.set_range(None if lo is not None and lo >= hi else lo, hi)
        elif direction == "higher":
            ref = max(prices) if prices else (lo or 0)
            if ref:
                lo = round(ref + 0.01, 2)
                r.set_range(lo, None if hi is not None and hi <= lo else hi)
        self._apply_request(state, parsed, parsed.request.without("price"))
        if not direction and not any(parsed.request.get(a) is not None for a in CRITIQUE_ATTRIBUTES):
            state.critiques = [*state.critiques[-2:], text]  # a move in feature space ("深一点的颜色")
        if shown and direction is None:
            state.rejected = sorted(set(state.rejected))  # critiques keep shown items eligible, just ranked lower

    # ------------------------------------------------------------------------------------------------ items
    def _resolve_refs(self, state: DialogState, parsed: Parse) -> tuple[list[str], str | None]:
        """Item ids the message points at, or an error reply key."""
        refs = parsed.refs.positions()
        shown = state.last_shown
        if not refs:
            return [], None
        ids = []
        for r in refs:
            if r == 0:
                if state.focus:
                    ids.append(state.focus)
                elif len(shown) == 1:
                    ids.append(shown[0])
                else:
                    return [], "no_ref"
            elif r < 0 and shown and -r <= len(shown):
                ids.append(shown[r])
            elif 1 <= r <= len(shown):
                ids.append(shown[r - 1])
            else:
                return [], "bad_ref"
        return list(dict.fromkeys(ids)), None

    def _about_items(self, state: DialogState, turn: Turn, intent: str, parsed: Parse, text: str) -> Turn:
        lang = turn.lang
        ids, problem = self._resolve_refs(state, parsed)
        if problem:
            if not state.last_shown:
                return self._recommend(state, turn) if intent not in ("ask_detail", "compare", "buy") else \
                    self._reply(turn, say("no_ref", lang, state.turn))
            return self._reply(turn, say(problem, lang, state.turn, n=len(state.last_shown)))
        if intent == "reject":
            brands, colours = parsed.request.all("brand"), parsed.request.all("colour")
            if not ids and brands:
                state.request.exclude("brand", brands[:1])
            elif not ids and colours:
                state.request.exclude("colour", colours, keep_wanted=True)
            else:
                ids = ids or list(state.last_shown)
                state.rejected = list(dict.fromkeys([*state.rejected, *ids]))
                state.liked = [i for i in state.liked if i not in ids]
                self._record(state, ids, "reject")
            ack = say("rejected", lang, state.turn)
            turn = self._recommend(state, turn)
            turn.reply = f"{ack}{'' if lang == 'zh' else ' '}{turn.reply}"
            return turn
        if intent == "like":
            if not ids:
                ids = [state.focus] if state.focus else []
            if not ids:
                return self._reply(turn, say("no_ref", lang, state.turn))
            state.liked = list(dict.fromkeys([*state.liked, *ids]))
            state.pivot = ids[0]
            state.focus = ids[0]
            self._record(state, ids, "like")
            ack = say("liked", lang, state.turn)
            turn = self._recommend(state, turn)
            turn.reply = f"{ack}{'' if lang == 'zh' else ' '}{turn.reply}"
            return turn
        if not ids:
            if state.focus:
                ids = [state.focus]
            elif len(state.last_shown) == 1:
                ids = list(state.last_shown)
            elif intent == "compare" and len(state.last_shown) >= 2:
                ids = state.last_shown[:2]
            else:
                return self._reply(turn, say("no_ref", lang, state.turn))
        profiles = [p for p in (self.library.profile(i) for i in ids) if p is not None]
        if intent == "buy":
            state.cart = list(dict.fromkeys([*state.cart, *ids]))
            state.focus = ids[0]
            self._record(state, ids, "cart")
            titles = "、".join(p.display_title() for p in profiles) if lang == "zh" else \
                ", ".join(p.display_title() for p in profiles)
            turn.items = [self._item(p, "") for p in profiles]
            return self._reply(turn, say("cart", lang, state.turn, title=titles))
        if intent == "compare":
            if len(profiles) < 2:
                profiles = [p for p in (self.library.profile(i) for i in state.last_shown[:2]) if p is not None]
            reply, table = compare(profiles, lang)
            turn.table = table
            turn.items = [self._item(p, "") for p in profiles]
            return self._reply(turn, reply)
        # ask_detail
        state.focus = ids[0]
        attribute = parsed.refs.attribute
        replies = [answer(p, attribute, lang) for p in profiles]
        turn.items = [self._item(p, "") for p in profiles]
        return self._reply(turn, "\n".join(replies))

    @staticmethod
    def _reply(turn: Turn, text: str) -> Turn:
        turn.reply = text
        return turn

    def _record(self, state: DialogState, ids: list[str], event: str) -> None:
        if not state.user_id:
            return
        for i in ids:
            self.library.record(state.user_id, i, event, session_id=state.session_id)

    # ------------------------------------------------------------------------------------------------ recommend
    def _query_text(self, state: DialogState) -> str:
        r = state.request
        words = [state.query, *state.critiques]
        tax: Taxonomy = self.library.taxonomy
        category = r.get("category")
        if category:
            t = tax.lookup(category)
            words += [category] + ([t.en_name, t.zh_name] if t else [])
        for col in r.all("colour"):
            t = COLOUR_VOCABULARY.lookup(col)
            words += [col] + ([t.zh_name] if t else [])
        words += [x for x in (r.get(a) for a in ("usage", "material", "pattern", "season", "gender")) if x]
        return " ".join(dict.fromkeys(w for w in words if w)).strip()

    def _query_vector(self, state: DialogState, text: str) -> np.ndarray:
        q = self.text.encode([text or " "], kind="query")[0]
        vec = self.library.vector
        if state.pivot:
            v = vec(state.pivot)
            if v is not None:
                q = (1 - PIVOT_WEIGHT) * q + PIVOT_WEIGHT * v
        liked = [v for v in (vec(i) for i in state.liked if i != state.pivot) if v is not None]
        rejected = [v for v in (vec(i) for i in state.rejected[-10:]) if v is not None]
        if liked:
            q = q + FEEDBACK_LIKE * np.mean(liked, axis=0)
        if rejected:
            q = q - FEEDBACK_REJECT * np.mean(rejected, axis=0)
        return l2_normalise(q).astype(np.float32)

    def _recommend(self, state: DialogState, turn: Turn, page: bool = False) -> Turn:
        lang = turn.lang
        exclude = set(state.rejected) | set(state.cart)
        if page or state.pivot:
            exclude |= set(state.shown)
        text = self._query_text(state)
        base = Filter(exclude_item_ids=exclude or None)
        qv = self._query_vector(state, text)
        hits = self._search(text, state.request, state.lang, base, qv)
        if not hits:  # the last list stays what "the first one" refers to
            # after "more" or a like, what is left out is only what was shown: nothing else matches, but that does
            if (page or state.pivot) and state.shown:
                turn.reply = say("no_more", lang, state.turn)
            else:
                turn.reply = say("none", lang, state.turn)
            return turn
        profiles = {h.id: self.library.profile(h.id) for h in hits}
        known = state.request.known()
        if "price_min" in known or "price_max" in known:
            known.add("price")
        last_asked = bool(state.history and state.history[-1].get("question"))
        if self.ask_questions and not page and not state.pivot and not state.liked:
            weights = list(np.exp(np.array([h.score for h in hits]) * 5.0))
            question = choose_question([profiles[h.id] for h in hits], weights, known, state.asked, last_asked)
            if question is not None:
                state.pending_question = question.slot
                state.asked.append(question.slot)
                turn.question = question.to_dict()
                options = [_option_label(question.slot, o, lang) for o in question.options]
                sep = "、" if lang == "zh" else ", "
                turn.reply = say("ask", lang, state.turn, slot=slot_name(question.slot, lang)) + \
                    (f"（{sep.join(options)}）" if lang == "zh" else f" ({sep.join(options)})")
                state.pending_options = list(question.options)
                return turn
        chosen = self._rerank(state, hits, profiles)
        state.last_shown = [h.id for h in chosen]
        state.shown = list(dict.fromkeys([*state.shown, *state.last_shown]))
        state.focus = None
        self._record(state, state.last_shown, "view")
        turn.items = [self._item(profiles[h.id], h.why, h.start) for h in chosen]
        shown = [profiles[h.id] for h in chosen]
        colours = state.request.all("colour")
        if colours and not page and not any(p is not None and p.shows_colour(colours) for p in shown):
            # colour ranks, it does not filter: say so when none of the items has the colour asked for
            turn.reply = say("recommend_other_colour", lang, state.turn, what=self._what(state, lang),
                             closest=self._what(state, lang, with_colour=False))
        else:
            turn.reply = say("recommend_more" if page else "recommend", lang, state.turn, what=self._what(state, lang))
        return turn

    def _search(self, text: str, request: Request, lang: str, base: Filter, qv: np.ndarray) -> list:
        """Candidates for the request. Items filed under another category by an unsure guess, with the asked-for
        category as runner-up, compete in the same search (one scale of scores), their scores scaled down.
        The query text already names the request's values in both languages: no expansion."""
        unsure = set()
        categories = request.all("category")
        for category in categories:
            unsure |= self._unsure.get(category, set())
        unsure -= base.exclude_item_ids or set()
        if not unsure:
            return self.searcher.search(text or " ", k=CANDIDATES, parsed=request, lang=lang, base_filter=base,
                                        query_vector=qv, expand=False).results
        sure = set().union(*(self._by_category.get(c, set()) for c in categories))
        scope = dataclasses.replace(base, item_ids=sure | unsure)
        hits = self.searcher.search(text or " ", k=CANDIDATES, parsed=request.without("category"), lang=lang,
                                    base_filter=scope, query_vector=qv, expand=False).results
        for h in hits:
            if h.id in unsure:
                h.score = round(h.score * UNSURE_CATEGORY_PENALTY, 4)
        return sorted(hits, key=lambda h: -h.score)

    def _what(self, state: DialogState, lang: str, with_colour: bool = True) -> str:
        colours, category = state.request.all("colour"), state.request.get("category")
        colour = COLOUR_VOCABULARY.lookup(colours[0]) if colours and with_colour else None
        if not category:
            if colour is not None:
                return colour.zh_name + "的商品" if lang == "zh" else colour.canonical.lower() + " items"
            return "商品" if lang == "zh" else "items"
        t = self.library.taxonomy.lookup(category)
        if lang == "zh":
            return (colour.zh_name if colour else "") + (t.zh_name if t else category)
        return ((colour.canonical.lower() + " ") if colour else "") + (t.en_name if t else category.lower())

    def _rerank(self, state: DialogState, hits: list, profiles: dict[str, ItemProfile | None]) -> list:
        ids = [h.id for h in hits]
        user_scores = user_taste(self.user_model, state.user_id)
        scores = blended_scores(ids, [h.score for h in hits], profiles, user_scores=user_scores,
                                popularity=self.library.popularity(), season=state.request.get("season"),
                                blend=self.blend)
        vectors = self.library.vectors(ids, "image")
        return [hits[j] for j in diverse_page(scores, vectors, self.page_size, self.blend)]

    def _item(self, profile: ItemProfile, why: str, start: float | None = None) -> TurnItem:
        price = profile.value("price")
        if start is None and profile.shots:
            start = profile.shots[0].start
        return TurnItem(id=profile.id, title=profile.display_title(),
                        price=float(price) if isinstance(price, (int, float)) else None, video=profile.video,
                        start=start, why=why,
                        thumbnail=self.thumbnail_url.format(id=profile.id) if self.thumbnail_url else None)


def _option_label(slot: str, option: str, lang: str) -> str:
    from vidrec.dialog.answers import value_text

    if slot == "price" or lang != "zh":
        return option
    return value_text(slot, option, lang)
