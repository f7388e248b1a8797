"""Offline tools, kept out of the runtime package `vidrec`: nothing under vidrec/ imports them.

- `tools.compose`: builds product videos from one photo (the demo catalog, the evaluation catalogs).
- `tools.simulator`: a simulated shopper for end-to-end dialog evaluation.
- `tools.nlu_templates`, `tools.nlu_corpora`, `tools.nlu_train`: the intent model's training data and trainer.

Run them from the repository root (the scripts in bench/ and examples/ put the root on sys.path).
"""
