"""Rebuild the shipped intent model: `python bench/nlu_train.py [--data ../shared/data/dialogs]`.

Training data: the template generator (zh + en + mixed) and, when the folder is given, the permissively licensed
real dialogs (IARD / MovieBot: Apache-2.0; X-RiSAWOZ without its PC-domain dialogs: BSD-3 / MIT). SIMMC 2.0,
MG-ShopDial, CrossWOZ and the PC-domain X-RiSAWOZ turns are never trained on (evaluation only), nor is the
hand-labelled test set. Same inputs and seed -> same weights.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from pathlib import Path

from tools.nlu_corpora import read_usersimcrs, read_xrisawoz
from tools.nlu_templates import Example, generate
from vidrec.nlu.classifier import IntentModel, default_model_path, fit
from vidrec.nlu.features import features, hashed
from vidrec.nlu.language import detect_language
from vidrec.nlu.lexicon import Lexicon
from vidrec.nlu.parser import normalise
from vidrec.nlu.slots import extract

log = logging.getLogger(__name__)

REAL_DIALOG_WEIGHT = 0.5  # each real turn counts half a template message: their labels are mapped, not ours


def real_examples(data_dir: str | Path) -> list[Example]:
    data_dir = Path(data_dir)
    out: list[Example] = []
    for t in read_usersimcrs(data_dir / "usersimcrs"):
        if t.intent:
            out.append(Example(t.text, t.intent, "en", t.source))
    for t in read_xrisawoz(data_dir / "xrisawoz", pc=False):
        if t.intent:
            out.append(Example(t.text, t.intent, t.lang, t.source))
    return out


def featurize(examples: list[Example], lexicon: Lexicon | None = None) -> list[tuple[list[int], list[float]]]:
    lexicon = lexicon or Lexicon.default()
    rows = []
    for ex in examples:
        text = normalise(ex.text)
        lang = detect_language(text, lexicon.known_words)
        ev = extract(text, lexicon, 3)
        rows.append(hashed(features(text, ev, lang)))
    return rows


def train(out: str | Path | None = None, data_dir: str | Path | None = None, per_intent: int = 1500,
          seed: int = 13, l2: float = 3e-5) -> IntentModel:
    started = time.time()
    examples = generate(per_intent, seed)
    weights = [1.0] * len(examples)
    real: list[Example] = []
    if data_dir is not None and Path(data_dir).exists():
        real = real_examples(data_dir)
        examples += real
        weights += [REAL_DIALOG_WEIGHT] * len(real)
    rows = featurize(examples)
    model = fit(rows, [e.intent for e in examples], weights, l2=l2)
    digest = hashlib.sha256("\n".join(f"{e.intent}\t{e.text}" for e in examples).encode()).hexdigest()[:16]
    model.card.update({
        "trained_on": {
            "templates": {"per_intent_and_language": per_intent, "seed": seed,
                          "count": sum(1 for e in examples if e.source == "templates")},
            "real_dialogs": dict(Counter(e.source for e in real)),
            "licences": {"templates": "this project (Apache-2.0)", "iard/moviebot": "Apache-2.0 (usersimcrs)",
                         "xrisawoz (PC domain held out)": "BSD-3-Clause / MIT"},
            "never_trained_on": ["SIMMC 2.0 (CC BY-NC-SA 4.0)", "MG-ShopDial (no licence)", "CrossWOZ",
                                 "X-RiSAWOZ PC domain", "bench/data/nlu_testset.jsonl"],
        },
        "intent_counts": dict(Counter(e.intent for e in examples)),
        "data_sha256_16": digest,
        "train_seconds": round(time.time() - started, 1),
    })
    path = Path(out) if out is not None else default_model_path()
    model.save(path)
    log.info("saved %s (%d features)", path, len(model.weights))
    return model
