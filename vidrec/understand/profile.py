"""The fused item profile: what vidrec knows about one product video, and where each fact came from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Modality = Literal["metadata", "visual", "speech", "ocr", "text"]


class Evidence(BaseModel):
    """One piece of support for an attribute: which modality, which seconds, which words."""

    modality: Modality
    start: float | None = None
    end: float | None = None
    text: str | None = None


class Attribute(BaseModel):
    """A fused attribute value. `source` is the modality that decided it; `conflicts` lists disagreeing values.

    `confidence` is the fusion's raw vote share. An inferred category or colour also carries `probability`, the
    chance it is right calibrated on held-apart data (`vidrec.understand.calibration`), and `unsure` when that is
    below one half: search and chat then use it as a soft preference, never a hard filter."""

    value: Any
    confidence: float = Field(ge=0.0, le=1.0)
    source: Modality
    evidence: list[Evidence] = Field(default_factory=list)
    conflicts: list[dict[str, Any]] = Field(default_factory=list)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    unsure: bool = False


class TranscriptLine(BaseModel):
    start: float
    end: float
    text: str
    lang: str


class ScreenText(BaseModel):
    start: float
    end: float
    text: str


class ShotSummary(BaseModel):
    start: float
    end: float
    keyframe: float | None = None
    colors: list[str] = Field(default_factory=list)
    category: str | None = None


class ItemProfile(BaseModel):
    """What `vidrec items show ID --json` prints."""

    id: str
    title: str | None = None
    video: str
    duration: float | None = None
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    transcript: list[TranscriptLine] = Field(default_factory=list)
    ocr: list[ScreenText] = Field(default_factory=list)
    shots: list[ShotSummary] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None  # the title or, for a bare video, a description built from what was inferred
    warnings: list[str] = Field(default_factory=list)
    # lightness, contrast and object entropy of the keyframes (vidrec.understand.calibration.picture_quality)
    picture_quality: dict[str, float] = Field(default_factory=dict)

    def value(self, name: str, default: Any = None) -> Any:
        attr = self.attributes.get(name)
        return attr.value if attr is not None else default

    def display_title(self) -> str:
        return self.title or self.description or self.id

    def colours(self) -> list[str]:
        """The item's named colours (all it shows, else its one colour)."""
        colours = self.value("colors") or ([self.value("color")] if self.value("color") else [])
        return [str(c) for c in colours]

    def shows_colour(self, wanted: list[str]) -> bool:
        """Whether the item shows one of the colours ``wanted`` (see `vidrec.vocabulary.colours_match`)."""
        from vidrec.vocabulary import colours_match

        return colours_match(self.colours(), wanted)
