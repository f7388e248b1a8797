"""A joint intent + slot tagger that reads characters in context (Chinese and English in one model).

Hashed characters -> embeddings -> two convolutions -> one bidirectional GRU -> a BIO tag per character and an
intent from the pooled states. Trained by `tools/nlu_tagger_train.py` (templates + licence-clean real dialogs +
generated paraphrases, BIO labels projected from the rule extractor); run here with onnxruntime only (no torch).

The shipped weights are `vidrec/resources/nlu/tagger.onnx` and its card `tagger.json` (tag set, vocabulary size,
temperature fitted on a tune split of the training data, what it was trained on). `default_tagger()` is None when
the file is missing; the parser then runs on its rules and linear classifier alone.
"""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidrec.nlu.schema import INTENTS

VOCAB = 8192  # hashed characters; 0 = padding
MAX_LEN = 160  # characters read; a longer message is read up to here
# What a span is: a lexicon slot value the shopper asks for, one ruled out ("not black", "白色以外"), a price or a
# size expression, an item pointed at ("the second one", "it") or described ("the grey blouse you showed"), a rating.
KINDS: tuple[str, ...] = ("category", "color", "brand", "gender", "material", "usage", "season", "pattern", "size",
                          "price", "excluded", "ref", "described", "rating")
TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{k}" for k in KINDS for p in ("B", "I"))
_TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
_FILE = Path(__file__).resolve().parents[1] / "resources" / "nlu" / "tagger.onnx"


def rule_tags(text: str, ev: Any) -> list[int]:
    """The rule extractor's findings (`vidrec.nlu.slots.Evidence` of `text`) as one tag id per character: what the
    tagger is trained to reproduce, and (for a model with a second input) what it reads beside the characters.
    Later kinds win: lexicon values, ruled-out values, prices, the size, a rating, described items, references."""
    from vidrec.nlu.lexicon import fold
    from vidrec.nlu.slots import find_rating

    tags = [0] * len(text)

    def put(kind: str, s: int, e: int) -> None:
        s, e = max(0, s), min(len(text), e)
        while s < e and text[s] == " ":
            s += 1
        while e > s and text[e - 1] == " ":
            e -= 1
        if e <= s or f"B-{kind}" not in _TAG_INDEX:
            return  # an attribute registered after the tagger was trained ("sleeve"): the rules alone read it
        tags[s] = _TAG_INDEX[f"B-{kind}"]
        for i in range(s + 1, e):
            tags[i] = _TAG_INDEX[f"I-{kind}"]

    for m in ev.mentions:
        put(m.slot, m.start, m.end)
    for m in ev.negated:
        put("excluded", m.start, m.end)
    for s, e in ev.prices:
        put("price", s, e)
    if ev.size_span:
        put("size", *ev.size_span)
    _, rating = find_rating(fold(text))
    if rating:
        put("rating", *rating)
    for s, e in ev.described:
        put("described", s, e)
    for r in ev.refs:
        put("ref", r.start, r.end)
    return tags


def char_ids(folded: str, max_len: int = MAX_LEN) -> list[int]:
    """One hashed id per character of the folded text (lower case); [0] for an empty text."""
    return [1 + zlib.crc32(ch.lower().encode("utf-8", "replace")) % (VOCAB - 1) for ch in folded[:max_len]] or [0]


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int


def decode(tag_ids: list[int] | np.ndarray) -> list[Span]:
    """BIO tags -> spans (an I- without its B- starts a span)."""
    spans: list[Span] = []
    kind, start = None, 0
    for i, t in enumerate(list(tag_ids) + [0]):
        tag = TAGS[int(t)]
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != kind):
            if kind is not None:
                spans.append(Span(kind, start, i))
            kind, start = (tag[2:], i) if tag != "O" else (None, i)
    return spans


@dataclass(frozen=True)
class Reading:
    intents: dict[str, float]  # calibrated probabilities
    spans: list[Span]
    kinds: tuple[str | None, ...] = ()  # each character's kind (None: outside every span)

    def majority(self, start: int, end: int) -> str | None:
        """The kind most characters of [start, end) are tagged with, if more than half of them are."""
        votes: dict[str | None, int] = {}
        for k in self.kinds[start:end]:
            votes[k] = votes.get(k, 0) + 1
        best = max(votes, key=votes.__getitem__, default=None)
        return best if best is not None and 2 * votes[best] > end - start else None

    @property
    def intent(self) -> str:
        return max(self.intents, key=self.intents.__getitem__)


class Tagger:
    def __init__(self, path: str | Path = _FILE) -> None:
        import onnxruntime as ort

        path = Path(path)
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if tuple(card["tags"]) != TAGS or tuple(card["intents"]) != INTENTS or card["vocab"] != VOCAB:
            raise ValueError(f"{path}: tag set, intents or vocabulary differ from this code; retrain it with "
                             "tools/nlu_tagger_train.py")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.temperature = float(card["temperature"])
        self.card = card

    def read(self, folded: str, rules: list[int] | None = None) -> Reading:
        """`rules`: `rule_tags` of the same text, for a model trained to read them (ignored by one that is not)."""
        ids = np.asarray([char_ids(folded)], dtype=np.int64)
        feed = {"chars": ids}
        if "rules" in self.inputs:
            r = (list(rules or [])[:ids.shape[1]] + [0] * ids.shape[1])[:ids.shape[1]]
            feed["rules"] = np.asarray([r], dtype=np.int64)
        tags, logits = self.session.run(None, feed)
        z = logits[0].astype(np.float64) / self.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        ids = tags[0].argmax(-1).tolist() if folded else []
        kinds = tuple(TAGS[t][2:] if t else None for t in ids)
        return Reading(dict(zip(INTENTS, p.tolist(), strict=True)), decode(ids), kinds)


_DEFAULT: Tagger | None = None
_LOADED = False
_LOCK = threading.Lock()


def default_tagger() -> Tagger | None:
    """The shipped tagger, loaded once; None when its file is not there."""
    global _DEFAULT, _LOADED
    if not _LOADED:
        with _LOCK:
            if not _LOADED:
                _DEFAULT = Tagger() if _FILE.exists() else None
                _LOADED = True
    return _DEFAULT
