"""A test double for the text encoder: deterministic, instant, and texts sharing characters get similar vectors."""

from __future__ import annotations

import hashlib

import numpy as np


class NgramEncoder:
    """Hashes character uni- and bigrams (and lower-cased words) into a fixed-size unit vector.

    A test double for the text encoder: deterministic, instant, and similar texts get similar vectors."""

    dim = 384

    def encode(self, texts, kind="passage"):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = (text or " ").lower()
            grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)] + text.split()
            for g in grams:
                if not g.strip():
                    continue
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 20) & 1 else -1.0
            n = np.linalg.norm(out[row])
            out[row] = out[row] / n if n > 0 else 1.0 / np.sqrt(self.dim)
        return out
