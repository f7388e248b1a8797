"""Name a product's colour from its pixels: the product's, not the background's or the model's skin.

On a copy downscaled to at most 128 px (a few ms per frame on one CPU core):

1. Background: the colours of the picture's border near its corners are clustered; pixels close to one of them
   and connected to the border are background (a flood from the edges, so a white shirt on white paper keeps its
   shaded inside). When that leaves too little, the product itself reaches the corners (a close-up): then only
   plain border colours (a studio backdrop, a card) count, or else the dominant one. A picture inside the picture
   (a final card with a small product photo) is peeled once more, and caption banners and price tags (flat, wide,
   thin strips) and lines of text are dropped.
2. Skin: pixels in the usual skin range are dropped when they are a minority of what is left (a beige or peach
   product whose whole body looks like skin is kept), and so is the head of a model: the face-shaped skin blob in
   the upper part with the hair around it.
3. Weights: the rest is weighted towards the centre of the picture, where the product usually is.
4. Naming: every pixel takes the name of the nearest colour prototype in CIELab (several prototypes per name:
   "Blue" covers royal, sky and denim blue); votes are summed per name, weighted, and normalised into shares.

`name_colours_multi` pools the votes of several keyframes of one video (zoom, close-up, a final card with a small
photo and a caption), each frame normalised so that no single frame decides alone.

Names are canonical labels of `vidrec.vocabulary.COLOURS`, limited to the ones a catalog commonly uses (no
"Charcoal", "Silver" or "Cream" from pixels: photos cannot tell them from black, grey or white reliably);
`colour_family` maps a fine label to the broader one a catalog filter would use ("Navy Blue" -> "Blue").

Accuracy on real catalog photos is measured by `bench/eval_colour.py`: expect about two answers in three
to equal the catalog's label, four in five within the top two; blue/navy, grey/white/black and red/maroon are the
usual confusions, so speech, captions and titles should win over pixels when they name a colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage

from vidrec.errors import InputError
from vidrec.vocabulary import COLOURS

_FAMILY = {c.canonical: (c.family or c.canonical) for c in COLOURS}


def colour_family(name: str) -> str:
    """The broader colour a canonical colour belongs to ("Navy Blue" -> "Blue", "Red" -> "Red")."""
    return _FAMILY.get(name, name)


# ---------------------------------------------------------------------------------------------------------------
# Colour space

_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_XYZ_TO_SCALED = (_RGB_TO_XYZ / _D65[:, None]).T.astype(np.float32)  # linear RGB row vectors -> X/Xn, Y/Yn, Z/Zn
_c = np.arange(256) / 255.0
_LINEAR = np.where(_c <= 0.04045, _c / 12.92, ((_c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _linear(rgb: np.ndarray) -> np.ndarray:
    a = np.asarray(rgb)
    if a.dtype == np.uint8:
        return _LINEAR[a]
    c = np.clip(a.astype(np.float64), 0, 255) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELab (D65) of sRGB values in 0..255 (uint8 or float), any shape (..., 3) -> (..., 3) float32."""
    xyz = _linear(rgb) @ _XYZ_TO_SCALED
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lab = np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)
    return lab.astype(np.float32)


# For naming, RGB is quantised to 5 bits per channel: 32,768 cells, each with its Lab value and its colour name.
_BITS = 5
_LEVELS = 1 << _BITS
_centres = (np.arange(_LEVELS) + 0.5) * (256 / _LEVELS)
_CELL_LAB = srgb_to_lab(np.stack(np.meshgrid(_centres, _centres, _centres, indexing="ij"), axis=-1).reshape(-1, 3))


def _cell_index(rgb: np.ndarray) -> np.ndarray:
    q = (rgb >> (8 - _BITS)).astype(np.int32)
    return (q[..., 0] << (2 * _BITS)) | (q[..., 1] << _BITS) | q[..., 2]


# ---------------------------------------------------------------------------------------------------------------
# Colour prototypes


@dataclass(frozen=True)
class Prototype:
    """One typical look of a named colour in a product photo, in CIELab (shading included); a name may have several."""

    name: str
    lab: tuple[float, float, float]


