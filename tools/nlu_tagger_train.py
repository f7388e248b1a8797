"""Train the joint intent + BIO slot tagger (vidrec/nlu/tagger.py) and export it to ONNX.

    PYTHONPATH=. python tools/nlu_tagger_train.py --data ../shared/data/dialogs [--epochs 8] [--out DIR]

Training data (licence-clean only, the same as the linear classifier's):
- the template generator (tools/nlu_templates.py, zh + en + mixed);
- IARD / MovieBot (usersimcrs, Apache-2.0) and X-RiSAWOZ without its PC-domain dialogs (BSD-3 / MIT), with
  their mapped intents, weighted REAL_WEIGHT in the intent loss;
- paraphrases generated here from those messages: typos, slang, emoji, mixed scripts, colloquial amounts,
  dropped punctuation, run-on sentences (each keeps its labels: the edits are made on (character, tag) pairs).
CrossWOZ is Apache-2.0 but not trained on: only its validation split is here, it is the only real Chinese corpus
the NLU benchmark holds out for transfer evaluation, and its travel-domain slots do not map onto ours.
Never read: SIMMC 2.0, MG-ShopDial, the hand-labelled set, the blind sets, the simulator's phrase bank.

BIO labels are projected from the rule extractor (vidrec.nlu.slots.extract) onto the characters of the
normalised message; intent labels come from the templates / the corpora's mapped acts. A tune split (5 %) of the
training data is held out: it fits the temperature of the intent softmax. Same data, seed and thread count ->
the same weights (torch runs on one thread).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import random
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from tools.nlu_templates import Example, generate
from tools.nlu_train import REAL_DIALOG_WEIGHT, real_examples
from vidrec.nlu.lexicon import Lexicon
from vidrec.nlu.parser import normalise
from vidrec.nlu.schema import INTENTS
from vidrec.nlu.slots import extract
from vidrec.nlu.tagger import MAX_LEN, TAGS, VOCAB, char_ids, rule_tags

log = logging.getLogger(__name__)
OUT = Path(__file__).resolve().parents[1] / "vidrec" / "resources" / "nlu"
TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
TUNE_SHARE = 0.05

# ------------------------------------------------------------------------------------------------ labels


def bio(text: str, lexicon: Lexicon) -> list[int]:
    """One tag id per character of `text` (normalised), from the rule extractor's spans (`rule_tags`)."""
    return rule_tags(text, extract(text, lexicon, 3))


# ------------------------------------------------------------------------------------------ paraphrases

_SLANG_EN = {"you": ["u", "ya"], "your": ["ur"], "please": ["pls", "plz", "pleeease"], "want to": ["wanna"],
             "going to": ["gonna"], "thanks": ["thx", "ty"], "something": ["sth", "smth"], "really": ["rly"],
             "are": ["r"], "because": ["cuz", "bc"], "okay": ["ok", "k"], "what": ["wat", "wut"], "with": ["w/"],
             "i am": ["im", "i'm"], "do you have": ["got", "u got", "do u have"], "show me": ["lemme see", "show"],
             "great": ["gr8", "dope"], "the": ["da", "teh"], "to": ["2"], "for": ["4"]}
_SLANG_ZH = {"什么": ["啥", "神马"], "怎么": ["咋"], "没有": ["木有", "没"], "喜欢": ["稀饭", "中意"], "这个": ["这个这个", "介个"],
             "好看": ["好康", "好看滴"], "可以": ["阔以", "行"], "不要": ["别", "甭"], "一下": ["下"], "谢谢": ["3q", "谢啦"]}
_EMOJI = ["😊", "😂", "🙏", "👍", "❤️", "🔥", "😍", "🤔", "😭", "✨", "👗", "💰", "😅", "🥺", ":)", ":-(", "^_^", "~~"]
_FILLER_EN = ["btw", "lol", "tbh", "idk", "ngl", "hmm", "ok so", "oh and", "also"]
_FILLER_ZH = ["哈哈", "嗯嗯", "那个", "就是说", "emmm", "好吧", "对了", "话说"]
_EN_IN_ZH = ["pls", "ok", "btw", "so", "hmm", "thx", "nice"]
_ZH_IN_EN = ["嗯", "哈哈", "那个", "好的", "谢谢", "呃"]
_RUNON_EN = ["hi there", "hello", "thanks a lot", "thank you so much", "that would be great", "just wondering",
             "no rush", "if possible", "you know", "i guess"]
