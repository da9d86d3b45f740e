"""Raster pictures of the lab's data plane (numpy + Pillow): the live view while training.

While a run trains, the lab redraws its plane four times a second.  Drawing a thousand
points as SVG or WebGL costs the browser 100-500 ms per redraw on a 2-core machine without a
GPU, more than the server spends training; a JPEG of the same plane costs it a few
milliseconds (one image swap).  So the live view is a picture made here, and the interactive
Plotly figure (hover, zoom on individual points) is drawn when the run pauses.

Marks are drawn by Pillow at twice the size with alpha blending and the picture is then
halved, which antialiases them; a frame with the default layers costs about 12 ms.

The picture has the layers and colours of :func:`gan_core.lab.viz_lab.plane_figure`: the heatmap
(orange = "fake", white, blue = "real"), real samples in blue, generated samples in orange
with a dark rim, gradient arrows in near-black and the generator's manifold in grey.  Pixel
row 0 is the top of the plane (largest y).
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from gan_core.palette import GREY, P_COLOR, Q_COLOR
from gan_core.lab.viz_lab import HEAT_SCALE, arrow_heads, arrow_scale, heat_range

__all__ = ["heat_rgb", "plane_image", "encode"]

_RIM = "#7a4f00"
_SUPERSAMPLE = 2
_INK = "#333333"


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)], dtype=np.float32)


def _ink(hex_colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    r, g, b = (int(v) for v in _rgb(hex_colour))
    return r, g, b, int(round(255 * opacity))


def heat_rgb(values, vmin: float, vmax: float, opacity: float = 0.85) -> np.ndarray:
    """Colour a 2-D array with the lab's heatmap scale (``viz_lab.HEAT_SCALE``: orange, white, blue)
    over a white background, as Plotly draws it at that opacity; NaN stays white.

    Returns uint8 (rows, cols, 3).  Values outside [vmin, vmax] take the end colours.
    """
    v = np.asarray(values, dtype=np.float64)
    span = vmax - vmin if vmax > vmin else 1.0
    t = np.clip((v - vmin) / span, 0.0, 1.0)
    bad = ~np.isfinite(t)
    t = np.where(bad, 0.5, t)
    pos = np.array([s for s, _ in HEAT_SCALE])
    cols = np.stack([_rgb(c) for _, c in HEAT_SCALE]).astype(np.float64)
    rgb = np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=-1)
    rgb = opacity * rgb + (1 - opacity) * 255.0
    rgb[bad] = 255.0
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _to_pixels(points, extent, size: int) -> np.ndarray:
    """Data coordinates -> pixel coordinates (float; pixel k covers [k, k+1)) of a size x size picture."""
    x0, x1, y0, y1 = extent
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    px = (p[:, 0] - x0) / (x1 - x0) * size
    py = (y1 - p[:, 1]) / (y1 - y0) * size
    return np.stack([px, py], axis=1)


def _finite_rows(a: np.ndarray) -> np.ndarray:
    return a[np.all(np.isfinite(a), axis=1) & np.all(np.abs(a) < 1e6, axis=1)]


def _discs(draw, pix, radius: float, fill, outline=None, width: int = 0) -> None:
    for x, y in _finite_rows(pix):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline=outline, width=width)


def plane_image(view: dict, real, extent, layers, size: int = 480) -> Image.Image:
    """Draw one configuration's plane as a size x size RGB picture.

    ``view`` has the keys of :class:`gan_core.lab.session.MemberView` (``heat``, ``kind``,
    ``fakes``, ``arrow_points``, ``arrow_vectors``, ``manifold``, ``manifold_side``), as
    ``viz_lab.plane_figure`` takes them; ``layers`` names what to draw (``viz_lab.LAYERS``).
    Points outside the extent fall off the picture; NaN points are skipped.
    """
    layers = set(layers)
    ss = _SUPERSAMPLE
    big = size * ss
    scale = size / 480  # marks keep their size relative to the picture
    heat = view.get("heat")
    if "heatmap" in layers and heat is not None:
        zmin, zmax = heat_range(view["kind"], heat)
        # heat[j, i] is at (grid_x[i], grid_y[j]), rows going up in y: flip so row 0 is the top.
        small = Image.fromarray(heat_rgb(np.asarray(heat)[::-1], zmin, zmax))
        canvas = small.resize((size, size), Image.Resampling.BILINEAR).resize((big, big), Image.Resampling.NEAREST)
    else:
        canvas = Image.new("RGB", (big, big), "white")
    draw = ImageDraw.Draw(canvas, "RGBA")  # RGBA ink is alpha-blended into the RGB picture
    r = ss * scale
    # The mesh and the arrows first, the samples on top: a collapsed cloud under 256 arrows stays visible.
    if "manifold" in layers and view.get("manifold") is not None:
        side = int(view["manifold_side"])
        grid = _to_pixels(view["manifold"], extent, big).reshape(side, side, 2)
        for line in list(grid) + list(grid.transpose(1, 0, 2)):
            line = _finite_rows(line)
            if len(line) > 1:
                draw.line(line.ravel().tolist(), fill=_ink(GREY, 0.7), width=max(1, round(r)))
    if "arrows" in layers and view.get("arrow_points") is not None and view.get("arrow_vectors") is not None:
        pts = np.asarray(view["arrow_points"], dtype=np.float64)
        vec = np.asarray(view["arrow_vectors"], dtype=np.float64)
        k = arrow_scale(vec, extent)
        if k > 0:
            starts, tips = _to_pixels(pts, extent, big), _to_pixels(pts + k * vec, extent, big)
            left, right = arrow_heads(starts, tips)  # the same arrows as the interactive figure's
            segments = np.concatenate([np.concatenate([a, b], axis=1) for a, b in
                                       ((starts, tips), (left, tips), (right, tips))])
            for seg in _finite_rows(segments):
                draw.line(seg.tolist(), fill=_ink(_INK), width=max(1, round(1.5 * r)))
    if "real" in layers and real is not None:
        _discs(draw, _to_pixels(real, extent, big), 2.0 * r, fill=_ink(P_COLOR, 0.6))
    if "fake" in layers and view.get("fakes") is not None:
        _discs(draw, _to_pixels(view["fakes"], extent, big), 2.6 * r, fill=_ink(Q_COLOR), outline=_ink(_RIM),
               width=max(1, round(0.5 * r)))
    return canvas.reduce(ss)


def encode(image: Image.Image, fmt: str = "JPEG") -> bytes:
    """Compressed bytes of a picture.  JPEG by default: ~10x smaller than PNG for a smooth heatmap
    and ~2 ms to encode, which matters at four frames a second."""
    buf = io.BytesIO()
    if fmt == "JPEG":
        image.save(buf, format="JPEG", quality=88)
    else:
        image.save(buf, format=fmt)
    return buf.getvalue()
