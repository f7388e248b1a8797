"""Decode a video into a few small RGB frames per second, fast, and say what could not be decoded.

Speed comes from three things: the decoder runs with frame and slice threads; frames that no other frame refers to
(B-frames, mostly) are never decoded (`skip_frame="NONREF"`), which is safe because we only keep `sample_fps` frames
a second; and only the kept frames are converted to RGB, downscaled inside the conversion, so a 4K or 8K video never
yields a full-size RGB array.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import av.error
import numpy as np

from vidrec.errors import MediaError
from vidrec.media.probe import (
    normalise_rotation,
    sample_aspect_ratio,
    stream_duration,
    time_origin,
    video_stream,
)

log = logging.getLogger(__name__)

# The frame-skipping mode used first; the decode falls back to decoding every frame when it starves the sampler.
SKIP_MODE = "NONREF"
# Give up on a stream after this many packets in a row that fail to decode.
MAX_CONSECUTIVE_ERRORS = 60


@dataclass
class Frame:
    """A decoded picture: `time` in seconds from the start of the video, `image` RGB uint8 of shape (H, W, 3)."""

    time: float
    image: np.ndarray


@dataclass
class DecodedVideo:
    """The sampled frames and what happened while decoding them."""

    frames: list[Frame]
    end: float  # seconds of video the frames cover (the last frame's time plus one frame interval)
    duration: float  # seconds the headers announce (0.0 when they don't say)
    rotation: int  # display rotation applied to the frames, degrees counter-clockwise
    warnings: list[str] = field(default_factory=list)
    packets: int = 0  # video packets read
    decoded: int = 0  # pictures the decoder produced (after skipping)
    failed_packets: int = 0


def scaled_size(width: int, height: int, max_side: int, sample_aspect: float = 1.0) -> tuple[int, int]:
    """Size to convert a (width x height) picture to: pixel aspect corrected, longer side at most `max_side`."""
    display_w = width * sample_aspect if sample_aspect > 0 else float(width)
    scale = min(1.0, max_side / max(display_w, height, 1))
    return max(1, round(display_w * scale)), max(1, round(height * scale))


def frame_to_rgb(frame: av.VideoFrame, max_side: int, sample_aspect: float = 1.0) -> tuple[np.ndarray, int]:
    """The frame as a contiguous RGB uint8 array no larger than `max_side`, turned upright; and its rotation."""
    width, height = scaled_size(frame.width, frame.height, max_side, sample_aspect)
    # The frame's own colour range (full-range phone videos look washed out when read as limited range); one
    # scaling thread: the picture is small and videos are decoded in parallel anyway.
    image = frame.to_ndarray(
        width=width, height=height, format="rgb24", src_color_range=frame.color_range or None, threads=1
    )
    rotation = normalise_rotation(getattr(frame, "rotation", 0))
    if rotation:
        image = np.rot90(image, k=rotation // 90)
    return np.ascontiguousarray(image), rotation


def _packets(container: av.container.InputContainer, stream, errors: list[str]) -> Iterator[av.Packet]:
    """Demuxed packets of one stream; a read error (cut-off or corrupt file) ends the iteration and is recorded."""
    demux = container.demux(stream)
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except (av.error.FFmpegError, OSError) as exc:
            errors.append(str(getattr(exc, "strerror", None) or exc))
            return
        yield packet


def sample_frames(
    path: str | os.PathLike,
    container: av.container.InputContainer,
    *,
    sample_fps: float = 2.0,
    max_side: int = 480,
    max_seconds: float = 600.0,
    threads: int = 0,
) -> DecodedVideo:
    """Decode `container`'s main video stream, keeping about `sample_fps` frames a second for `max_seconds`.

    Frames are taken on a regular time grid (0, 1/sample_fps, ...): each kept frame is the first decoded frame at or
    after a grid point. Decoding stops at `max_seconds`. Packets that fail to decode are skipped; a file that ends
    early (cut off) keeps what was decoded and says so in `warnings`. A `MediaError` only if no frame decodes.
    `threads` is the decoder's thread count (0: FFmpeg picks, one per core; 1 when videos are decoded in parallel).
    """
    if sample_fps <= 0:
        raise ValueError("sample_fps must be > 0")
    if max_side < 8:
        raise ValueError("max_side must be >= 8")
    stream = video_stream(container, path)
    ctx = stream.codec_context
    stream.thread_type = "AUTO"
    if threads > 0:
        ctx.thread_count = threads
    skipping = SKIP_MODE != "DEFAULT"
    if skipping:
        ctx.skip_frame = SKIP_MODE
    origin = time_origin(container)
    announced = stream_duration(container, stream)
    sar = sample_aspect_ratio(stream)
    rate = stream.average_rate or stream.guessed_rate
    frame_interval = 1.0 / float(rate) if rate and float(rate) > 0 else 1.0 / 25.0
    step = 1.0 / sample_fps
    # Longest wait for a decoded picture while packets keep coming before we stop skipping frames.
    starve_limit = max(1.0, 2.0 * step)

    out = DecodedVideo(frames=[], end=0.0, duration=announced, rotation=0)
    read_errors: list[str] = []
    decode_errors: list[str] = []
    consecutive_errors = 0
    next_grid = 0.0
    last_time: float | None = None  # time of the last decoded picture
    last_kept: float = -math.inf
    last_packet_time: float | None = None
    capped = False
    gave_up = False
    first_packet_time: float | None = None

    def take(frame: av.VideoFrame) -> bool:
        """Keep the frame if it falls on the grid; False once past max_seconds."""
        nonlocal next_grid, last_time, last_kept, capped
        out.decoded += 1
        t = frame.time
        if t is None:
            t = (last_time + frame_interval) if last_time is not None else 0.0
        else:
            t = t - origin
        if t < -1e-3 and last_time is None:
            return True  # pre-roll before the start of presentation
        t = max(t, 0.0)
        if t > max_seconds:
            capped = True
            return False
        last_time = t if last_time is None else max(last_time, t)
        if t + 1e-6 >= next_grid and t > last_kept:
            image, rotation = frame_to_rgb(frame, max_side, sar)
            out.rotation = rotation
            out.frames.append(Frame(time=t, image=image))
            last_kept = t
            next_grid = (math.floor(t / step + 1e-6) + 1) * step
        return True

    for packet in _packets(container, stream, read_errors):
        if packet.pts is not None and packet.time_base is not None:
            pt = float(packet.pts * packet.time_base) - origin
            last_packet_time = pt
            if first_packet_time is None:
                first_packet_time = pt
            if pt > max_seconds + 1.0:
                capped = True
                break
        if packet.size:
            out.packets += 1
        if skipping and last_packet_time is not None:
            since = last_time if last_time is not None else first_packet_time
            if since is not None and last_packet_time - since > starve_limit:
                log.info("%s: skipping non-reference frames left a %.1f s gap; decoding every frame",
                         path, last_packet_time - since)
                ctx.skip_frame = "DEFAULT"
                skipping = False
        try:
            decoded = stream.decode(packet)
        except av.error.FFmpegError as exc:
            out.failed_packets += 1
            consecutive_errors += 1
            decode_errors.append(exc.strerror or str(exc))
            if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                gave_up = True
                break
            continue
        consecutive_errors = 0
        if not all(take(frame) for frame in decoded):
            break
    _flush(stream, take, decode_errors)

    if not out.frames:
        reason = (read_errors or decode_errors or ["the stream holds no pictures"])[-1]
        raise MediaError(
            f"{path}: no video frame could be decoded ({reason}); the file is corrupt or uses a codec this "
            "FFmpeg build cannot decode; re-export it as H.264 MP4"
        )
    covered = max(last_time or 0.0, out.frames[-1].time) + frame_interval
    expected = min(announced, max_seconds) if announced > 0 else 0.0
    # The last frame of a healthy file is within a few frames of the announced end. When only the container says
    # how long it is, that may include a longer audio track: allow more.
    own_duration = stream.duration is not None and stream.duration > 0
    slack = max(0.3, 3 * frame_interval) if own_duration else max(0.5, 3 * frame_interval) + 0.02 * expected
    cut_short = expected > 0 and covered < expected - slack
    truncated = bool(read_errors) or gave_up or (cut_short and not capped)
    if capped:
        out.end = max_seconds
        total = f" ({announced:.0f} s)" if announced > 0 else ""
        out.warnings.append(f"video longer than {max_seconds:g} s{total}: analysed the first {max_seconds:g} s")
    elif truncated or announced <= 0:
        out.end = covered
    else:
        out.end = max(covered, announced)
    if truncated:
        why = (read_errors or decode_errors or ["the file ends before its announced duration"])[-1]
        of = f" of {announced:.1f} s" if announced > 0 else ""
        out.warnings.append(f"truncated: decoded up to {covered:.1f} s{of} ({why})")
    if out.failed_packets and not gave_up:
        out.warnings.append(
            f"{out.failed_packets} video packet(s) failed to decode ({decode_errors[-1]}); nearby frames were skipped"
        )
    if out.duration <= 0:
        out.duration = out.end
    log.debug("%s: %d packets, %d pictures decoded, %d frames kept, rotation %d", path, out.packets,
              out.decoded, len(out.frames), out.rotation)
    return out


def _flush(stream, take, decode_errors: list[str]) -> None:
    """Drain the frames the decoder still holds (frame threads and B-frame reordering delay output)."""
    try:
        for frame in stream.decode(None):
            if not take(frame):
                return
    except av.error.FFmpegError as exc:
        decode_errors.append(exc.strerror or str(exc))
