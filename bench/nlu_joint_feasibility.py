"""Feasibility of issue 16 section 1 (a joint intent + BIO slot model over characters): cost, not accuracy.

    .venv/bin/python bench/nlu_joint_feasibility.py [--threads 1] [--batches 40]

Nothing here is trained to convergence and nothing is shipped. It builds the smallest architecture that reads
words in context for both scripts (character embeddings -> 2 convolution layers -> one bidirectional GRU ->
a BIO tag per character and an intent from the pooled states; Chinese characters, Latin letters and digits share
one hashed character vocabulary) with random weights and measures what the issue constrains:
- size of the weights (fp32 and int8 estimate) against the 30 MB limit,
- CPU latency per message (p50 / p95 over the hand-labelled set's 408 messages, batch 1) against 10 ms,
- time of one training step (batch 64, forward + backward + Adam) over template messages, extrapolated to the
  epochs needed, against "one script under an hour here".
The accuracy such a model reaches is not measured here (that needs the training data of section 1: BIO labels
projected from the rule parser on templates + licence-clean corpora).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from tools.nlu_templates import generate  # noqa: E402
from vidrec.nlu.schema import INTENTS  # noqa: E402

VOCAB = 8192  # hashed characters
TAGS = 1 + 2 * 12  # O + B/I for 12 slot kinds (category, colour, brand, price, size, ...)
MAX_LEN = 128


def char_ids(text: str) -> list[int]:
    return [1 + zlib.crc32(ch.lower().encode("utf-8")) % (VOCAB - 1) for ch in text[:MAX_LEN]] or [0]


class JointCharModel(nn.Module):
    def __init__(self, dim: int = 96, hidden: int = 128) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, dim, padding_idx=0)
        self.conv1 = nn.Conv1d(dim, hidden, 3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, 5, padding=2)
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.tags = nn.Linear(2 * hidden, TAGS)
        self.intent = nn.Linear(4 * hidden, len(INTENTS))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.emb(x).transpose(1, 2)
        h = torch.relu(self.conv2(torch.relu(self.conv1(h)))).transpose(1, 2)
        h, _ = self.gru(h)
        pooled = torch.cat([h.mean(1), h.max(1).values], dim=-1)
        return self.tags(h), self.intent(pooled)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = JointCharModel()
    params = sum(p.numel() for p in model.parameters())

    rows = [json.loads(line) for line in (HERE / "data" / "nlu_testset.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip()]
    model.eval()
    times = []
    cpu = []
    with torch.inference_mode():
        for _ in range(2):
            for r in rows:
                x = torch.tensor([char_ids(r["text"])])
                t0, c0 = time.perf_counter(), time.process_time()
                model(x)
                cpu.append(1000 * (time.process_time() - c0))
                times.append(1000 * (time.perf_counter() - t0))
    times = sorted(times[len(rows):])  # the first pass warms up
    cpu = sorted(cpu[len(rows):])

    examples = generate(1500, 13)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    step_s = []
    for b in range(args.batches):
        batch = examples[b * 64:(b + 1) * 64]
        ids = [char_ids(e.text) for e in batch]
        n = max(len(i) for i in ids)
        x = torch.tensor([i + [0] * (n - len(i)) for i in ids])
        y = torch.tensor([INTENTS.index(e.intent) for e in batch])
        tags_y = torch.zeros_like(x)  # the cost of the tag loss, not its labels
        t0 = time.perf_counter()
        tags, intent = model(x)
        loss = loss_fn(intent, y) + loss_fn(tags.reshape(-1, TAGS), tags_y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step_s.append(time.perf_counter() - t0)
    step = sorted(step_s)[len(step_s) // 2]
    epoch_s = step * len(examples) / 64
    result = {
        "params": params, "fp32_mb": round(params * 4 / 2**20, 1), "int8_mb_estimate": round(params / 2**20, 1),
        "threads": args.threads, "messages": len(times),
        "forward_wall_ms": {"p50": round(times[len(times) // 2], 2), "p95": round(times[int(0.95 * len(times))], 2)},
        "forward_cpu_ms": {"p50": round(cpu[len(cpu) // 2], 2), "p95": round(cpu[int(0.95 * len(cpu))], 2)},
        "train_step_s_median_batch64": round(step, 3), "train_examples": len(examples),
        "epoch_minutes_estimate": round(epoch_s / 60, 1),
        "epochs_in_an_hour_estimate": round(3600 / epoch_s, 1),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
