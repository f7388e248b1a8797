"""The dialog engine: one call per shopper message. The CLI, the HTTP API and the web page all go through it.

    engine = Engine(library)
    turn = engine.respond(session_id, "我想买一个红色的连衣裙", user_id="u1")

A turn understands the message (NLU), updates the session's state, then asks one clarifying question, recommends
3–5 items, answers a question about an item from its evidence, compares, or records feedback.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from vidrec.dialog.answers import answer, compare
from vidrec.dialog.policy import choose_question, price_option_range
from vidrec.dialog.replies import say, slot_name
from vidrec.dialog.state import DialogState
from vidrec.errors import InputError
from vidrec.library import Library
from vidrec.recommend.query import ParsedQuery, detect_lang
from vidrec.recommend.search import Searcher
from vidrec.store.vector_index import Filter
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
CANDIDATES = 40
FEEDBACK_LIKE = 0.35  # Rocchio weights: how far likes pull and rejects push the query vector
FEEDBACK_REJECT = 0.15
PIVOT_WEIGHT = 0.8
USER_MODEL_WEIGHT = 0.15
POPULARITY_WEIGHT = 0.03
MMR_LAMBDA = 0.75
NEAR_DUPLICATE = 0.97


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


class Engine:
    """Conversational recommender over one library (store opened for writing: sessions and interactions)."""

    def __init__(self, library: Library, *, user_model=None, page_size: int = 4, text_encoder=None,
                 thumbnail_url: str | None = "/v1/items/{id}/thumbnail", ask_questions: bool = True):
        self.library = library
        self.searcher = Searcher(library, text_encoder=text_encoder, candidates=200)
        self.text = self.searcher.text
        self.user_model = user_model
        self.page_size = page_size
        self.thumbnail_url = thumbnail_url
        self.ask_questions = ask_questions
        self.lexicon = library.lexicon()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._popularity = self._load_popularity()

    # ------------------------------------------------------------------------------------------------ sessions
    def _lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def load_state(self, session_id: str) -> DialogState | None:
        row = self.library.metadata.get_session(session_id)
        if row is None:
            return None
        return DialogState.model_validate(row["state"])

    def _save_state(self, state: DialogState, owner: str | None) -> None:
        self.library.metadata.put_session(state.session_id, state.model_dump(), owner=owner)

    def _load_popularity(self) -> dict[str, float]:
        counts: dict[str, float] = {}
        weights = {"view": 0.2, "like": 1.0, "cart": 2.0, "buy": 3.0, "purchase": 3.0, "reject": -0.5}
        for row in self.library.metadata.interactions():
            counts[row.item_id] = counts.get(row.item_id, 0.0) + weights.get(row.event, 0.5)
        if not counts:
            return {}
        top = max(counts.values()) or 1.0
        return {k: max(0.0, v) / top for k, v in counts.items()}

    # ------------------------------------------------------------------------------------------------ the turn
    def respond(self, session_id: str | None, text: str, user_id: str | None = None,
                owner: str | None = None) -> Turn:
        """Answer one message. An unknown or missing session id starts a new session with that id."""
        if not isinstance(text, str):
            raise InputError("text must be a string")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputError(f"message is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
        session_id = session_id or uuid.uuid4().hex
        with self._lock(session_id):
            state = self.load_state(session_id) or DialogState(session_id=session_id, user_id=user_id)
            if user_id:
                state.user_id = user_id
            turn = self._respond(state, text)
            state.turn += 1
            state.history.append({"text": text[:200], "intent": turn.intent, "items": [i.id for i in turn.items],
                                  "question": turn.question["slot"] if turn.question else None})
            state.history = state.history[-50:]
            self._save_state(state, owner)
            turn.state = self.state_view(state)
            return turn

    @staticmethod
    def state_view(state: DialogState) -> dict[str, Any]:
        c = {k: v for k, v in state.constraints.model_dump().items() if v not in (None, [], "")}
        return {"constraints": c, "query": state.query, "critiques": state.critiques, "liked": state.liked,
                "rejected": state.rejected, "cart": state.cart, "shown": state.last_shown, "turn": state.turn + 1,
                "pending_question": state.pending_question}

    def _respond(self, state: DialogState, text: str) -> Turn:
        from vidrec.nlu import parse

        parsed = parse(text, context={"lexicon": self.lexicon, "shown": len(state.last_shown)})
        lang = parsed.lang if parsed.lang in ("zh", "en") else (detect_lang(text) if text.strip() else state.lang)
        if parsed.lang == "mixed":
            lang = detect_lang(text)
        state.lang = lang
        slots = parsed.slots.present()
        intent = parsed.intent
        turn = Turn(session_id=state.session_id, reply="", lang=lang, intent=intent, slots=slots)
        if len(self.library) == 0:
            turn.reply = say("empty_catalog", lang, state.turn)
            return turn

        answered = self._apply_answer(state, text, slots)
        if answered and intent in ("chitchat", "search", "more", "like"):
            intent = turn.intent = "refine"

        if intent == "reset":
            state.reset()
            turn.reply = say("reset", lang, state.turn)
            return turn
        if intent == "chitchat":
            turn.reply = say("chitchat", lang, state.turn if state.turn == 0 else 1)
            return turn
        if intent == "search":
            if self._is_new_request(state, slots):
                state.new_request()
            state.query = text
            self._apply_slots(state, slots)
            return self._recommend(state, turn)
        if intent == "refine":
            self._apply_slots(state, slots)
            return self._recommend(state, turn)
        if intent == "critique":
            self._apply_critique(state, text, slots)
            return self._recommend(state, turn)
        if intent == "more":
            self._apply_slots(state, slots)
            return self._recommend(state, turn, page=True)
        if intent in ("reject", "like", "buy", "ask_detail", "compare"):
            return self._about_items(state, turn, intent, slots, text)
        turn.reply = say("chitchat", lang, 1)
        return turn

    # ------------------------------------------------------------------------------------------------ state
    def _is_new_request(self, state: DialogState, slots: dict) -> bool:
        new_cat = slots.get("category")
        return not state.constraints.category or (new_cat is not None and new_cat != state.constraints.category) \
            or (new_cat is None and not state.last_shown)

    def _apply_slots(self, state: DialogState, slots: dict) -> None:
        c = state.constraints
        if slots.get("category"):
            c.category = slots["category"]
        if slots.get("color"):
            c.color = list(slots["color"])
            c.color_exclude = [x for x in c.color_exclude if x not in c.color]
        if slots.get("color_exclude"):
            c.color_exclude = sorted(set(c.color_exclude) | set(slots["color_exclude"]))
            c.color = [x for x in c.color if x not in c.color_exclude]
        if slots.get("brand"):
            c.brand = [slots["brand"]]
        for name in ("gender", "usage", "season", "material", "pattern", "size"):
            if slots.get(name):
                setattr(c, name, slots[name])
        if "price_min" in slots or "price_max" in slots:
            c.price_min = slots.get("price_min")
            c.price_max = slots.get("price_max")
        if state.pending_question and state.pending_question in {"price" if k.startswith("price") else k
                                                                 for k in slots}:
            state.pending_question = None

    def _apply_answer(self, state: DialogState, text: str, slots: dict) -> bool:
        """An answer to the last question: a slot value, or one of the offered options by name or number."""
        slot = state.pending_question
        if not slot:
            return False
        if slot == "price" and ("price_max" in slots or "price_min" in slots):
            return True
        if slot != "price" and slots.get(slot):
            return True
        options = state.pending_options
        chosen = None
        lowered = text.strip().lower()
        for opt in options:
            if opt.lower() in lowered:
                chosen = opt
        if chosen is None and slots.get("item_ref") and options and 1 <= slots["item_ref"] <= len(options):
            chosen = options[slots["item_ref"] - 1]
        if chosen is None:
            return False
        c = state.constraints
        if slot == "price":
            c.price_min, c.price_max = price_option_range(chosen)
        elif slot == "color":
            c.color = [chosen]
        elif slot == "brand":
            c.brand = [chosen]
        elif slot == "category":
            c.category = chosen
        else:
            setattr(c, slot, chosen)
        state.pending_question = None
        state.pending_options = []
        return True

    def _apply_critique(self, state: DialogState, text: str, slots: dict) -> None:
        c = state.constraints
        shown = [p for p in (self.library.profile(i) for i in state.last_shown) if p is not None]
        prices = [float(p.value("price")) for p in shown if isinstance(p.value("price"), (int, float))]
        direction = slots.get("price_direction")
        if direction == "lower":
            ref = min(prices) if prices else (c.price_max or 0)
            if ref:
                c.price_max = round(ref - 0.01, 2)
                c.price_min = None if c.price_min is not None and c.price_min >= c.price_max else c.price_min
        elif direction == "higher":
            ref = max(prices) if prices else (c.price_min or 0)
            if ref:
                c.price_min = round(ref + 0.01, 2)
                c.price_max = None if c.price_max is not None and c.price_max <= c.price_min else c.price_max
        self._apply_slots(state, {k: v for k, v in slots.items() if k not in ("price_min", "price_max")})
        if not direction and not any(k in slots for k in ("color", "usage", "material", "pattern", "gender")):
            state.critiques = [*state.critiques[-2:], text]  # a move in feature space ("深一点的颜色")
        if shown and direction is None:
            state.rejected = sorted(set(state.rejected))  # critiques keep shown items eligible, just ranked lower

    # ------------------------------------------------------------------------------------------------ items
    def _resolve_refs(self, state: DialogState, slots: dict) -> tuple[list[str], str | None]:
        """Item ids the message points at, or an error reply key."""
        refs = list(slots.get("item_refs") or [])
        if slots.get("item_ref") is not None:
            refs.append(slots["item_ref"])
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

    def _about_items(self, state: DialogState, turn: Turn, intent: str, slots: dict, text: str) -> Turn:
        lang = turn.lang
        ids, problem = self._resolve_refs(state, slots)
        if problem:
            if not state.last_shown:
                return self._recommend(state, turn) if intent not in ("ask_detail", "compare", "buy") else \
                    self._reply(turn, say("no_ref", lang, state.turn))
            return self._reply(turn, say(problem, lang, state.turn, n=len(state.last_shown)))
        if intent == "reject":
            if not ids and slots.get("brand"):
                state.constraints.brand_exclude = sorted(set(state.constraints.brand_exclude) | {slots["brand"]})
                state.constraints.brand = [b for b in state.constraints.brand if b != slots["brand"]]
            elif not ids and slots.get("color"):
                state.constraints.color_exclude = sorted(set(state.constraints.color_exclude) | set(slots["color"]))
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
        attribute = slots.get("attribute")
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
            self.library.metadata.add_interaction(state.user_id, i, event, session_id=state.session_id)

    # ------------------------------------------------------------------------------------------------ recommend
    def _parsed(self, state: DialogState) -> ParsedQuery:
        c = state.constraints
        return ParsedQuery(text=state.query, lang=state.lang, categories=[c.category] if c.category else [],
                           colors=list(c.color), colors_exclude=list(c.color_exclude), brands=list(c.brand),
                           gender=c.gender, material=c.material, price_min=c.price_min, price_max=c.price_max)

    def _query_text(self, state: DialogState) -> str:
        c = state.constraints
        words = [state.query, *state.critiques]
        tax: Taxonomy = self.library.taxonomy
        if c.category:
            t = tax.lookup(c.category)
            words += [c.category] + ([t.en_name, t.zh_name] if t else [])
        for col in c.color:
            t = COLOUR_VOCABULARY.lookup(col)
            words += [col] + ([t.zh_name] if t else [])
        words += [x for x in (c.usage, c.material, c.pattern, c.season, c.gender) if x]
        return " ".join(dict.fromkeys(w for w in words if w)).strip()

    def _query_vector(self, state: DialogState, text: str) -> np.ndarray:
        q = self.text.encode([text or " "], kind="query")[0]
        vec = self.library.vectors.vector
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
        return (q / max(float(np.linalg.norm(q)), 1e-12)).astype(np.float32)

    def _recommend(self, state: DialogState, turn: Turn, page: bool = False) -> Turn:
        lang = turn.lang
        exclude = set(state.rejected) | set(state.cart)
        if page or state.pivot:
            exclude |= set(state.shown)
        text = self._query_text(state)
        parsed = self._parsed(state)
        c = state.constraints
        base = Filter(exclude_item_ids=exclude or None,
                      brand_none=set(c.brand_exclude) or None)
        qv = self._query_vector(state, text)
        result = self.searcher.search(text or " ", k=CANDIDATES, parsed=parsed, base_filter=base, query_vector=qv)
        hits = result.results
        if not hits:  # the last list stays what "the first one" refers to
            turn.reply = say("no_more" if page and state.shown else "none", lang, state.turn)
            return turn
        profiles = {h.id: self.library.profile(h.id) for h in hits}
        known = state.constraints.known()
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
        chosen = self._rerank(state, hits)
        state.last_shown = [h.id for h in chosen]
        state.shown = list(dict.fromkeys([*state.shown, *state.last_shown]))
        state.focus = None
        self._record(state, state.last_shown, "view")
        turn.items = [self._item(profiles[h.id], h.why, h.start) for h in chosen]
        what = self._what(state, lang)
        turn.reply = say("recommend_more" if page else "recommend", lang, state.turn, what=what)
        return turn

    def _what(self, state: DialogState, lang: str) -> str:
        c = state.constraints
        if not c.category:
            return "商品" if lang == "zh" else "items"
        t = self.library.taxonomy.lookup(c.category)
        colour = COLOUR_VOCABULARY.lookup(c.color[0]) if c.color else None
        if lang == "zh":
            return (colour.zh_name if colour else "") + (t.zh_name if t else c.category)
        return ((colour.canonical.lower() + " ") if colour else "") + (t.en_name if t else c.category.lower())

    def _rerank(self, state: DialogState, hits: list) -> list:
        """Blend in the user's long-term model and popularity, then pick a diverse page (MMR, no near-duplicates)."""
        scores = np.array([h.score for h in hits], dtype=np.float64)
        ids = [h.id for h in hits]
        if self.user_model is not None and state.user_id:
            try:
                u = np.asarray(self.user_model.score(state.user_id, ids), dtype=np.float64)
                if u.size == len(ids) and np.isfinite(u).all() and u.std() > 0:
                    scores = scores + USER_MODEL_WEIGHT * (u - u.mean()) / u.std()
            except Exception as exc:  # an unknown user or a model problem never breaks the conversation
                log.info("user model not used for %s: %s", state.user_id, exc)
        if self._popularity:
            scores = scores + POPULARITY_WEIGHT * np.array([self._popularity.get(i, 0.0) for i in ids])
        vecs = [self.library.vectors.vector(f"{i}#image") for i in ids]
        chosen: list[int] = []
        order = list(np.argsort(-scores))
        while order and len(chosen) < self.page_size:
            best, best_val = None, -np.inf
            for j in order:
                sim = 0.0
                if vecs[j] is not None:
                    sims = [float(vecs[j] @ vecs[c]) for c in chosen if vecs[c] is not None]
                    sim = max(sims) if sims else 0.0
                if sim >= NEAR_DUPLICATE:
                    continue
                val = MMR_LAMBDA * scores[j] - (1 - MMR_LAMBDA) * sim
                if val > best_val:
                    best, best_val = j, val
            if best is None:
                break
            chosen.append(best)
            order.remove(best)
        return [hits[j] for j in chosen]

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
