"""Decode product videos with PyAV: probe, sample frames, split into shots, pick keyframes, extract the audio.

Two entry points do the work of the ingest's media stage::

    info = probe("video.mp4")                  # VideoInfo; MediaError when the file is not a usable video
    result = analyze("video.mp4")              # MediaAnalysis: frames, shots + keyframes, frames to OCR, warnings
    audio = extract_audio("video.mp4")         # mono float32 at 16 kHz, or None

No system ffmpeg is needed: PyAV's wheels carry their own FFmpeg (H.264, HEVC, VP8/VP9, AV1 via dav1d, ...).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace

import numpy as np

from vidrec.media.audio import decode_audio, extract_audio
from vidrec.media.decode import Frame, sample_frames
from vidrec.media.probe import VideoInfo, check_readable, describe, open_video, probe
from vidrec.media.shots import Shot, detect_shots

__all__ = [
    "Frame",
    "MediaAnalysis",
    "Shot",
    "VideoInfo",
    "analyze",
    "extract_audio",
    "probe",
]

log = logging.getLogger(__name__)


@dataclass
class MediaAnalysis:
    """What the media stage saw in one video. Times are seconds from the start of the video."""

    info: VideoInfo
    frames: list[Frame]  # sampled about sample_fps a second, RGB uint8, longer side <= max_side
    shots: list[Shot]
    ocr_frames: list[Frame]  # a few frames per shot whose content differs, to read on-screen text from
    warnings: list[str] = field(default_factory=list)
    analysed_seconds: float = 0.0  # how much of the video the frames cover (capped at max_seconds)
    audio: np.ndarray | None = None  # mono float32 at audio_sample_rate, only when analyze(..., audio=True)
    audio_sample_rate: int = 16000


def analyze(
    path: str | os.PathLike,
    *,
    max_seconds: float = 600.0,
    sample_fps: float = 2.0,
    max_side: int = 480,
    max_shots: int = 40,
    ocr_frames_per_shot: int = 2,
    audio: bool = False,
    audio_sample_rate: int = 16000,
    threads: int = 0,
) -> MediaAnalysis:
    """Decode `path` once and describe its pictures; with `audio=True` also its soundtrack (see `extract_audio`).

    Raises `MediaError` (naming the file and what to do) when the file is missing, unreadable, empty, not a video,
    has no video stream or no frame decodes. A cut-off or partly corrupt file gives what could be decoded plus a
    warning; a video longer than `max_seconds` is analysed up to there, with a warning. `threads`: decoder threads
    (0 = one per core; pass 1 when several videos are analysed in parallel processes).
    """
    if max_seconds <= 0:
        raise ValueError("max_seconds must be > 0")
    if max_shots < 1:
        raise ValueError("max_shots must be >= 1")
    p = check_readable(path)
    with open_video(p) as container:
        decoded = sample_frames(
            p, container, sample_fps=sample_fps, max_side=max_side, max_seconds=max_seconds, threads=threads
        )
        info = describe(container, p, rotation=decoded.rotation)
    if info.duration <= 0:
        info = replace(info, duration=decoded.duration)
    shots, ocr_frames = detect_shots(
        decoded.frames, end=decoded.end, max_shots=max_shots, ocr_frames_per_shot=ocr_frames_per_shot
    )
    warnings = list(decoded.warnings)
    samples = None
    if audio and info.has_audio:
        samples, audio_warnings = decode_audio(p, sample_rate=audio_sample_rate, max_seconds=max_seconds)
        warnings.extend(audio_warnings)
    for w in warnings:
        log.info("%s: %s", p, w)
    return MediaAnalysis(
        info=info,
        frames=decoded.frames,
        shots=shots,
        ocr_frames=ocr_frames,
        warnings=warnings,
        analysed_seconds=decoded.end,
        audio=samples,
        audio_sample_rate=audio_sample_rate,
    )
