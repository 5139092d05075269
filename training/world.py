"""The synthetic world: 64x64 scenes of flat shapes, and exact ground-truth edits.

Scenes are pure functions of a numpy Generator, so a seed range is a data split. All pixel
values are uint8 [H, W, 3]; every edit's target is computed exactly (no learned component).
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 64

COLORS: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (150, 60, 190),
    "orange": (245, 140, 30),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
    "gray": (128, 128, 128),
}
COLOR_NAMES = list(COLORS)
SHAPES = ["circle", "square", "triangle", "diamond"]
TEXTURES = ["striped", "checkered", "dotted"]
# 3x3 grid of named regions; centre of each cell is where "add" puts an object.
POSITIONS: Dict[str, Tuple[int, int]] = {
    "top left": (0, 0), "top": (1, 0), "top right": (2, 0),
    "left": (0, 1), "center": (1, 1), "right": (2, 1),
    "bottom left": (0, 2), "bottom": (1, 2), "bottom right": (2, 2),
}
CELL_CENTERS = (11, 32, 53)
ADD_SIZE = 16
DETECT_GREEN = (0, 255, 0)
MARGIN = 3  # room for the detect box (2 px) around every object
WORDS = ["CAT", "SUN", "HI", "OK", "YES", "NO", "EMU", "ABC", "TOP", "DOG", "BOX", "RUN"]


@dataclasses.dataclass
class Obj:
    shape: str
    color: str
    cx: float
    cy: float
    size: int
    texture: Optional[str] = None

    def bbox(self) -> Tuple[int, int, int, int]:
        """Inclusive-exclusive pixel box (x0, y0, x1, y1) of the object's mask."""
        m = obj_mask(self)
        ys, xs = np.nonzero(m)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    def position(self) -> str:
        col = min(2, int(self.cx * 3 // SIZE))
        row = min(2, int(self.cy * 3 // SIZE))
        for name, cell in POSITIONS.items():
            if cell == (col, row):
                return name
        raise AssertionError("unreachable")


@dataclasses.dataclass
class Scene:
    bg: str
    objs: List[Obj]

    def copy(self) -> "Scene":
        return Scene(self.bg, [dataclasses.replace(o) for o in self.objs])


_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5


def obj_mask(o: Obj) -> np.ndarray:
    dx, dy, h = _XX - o.cx, _YY - o.cy, o.size / 2.0
    if o.shape == "circle":
        return dx * dx + dy * dy <= h * h
    if o.shape == "square":
        return (np.abs(dx) <= h) & (np.abs(dy) <= h)
    if o.shape == "diamond":
        return np.abs(dx) + np.abs(dy) <= h
    if o.shape == "triangle":
        # upright, apex at top; width == size, height == size (equilateral-ish on a pixel grid)
        t = (dy + h) / (2 * h)  # 0 at apex, 1 at base
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= h * t)
    raise ValueError(o.shape)


def texture_mask(texture: str) -> np.ndarray:
    """Pixels painted in the pattern colour (coarse patterns so the 4x autoencoder keeps them)."""
    x, y = _XX.astype(np.int32), _YY.astype(np.int32)
    if texture == "striped":
        return (y // 3) % 2 == 1
    if texture == "checkered":
        return ((x // 4) + (y // 4)) % 2 == 1
    if texture == "dotted":
        return (x % 6 < 2) & (y % 6 < 2)
    raise ValueError(texture)


def pattern_color(color: str) -> Tuple[int, int, int]:
    return COLORS["white"] if color in ("black", "blue", "purple") else COLORS["black"]


def render(scene: Scene) -> np.ndarray:
    img = np.empty((SIZE, SIZE, 3), np.uint8)
    img[:] = COLORS[scene.bg]
    for o in scene.objs:
        m = obj_mask(o)
        img[m] = COLORS[o.color]
        if o.texture:
            img[m & texture_mask(o.texture)] = pattern_color(o.color)
    return img


def _boxes_clear(boxes: List[Tuple[int, int, int, int]], b: Tuple[int, int, int, int]) -> bool:
    for a in boxes:
        if not (b[2] + MARGIN <= a[0] - MARGIN or a[2] + MARGIN <= b[0] - MARGIN
                or b[3] + MARGIN <= a[1] - MARGIN or a[3] + MARGIN <= b[1] - MARGIN):
            return False
    return True


def _in_canvas(b: Tuple[int, int, int, int]) -> bool:
    return b[0] >= MARGIN and b[1] >= MARGIN and b[2] <= SIZE - MARGIN and b[3] <= SIZE - MARGIN


def fits(scene: Scene, o: Obj) -> bool:
    b = o.bbox()
    return _in_canvas(b) and _boxes_clear([p.bbox() for p in scene.objs], b)


def random_scene(rng: np.random.Generator, n_min: int = 1, n_max: int = 3) -> Scene:
    """1..3 non-overlapping objects with distinct shapes and colours (so a shape names one object)."""
    while True:
        bg = COLOR_NAMES[rng.integers(len(COLOR_NAMES))]
        scene = Scene(bg, [])
        n = int(rng.integers(n_min, n_max + 1))
        shapes = list(rng.permutation(SHAPES))[:n]
        colors = [c for c in rng.permutation(COLOR_NAMES) if c != bg][:n]
        for shape, color in zip(shapes, colors):
            for _ in range(40):
                size = int(rng.integers(12, 29))
                o = Obj(shape, str(color), float(rng.uniform(0, SIZE)), float(rng.uniform(0, SIZE)), size)
                if fits(scene, o):
                    scene.objs.append(o)
                    break
        if len(scene.objs) >= n_min:
            return scene


# ---- pixel operations (fixed target conventions) -------------------------------------------

def luma(img: np.ndarray) -> np.ndarray:
    """BT.601 luma, rounded, as uint8 [H, W]."""
    f = img.astype(np.float32)
    return np.clip(np.rint(0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]), 0, 255).astype(np.uint8)


def grayscale(img: np.ndarray) -> np.ndarray:
    return np.repeat(luma(img)[..., None], 3, axis=2)


def invert(img: np.ndarray) -> np.ndarray:
    return 255 - img


def box_blur(img: np.ndarray, k: int = 5) -> np.ndarray:
    p = k // 2
    f = np.pad(img.astype(np.float32), ((p, p), (p, p), (0, 0)), mode="edge")
    out = np.zeros((SIZE, SIZE, 3), np.float32)
    for dy in range(k):
        for dx in range(k):
            out += f[dy:dy + SIZE, dx:dx + SIZE]
    return np.clip(np.rint(out / (k * k)), 0, 255).astype(np.uint8)


def adjust(img: np.ndarray, mode: str) -> np.ndarray:
    f = img.astype(np.float32)
    if mode == "brighter":
        f = f + 60
    elif mode == "darker":
        f = f - 60
    elif mode == "contrast":
        f = (f - 128) * 1.5 + 128
    else:
        raise ValueError(mode)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def pixelate(img: np.ndarray, block: int = 8) -> np.ndarray:
    n = SIZE // block
    m = img.reshape(n, block, n, block, 3).astype(np.float32).mean(axis=(1, 3))
    return np.repeat(np.repeat(np.rint(m).astype(np.uint8), block, 0), block, 1)


def posterize(img: np.ndarray) -> np.ndarray:
    """2 levels per channel: 0 or 255."""
    return np.where(img >= 128, 255, 0).astype(np.uint8)


def erode(m: np.ndarray, r: int = 1) -> np.ndarray:
    out = m.copy()
    for _ in range(r):
        p = np.pad(out, 1, constant_values=False)
        out = out & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return out


def dilate(m: np.ndarray, r: int = 1) -> np.ndarray:
    out = m.copy()
    for _ in range(r):
        p = np.pad(out, 1, constant_values=False)
        out = out | p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:] | p[:-2, :-2] | p[2:, 2:] | p[:-2, 2:] | p[2:, :-2]
    return out


def outline(m: np.ndarray, width: int) -> np.ndarray:
    return m & ~erode(m, width)


def text_layer(word: str, where: str) -> np.ndarray:
    """Mask of the word in PIL's bitmap font, upscaled 2x, centred at the top or the bottom."""
    # Pillow >= 10.1 made load_default() a FreeType font; the bitmap one keeps text pairs the same
    # on a GPU machine's newer Pillow as on Debian 12's 9.4 (training.data fingerprint checks it)
    font = getattr(ImageFont, "load_default_imagefont", ImageFont.load_default)()
    im = Image.new("L", (SIZE // 2, 16), 0)
    d = ImageDraw.Draw(im)
    x0, y0, x1, y1 = d.textbbox((0, 0), word, font=font)
    d.text(((SIZE // 2 - (x1 - x0)) // 2 - x0, (16 - (y1 - y0)) // 2 - y0), word, fill=255, font=font)
    m = np.asarray(im.resize((SIZE, 32), Image.NEAREST)) > 127
    out = np.zeros((SIZE, SIZE), bool)
    if where == "top":
        out[0:32] = m
    else:
        out[32:64] = m
    return out
