"""Calibrated confidence for inferred categories and colours, and the "unsure" mark.

The fusion's raw confidence is a vote share: 1.0 whenever one caption names one category, whatever the pixels say,
and 0.3 for a visual guess that is right half the time. A calibrated probability is the chance the value is right.
It is a logistic curve over the logit of the raw confidence (Platt scaling), one curve per attribute and per kind
of evidence that decided it ("named": a caption, on-screen text or speech named the value; "visual": only pixels),
fitted on the tune split of the evaluation catalog by ``bench/eval_pseudo.py --fit-calibration`` (see
BENCHMARKS.md) and shipped in ``vidrec/resources/calibration/category-colour.json``.

An inferred value whose calibrated probability is below one half is more likely wrong than right: it is marked
``unsure``. That bound is the definition of "more likely wrong", not a tuned number. An unsure value is kept (it is
still the best guess and ranks items) but search and chat never use it as a hard filter.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from vidrec.errors import ConfigError
from vidrec.understand.profile import Attribute

CALIBRATION_FILE = "calibration/category-colour.json"
UNSURE_BELOW = 0.5  # a value more likely wrong than right is unsure
CALIBRATED = ("category", "color")  # the attributes that carry a calibrated probability
NAMED_MODALITIES = ("text", "ocr", "speech")
_EPS = 0.02  # raw confidences are clipped to [EPS, 1 - EPS] before the logit


def evidence_group(attr: Attribute) -> str:
    """Which curve applies: "named" when a text, caption or speech named the value, else "visual"."""
    if any(e.modality in NAMED_MODALITIES for e in attr.evidence):
        return "named"
    return "visual"


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class PlattCurve:
    """p = sigmoid(a * logit(raw) + b)."""

    a: float
    b: float
    n: int = 0  # how many examples it was fitted on

    def __call__(self, raw: float) -> float:
        z = self.a * float(_logit(raw)) + self.b
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def fit(cls, raw: list[float] | np.ndarray, correct: list[bool] | np.ndarray, l2: float = 1e-2,
            iterations: int = 100) -> PlattCurve:
        """Maximum likelihood (Newton's method, a small ridge so one-class data stays finite)."""
        x = _logit(raw)
        y = np.asarray(correct, dtype=np.float64)
        if x.shape != y.shape or x.size == 0:
            raise ValueError(f"need as many outcomes as confidences, and at least one ({x.size} vs {y.size})")
        # Platt's targets: (n+ + 1) / (n+ + 2) and 1 / (n- + 2), so a perfect split does not diverge
        pos, neg = y.sum(), y.size - y.sum()
        t = np.where(y > 0.5, (pos + 1) / (pos + 2), 1 / (neg + 2))
        w = np.zeros(2)
        design = np.stack([x, np.ones_like(x)], axis=1)
        for _ in range(iterations):
            p = 1 / (1 + np.exp(-(design @ w)))
            grad = design.T @ (p - t) + l2 * w
            hess = (design * (p * (1 - p))[:, None]).T @ design + l2 * np.eye(2)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-9:
                break
        return cls(float(w[0]), float(w[1]), int(x.size))


def picture_quality(images, logits=None) -> dict[str, float]:
    """How the keyframes look, whatever they show: median lightness (CIELab L*, 0-100) and median contrast (the
    standard deviation of L* within a frame). A very dark, washed-out or featureless video has pictures unlike any
    the calibration was fitted on. With the image model's ImageNet `logits` of the keyframes (n, 1000), also the
    median entropy of their softmax (`object_entropy`, nats): high when the model recognises no object at all, as
    in a scene with no product in it."""
    from vidrec.understand.colour import _as_rgb, _downscale, srgb_to_lab

    light, contrast = [], []
    for image in images:
        lab = srgb_to_lab(_downscale(_as_rgb(np.asarray(image)), 160))
        light.append(float(lab[..., 0].mean()))
        contrast.append(float(lab[..., 0].std()))
    if not light:
        return {}
    out = {"lightness": round(float(np.median(light)), 2), "contrast": round(float(np.median(contrast)), 2)}
    if logits is not None and len(logits) == len(light):
        out["object_entropy"] = round(float(np.median(softmax_entropy(logits))), 3)
    return out


def softmax_entropy(logits) -> np.ndarray:
    """Entropy (nats) of each row's softmax: (n, classes) logits -> (n,)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1)


@dataclass(frozen=True)
class PictureRange:
    """The range of picture quality the calibration data covered (fitted on tune): outside it, what the pixels
    alone suggest has no calibrated probability and is unsure."""

    min_lightness: float
    max_lightness: float
    min_contrast: float
    # the most uncertain the image model was about what it sees (median ImageNet entropy of a video's product
    # crops) among the tune videos; above it no product is recognised in view. None: not checked
    max_object_entropy: float | None = None

    def problem(self, quality: dict[str, float] | None) -> str | None:
        """Why pictures of this quality cannot be trusted, or None when they are within the range."""
        if not quality:
            return None
        light, contrast = quality.get("lightness"), quality.get("contrast")
        if light is not None and light < self.min_lightness:
            return "the pictures are too dark"
        if light is not None and light > self.max_lightness:
            return "the pictures are overexposed"
        if contrast is not None and contrast < self.min_contrast:
            return "the pictures are too flat (washed out, or no product in view)"
        entropy = quality.get("object_entropy")
        if entropy is not None and self.max_object_entropy is not None and entropy > self.max_object_entropy:
            return "the image model recognises no product in the pictures"
        return None


@dataclass(frozen=True)
class Calibration:
    """One curve per (attribute, evidence group); an attribute or group without one is left uncalibrated."""

    curves: dict[str, dict[str, PlattCurve]]
    fitted_on: str = ""
    pictures: PictureRange | None = None

    def probability(self, name: str, attr: Attribute) -> float | None:
        curve = self.curves.get(name, {}).get(evidence_group(attr))
        return None if curve is None else round(curve(attr.confidence), 3)

    def apply(self, name: str, attr: Attribute, quality: dict[str, float] | None = None) -> Attribute:
        """`attr` with its calibrated probability and unsure mark (metadata values are certain, never unsure). A
        value only the pixels support, from pictures outside the calibrated range (`quality`), is unsure with no
        probability."""
        if attr.source == "metadata":
            return attr.model_copy(update={"probability": None, "unsure": False})
        if self.pictures is not None and evidence_group(attr) == "visual" and self.pictures.problem(quality):
            return attr.model_copy(update={"probability": None, "unsure": True})
        p = self.probability(name, attr)
        if p is None:
            return attr
        return attr.model_copy(update={"probability": p, "unsure": p < UNSURE_BELOW})

    def to_json(self) -> dict:
        return {"fitted_on": self.fitted_on, "unsure_below": UNSURE_BELOW,
                **({"pictures": dataclasses.asdict(self.pictures)} if self.pictures else {}),
                "curves": {name: {g: {"a": c.a, "b": c.b, "n": c.n} for g, c in groups.items()}
                           for name, groups in self.curves.items()}}

    @classmethod
    def from_json(cls, data: dict, where: str = "calibration") -> Calibration:
        try:
            curves = {name: {g: PlattCurve(float(c["a"]), float(c["b"]), int(c.get("n", 0)))
                             for g, c in groups.items()} for name, groups in data["curves"].items()}
            pictures = PictureRange(**{k: float(v) for k, v in data["pictures"].items() if v is not None}) \
                if data.get("pictures") else None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a missing or odd field
            raise ConfigError(f"{where}: not a calibration file ({exc!r}); expected "
                              '{"curves": {"category": {"named": {"a": .., "b": ..}, ...}}}') from exc
        return cls(curves, str(data.get("fitted_on", "")), pictures)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    """The shipped calibration (vidrec/resources/calibration/category-colour.json)."""
    ref = resources.files("vidrec").joinpath(f"resources/{CALIBRATION_FILE}")
    try:
        text = ref.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"vidrec/resources/{CALIBRATION_FILE} is missing from this install ({exc}); "
                          "reinstall vidrec") from exc
    return Calibration.from_json(json.loads(text), f"vidrec/resources/{CALIBRATION_FILE}")


def calibrate(attrs: dict[str, Attribute], calibration: Calibration | None = None,
              quality: dict[str, float] | None = None) -> dict[str, Attribute]:
    """The attributes with calibrated probabilities on category and colour; `colors` shares `color`'s. `quality`:
    the video's `picture_quality`."""
    cal = calibration or default_calibration()
    out = dict(attrs)
    for name in CALIBRATED:
        if name in out:
            out[name] = cal.apply(name, out[name], quality)
    if "color" in out and "colors" in out:
        out["colors"] = out["colors"].model_copy(update={"probability": out["color"].probability,
                                                         "unsure": out["color"].unsure})
    return out


def is_unsure(attr: Attribute | None, raw_below: float = 0.0) -> bool:
    """Whether an inferred value is unsure: its calibrated mark, or for a profile stored before calibration
    existed, a raw confidence below `raw_below`. Metadata is never unsure."""
    if attr is None or attr.source == "metadata":
        return False
    if attr.unsure or attr.probability is not None:  # marked (with or without a probability) or calibrated sure
        return attr.unsure
    return attr.confidence < raw_below


def runner_ups(attr: Attribute | None) -> list[str]:
    """The values an inferred attribute was also voted for (its conflicts), best first."""
    if attr is None:
        return []
    return [str(c["value"]) for c in attr.conflicts if c.get("value") not in (None, "")]


UNSURE_INDEX_KEY = "unsure_index"  # store meta: facet -> value -> ids of items whose unsure guess names the value


def unsure_index(profiles) -> dict[str, dict[str, list[str]]]:
    """facet ("category", "colors") -> value (casefolded) -> the items whose inferred category / colour is unsure
    and names that value as its guess or a runner-up: what lets search treat unsure values as soft. `profiles`:
    stored profile dicts (or ItemProfile objects)."""
    index: dict[str, dict[str, set[str]]] = {"category": {}, "colors": {}}
    for p in profiles:
        data = p if isinstance(p, dict) else p.model_dump()
        attrs = data.get("attributes") or {}
        for facet, name in (("category", "category"), ("colors", "color")):
            raw = attrs.get(name)
            attr = Attribute.model_validate(raw) if raw else None
            if not is_unsure(attr):
                continue
            for value in [str(attr.value), *runner_ups(attr)]:
                index[facet].setdefault(value.casefold(), set()).add(str(data.get("id")))
    return {facet: {v: sorted(ids) for v, ids in values.items()} for facet, values in index.items()}
