"""Figures of a sweep (gan_core.lab.sweep): one dot per run with each setting's mean and 95 %
interval, and a small multiple of the runs' final samples.

Builders take plain data (lists, dicts, arrays) so that pages can cache them:

* :func:`dot_offsets`: where each dot sits across its column (runs with equal values side by side).
* :func:`sweep_dots`: ``dots`` (one dict per run: ``run``, ``label``, ``value``, ``seed``) and
  ``cells`` (one dict per setting: ``label``, ``mean``, ``ci``) for one metric.
* :func:`sample_grid`: final samples of many runs over the data's mode centres.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core import palette

__all__ = ["dot_offsets", "sweep_dots", "sample_grid", "SETTING_COLORS"]

SETTING_COLORS = (palette.P_COLOR, palette.Q_COLOR, palette.ACCENT, palette.ALT, palette.DARK, palette.GREY)


def dot_offsets(values, step: float = 0.07, width: float = 0.36) -> np.ndarray:
    """Horizontal offsets that put dots of equal value side by side, centred on 0.

    The k-th of m equal values sits at ``(k - (m - 1) / 2) * s`` with ``s = min(step, 2 width / (m - 1))``,
    so a column never grows wider than ``2 width``."""
    values = list(values)
    out = np.zeros(len(values))
    groups: dict = {}
    for i, v in enumerate(values):
        groups.setdefault(round(float(v), 6), []).append(i)
    for idx in groups.values():
        m = len(idx)
        s = step if m < 2 else min(step, 2 * width / (m - 1))
        for k, i in enumerate(idx):
            out[i] = (k - (m - 1) / 2) * s
    return out


def sweep_dots(dots: list, cells: list, title: str, y_title: str, y_range=None, percent: bool = False) -> go.Figure:
    """One column per setting: a dot per run, a bar for the mean and whiskers for its 95 % interval.

    Each dot's ``customdata`` is its run index (a page can open that run); ``percent`` shows
    values given as fractions in per cent."""
    scale = 100.0 if percent else 1.0
    labels = [c["label"] for c in cells]
    fig = go.Figure()
    for j, cell in enumerate(cells):
        mine = [d for d in dots if d["label"] == cell["label"]]
        ys = np.array([d["value"] * scale for d in mine], dtype=float)
        xs = j + dot_offsets(ys)
        color = SETTING_COLORS[j % len(SETTING_COLORS)]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=cell["label"], showlegend=False,
            marker=dict(size=16, color=color, opacity=0.75, line=dict(width=1.5, color="white")),
            customdata=[d["run"] for d in mine],
            text=[f"seed {d['seed']}" for d in mine],
            hovertemplate="%{text}: %{y:.3g}<extra>" + cell["label"] + "</extra>"))
        mean = cell["mean"] * scale
        lo, hi = (v * scale for v in cell["ci"])
        if math.isfinite(mean):
            has_ci = math.isfinite(lo) and math.isfinite(hi)
            fig.add_trace(go.Scatter(
                x=[j + 0.45], y=[mean], mode="markers", showlegend=False, name=f"{cell['label']}: mean",
                marker=dict(symbol="diamond", size=20, color="black"),
                error_y=dict(type="data", symmetric=False, array=[hi - mean], arrayminus=[mean - lo], thickness=3,
                             width=10, color="black") if has_ci else None,
                hovertemplate=(f"mean %{{y:.3g}}, 95 % interval {lo:.3g} to {hi:.3g}" if has_ci else "mean %{y:.3g}")
                + "<extra></extra>"))
    fig.update_layout(title=title, height=430, margin=dict(l=60, r=20, t=50, b=60), clickmode="event+select",
                      xaxis=dict(tickvals=list(range(len(cells))), ticktext=labels, range=[-0.6, len(cells) - 0.2]),
                      yaxis=dict(title=y_title, range=y_range))
    return fig


def sample_grid(panels: list, centres, extent, cols: int = 8, points: int = 300) -> go.Figure:
    """Small multiples: each panel (``{"title", "samples": (n, 2)}``) a run's final samples over the
    mode centres (crosses), at most ``points`` points each, all panels on the data's ``extent``."""
    n = max(1, len(panels))
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[p["title"] for p in panels],
                        horizontal_spacing=0.02, vertical_spacing=0.12 / max(1, rows - 1) if rows > 1 else 0.05)
    centres = np.asarray(centres, dtype=float)
    x0, x1, y0, y1 = extent
    for k, p in enumerate(panels):
        r, c = k // cols + 1, k % cols + 1
        pts = np.asarray(p["samples"], dtype=float)[:points]
        fig.add_trace(go.Scatter(x=centres[:, 0], y=centres[:, 1], mode="markers", showlegend=False,
                                 marker=dict(symbol="x", size=7, color=palette.P_COLOR), hoverinfo="skip"), r, c)
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", showlegend=False,
                                 marker=dict(size=3, color=p.get("color", palette.Q_COLOR), opacity=0.6),
                                 hoverinfo="skip"), r, c)
    fig.update_xaxes(range=[x0, x1], showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y0, y1], showticklabels=False, showgrid=False, zeroline=False)
    fig.update_annotations(font_size=15)  # the panel titles keep their size in presenter mode (they would overlap)
    fig.update_layout(height=170 * rows + 40, margin=dict(l=10, r=10, t=40, b=10))
    return fig
