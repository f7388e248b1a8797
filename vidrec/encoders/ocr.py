"""On-screen text (Chinese + English) with rapidocr and its bundled PP-OCR models (det/cls/rec, ONNX, CPU).

Only the default models are used: the others listed in rapidocr's YAML would be downloaded at run time. Frames are
downscaled so their longer side is at most `max_side` before detection, and the detector is told not to upscale
them again (rapidocr's default scales the *shorter* side up to 736 px, which costs 2-4x the time here).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from vidrec.encoders.image import as_rgb
from vidrec.errors import ModelUnavailableError

log = logging.getLogger(__name__)

Point = tuple[float, float]

# The text gate: rapidocr's own detector on a copy of the frame whose longer side is GATE_SIDE px, keeping boxes
# whose mean text probability is at least GATE_BOX_THRESH (the full read keeps 0.5). A frame where it finds no box
# is not read (most frames of a product video hold no text: 130 of the 210 frames picked for reading in 40 TUNE
# videos). Fitted on those 40 TUNE videos (bench/bench_ingest_stages.py gives the check on others): at 160 px and
# 0.3 no line the full reader found was lost from any video's on-screen text (one frame was gated whose line was
# read from another frame), at 0.5 a small "FILA" logo was lost, at 192 and 224 px too; the gate costs ~0.008
# CPU-s a frame against ~0.085 for a full read.
GATE_SIDE = 160
GATE_BOX_THRESH = 0.3


@dataclass
class Line:
    """One line of text seen in a frame: its text, its quadrilateral (4 (x, y) points in the frame's own pixels,
    clockwise from top-left) and the recogniser's confidence in [0, 1]."""

    text: str
    box: tuple[Point, Point, Point, Point]
    score: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Axis-aligned (left, top, right, bottom)."""
        xs = [p[0] for p in self.box]
        ys = [p[1] for p in self.box]
        return min(xs), min(ys), max(xs), max(ys)


class TextReader:
    """Reads the text lines of an RGB frame (H, W, 3) uint8; lines scoring below `min_score` are dropped.

    Measured on 720x1280 frames of real videos with burnt-in Chinese captions: ~0.36 CPU-s per frame at
    max_side=960 with one thread (0.2 s at 640, missing some small text). The engine loads lazily once; calls are
    serialised.
    """

    def __init__(self, max_side: int = 960, min_score: float = 0.7, threads: int = 1, gate_side: int = GATE_SIDE,
                 gate_box_thresh: float = GATE_BOX_THRESH) -> None:
        self.max_side = max_side
        self.min_score = min_score
        self.gate_side = gate_side
        self.gate_box_thresh = gate_box_thresh
        self._threads = threads
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    try:
                        from rapidocr import RapidOCR
                    except ImportError as exc:
                        raise ModelUnavailableError(
                            "on-screen text reading needs rapidocr and onnxruntime: pip install 'rapidocr>=3,<4' "
                            "onnxruntime"
                        ) from exc
                    self._engine = RapidOCR(
                        params={
                            "Global.log_level": "error",
                            "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                            "Det.limit_type": "max",
                            "Det.limit_side_len": self.max_side,
                        }
                    )
        return self._engine

    def may_hold_text(self, frame: np.ndarray) -> bool:
        """Whether the cheap text gate finds any text box in `frame` (see GATE_SIDE): False means reading it
        would find nothing worth keeping (at the measured rate; the gate is tuned to miss no line)."""
        rgb = as_rgb(frame)
        h, w = rgb.shape[:2]
        if min(h, w) < 8:
            return False
        scale = min(1.0, self.gate_side / max(h, w))
        small = Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                            Image.Resampling.BILINEAR)
        bgr = np.ascontiguousarray(np.asarray(small)[:, :, ::-1])
        engine = self._load()
        with self._lock:
            detector = engine._load_det_model()
            post = detector.postprocess_op
            kept = post.box_thresh
            post.box_thresh = self.gate_box_thresh
            try:
                out = detector(bgr)
            finally:
                post.box_thresh = kept
        return out.boxes is not None and len(out.boxes) > 0

    def read(self, frame: np.ndarray) -> list[Line]:
        """Text lines top to bottom (then left to right), boxes in the coordinates of `frame`."""
        rgb = as_rgb(frame)
        h, w = rgb.shape[:2]
        if min(h, w) < 8:
            return []
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:
            rgb = np.asarray(
                Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
            )
        engine = self._load()
        with self._lock:
            out = engine(np.ascontiguousarray(rgb))
        if out is None or out.txts is None or out.boxes is None:
            return []
        lines = []
        for text, box, score in zip(out.txts, out.boxes, out.scores, strict=False):
            text = (text or "").strip()
            if not text or float(score) < self.min_score:
                continue
            pts = np.asarray(box, dtype=np.float64).reshape(4, 2) / scale
            pts[:, 0] = pts[:, 0].clip(0, w)
            pts[:, 1] = pts[:, 1].clip(0, h)
            quad = tuple((round(float(x), 1), round(float(y), 1)) for x, y in pts)
            lines.append(Line(text, quad, round(float(score), 4)))  # type: ignore[arg-type]
        lines.sort(key=lambda line: (round(line.bounds[1] / max(h * 0.02, 1.0)), line.bounds[0]))
        return lines


_default: TextReader | None = None
_default_lock = threading.Lock()


def default_text_reader() -> TextReader:
    """The process-wide reader (models load on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = TextReader()
        return _default
