"""How much would in-domain data help? Train a throw-away model on the templates, the permissive dialogs AND the
SIMMC 2.0 dev half (odd/even dialog split), then measure on the SIMMC test half. The weights go to a temporary
file and are never shipped (SIMMC 2.0 is CC BY-NC-SA 4.0).

    .venv/bin/python bench/nlu_simmc_indomain.py --data ../shared/data/dialogs
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu_eval import _eval_simmc_half  # noqa: E402

from tools.nlu_corpora import read_simmc2  # noqa: E402
from tools.nlu_templates import Example, generate  # noqa: E402
from tools.nlu_train import REAL_DIALOG_WEIGHT, featurize, real_examples  # noqa: E402
from vidrec.nlu import Lexicon  # noqa: E402
from vidrec.nlu.classifier import fit  # noqa: E402
from vidrec.vocabulary import COLOURS, DEFAULT_CATEGORIES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "dialogs"))
    args = ap.parse_args()
    data = Path(args.data)
    turns = list(read_simmc2(data / "simmc2" / "simmc2_dev_even.json"))
    train_turns = [t for t in turns if t.meta["dialog"] % 2 == 0 and t.intent]
    test_turns = [t for t in turns if t.meta["dialog"] % 2 == 1]
    examples = generate(1500, 13)
    weights = [1.0] * len(examples)
    real = real_examples(data)
    examples += real
    weights += [REAL_DIALOG_WEIGHT] * len(real)
    examples += [Example(t.text, t.intent, "en", "simmc2") for t in train_turns]
    weights += [1.0] * len(train_turns)
    model = fit(featurize(examples), [e.intent for e in examples], weights, l2=3e-5)
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "m.npz")
    brands = sorted({t.slots["brand"] for t in turns if isinstance(t.slots.get("brand"), str)})
    lexicon = Lexicon.from_catalog([c.canonical for c in DEFAULT_CATEGORIES], [c.canonical for c in COLOURS], brands)
    import vidrec.nlu.classifier as clf

    clf._DEFAULT = model  # evaluate with the throw-away model
    result = {"trained_on_simmc_dev_half_turns": len(train_turns), "simmc_test_half": _eval_simmc_half(test_turns,
                                                                                                      lexicon)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
