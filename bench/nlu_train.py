"""Rebuild the shipped intent model (vidrec/resources/nlu/intent_model.npz) reproducibly.

    .venv/bin/python bench/nlu_train.py --data ../shared/data/dialogs

Without --data (or when the folder is missing) it trains on the templates alone.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.nlu_train import train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="dialogs folder (usersimcrs/, xrisawoz/); optional")
    ap.add_argument("--out", default=None, help="where to write the model (default: the shipped one)")
    ap.add_argument("--per-intent", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--l2", type=float, default=3e-5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = train(args.out, args.data, args.per_intent, args.seed, args.l2)
    print({k: v for k, v in model.card.items() if k != "intent_counts"})


if __name__ == "__main__":
    main()
