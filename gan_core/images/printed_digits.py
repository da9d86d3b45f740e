"""Printed digits rendered from the TrueType/OpenType fonts installed by Debian packages.

Domain B of ``cyclegan-digits``: the digits 0-9 typeset in many fonts, framed like MNIST
(white on black, the glyph's longer side about 20 px, centred by its centre of mass in a
32x32 frame — MNIST's 20-px box inside 28 px, padded by 2 px on each side to 32).  Each
rendering varies a little: size (longer side 17-22 px), stroke (thinner or bolder by a
morphological filter at 3x resolution), position (+-1.5 px) and slant (+-6 degrees).

Fonts come from ``/usr/share/fonts`` (packages fonts-dejavu-core, fonts-liberation2,
fonts-urw-base35, fonts-freefont-ttf, fonts-dkg-handwriting, fonts-comic-neue, fonts-noto-core
(Latin families only), fonts-croscore, fonts-crosextra-carlito, fonts-crosextra-caladea,
fonts-open-sans, fonts-roboto-unhinted, fonts-lato, fonts-cantarell, fonts-inconsolata) and
from matplotlib's bundled DejaVu.  A font is kept only if it draws ten distinct, non-empty
digit glyphs (symbol and script fonts draw boxes or nothing).  Only the training script needs
this module; the app ships a rendered gallery.
"""
from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts"),)
# Noto ships ~250 script-specific files; their Latin digits repeat Noto Sans/Serif, so only
# the Latin families are used to keep any one design from dominating the set.
_NOTO_KEEP = ("NotoSans-", "NotoSerif-", "NotoSansDisplay-", "NotoSerifDisplay-", "NotoSansMono-")
_EXCLUDE = ("D050000L", "StandardSymbols", "fontawesome", "FontAwesome", "Symbol", "Dingbat", "Thin", "Hairline")
IMAGE_SIZE = 32
SUPERSAMPLE = 3  # render at 3x and downsample with a box filter: anti-aliased like MNIST


def candidate_font_files(extra_dirs: tuple[Path, ...] = ()) -> list[Path]:
    """Font files worth trying, one per base name (liberation and liberation2 overlap)."""
    dirs = list(FONT_DIRS) + list(extra_dirs)
    try:  # matplotlib ships DejaVu; it is only present where matplotlib is installed
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except Exception:
        pass
    seen, files = set(), []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf"):
                continue
            name = path.name
            if name in seen or any(bad in name for bad in _EXCLUDE):
                continue
            if "noto" in str(path).lower() and not name.startswith(_NOTO_KEEP):
                continue
            if name.startswith(("cmex", "cmsy", "STIX", "DejaVuSansDisplay", "DejaVuSerifDisplay")):
                continue  # maths symbol fonts and display-only DejaVu subsets without digits
            seen.add(name)
            files.append(path)
    return files


def _glyph(font: ImageFont.FreeTypeFont, digit: str) -> np.ndarray:
    """The digit drawn black-on-white inverted (white on black), cropped to its ink."""
    canvas = Image.new("L", (4 * font.size, 4 * font.size), 0)
    ImageDraw.Draw(canvas).text((font.size, font.size), digit, fill=255, font=font)
    box = canvas.getbbox()
    if box is None:
        return np.zeros((0, 0), np.uint8)
    return np.asarray(canvas.crop(box))


def usable_fonts(files: list[Path] | None = None) -> list[Path]:
    """Fonts that draw ten non-empty, pairwise different digit glyphs."""
    files = candidate_font_files() if files is None else files
    good = []
    for path in files:
        try:
            font = ImageFont.truetype(str(path), 48)
        except OSError:
            continue
        glyphs = [_glyph(font, str(d)) for d in range(10)]
        if any(g.size == 0 for g in glyphs):
            continue
        signatures = {hashlib.sha1(g.tobytes() + bytes(g.shape)).hexdigest() for g in glyphs}
        if len(signatures) < 10:
            continue  # the same box/tofu for every digit
        good.append(path)
    return good


def split_fonts(fonts: list[Path], eval_fraction: float = 0.2) -> tuple[list[Path], list[Path]]:
    """Deterministic split by a hash of the file name: (training fonts, held-out fonts)."""
    train, held_out = [], []
    for path in fonts:
        bucket = zlib.crc32(path.name.encode()) % 1000 / 1000.0
        (held_out if bucket < eval_fraction else train).append(path)
    return train, held_out


def render_digit(font_path: Path, digit: int, rng: np.random.Generator, jitter: bool = True) -> np.ndarray:
    """One 32x32 uint8 image (white digit on black) of ``digit`` in the font at ``font_path``.

    With ``jitter`` the size, stroke, slant and position vary a little (see module docstring);
    without it the glyph is plain, 20 px tall, centred by centre of mass.
    """
    s = SUPERSAMPLE
    font = ImageFont.truetype(str(font_path), 28 * s)
    glyph = Image.fromarray(_glyph(font, str(digit)))
    if jitter:
        stroke = rng.integers(0, 3)  # 0 as designed, +1/+2 bolder (3x px): MNIST pens are thick
        if stroke != 0:
            pad = 4
            glyph = Image.fromarray(np.pad(np.asarray(glyph), pad))
            size = 2 * abs(int(stroke)) + 1
            glyph = glyph.filter(ImageFilter.MaxFilter(size) if stroke > 0 else ImageFilter.MinFilter(size))
            glyph = glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
        angle = rng.uniform(-6, 6)
        glyph = glyph.rotate(angle, resample=Image.BICUBIC, expand=True)
        glyph = glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
        target = rng.uniform(17, 22)
        shift = rng.uniform(-1.5, 1.5, size=2)
    else:
        target, shift = 20.0, np.zeros(2)
    w, h = glyph.size
    scale = target * s / max(w, h)
    glyph = glyph.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    ink = np.asarray(glyph, dtype=np.float64)
    total = ink.sum()
    if total <= 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    ys, xs = np.mgrid[: ink.shape[0], : ink.shape[1]]
    cy, cx = (ys * ink).sum() / total, (xs * ink).sum() / total
    big = Image.new("L", (IMAGE_SIZE * s, IMAGE_SIZE * s), 0)
    centre = IMAGE_SIZE * s / 2
    left = int(round(centre - cx + shift[0] * s))
    top = int(round(centre - cy + shift[1] * s))
    big.paste(glyph, (left, top))
    small = big.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    return np.asarray(small, dtype=np.uint8)


def render_set(fonts: list[Path], per_font_per_digit: int, seed: int = 0, jitter: bool = True):
    """All fonts x digits x repeats: (uint8 array (n, 32, 32), int64 labels (n,))."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for path in fonts:
        for digit in range(10):
            for _ in range(per_font_per_digit):
                images.append(render_digit(path, digit, rng, jitter))
                labels.append(digit)
    return np.stack(images), np.asarray(labels, dtype=np.int64)
