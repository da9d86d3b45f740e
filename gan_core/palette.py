"""The shared look of every figure: the colour palette, and the thinning of long lines for display.

Colours come from the Okabe-Ito palette, which stays distinguishable for the common forms
of colour blindness and on a projector.  Used by all three rooms (lessons, lab, images).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# Okabe & Ito (2008), "Color Universal Design".
P_COLOR = "#0072B2"  # blue: the data / P
Q_COLOR = "#E69F00"  # orange: the model / Q
ACCENT = "#009E73"  # green
ALT = "#CC79A7"  # purple
DARK = "#D55E00"  # vermillion
GREY = "#7f7f7f"


#: Most points a line keeps for display (see :func:`thin_lines`).
DISPLAY_POINTS = 700


def thin_indices(x, y, n: int = DISPLAY_POINTS) -> np.ndarray:
    """Indices of at most about ``n`` points of the line (x, y) that draw it the same on screen.

    Three quarters of the budget go evenly along the line's length measured in units of its
    own x and y ranges (so points gather where the curve bends or climbs, few on flat tails),
    one quarter evenly in x; first, last, highest and lowest points and both sides of every
    gap (NaN) are always kept.  Lessons compute on grids of ~3000 points for accuracy, but a
    chart 1000 pixels wide cannot show more, and every point costs the browser time.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = len(x)
    if m <= n:
        return np.arange(m)
    finite = np.isfinite(x) & np.isfinite(y)
    if finite.sum() < 2:
        return np.arange(m)
    xr = float(np.ptp(x[finite])) or 1.0
    yr = float(np.ptp(y[finite])) or 1.0
    step = np.hypot(np.diff(x) / xr, np.diff(y) / yr)
    step[~np.isfinite(step)] = 0.0
    s = np.concatenate([[0.0], np.cumsum(step)])
    along = np.searchsorted(s, np.linspace(0.0, s[-1], int(0.75 * n)))
    even = np.linspace(0, m - 1, n // 4).astype(np.int64)
    yf = np.where(finite, y, np.nan)
    edges = np.flatnonzero(finite[1:] != finite[:-1])
    keep = np.concatenate([along, even, [0, m - 1, np.nanargmax(yf), np.nanargmin(yf)], edges, edges + 1])
    return np.unique(np.clip(keep, 0, m - 1))


def thin_lines(fig: go.Figure, n: int = DISPLAY_POINTS) -> go.Figure:
    """Thin every long line trace of ``fig`` in place with :func:`thin_indices` (display only:
    the numbers a page shows come from the full grids).  Traces with markers or per-point
    arrays (text, colours, custom data) are left whole."""
    for trace in fig.data:
        if trace.type != "scatter" or trace.x is None or trace.y is None or len(trace.x) <= n:
            continue
        if (trace.mode and "markers" in trace.mode) or any(
                getattr(trace, attr, None) is not None and not isinstance(getattr(trace, attr), str)
                for attr in ("text", "hovertext", "customdata")):
            continue
        idx = thin_indices(trace.x, trace.y, n)
        trace.x = np.asarray(trace.x)[idx]
        trace.y = np.asarray(trace.y)[idx]
    return fig