@dataclass(frozen=True)
class Palette:
    """The colours the namer can say and how a pixel is matched to them.

    A pixel takes the name of the prototype minimising (w·ΔL)² + Δa² + Δb² + penalty[name]; the votes of a name are
    then multiplied by vote_weight[name]. Names without prototypes are never predicted from pixels.
    """

    prototypes: tuple[Prototype, ...]
    lightness_weight: float = 0.5
    penalty: dict[str, float] = field(default_factory=dict)
    vote_weight: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return sorted({p.name for p in self.prototypes})


# Tuned on the development half of the Myntra catalog photos (even ids) with `bench/eval_colour.py --tune`: starting
# from hand-picked sRGB looks of each colour (START_LOOKS there), a coordinate search moved, for the twelve commonest
# catalog colours only, each prototype (at most 15 Lab units from its start), each name's penalty and vote weight;
# the other names keep their hand-picked looks. Re-tuning from this palette with the final masks changes nothing
# (`--tune 4 --start default`). Lab values below 0 or a far-off hue are what the search found, not typos.
DEFAULT_PALETTE = Palette(
    prototypes=(
        Prototype("Black", (-1.6, -7.5, -9.3)),
        Prototype("Black", (22.6, -0.8, 0.8)),
        Prototype("Grey", (55.6, -4.0, -4.0)),
        Prototype("Grey", (75.5, -1.4, -1.5)),
        Prototype("Grey", (38.4, -2.9, -0.9)),
        Prototype("White", (98.5, -8.0, -2.0)),
        Prototype("White", (91.6, 2.5, 0.5)),
        Prototype("Red", (43.3, 63.2, 42.7)),
        Prototype("Red", (52.3, 64.3, 40.1)),
        Prototype("Red", (32.6, 47.1, 19.2)),
        Prototype("Maroon", (19.5, 45.3, 9.4)),
        Prototype("Maroon", (21.0, 24.5, 8.0)),
        Prototype("Pink", (70.0, 39.6, -5.2)),
        Prototype("Pink", (57.5, 51.4, 4.0)),
        Prototype("Pink", (91.1, 9.2, 3.8)),
        Prototype("Magenta", (45.8, 70.4, -17.9)),
        Prototype("Peach", (81.7, 17.7, 23.5)),
        Prototype("Orange", (63.4, 41.3, 64.5)),
        Prototype("Yellow", (84.8, -3.1, 79.4)),
        Prototype("Yellow", (92.0, -9.6, 47.2)),
        Prototype("Mustard", (68.2, 5.7, 63.6)),
        Prototype("Green", (57.3, -31.9, 48.2)),
        Prototype("Green", (70.0, -28.7, 18.5)),
        Prototype("Green", (37.5, -17.2, 6.2)),
        Prototype("Olive", (45.2, -9.0, 33.0)),
        Prototype("Teal", (48.3, -28.8, -8.5)),
        Prototype("Blue", (40.4, 9.9, -43.3)),
        Prototype("Blue", (70.5, -0.8, -19.5)),
        Prototype("Blue", (47.6, -6.8, -13.8)),
        Prototype("Navy Blue", (5.4, 12.2, -21.0)),
        Prototype("Navy Blue", (22.4, -2.0, -10.0)),
        Prototype("Turquoise Blue", (73.9, -35.5, -10.6)),
        Prototype("Purple", (35.6, 40.5, -40.2)),
        Prototype("Purple", (26.2, 20.5, -10.7)),
        Prototype("Lavender", (70.4, 22.4, -26.3)),
        Prototype("Brown", (36.3, 19.5, 28.4)),
        Prototype("Brown", (22.0, 7.7, 7.1)),
        Prototype("Tan", (68.4, 8.3, 31.6)),
        Prototype("Khaki", (71.7, -1.5, 25.1)),
        Prototype("Beige", (77.2, 1.6, 20.0)),
    ),
    lightness_weight=0.40,
    penalty={
        "Beige": -80,
        "Blue": -80,
        "Brown": -40,
        "Green": -120,
        "Grey": 40,
        "Pink": 40,
        "Purple": -120,
        "Red": -40,
        "White": 40,
    },
    vote_weight={
        "Beige": 0.82,
        "Black": 1.35,
        "Blue": 1.22,
        "Brown": 1.11,
        "Grey": 0.90,
        "Maroon": 1.22,
        "Navy Blue": 1.22,
        "Pink": 1.35,
        "Purple": 1.11,
        "Red": 1.82,
        "White": 1.11,
    },
)


