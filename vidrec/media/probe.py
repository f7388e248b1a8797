"""Open a video file safely and describe it: size, duration, frame size, frame rate, codecs, rotation.

Every failure to read a file becomes a `MediaError` that names the file and says what to do; the PyAV container is
only ever opened through `open_video`, so decode and audio share the same checks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import av.error

from vidrec.errors import MediaError

log = logging.getLogger(__name__)

# Demuxers that FFmpeg uses for still images and text; a file they open is not a video even if it has a
# "video stream" (a JPEG renamed .mp4 opens as jpeg_pipe, a text file as tty with the 'ansi' codec).
_STILL_IMAGE_FORMATS = {"image2", "tty", "bin", "xbin", "adf", "idf"}
_NON_VIDEO_CODECS = {"ansi", "bintext", "xbin", "idf"}

# Playlists make FFmpeg open other files or URLs: never follow them from a catalog file (only local files are read).
_PLAYLIST_FORMATS = {"hls", "concat", "dash", "ffconcat", "imf", "mpl2"}
_CONTAINER_OPTIONS = {"protocol_whitelist": "file"}


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds. `width` and `height` are as displayed (after rotation and pixel aspect)."""

    path: str
    size_bytes: int
    duration: float  # seconds; 0.0 when neither the container nor the stream says
    width: int
    height: int
    fps: float  # average frame rate; 0.0 when unknown
    video_codec: str
    has_audio: bool
    audio_codec: str | None
    rotation: int  # degrees counter-clockwise that the player turns the picture (0, 90, 180, -90)
    container: str = ""


def check_readable(path: str | os.PathLike) -> Path:
    """The path as a `Path` if it is a non-empty readable regular file, else a `MediaError` saying why."""
    p = Path(path)
    if not p.exists():
        raise MediaError(f"{p}: no such file; check the path (relative paths are taken from the catalog file)")
    if p.is_dir():
        raise MediaError(f"{p}: is a directory, not a video file")
    if not p.is_file():
        raise MediaError(f"{p}: not a regular file (device, socket or pipe); point to a video file")
    if not os.access(p, os.R_OK):
        raise MediaError(f"{p}: permission denied; make the file readable by this user (chmod a+r)")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise MediaError(f"{p}: cannot read file information ({exc.strerror}); check the disk and permissions") from exc
    if size == 0:
        raise MediaError(f"{p}: the file is empty (0 bytes); re-export or re-download the video")
    return p


def _ffmpeg_message(exc: BaseException) -> str:
    if isinstance(exc, av.error.FFmpegError):
        return exc.strerror or str(exc)
    return str(exc)