_RUNON_ZH = ["你好", "谢谢啦", "麻烦了", "辛苦啦", "就这样", "先这样", "急用", "在线等"]
_AMOUNTS_ZH = ["两百出头", "三百来块", "五六百", "一百多", "大几百", "千把块", "两三百", "八九十块", "一千出头", "三四百块",
               "百来块", "两百块左右吧", "不到一百", "三百块上下"]
_AMOUNTS_EN = ["300ish", "a couple hundred", "around a hundred bucks", "two-fifty or so", "under a hundred",
               "fifty-ish dollars", "a few hundred", "like 80 bucks", "no more than a hundred", "under 2 hundred",
               "roughly 150", "150 tops", "50 quid", "sub 100"]


def _runs(tags: list[int]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every tagged span."""
    out = []
    i = 0
    while i < len(tags):
        if tags[i]:
            kind = TAGS[tags[i]][2:]
            j = i + 1
            while j < len(tags) and TAGS[tags[j]] == f"I-{kind}":
                j += 1
            out.append((i, j, kind))
            i = j
        else:
            i += 1
    return out


def _splice(chars: list[str], tags: list[int], s: int, e: int, new: str, kind: str | None) -> None:
    chars[s:e] = list(new)
    tags[s:e] = ([TAG_INDEX[f"B-{kind}"]] + [TAG_INDEX[f"I-{kind}"]] * (len(new) - 1)) if kind and new else [0] * len(new)


def paraphrase(text: str, tags: list[int], lang: str, rng: random.Random,
               others: list[tuple[str, list[int]]]) -> tuple[str, list[int]]:
    """1-3 random edits that keep every character's label."""
    chars, tags = list(text), list(tags)
    zh = lang in ("zh", "mixed")
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.random()
        if op < 0.2:  # a typo: swap, drop or double a letter (inside or outside a span)
            letters = [i for i, c in enumerate(chars) if c.isalpha() and c.isascii()]
            if len(letters) > 3:
                i = rng.choice(letters)
                kind = rng.random()
                if kind < 0.4 and i + 1 < len(chars) and chars[i + 1].isalpha() and tags[i] == tags[i + 1]:
                    chars[i], chars[i + 1] = chars[i + 1], chars[i]
                elif kind < 0.7 and not TAGS[tags[i]].startswith("B-"):
                    del chars[i], tags[i]
                else:
                    chars.insert(i, chars[i])
                    tags.insert(i + 1, tags[i] if not TAGS[tags[i]].startswith("B-") else tags[i] + 1)
        elif op < 0.4:  # slang for an untagged word
            table = _SLANG_ZH if zh else _SLANG_EN
            s = "".join(chars).lower()
            found = [(m.start(), m.end(), k) for k in table for m in re.finditer(
                (re.escape(k) if zh else rf"\b{re.escape(k)}\b"), s)]
            found = [f for f in found if not any(tags[f[0]:f[1]])]
            if found:
                a, b, k = rng.choice(found)
                _splice(chars, tags, a, b, rng.choice(table[k]), None)
        elif op < 0.52:  # emoji
            pos = rng.choice([len(chars)] + [i for i, c in enumerate(chars) if c == " " and not tags[i]])
            e = rng.choice(_EMOJI)
            _splice(chars, tags, pos, pos, (" " if not zh else "") + e, None)
        elif op < 0.64:  # the other script's filler words
            word = rng.choice(_EN_IN_ZH if zh else _ZH_IN_EN + _FILLER_EN)
            if rng.random() < 0.5:
                _splice(chars, tags, 0, 0, word + " ", None)
            else:
                _splice(chars, tags, len(chars), len(chars), " " + word, None)
        elif op < 0.76:  # a colloquial amount instead of a price
            prices = [r for r in _runs(tags) if r[2] == "price"]
            if prices:
                s, e, _ = rng.choice(prices)
                _splice(chars, tags, s, e, rng.choice(_AMOUNTS_ZH if zh else _AMOUNTS_EN), "price")
        elif op < 0.86:  # no punctuation, no capitals
            keep = [i for i, c in enumerate(chars) if tags[i] or c not in ",.!?;:，。！？；：、"]
            chars = [chars[i].lower() for i in keep]
            tags = [tags[i] for i in keep]
        else:  # a run-on: greeting / afterthought glued on, or two messages of one intent without a stop
            if others and rng.random() < 0.4:
                t2, g2 = rng.choice(others)
                joint = " " if not zh else rng.choice(["", " ", "然后"])
                chars = chars + list(joint) + list(t2)
                tags = tags + [0] * len(joint) + list(g2)
            else:
                word = rng.choice(_RUNON_ZH if zh else _RUNON_EN)
                if rng.random() < 0.5:
                    _splice(chars, tags, 0, 0, word + ("" if zh else " "), None)
                else:
                    _splice(chars, tags, len(chars), len(chars), ("" if zh else " ") + word, None)
    return "".join(chars), tags


# ---------------------------------------------------------------------------------------------- dataset


def build(data_dir: Path | None, per_intent: int, seed: int, augment: float) -> tuple[list, list, dict]:
    """(train, tune, card facts): rows of (text, tag ids, intent id, weight)."""
    lexicon = Lexicon.default()
    examples: list[tuple[Example, float]] = [(e, 1.0) for e in generate(per_intent, seed)]
    real: list[Example] = []
    if data_dir is not None:
        real = real_examples(data_dir)
        examples += [(e, REAL_DIALOG_WEIGHT) for e in real]
    rng = random.Random(seed)
    rng.shuffle(examples)
    rows = []
    for e, w in examples:
        text = normalise(e.text)[:MAX_LEN]
        if not text:
            continue
        tags = bio(text, lexicon)
        rows.append((text, tags, INTENTS.index(e.intent), w, e.lang, tags))
    n_tune = int(len(rows) * TUNE_SHARE)
    tune, train = rows[:n_tune], rows[n_tune:]
    by_intent: dict[int, list] = {}
    for r in train:
        by_intent.setdefault(r[2], []).append((r[0], r[1]))
    extra = []
    for r in train:
        if rng.random() < augment:
            text, tags = paraphrase(r[0], r[1], r[4], rng, by_intent[r[2]])
            if text and len(text) == len(tags):
                # targets: the labels carried through the edits; input: what the rules find in the edited text
                text = text[:MAX_LEN]
                extra.append((text, tags[:MAX_LEN], r[2], r[3], r[4], bio(text, lexicon)))
    train += extra
    digest = hashlib.sha256("\n".join(f"{r[2]}\t{r[0]}\t{r[1]}" for r in train + tune).encode()).hexdigest()[:16]
    facts = {"templates": sum(1 for e, _ in examples if e.source == "templates"),
             "real_dialogs": dict(Counter(e.source for e in real)), "paraphrases": len(extra),
             "train_rows": len(train), "tune_rows": len(tune), "data_sha256_16": digest}
    return train, tune, facts


# ------------------------------------------------------------------------------------------------ model


def make_model(dim: int, hidden: int, read_rules: bool = False):
    import torch
    from torch import nn

    class JointCharModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(VOCAB, dim, padding_idx=0)
            self.rules = nn.Embedding(len(TAGS), dim) if read_rules else None
            self.conv1 = nn.Conv1d(dim, hidden, 3, padding=1)
            self.conv2 = nn.Conv1d(hidden, hidden, 5, padding=2)
            self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
            self.drop = nn.Dropout(0.1)
            self.tags = nn.Linear(2 * hidden, len(TAGS))
            self.intent = nn.Linear(4 * hidden, len(INTENTS))

        def forward(self, x: torch.Tensor, rules: torch.Tensor | None = None, mask: torch.Tensor | None = None):
            h = self.emb(x)
            if self.rules is not None and rules is not None:
                h = h + self.rules(rules)
            h = h.transpose(1, 2)
            h = torch.relu(self.conv2(torch.relu(self.conv1(h)))).transpose(1, 2)
            h, _ = self.gru(h)
            h = self.drop(h)
            if mask is None:
                pooled = torch.cat([h.mean(1), h.max(1).values], dim=-1)
            else:
                m = mask.unsqueeze(-1)
                mean = (h * m).sum(1) / m.sum(1).clamp(min=1)
                mx = h.masked_fill(m == 0, -1e4).max(1).values
                pooled = torch.cat([mean, mx], dim=-1)
            return self.tags(h), self.intent(pooled)

    return JointCharModel()


def _batches(rows: list, size: int, rng: random.Random) -> list[list]:
    """Batches of similar lengths (less padding), in a seeded random order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i][0]), rng.random()))
    batches = [[rows[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _tensors(batch: list, rng: random.Random | None = None, drop: float = 0.0):
    """Characters, rule tags (all O for a share `drop` of the messages: the model must read characters too),
    targets, intents, weights."""
    import torch

    n = max(len(r[0]) for r in batch)
    x = torch.zeros((len(batch), n), dtype=torch.long)
    rules = torch.zeros((len(batch), n), dtype=torch.long)
    y = torch.full((len(batch), n), -100, dtype=torch.long)
    for i, r in enumerate(batch):
        x[i, :len(r[0])] = torch.tensor(char_ids(r[0]))
        y[i, :len(r[1])] = torch.tensor(r[1])
        if not (drop > 0 and rng is not None and rng.random() < drop):
            rules[i, :len(r[5])] = torch.tensor(r[5])
    intent = torch.tensor([r[2] for r in batch])
    weight = torch.tensor([r[3] for r in batch], dtype=torch.float)
    return x, rules, y, intent, weight


def _logits(model, rows: list) -> tuple[np.ndarray, float]:
    """Intent logits of rows (batch 1, as at run time) and the tune tag accuracy on tagged characters."""
    import torch

    out = []
    hit = total = 0
    with torch.inference_mode():
        for r in rows:
            tags, logits = model(torch.tensor([char_ids(r[0])]), torch.tensor([r[5]]))
            out.append(logits[0].numpy())
            pred = tags[0].argmax(-1).tolist()
            gold = r[1]
            for p, g in zip(pred, gold, strict=False):
                if g or p:
                    total += 1
                    hit += p == g
    return np.stack(out), hit / max(total, 1)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the tune split's negative log-likelihood (grid, then refined)."""
    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-logp[np.arange(len(labels)), labels].mean())
    grid = [0.5 + 0.05 * i for i in range(151)]
    best = min(grid, key=nll)
    fine = [best - 0.05 + 0.005 * i for i in range(21)]
    return round(min(fine, key=nll), 3)