@dataclass(frozen=True)
class ColourSettings:
    """Knobs of the pixel colour namer (defaults tuned on the development half of real catalog photos)."""

    max_side: int = 128  # frames are downscaled so their longer side is at most this
    border: int = 2  # width in pixels (after downscaling) of the ring whose colours define the background
    corner: float = 0.25  # background colours are read on the border within this share of each side from a corner
    border_modes: int = 3  # border colours are clustered into at most this many modes
    min_mode_share: float = 0.12  # a border mode must cover this share of the ring to count as background
    bg_delta_e: float = 4.5  # a pixel this close (CIE76) to a background mode may be background ...
    bg_spread_factor: float = 2.5  # ... or up to this many times the mode's own spread
    bg_max_delta_e: float = 15.0  # ... but never farther than this
    bg_lightness_weight: float = 1.0  # weight of ΔL in that distance (below 1: a shaded backdrop stays one colour)
    min_foreground: float = 0.03  # below this share of the picture, the background mask is not trusted
    min_product: float = 0.2  # below this share left, fewer border colours are tried as background: plain ones
    plain_spread: float = 1.5  # (a studio backdrop or a card: RMS ΔE at most this), then the dominant one
    inset_fill: float = 0.95  # a foreground piece filling this much of its bounding box is a picture in the picture
    inset_max_background: float = 0.95  # its own background is peeled when it covers at most this share of it
    # (0.85 before: the studio white around a small product in a card stayed "product"; 0.9-0.995 alike on tune)
    caption_height: float = 0.12  # foreground pieces at most this tall (share of height) and 3x wider are captions
    caption_flat_step: float = 1.5  # a caption banner's colour varies less than this (ΔE) between neighbours ...
    caption_fill: float = 0.4  # ... over at least this share of its box
    skin_max_share: float = 0.5  # skin is dropped only when it is less than this share of the foreground
    drop_head: bool = True  # a model's face found in the upper part drops the hair and face around it
    centre_sigma: float = 0.35  # Gaussian centre weight, as a fraction of the width/height
    blank_spread: float = 2.0  # a frame whose colours vary less than this (RMS ΔE) is blank: it shows no product


DEFAULT_SETTINGS = ColourSettings()

# Product crops for the image features (`ColourNamer.product_box`), set a priori, not tuned: a box keeping under 1 %
# or over 95 % of the picture is not trusted (the whole picture is used), and a crop narrower than 16 px is too
# small for the image model; 5 % of the box on each side keeps the product's outline inside.
CROP_MARGIN = 0.05
CROP_MIN_SHARE = 0.01
CROP_MAX_SHARE = 0.95
CROP_MIN_SIDE = 16


@dataclass(frozen=True)
class FrameColours:
    """What one frame says: weighted votes per palette name and the share of the frame the product fills (0 for a
    blank frame)."""

    votes: np.ndarray
    product_share: float