@contextmanager
def open_video(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open a file with PyAV for reading, after `check_readable`; always closes it."""
    p = check_readable(path)
    try:
        container = av.open(
            os.path.abspath(p), mode="r", container_options=dict(_CONTAINER_OPTIONS), metadata_errors="replace"
        )
    except PermissionError as exc:
        raise MediaError(f"{p}: permission denied; make the file readable by this user (chmod a+r)") from exc
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{p}: not a readable video ({_ffmpeg_message(exc)}): the file is corrupt, cut off before its index "
            "was written, or not a video at all; re-export or re-download it"
        ) from exc
    except (OSError, ValueError) as exc:
        raise MediaError(f"{p}: cannot open ({exc}); check that it is a video file") from exc
    try:
        fmt_names = set((container.format.name if container.format else "").split(","))
        if fmt_names & _PLAYLIST_FORMATS:
            raise MediaError(f"{p}: is a playlist ({container.format.name}), not a video; point to the video file itself")
        yield container
    finally:
        container.close()


def video_stream(container: av.container.InputContainer, path: str | os.PathLike) -> av.video.stream.VideoStream:
    """The main video stream (largest picture, cover art excluded), or a `MediaError` for audio-only and non-videos."""
    fmt = container.format.name if container.format else ""
    fmt_names = set(fmt.split(","))
    if fmt_names & _STILL_IMAGE_FORMATS or any(n.endswith("_pipe") for n in fmt_names):
        raise MediaError(
            f"{path}: is a still image or text file ({fmt}), not a video; give the catalog a video file "
            "(mp4, webm, mov, mkv...)"
        )
    candidates = []
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue  # album cover in an audio file
        ctx = stream.codec_context
        if ctx is None or ctx.name in _NON_VIDEO_CODECS:
            continue
        candidates.append(stream)
    if not candidates:
        has_audio = bool(container.streams.audio)
        what = "an audio-only file" if has_audio else "a file"
        raise MediaError(
            f"{path}: {what} with no video stream ({fmt}); vidrec needs a video of the product, "
            "give the catalog row a video file"
        )
    return max(candidates, key=lambda s: (s.codec_context.width or 0) * (s.codec_context.height or 0))


def stream_duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    """Seconds of video the headers announce (stream first, then container); 0.0 when unknown."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return 0.0


def time_origin(container: av.container.InputContainer) -> float:
    """The container's start time in seconds: frame and audio times are reported relative to it."""
    if container.start_time is not None:
        return container.start_time / av.time_base
    return 0.0


def display_size(width: int, height: int, sample_aspect: float, rotation: int) -> tuple[int, int]:
    """Frame size as a player shows it: stretched by the pixel aspect ratio, then turned by the rotation."""
    if sample_aspect > 0 and abs(sample_aspect - 1.0) > 1e-3:
        width = max(1, round(width * sample_aspect))
    if rotation % 180 != 0:
        width, height = height, width
    return width, height


def sample_aspect_ratio(stream: av.video.stream.VideoStream) -> float:
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if sar is None or sar.numerator <= 0 or sar.denominator <= 0:
        return 1.0
    return float(sar)


def normalise_rotation(degrees: float | int | None) -> int:
    """Round a display-matrix angle to a multiple of 90 in (-180, 180]; anything else counts as 0."""
    if not degrees:
        return 0
    quarter = round(float(degrees) / 90.0) % 4
    return {0: 0, 1: 90, 2: 180, 3: -90}[quarter]


def _first_frame_rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """Rotation from the first decodable frame's display matrix (PyAV exposes it on frames, not streams)."""
    stream.codec_context.skip_frame = "NONKEY"
    try:
        for frame in container.decode(stream):
            return normalise_rotation(getattr(frame, "rotation", 0))
    except av.error.FFmpegError as exc:
        log.debug("first frame of %s did not decode (%s)", container.name, exc)
    return 0


def describe(container: av.container.InputContainer, path: str | os.PathLike, *, rotation: int | None = None) -> VideoInfo:
    """A `VideoInfo` for an open container; decodes the first frame for the rotation unless it is given."""
    p = Path(path)
    stream = video_stream(container, p)
    ctx = stream.codec_context
    width, height = ctx.width or 0, ctx.height or 0
    if width <= 0 or height <= 0:
        raise MediaError(f"{p}: the video stream has no frame size (corrupt header); re-export the video")
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    audio = container.streams.audio[0] if container.streams.audio else None
    audio_codec = audio.codec_context.name if audio is not None and audio.codec_context is not None else None
    if rotation is None:
        rotation = _first_frame_rotation(container, stream)
    width, height = display_size(width, height, sample_aspect_ratio(stream), rotation)
    return VideoInfo(
        path=str(p),
        size_bytes=p.stat().st_size,
        duration=stream_duration(container, stream),
        width=width,
        height=height,
        fps=float(rate) if rate else 0.0,
        video_codec=ctx.name,
        has_audio=audio is not None,
        audio_codec=audio_codec,
        rotation=rotation,
        container=container.format.name if container.format else "",
    )


def probe(path: str | os.PathLike) -> VideoInfo:
    """Describe a video file; `MediaError` if it is missing, unreadable, empty, not a video or has no video stream.

    Decodes only the first key frame (to read the rotation), so it is fast even for 4K.
    """
    p = check_readable(path)
    with open_video(p) as container:
        return describe(container, p)
