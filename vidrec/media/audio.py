"""The soundtrack of a video as mono float32 samples, for speech recognition.

A video without an audio stream gives None. So does one whose audio cannot be decoded: the failure is logged and
reported as a warning, never raised, because the pictures are still worth analysing.
"""

from __future__ import annotations

import logging
import os

import av
import av.error
import numpy as np

from vidrec.media.probe import check_readable, open_video, time_origin

log = logging.getLogger(__name__)

# Packets in a row that fail to decode before the audio stream is given up on.
MAX_CONSECUTIVE_ERRORS = 50
# Gaps (failed packets, a late start) longer than this are filled with silence so sample times stay true.
_GAP_SECONDS = 0.05


def extract_audio(path: str | os.PathLike, *, sample_rate: int = 16000, max_seconds: float = 600.0) -> np.ndarray | None:
    """The first audio stream as mono float32 in [-1, 1] at `sample_rate`, at most `max_seconds` long.

    Sample 0 is at time 0 of the video (the same clock as frame and shot times). None when the file has no audio
    stream or its audio does not decode (logged as a warning). `MediaError` only for a file that cannot be opened.
    """
    audio, warnings = decode_audio(path, sample_rate=sample_rate, max_seconds=max_seconds)
    for w in warnings:
        log.warning("%s: %s", path, w)
    return audio


def decode_audio(
    path: str | os.PathLike, *, sample_rate: int = 16000, max_seconds: float = 600.0
) -> tuple[np.ndarray | None, list[str]]:
    """`extract_audio` that returns its warnings instead of logging them."""
    if sample_rate < 1000:
        raise ValueError("sample_rate must be >= 1000")
    p = check_readable(path)
    warnings: list[str] = []
    with open_video(p) as container:
        if not container.streams.audio:
            return None, warnings
        stream = container.streams.audio[0]
        try:
            samples, errors, stopped = _decode(container, stream, sample_rate, max_seconds)
        except (av.error.FFmpegError, ValueError, MemoryError) as exc:
            warnings.append(f"audio stream failed to decode ({exc}); the video is analysed without sound")
            return None, warnings
    if samples is None or samples.size == 0:
        why = f" ({errors[-1]})" if errors else ""
        warnings.append(f"audio stream failed to decode{why}; the video is analysed without sound")
        return None, warnings
    if errors:
        how = "gave up after" if stopped else "skipped"
        warnings.append(
            f"audio: {how} {len(errors)} packet(s) that failed to decode ({errors[-1]}); silence put in their place"
        )
    return samples, warnings


def _decode(container, stream, sample_rate: int, max_seconds: float) -> tuple[np.ndarray | None, list[str], bool]:
    origin = time_origin(container)
    limit = int(round(max_seconds * sample_rate))
    resampler = av.AudioResampler(format="fltp", layout=None, rate=sample_rate)
    chunks: list[np.ndarray] = []
    written = 0  # samples emitted so far
    errors: list[str] = []
    consecutive = 0
    stopped = False

    def add(frames, start_time: float | None) -> bool:
        nonlocal written
        if start_time is not None:
            expected = int(round((start_time - origin) * sample_rate))
            gap = expected - written
            if gap > _GAP_SECONDS * sample_rate:
                gap = min(gap, limit - written)
                if gap > 0:
                    chunks.append(np.zeros(gap, np.float32))
                    written += gap
        for out in frames:
            data = out.to_ndarray()
            mono = data.mean(axis=0, dtype=np.float32) if data.ndim == 2 else data.astype(np.float32)
            room = limit - written
            if room <= 0:
                return False
            mono = mono[:room]
            chunks.append(mono)
            written += mono.size
        return written < limit

    demux = container.demux(stream)
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            break
        except (av.error.FFmpegError, OSError) as exc:
            errors.append(f"read error: {exc}")
            break
        try:
            decoded = stream.decode(packet)
        except av.error.FFmpegError as exc:
            errors.append(exc.strerror or str(exc))
            consecutive += 1
            if consecutive >= MAX_CONSECUTIVE_ERRORS:
                stopped = True
                break
            continue
        consecutive = 0
        keep_going = True
        for frame in decoded:
            start = float(frame.time) if frame.time is not None else None
            frame.pts = None  # let the resampler run on sample counts; gaps are handled above
            if not add(resampler.resample(frame), start):
                keep_going = False
                break
        if not keep_going:
            break
    if written < limit:
        try:
            add(resampler.resample(None), None)
        except (av.error.FFmpegError, ValueError):
            pass
    if not chunks:
        return None, errors, stopped
    samples = np.concatenate(chunks)
    np.clip(samples, -1.0, 1.0, out=samples)
    return samples, errors, stopped