class ColourNamer:
    """Names the colours of the product in pictures. Thread-safe: holds only read-only lookup tables."""

    def __init__(self, settings: ColourSettings = DEFAULT_SETTINGS, palette: Palette | None = None):
        self.settings = settings
        self.palette = palette = palette or DEFAULT_PALETTE
        self.names: list[str] = palette.names
        unknown = set(self.names) - set(_FAMILY)
        if unknown:
            raise InputError(f"colour prototypes {sorted(unknown)} are not canonical colour names of "
                             "vidrec.vocabulary.COLOURS; rename them or add the colours there")
        self._cell_name = palette_lookup(palette)
        self._vote_weight = np.array([palette.vote_weight.get(n, 1.0) for n in self.names])

    def name(self, image: np.ndarray, *, top: int = 3) -> list[tuple[str, float]]:
        """The `top` colour names of the product in one RGB picture, with their shares, largest first."""
        return _top(self.names, self.frame(image).votes, top)

    def name_multi(self, images: Sequence[np.ndarray], *, top: int = 3) -> list[tuple[str, float]]:
        """The `top` colour names pooled over several pictures of the same product (keyframes of one video).

        Each frame's votes are normalised so every frame counts alike (zoom, close-up and card frames were about
        equally right on catalog photos), except blank frames and frames where almost nothing but background was
        found; when every frame is blank, they count alike.
        """
        if len(images) == 0:
            raise InputError("name_colours_multi needs at least one image (keyframes of one video)")
        total = np.zeros(len(self.names), dtype=np.float64)
        blank = np.zeros(len(self.names), dtype=np.float64)
        for image in images:
            f = self.frame(image)
            s = f.votes.sum()
            if s > 0:
                total += f.votes / s * min(1.0, f.product_share / 0.05)
                blank += f.votes / s
        return _top(self.names, total if total.sum() > 0 else blank, top)

    def frame(self, image: np.ndarray) -> FrameColours:
        """Votes per name (aligned with self.names) for the product in one picture, and the share it fills."""
        rgb = _downscale(_as_rgb(image), self.settings.max_side)
        weight = self.product_weights(rgb)
        cells = _cell_index(rgb)
        names = self._cell_name[cells]
        votes = np.bincount(names.ravel(), weights=weight.ravel(), minlength=len(self.names)) * self._vote_weight
        if self._is_blank(cells):
            return FrameColours(votes, 0.0)  # a blank frame (a fade, a plain slate) shows no product
        return FrameColours(votes, float((weight > 0).mean()))

    def _is_blank(self, cells: np.ndarray) -> bool:
        """Whether a picture's colours (its colour cells) vary less than `blank_spread` (RMS ΔE): a blank frame."""
        lab = _CELL_LAB[cells].reshape(-1, 3)
        return bool(np.sqrt(((lab - lab.mean(axis=0)) ** 2).sum(-1).mean()) < self.settings.blank_spread)

    def product_weights(self, rgb: np.ndarray) -> np.ndarray:
        """Per-pixel weight (H, W) of an RGB picture: 0 on background and skin, larger near the centre."""
        st = self.settings
        fg = self.product_mask(rgb)
        skin = skin_mask(rgb) & fg
        n_fg = int(fg.sum())
        if n_fg and skin.sum() < st.skin_max_share * n_fg:
            if st.drop_head:
                fg &= ~head_region(skin)
            fg &= ~skin
        return _centre_weight(*rgb.shape[:2], st.centre_sigma) * fg

    def product_box(self, image: np.ndarray, *, margin: float = CROP_MARGIN
                    ) -> tuple[int, int, int, int] | None:
        """The product's bounding box in an RGB picture, (top, bottom, left, right) in its own pixels: the box
        around what `product_weights` keeps (background, caption strips, skin and a model's head removed), widened
        by `margin` of its size on each side. None when the picture shows no product apart from its background
        (a blank frame, or almost nothing or almost everything kept): then the whole picture is the best view."""
        rgb = _as_rgb(image)
        small = _downscale(rgb, self.settings.max_side)
        keep = self.product_weights(small) > 0
        share = float(keep.mean())
        if not CROP_MIN_SHARE <= share <= CROP_MAX_SHARE:
            return None
        if self._is_blank(_cell_index(small)):
            return None
        rows = np.flatnonzero(keep.any(axis=1))
        cols = np.flatnonzero(keep.any(axis=0))
        sh, sw = keep.shape
        h, w = rgb.shape[:2]
        y0, y1 = rows[0] / sh, (rows[-1] + 1) / sh
        x0, x1 = cols[0] / sw, (cols[-1] + 1) / sw
        my, mx = margin * (y1 - y0), margin * (x1 - x0)
        top, bottom = int(max(0.0, y0 - my) * h), int(np.ceil(min(1.0, y1 + my) * h))
        left, right = int(max(0.0, x0 - mx) * w), int(np.ceil(min(1.0, x1 + mx) * w))
        if bottom - top < CROP_MIN_SIDE or right - left < CROP_MIN_SIDE:
            return None
        return top, bottom, left, right

    def product_crop(self, image: np.ndarray) -> np.ndarray:
        """The picture cut to the product's box (`product_box`), or the whole picture when none is found."""
        rgb = _as_rgb(image)
        box = self.product_box(rgb)
        if box is None:
            return rgb
        top, bottom, left, right = box
        return rgb[top:bottom, left:right]

    def _foreground(self, lab: np.ndarray) -> np.ndarray:
        """Not background: the flood from the border through its main colours. When that leaves too little (the
        product itself reaches the corners, as in a close-up), only plain border colours are tried (a studio
        backdrop or a card), then only the dominant one."""
        st = self.settings
        centres, spreads, shares = border_colours(lab, st)
        keep = shares >= st.min_mode_share
        plain = keep & (spreads <= st.plain_spread)
        dominant = keep & (shares == shares.max())
        tried: list[np.ndarray] = []
        for sel in (keep, plain, dominant):
            if not sel.any() or any((sel == t).all() for t in tried):
                continue
            tried.append(sel)
            fg = ~flood_background(lab, centres[sel], spreads[sel], st)
            if ndimage.binary_opening(fg).mean() >= st.min_product:  # (specks of noise are not a product)
                return fg
        if plain.any():
            return ~flood_background(lab, centres[plain], spreads[plain], st)
        return np.ones(lab.shape[:2], dtype=bool)

    def product_mask(self, rgb: np.ndarray) -> np.ndarray:
        """True (H, W) where an RGB picture shows the product: not its background, not a caption strip."""
        st = self.settings
        lab = srgb_to_lab(rgb)
        captions = caption_boxes(lab, max_height=st.caption_height, flat_step=st.caption_flat_step,
                                 min_fill=st.caption_fill)
        fg = self._foreground(lab)
        fg &= ~captions
        if fg.mean() < st.min_foreground:
            return ~captions if captions.mean() < 0.5 else np.ones(fg.shape, dtype=bool)
        h, w = fg.shape
        # captions, price tags and lines of text: pieces that are thin and wide once letters are joined, unless the
        # largest piece (the product, even a belt)
        labels, n = ndimage.label(ndimage.binary_dilation(fg, structure=np.ones((1, 5), dtype=bool)))
        if n > 1:
            sizes = np.bincount(labels.ravel(), weights=fg.ravel(), minlength=n + 1)
            largest = int(np.argmax(sizes[1:])) + 1
            strips = [i for i, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1)
                      if i != largest and rows.stop - rows.start <= st.caption_height * h
                      and cols.stop - cols.start >= 3 * (rows.stop - rows.start)]
            fg &= ~np.isin(labels, strips)
        # a picture inside the picture (a card with a small photo, a photo over its blurred copy): a rectangle not
        # reaching every edge of the frame; its own background is peeled too
        labels, n = ndimage.label(fg)
        if n == 0:
            return fg
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        largest = int(np.argmax(sizes[1:])) + 1
        rows, cols = ndimage.find_objects(labels)[largest - 1]
        box_area = (rows.stop - rows.start) * (cols.stop - cols.start)
        inside = rows.start > 0 or cols.start > 0 or rows.stop < h or cols.stop < w
        if (inside and min(rows.stop - rows.start, cols.stop - cols.start) >= 8
                and sizes[largest] >= st.inset_fill * box_area):
            inner_bg = background_mask(lab[rows, cols], st)
            if 0.1 <= inner_bg.mean() <= st.inset_max_background:
                fg[rows, cols] &= ~inner_bg
        return fg