def train(out: Path, data_dir: Path | None, per_intent: int, seed: int, epochs: int, augment: float,
          dim: int, hidden: int, batch: int, lr: float, read_rules: bool = False, rule_drop: float = 0.3) -> dict:
    import torch
    from torch import nn

    started = time.time()
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    train_rows, tune_rows, facts = build(data_dir, per_intent, seed, augment)
    log.info("data: %s (%.0f s)", facts, time.time() - started)
    model = make_model(dim, hidden, read_rules)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    steps = epochs * math.ceil(len(train_rows) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 200) * max(0.05, 1 - s / steps))
    tag_loss = nn.CrossEntropyLoss(ignore_index=-100)
    intent_loss = nn.CrossEntropyLoss(reduction="none")
    step = 0
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for b in _batches(train_rows, batch, rng):
            x, rules, y, intent, weight = _tensors(b, rng, rule_drop if read_rules else 0.0)
            tags, logits = model(x, rules, (x != 0).float())
            loss = (intent_loss(logits, intent) * weight).sum() / weight.sum() + \
                tag_loss(tags.reshape(-1, len(TAGS)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss)
            step += 1
            if step % 200 == 0:
                log.info("epoch %d step %d/%d loss %.4f (%.0f s)", epoch, step, steps, total / 200,
                         time.time() - started)
                total = 0.0
        model.eval()
        logits, tag_acc = _logits(model, tune_rows)
        labels = np.array([r[2] for r in tune_rows])
        log.info("epoch %d: tune intent accuracy %.4f, tag accuracy %.4f (%.0f s)", epoch,
                 float((logits.argmax(1) == labels).mean()), tag_acc, time.time() - started)
    model.eval()
    logits, tag_acc = _logits(model, tune_rows)
    labels = np.array([r[2] for r in tune_rows])
    temperature = fit_temperature(logits, labels)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tagger.onnx"
    example = torch.tensor([char_ids("连衣裙 dress")])
    inputs = ["chars", "rules"] if read_rules else ["chars"]
    axes = {name: {0: "batch", 1: "length"} for name in inputs + ["tags"]}
    torch.onnx.export(model, (example, torch.zeros_like(example)) if read_rules else (example,), str(path),
                      input_names=inputs, output_names=["tags", "intent"],
                      dynamic_axes={**axes, "intent": {0: "batch"}}, opset_version=17, dynamo=False)
    card = {
        "tags": list(TAGS), "intents": list(INTENTS), "vocab": VOCAB, "max_len": MAX_LEN, "temperature": temperature,
        "inputs": inputs,
        "architecture": {"embedding": dim, "hidden": hidden, "conv": [3, 5], "gru": "bidirectional, 1 layer",
                         "reads_rule_tags": read_rules, "rule_tag_dropout": rule_drop if read_rules else None,
                         "params": sum(p.numel() for p in model.parameters())},
        "training": {"epochs": epochs, "batch": batch, "lr": lr, "seed": seed, "per_intent": per_intent,
                     "augment_share": augment, "threads": 1, **facts},
        "tune": {"intent_accuracy": round(float((logits.argmax(1) == labels).mean()), 4),
                 "tag_accuracy": round(tag_acc, 4), "rows": len(tune_rows)},
        "licences": {"templates": "this project (Apache-2.0)", "iard/moviebot": "Apache-2.0 (usersimcrs)",
                     "xrisawoz (PC domain held out)": "BSD-3-Clause / MIT"},
        "never_trained_on": ["SIMMC 2.0 (CC BY-NC-SA 4.0)", "MG-ShopDial (no licence)", "CrossWOZ (held out)",
                             "X-RiSAWOZ PC domain", "bench/data/nlu_testset.jsonl", "bench/data/nlu_blind*.jsonl",
                             "the simulator's phrase bank (tools/data)"],
        "train_seconds": round(time.time() - started, 1),
    }
    path.with_suffix(".json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log.info("saved %s (%.1f MB), temperature %.3f", path, path.stat().st_size / 2**20, temperature)
    return card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="dialogs folder (usersimcrs/, xrisawoz/); optional")
    ap.add_argument("--out", default=str(OUT), help="folder for tagger.onnx and tagger.json (default: shipped)")
    ap.add_argument("--per-intent", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--augment", type=float, default=0.4, help="share of training rows that get a paraphrase")
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--read-rules", action="store_true",
                    help="a second input: the rule extractor's tags of the message (dropped for --rule-drop of them)")
    ap.add_argument("--rule-drop", type=float, default=0.3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    card = train(Path(args.out), Path(args.data) if args.data else None, args.per_intent, args.seed, args.epochs,
                 args.augment, args.dim, args.hidden, args.batch, args.lr, args.read_rules, args.rule_drop)
    print(json.dumps({k: card[k] for k in ("temperature", "tune", "training", "train_seconds")}, indent=1))


if __name__ == "__main__":
    main()
