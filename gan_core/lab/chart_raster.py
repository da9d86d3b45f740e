"""Raster pictures of the lab's loss and metric curves (numpy + Pillow), shown while a run trains.

Redrawing the two Plotly charts of curves costs the browser about 0.3 s of CPU each time; on a
2-core machine with the browser beside the server, that was 19 % of a core taken from training
at one redraw every 3 s (measured with ``scripts/bench_lab.py`` and a per-process CPU probe).
A picture of the same curves costs the browser an image swap.  So, like the plane
(:mod:`gan_core.lab.plane_raster`), the curves are pictures while training and interactive Plotly
figures (hover, zoom) when paused.  The panels, series and colours are those of
:func:`gan_core.lab.viz_lab.loss_figure` and :func:`gan_core.lab.viz_lab.metrics_figure`.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gan_core.lab.viz_lab import member_color, metric_series

__all__ = ["curves_image", "legend_for", "loss_panels", "metric_panels", "nice_range"]


def legend_for(labels: list) -> list[tuple[str, str]]:
    """``(label, colour)`` of each configuration, in the charts' colours."""
    return [(str(label), member_color(i)) for i, label in enumerate(labels)]

_SS = 2  # drawn at twice the size, then halved (antialiasing)
_AXIS = "#888888"
_GRID = "#e6e6e6"
_TEXT = "#333333"


def loss_panels(histories: list) -> list[dict]:
    """The panels of ``viz_lab.loss_figure``: D's loss and G's loss against generator steps."""
    panels = [{"title": "discriminator / critic loss", "series": []}, {"title": "generator loss", "series": []}]
    for i, h in enumerate(histories):
        colour = member_color(i)
        panels[0]["series"].append((h["step"], h["d_loss"], colour))
        panels[1]["series"].append((h["step"], h["g_loss"], colour))
    return panels


def metric_panels(histories: list, n_modes: int) -> list[dict]:
    """The panels of ``viz_lab.metrics_figure``: modes, high-quality %, reverse KL, W1."""
    panels = [{"title": f"modes captured (of {n_modes})", "series": [], "y_range": (0, n_modes + 0.5)},
              {"title": "high-quality samples (%)", "series": [], "y_range": (0, 100)},
              {"title": "reverse KL (nats)", "series": []},
              {"title": "W1 to the data (data units)", "series": []}]
    for i, h in enumerate(histories):
        colour = member_color(i)
        for panel, y in zip(panels, metric_series(h)):
            panel["series"].append((h["step"], y, colour))
    return panels


def nice_range(values) -> tuple[float, float]:
    """A y range that holds every finite value, padded by 5 %; (0, 1) when there is none."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return lo - pad, hi + pad


def _label(v: float, span: float) -> str:
    """A tick label with as many decimals as the axis' span needs (and 0 for rounding noise)."""
    if abs(v) < span / 1000:
        return "0"
    if abs(v) >= 10_000 or span < 1e-3:
        return f"{v:.2g}"
    decimals = min(max(2 - math.floor(math.log10(span)), 0), 4)
    return f"{v:.{decimals}f}"


def _font(size: int):
    return ImageFont.load_default(size=size)


def curves_image(panels: list[dict], columns: int = 1, width: int = 600, panel_height: int = 170,
                 legend: list[tuple[str, str]] | None = None) -> Image.Image:
    """Panels of line charts in a grid: each ``{"title", "series": [(x, y, colour)], "y_range"?}``.

    Non-finite points break a line (as Plotly leaves a gap).  Axes show the y range's ends and
    middle and the x range's ends (generator steps).  ``legend``: ``(label, colour)`` pairs drawn
    in a row above the panels.
    """
    rows = math.ceil(len(panels) / columns)
    head = 22 * _SS if legend else 0
    W, H = width * _SS, rows * panel_height * _SS + head
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)
    font, small = _font(13 * _SS), _font(11 * _SS)
    x = 10 * _SS
    for label, colour in legend or []:
        draw.line([(x, 11 * _SS), (x + 18 * _SS, 11 * _SS)], fill=colour, width=3 * _SS)
        draw.text((x + 24 * _SS, 4 * _SS), label, fill=_TEXT, font=small)
        x += 24 * _SS + draw.textlength(label, font=small) + 18 * _SS
    cell_w = W // columns
    cell_h = panel_height * _SS
    for k, panel in enumerate(panels):
        x0, y0 = (k % columns) * cell_w, (k // columns) * cell_h + head
        left, right = x0 + 56 * _SS, x0 + cell_w - 12 * _SS
        top, bottom = y0 + 24 * _SS, y0 + cell_h - 22 * _SS
        draw.text((left, y0 + 4 * _SS), panel["title"], fill=_TEXT, font=font)
        xs_all = np.concatenate([np.asarray(s[0], float) for s in panel["series"]] or [np.zeros(0)])
        xs_all = xs_all[np.isfinite(xs_all)]
        xmin, xmax = (float(xs_all.min()), float(xs_all.max())) if xs_all.size else (0.0, 1.0)
        if xmax <= xmin:
            xmax = xmin + 1.0
        ylo, yhi = panel.get("y_range") or nice_range(
            np.concatenate([np.asarray(s[1], float) for s in panel["series"]] or [np.zeros(0)]))
        for frac in (0.0, 0.5, 1.0):
            y = bottom - frac * (bottom - top)
            draw.line([(left, y), (right, y)], fill=_GRID if frac else _AXIS, width=_SS)
            text = _label(ylo + frac * (yhi - ylo), yhi - ylo)
            tw = draw.textlength(text, font=small)
            draw.text((left - tw - 6 * _SS, y - 7 * _SS), text, fill=_TEXT, font=small)
        draw.line([(left, top), (left, bottom)], fill=_AXIS, width=_SS)
        for xv, anchor in ((xmin, "la"), (xmax, "ra")):
            draw.text((left if anchor == "la" else right, bottom + 4 * _SS), f"{xv:,.0f}", fill=_TEXT, font=small,
                      anchor=anchor)
        for xs, ys, colour in panel["series"]:
            xs, ys = np.asarray(xs, float), np.asarray(ys, float)
            px = left + (xs - xmin) / (xmax - xmin) * (right - left)
            py = bottom - (np.clip(ys, ylo, yhi) - ylo) / ((yhi - ylo) or 1.0) * (bottom - top)
            py[~np.isfinite(ys)] = np.nan  # clip would pin an infinite value to the edge
            ok = np.isfinite(px) & np.isfinite(py)
            # consecutive finite points form one polyline; a gap starts a new one
            breaks = np.flatnonzero(~ok)
            start = 0
            for end in list(breaks) + [len(ok)]:
                seg = np.stack([px[start:end], py[start:end]], 1)
                if len(seg) >= 2:
                    draw.line(seg.ravel().tolist(), fill=colour, width=2 * _SS, joint="curve")
                elif len(seg) == 1:
                    cx, cy = seg[0]
                    draw.ellipse([cx - 2 * _SS, cy - 2 * _SS, cx + 2 * _SS, cy + 2 * _SS], fill=colour)
                start = end + 1
    return img.reduce(_SS)