def border_colours(lab: np.ndarray, settings: ColourSettings = DEFAULT_SETTINGS
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The main colours of an (H, W, 3) Lab picture's border near its corners: (centres (k, 3), RMS spread (k,),
    share of the border (k,)), at most settings.border_modes of them."""
    st = settings
    h, w = lab.shape[:2]
    b = max(1, min(st.border, h // 4, w // 4))
    ch, cw = max(b, round(st.corner * h)), max(b, round(st.corner * w))
    ring = np.concatenate([lab[:b, :cw].reshape(-1, 3), lab[:b, -cw:].reshape(-1, 3),
                           lab[-b:, :cw].reshape(-1, 3), lab[-b:, -cw:].reshape(-1, 3),
                           lab[b:ch, :b].reshape(-1, 3), lab[b:ch, -b:].reshape(-1, 3),
                           lab[-ch:-b, :b].reshape(-1, 3), lab[-ch:-b, -b:].reshape(-1, 3)])
    return _modes(ring, st.border_modes)


def flood_background(lab: np.ndarray, centres: np.ndarray, spreads: np.ndarray,
                     settings: ColourSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """True where a pixel is close to one of the given background colours and connected to the picture's edge."""
    st = settings
    h, w = lab.shape[:2]
    lw = np.array([st.bg_lightness_weight ** 2, 1.0, 1.0], dtype=np.float32)  # shading changes lightness most
    cand = np.zeros((h, w), dtype=bool)
    for c, s in zip(centres, spreads, strict=True):
        tol = min(st.bg_max_delta_e, max(st.bg_delta_e, st.bg_spread_factor * s))
        cand |= ((lab - c) ** 2 * lw).sum(-1) < tol * tol
    if not cand.any():
        return cand
    labels, _ = ndimage.label(cand)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge[edge > 0])


