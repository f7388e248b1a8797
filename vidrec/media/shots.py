"""Split sampled frames into shots on content change, pick a keyframe per shot and the frames worth reading text from.

The detector compares consecutive sampled frames with two cheap signals, both on small thumbnails:

- a colour histogram (hue x lightness for coloured pixels, lightness alone for grey ones), compared by total
  variation distance: robust to motion, zoom and pan inside a shot;
- a ~32-px-wide grey thumbnail, compared by mean absolute difference: catches cuts between pictures with similar
  colours (two products on white).

When the brightness changed but the thumbnails keep their structure (high correlation), the change is damped:
that is a fade or an exposure change, not a new picture.

A transition is a cut when its change score is high in absolute terms and stands out from the scores around it
(adaptive threshold, as in PySceneDetect's AdaptiveDetector): a slow zoom on a still photo changes a little at every
frame and stays one shot; a hard cut is a spike. A picture that comes back right after a spike (a flash, a single
odd frame) is not a cut. Shots shorter than `min_shot_seconds` are not created, and when there are more than
`max_shots` the shortest are merged into a neighbour.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from vidrec.media.decode import Frame

log = logging.getLogger(__name__)

# Cut detection, on the change score in [0, 1] between two sampled frames.
MIN_CUT_SCORE = 0.15  # never a cut below this
STRONG_CUT_SCORE = 0.45  # always a cut above this (unless the picture comes back)
ADAPTIVE_RATIO = 2.5  # otherwise the score must be this many times the mean score of its neighbours...
ADAPTIVE_FLOOR = 0.08  # ...plus this
WINDOW = 2  # neighbours on each side for the adaptive threshold
SAME_PICTURE = 0.12  # two frames this close count as the same picture (a flash returns to it)
SAME_STRUCTURE = 0.95  # thumbnails correlated this much are one picture, lighter or darker (a fade)
FADE_STEP = 0.02  # mean grey change (0..1) between two frames that may be a fade
MIN_SHOT_SECONDS = 0.8
BLANK_STD = 6.0  # a picture whose grey levels vary less than this (0..255)...
BLANK_DARK = 40.0  # ...and whose mean is below this is blank (black between scenes, the end of a fade)
OCR_CHANGE = 0.25  # edge change (0..1) that makes a frame worth reading again within a shot
CAPTION_SECONDS = 2.0  # frames closer in time than this are discounted as likely showing the same caption
TEXT_GRID = (6, 4)  # rows, columns of the grid text changes are measured in


@dataclass
class Shot:
    """A continuous stretch of video: seconds [start, end), its keyframe (RGB uint8) and when that frame is."""

    index: int
    start: float
    end: float
    keyframe_time: float
    keyframe: np.ndarray


@dataclass
class FrameFeatures:
    """Per-frame signatures the detector and the keyframe / OCR pickers compare."""

    histograms: np.ndarray  # (n, bins) float32, each row sums to 1
    thumbnails: np.ndarray  # (n, h, w) float32 grey 0..1
    edges: np.ndarray  # (n, h, w) uint8 gradient magnitude on a 160-px-wide grey image, for on-screen text
    sharpness: np.ndarray  # (n,) variance of the Laplacian
    blank: np.ndarray  # (n,) bool: a black or nearly black, featureless picture (between scenes, end of a fade)


_HUE_BINS = 12
_LIGHT_BINS_COLOUR = 3
_LIGHT_BINS_GREY = 5
HISTOGRAM_BINS = _HUE_BINS * _LIGHT_BINS_COLOUR + _LIGHT_BINS_GREY


def colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """Normalised histogram over hue x value for coloured pixels and value alone for grey ones (float 0..255)."""
    px = rgb.reshape(-1, 3).astype(np.float32) / 255.0
    mx = px.max(axis=1)
    mn = px.min(axis=1)
    chroma = mx - mn
    sat = np.where(mx > 0, chroma / np.maximum(mx, 1e-6), 0.0)
    coloured = (sat >= 0.2) & (mx >= 0.15)
    r, g, b = px[:, 0], px[:, 1], px[:, 2]
    safe = np.maximum(chroma, 1e-6)
    hue = np.where(
        mx == r, ((g - b) / safe) % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)
    ) / 6.0
    hue_bin = np.minimum((hue * _HUE_BINS).astype(np.int64), _HUE_BINS - 1)
    val_bin_c = np.minimum((mx * _LIGHT_BINS_COLOUR).astype(np.int64), _LIGHT_BINS_COLOUR - 1)
    val_bin_g = np.minimum((mx * _LIGHT_BINS_GREY).astype(np.int64), _LIGHT_BINS_GREY - 1)
    bins = np.where(coloured, hue_bin * _LIGHT_BINS_COLOUR + val_bin_c, _HUE_BINS * _LIGHT_BINS_COLOUR + val_bin_g)
    hist = np.bincount(bins, minlength=HISTOGRAM_BINS).astype(np.float32)
    return hist / max(hist.sum(), 1.0)


def _reduce(image: Image.Image, width: int) -> Image.Image:
    """Box-filter `image` down by an integer factor so it is about `width` pixels wide (never up)."""
    k = max(1, image.width // width)
    return image.reduce(k) if k > 1 else image


def frame_features(frames: Sequence[Frame]) -> FrameFeatures:
    """Signatures of every frame, computed on thumbnails (well under 1 ms a frame)."""
    n = len(frames)
    hists = np.zeros((n, HISTOGRAM_BINS), np.float32)
    thumbs: list[np.ndarray] = []
    edges: list[np.ndarray] = []
    sharp = np.zeros(n, np.float32)
    blank = np.zeros(n, bool)
    for i, frame in enumerate(frames):
        im = Image.fromarray(frame.image)
        hists[i] = colour_histogram(np.asarray(_reduce(im, 64)))
        grey_im = _reduce(im, 240).convert("L")
        grey = np.asarray(grey_im, dtype=np.float32)
        thumbs.append(np.asarray(_reduce(grey_im, 32), dtype=np.float32) / 255.0)
        text_grey = np.asarray(_reduce(im.convert("L"), 160), dtype=np.float32)
        gy, gx = np.gradient(text_grey)
        edges.append(np.minimum(np.hypot(gx, gy), 255.0).astype(np.uint8))
        lap = grey[1:-1, 1:-1] * 4 - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
        sharp[i] = float(lap.var()) if lap.size else 0.0
        blank[i] = float(grey.std()) < BLANK_STD and float(grey.mean()) < BLANK_DARK
    return FrameFeatures(
        histograms=hists,
        thumbnails=_stack_same_shape(thumbs),
        edges=_stack_same_shape(edges),
        sharpness=sharp,
        blank=blank,
    )


def _stack_same_shape(arrays: list[np.ndarray]) -> np.ndarray:
    """Stack arrays, cropping to the smallest shape (frames of one video share a size except after odd streams)."""
    if not arrays:
        return np.zeros((0, 1, 1), np.float32)
    h = min(a.shape[0] for a in arrays)
    w = min(a.shape[1] for a in arrays)
    return np.stack([a[:h, :w] for a in arrays])


def change(features: FrameFeatures, i: int, j: int) -> float:
    """How different frames i and j look, in [0, 1].

    The larger of the colour-histogram and the thumbnail distance, damped when the brightness changed but the two
    thumbnails keep the same structure (correlation of their normalised grey levels >= 0.8): that is one picture
    getting darker or lighter (a fade, an exposure change), not a new one.
    """
    hist = 0.5 * float(np.abs(features.histograms[i] - features.histograms[j]).sum())
    a, b = features.thumbnails[i], features.thumbnails[j]
    score = max(hist, min(1.0, 2.5 * float(np.abs(a - b).mean())))
    sa, sb = float(a.std()), float(b.std())
    if abs(float(a.mean()) - float(b.mean())) >= FADE_STEP and sa > 0.02 and sb > 0.02:
        corr = float(((a - a.mean()) * (b - b.mean())).mean() / (sa * sb))
        score *= float(np.clip((SAME_STRUCTURE - corr) / 0.15, 0.0, 1.0))
    return score


def text_change(features: FrameFeatures, i: int, j: int) -> float:
    """How much the edges (where text is) of frames i and j differ, in the region of the picture that changed most.

    The edge maps are cut into a grid; each cell's mean absolute difference is taken relative to the edges it holds,
    so a caption changing in one corner of a busy picture still counts.
    """
    a = features.edges[i].astype(np.float32)
    b = features.edges[j].astype(np.float32)
    h, w = a.shape
    rows, cols = min(TEXT_GRID[0], h), min(TEXT_GRID[1], w)
    hh, ww = h // rows * rows, w // cols * cols
    shape = (rows, hh // rows, cols, ww // cols)
    a, b = a[:hh, :ww].reshape(shape), b[:hh, :ww].reshape(shape)
    diff = np.abs(a - b).mean(axis=(1, 3))
    mass = a.mean(axis=(1, 3)) + b.mean(axis=(1, 3)) + 2.0
    return float((diff / mass).max())


def cut_scores(features: FrameFeatures) -> np.ndarray:
    """scores[i] = change between frame i-1 and frame i (scores[0] = 0)."""
    n = len(features.sharpness)
    scores = np.zeros(n, np.float32)
    for i in range(1, n):
        scores[i] = change(features, i - 1, i)
    return scores


def find_cuts(
    times: Sequence[float],
    features: FrameFeatures,
    *,
    min_shot_seconds: float = MIN_SHOT_SECONDS,
    scores: np.ndarray | None = None,
) -> list[int]:
    """Indices i where a new shot starts at frame i (between frame i-1 and i), in increasing order."""
    n = len(times)
    if n < 2:
        return []
    if scores is None:
        scores = cut_scores(features)
    candidates: list[int] = []
    for i in range(1, n):
        s = float(scores[i])
        if s < MIN_CUT_SCORE:
            continue
        neighbours = [scores[j] for j in range(max(1, i - WINDOW), min(n, i + WINDOW + 1)) if j != i]
        local = float(np.mean(neighbours)) if neighbours else 0.0
        if s < STRONG_CUT_SCORE and s < ADAPTIVE_RATIO * local + ADAPTIVE_FLOOR:
            continue
        # A picture that comes back right after the change was an interruption (flash, glitch), not a new shot.
        if i + 1 < n and change(features, i - 1, i + 1) < SAME_PICTURE:
            continue
        if i >= 2 and change(features, i - 2, i) < SAME_PICTURE:
            continue
        candidates.append(i)
    # Keep the strongest cuts first, dropping any that would make a shot shorter than min_shot_seconds.
    start, stop = times[0], times[-1]
    kept: list[int] = []
    for i in sorted(candidates, key=lambda k: -scores[k]):
        t = _boundary(times, i)
        if t - start < min_shot_seconds * 0.5 or stop - t < min_shot_seconds * 0.5:
            continue
        if any(abs(t - _boundary(times, k)) < min_shot_seconds for k in kept):
            continue
        kept.append(i)
    return sorted(kept)


def _boundary(times: Sequence[float], i: int) -> float:
    """The time of a cut between frame i-1 and frame i: half-way between them."""
    return 0.5 * (times[i - 1] + times[i])


def _merge_to(ranges: list[list[int]], boundary_scores: list[float], max_shots: int, times: Sequence[float],
              end: float) -> None:
    """Merge the shortest shot into its neighbour across the weaker cut until at most max_shots remain."""

    def duration(k: int) -> float:
        a = _boundary(times, ranges[k][0]) if ranges[k][0] > 0 else 0.0
        b = _boundary(times, ranges[k][1]) if ranges[k][1] < len(times) else end
        return b - a

    while len(ranges) > max(1, max_shots):
        k = min(range(len(ranges)), key=duration)
        # boundary_scores[k] is the cut before shot k (k >= 1); merge across the weaker of the two cuts
        if k == 0:
            into = 1
        elif k == len(ranges) - 1:
            into = k - 1
        else:
            into = k - 1 if boundary_scores[k] <= boundary_scores[k + 1] else k + 1
        lo, hi = min(k, into), max(k, into)
        ranges[lo] = [ranges[lo][0], ranges[hi][1]]
        del ranges[hi]
        del boundary_scores[hi]


def _merge_blank(ranges: list[list[int]], boundary_scores: list[float], features: FrameFeatures) -> None:
    """Fold shots made only of blank pictures (black between scenes) into the next shot (or the previous)."""
    k = 0
    while len(ranges) > 1 and k < len(ranges):
        a, b = ranges[k]
        if bool(features.blank[a:b].all()):
            if k + 1 < len(ranges):
                ranges[k + 1] = [a, ranges[k + 1][1]]
                del boundary_scores[k + 1]
            else:
                ranges[k - 1] = [ranges[k - 1][0], b]
                del boundary_scores[k]
            del ranges[k]
            continue
        k += 1


def pick_keyframe(times: Sequence[float], features: FrameFeatures, a: int, b: int) -> int:
    """The sharpest non-blank frame of frames [a, b), favouring the middle of the shot; avoids frames at its edges."""
    idx = list(range(a, b))
    if len(idx) >= 3:
        idx = idx[1:-1] if len(idx) >= 5 else idx[1:]
    non_blank = [i for i in idx if not features.blank[i]]
    idx = non_blank or idx
    sharp = features.sharpness[idx]
    top = float(sharp.max()) if len(idx) else 0.0
    span = max(times[b - 1] - times[a], 1e-6)
    best, best_score = idx[0], -1.0
    for i, s in zip(idx, sharp, strict=True):
        rel = (times[i] - times[a]) / span
        centrality = 1.0 - 0.5 * abs(rel - 0.5)  # 0.75 at the edges, 1 in the middle
        score = (float(s) / top if top > 0 else 1.0) * centrality
        if score > best_score:
            best, best_score = i, score
    return best


def pick_text_frames(
    times: Sequence[float], features: FrameFeatures, a: int, b: int, keyframe: int, per_shot: int
) -> list[int]:
    """Up to `per_shot` frames of [a, b) to read on-screen text from: the keyframe, then frames that differ.

    Greedy farthest-first: the next frame is the one least like every frame already chosen, where "like" needs
    both similar edges and nearness in time (a caption stays up a second or two). Frames are only added while
    they differ by at least `OCR_CHANGE`: a static shot gives one frame.
    """
    if per_shot <= 0:
        return []
    chosen = [keyframe]
    candidates = [i for i in range(a, b) if i != keyframe and not features.blank[i]]

    def distance(i: int, c: int) -> float:
        return text_change(features, i, c) * min(1.0, abs(times[i] - times[c]) / CAPTION_SECONDS)

    while len(chosen) < per_shot and candidates:
        dist = [min(distance(i, c) for c in chosen) for i in candidates]
        j = int(np.argmax(dist))
        if dist[j] < OCR_CHANGE:
            break
        chosen.append(candidates.pop(j))
    return sorted(chosen)


def detect_shots(
    frames: Sequence[Frame],
    *,
    end: float | None = None,
    max_shots: int = 40,
    ocr_frames_per_shot: int = 2,
    min_shot_seconds: float = MIN_SHOT_SECONDS,
    features: FrameFeatures | None = None,
) -> tuple[list[Shot], list[Frame]]:
    """Shots of the sampled `frames` (in time order) and the frames to read on-screen text from, in time order.

    `end` is when the video (or the analysed part) ends; the last shot ends there.
    """
    if not frames:
        return [], []
    times = [f.time for f in frames]
    if end is None or end < times[-1]:
        end = times[-1]
    features = features if features is not None else frame_features(frames)
    scores = cut_scores(features)
    cuts = find_cuts(times, features, min_shot_seconds=min_shot_seconds, scores=scores)
    starts = [0, *cuts]
    ranges = [[s, e] for s, e in zip(starts, [*cuts, len(frames)], strict=True)]
    boundary_scores = [0.0] + [float(scores[c]) for c in cuts]
    _merge_blank(ranges, boundary_scores, features)
    _merge_to(ranges, boundary_scores, max_shots, times, end)

    shots: list[Shot] = []
    text_frames: list[Frame] = []
    for k, (a, b) in enumerate(ranges):
        start = 0.0 if k == 0 else _boundary(times, a)
        stop = end if k == len(ranges) - 1 else _boundary(times, b)
        key = pick_keyframe(times, features, a, b)
        shots.append(Shot(index=k, start=start, end=stop, keyframe_time=times[key], keyframe=frames[key].image))
        text_frames.extend(frames[i] for i in pick_text_frames(times, features, a, b, key, ocr_frames_per_shot))
    log.debug("%d frames -> %d cuts -> %d shots, %d text frames", len(frames), len(cuts), len(shots),
              len(text_frames))
    return shots, text_frames