def background_mask(lab: np.ndarray, settings: ColourSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """True where a pixel of an (H, W, 3) Lab picture has a main colour of its border and is connected to it."""
    centres, spreads, shares = border_colours(lab, settings)
    keep = shares >= settings.min_mode_share
    return flood_background(lab, centres[keep], spreads[keep], settings)


def caption_boxes(lab: np.ndarray, *, max_height: float = 0.12, flat_step: float = 1.5,
                  min_fill: float = 0.4) -> np.ndarray:
    """True over caption banners and price tags drawn on a frame: one flat colour (neighbouring pixels differ by
    less than flat_step ΔE) around the text, in a strip at most max_height of the
    frame tall and three times wider than tall, inside the frame (not touching its edge); the whole box is True."""
    h, w = lab.shape[:2]
    out = np.zeros((h, w), dtype=bool)
    step = np.zeros((h, w), dtype=np.float32)
    dy = ((lab[1:] - lab[:-1]) ** 2).sum(-1)
    dx = ((lab[:, 1:] - lab[:, :-1]) ** 2).sum(-1)
    step[1:] = np.maximum(step[1:], dy)
    step[:-1] = np.maximum(step[:-1], dy)
    step[:, 1:] = np.maximum(step[:, 1:], dx)
    step[:, :-1] = np.maximum(step[:, :-1], dx)
    labels, n = ndimage.label(step < flat_step ** 2)
    if n == 0:
        return out
    sizes = np.bincount(labels.ravel())
    for i, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
        bh, bw = rows.stop - rows.start, cols.stop - cols.start
        if (bh > max_height * h or bw < 3 * bh or sizes[i] < 0.004 * h * w or sizes[i] < min_fill * bh * bw
                or rows.start == 0 or cols.start == 0 or rows.stop == h or cols.stop == w):
            continue
        colours = lab[rows, cols][labels[rows, cols] == i]
        if np.sqrt(((colours - colours.mean(axis=0)) ** 2).sum(-1).mean()) > flat_step:
            continue  # a smooth gradient, not one flat colour
        out[max(0, rows.start - 2):rows.stop + 2, max(0, cols.start - 2):cols.stop + 2] = True  # with its rim
    return out


def palette_lookup(palette: Palette) -> np.ndarray:
    """For every quantised RGB cell, the index (into palette.names) of the name its colour takes."""
    names = palette.names
    proto_lab = np.array([p.lab for p in palette.prototypes], dtype=np.float32)
    proto_name = np.array([names.index(p.name) for p in palette.prototypes])
    penalty = np.array([palette.penalty.get(p.name, 0.0) for p in palette.prototypes], dtype=np.float32)
    w = np.array([palette.lightness_weight, 1.0, 1.0], dtype=np.float32)
    d = (((_CELL_LAB[:, None, :] - proto_lab[None, :, :]) * w) ** 2).sum(-1) + penalty
    return proto_name[np.argmin(d, axis=1)].astype(np.int16)


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """True where an RGB pixel falls in a common skin range (YCrCb, warm hue, moderate saturation)."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cr = (r - y) * 0.713 + 128
    cb = (b - y) * 0.564 + 128
    sat = (r - b) / np.maximum(r, 1)
    return ((cr > 135) & (cr < 175) & (cb > 80) & (cb < 130) & (y > 60) & (r > g) & (g >= b)
            & (sat > 0.12) & (sat < 0.6))


def head_region(skin: np.ndarray, *, top: float = 0.45, min_area: float = 0.002) -> np.ndarray:
    """The box around a model's head: the largest face-shaped skin blob centred in the upper part of the picture,
    widened by half its width on each side and extended to the top (hair). All False when there is none."""
    h, w = skin.shape
    out = np.zeros_like(skin)
    labels, n = ndimage.label(skin)
    if n == 0:
        return out
    best, best_area = None, min_area * h * w
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        rows, cols = sl
        bh, bw = rows.stop - rows.start, cols.stop - cols.start
        area = int((labels[sl] == i).sum())
        if (rows.start + rows.stop) / 2 > top * h or area < best_area:
            continue
        if not 0.7 <= bh / bw <= 2.5 or area < 0.4 * bh * bw:
            continue
        best, best_area = sl, area
    if best is not None:
        rows, cols = best
        half = (cols.stop - cols.start) // 2
        out[:rows.stop, max(0, cols.start - half):min(w, cols.stop + half)] = True
    return out


def _modes(points: np.ndarray, k: int, iters: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A small deterministic k-means: (centres, RMS spread, share) of up to k modes of (n, 3) points."""
    if len(points) > 512:
        points = points[:: len(points) // 512 + 1]
    centres = [np.median(points, axis=0)]
    for _ in range(1, k):  # farthest-point seeding: deterministic
        d = ((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1).min(axis=1)
        if d.max() < 4.0:
            break
        centres.append(points[int(np.argmax(d))])
    c = np.array(centres, dtype=np.float32)
    for _ in range(iters):
        assign = ((points[:, None, :] - c[None]) ** 2).sum(-1).argmin(axis=1)
        counts = np.bincount(assign, minlength=len(c))
        sums = np.stack([np.bincount(assign, weights=points[:, j], minlength=len(c)) for j in range(3)], axis=1)
        c = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], c).astype(np.float32)
    d2 = ((points[:, None, :] - c[None]) ** 2).sum(-1)
    assign = d2.argmin(axis=1)
    counts = np.bincount(assign, minlength=len(c))
    spread = np.sqrt(np.bincount(assign, weights=d2[np.arange(len(points)), assign], minlength=len(c))
                     / np.maximum(counts, 1))
    return c, spread, counts / len(points)


@lru_cache(maxsize=32)
def _centre_weight(h: int, w: int, sigma: float) -> np.ndarray:
    yy = (np.arange(h) - (h - 1) / 2) / (sigma * h)
    xx = (np.arange(w) - (w - 1) / 2) / (sigma * w)
    out = np.exp(-0.5 * (yy[:, None] ** 2 + xx[None, :] ** 2))
    out.setflags(write=False)
    return out


def _top(names: list[str], votes: np.ndarray, top: int) -> list[tuple[str, float]]:
    s = float(votes.sum())
    if s <= 0 or top <= 0:
        return []
    order = np.argsort(-votes, kind="stable")[:top]
    return [(names[i], float(votes[i] / s)) for i in order if votes[i] > 0]


def _as_rgb(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"expected an RGB image array of shape (H, W, 3), got shape {a.shape}")
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and a.size and float(np.nanmax(a)) <= 1.0:
            a = a * 255.0
        a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    if a.shape[2] == 4:
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = (a[..., :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def _downscale(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX, reducing_gap=2.0))


_DEFAULT_NAMER: ColourNamer | None = None


def default_namer() -> ColourNamer:
    """The shared namer with the default settings and palette (its tables are built once, in about 50 ms)."""
    global _DEFAULT_NAMER
    if _DEFAULT_NAMER is None:
        _DEFAULT_NAMER = ColourNamer()
    return _DEFAULT_NAMER


def product_crops(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each picture cut to its product (see `ColourNamer.product_box`): what the image features look at."""
    namer = default_namer()
    return [namer.product_crop(image) for image in images]


def name_colours(image: np.ndarray, *, top: int = 3) -> list[tuple[str, float]]:
    """The product's colours in one RGB picture (H, W, 3) uint8: [(canonical colour name, share)], largest first."""
    return default_namer().name(image, top=top)


def name_colours_multi(images: Sequence[np.ndarray], *, top: int = 3) -> list[tuple[str, float]]:
    """The product's colours pooled over several keyframes of one video: [(canonical colour name, share)]."""
    return default_namer().name_multi(images, top=top)
