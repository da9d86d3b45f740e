"""Plotly figure builders for the 2-D training lab: data in, figure out, no science here.

While a run trains, the lab shows its plane as a server-drawn picture
(:mod:`gan_core.lab.plane_raster`); these figures are drawn when it pauses and on the timeline.
Each layer is one trace (arrows and the latent mesh are line segments separated by gaps),
and every figure carries a fixed ``uirevision`` so a visitor's zoom survives the redraws.
Colours are the Okabe-Ito palette of :mod:`gan_core.lessons.viz`: blue for data, orange for the
generator, and a blue-white-orange heatmap where blue means "looks real to the
discriminator".
"""
from __future__ import annotations


import numpy as np
import plotly.graph_objects as go

from gan_core.palette import ACCENT, ALT, DARK, GREY, P_COLOR, Q_COLOR

__all__ = ["MEMBER_COLORS", "member_color", "LAYERS", "HEAT_SCALE", "plane_figure", "planes_figure", "loss_figure", "metrics_figure", "metric_series",
           "latent_figure", "picker_figure", "arrow_scale", "heat_range"]

#: One colour per side-by-side configuration (legends of the curves and the table).
MEMBER_COLORS = [DARK, ACCENT, ALT, "#56B4E9"]


def member_color(i: int) -> str:
    """The colour of configuration i in every lab chart."""
    return MEMBER_COLORS[i % len(MEMBER_COLORS)]


#: Layers of the plane view, in drawing order.
LAYERS = ("heatmap", "real", "fake", "arrows", "manifold")
LAYER_LABELS = {
    "heatmap": "Discriminator heatmap",
    "real": "Real samples",
    "fake": "Generated samples",
    "arrows": "Generator gradients",
    "manifold": "Generator manifold",
}
# Orange (0: "fake") -> white -> blue (1: "real").
HEAT_SCALE = [[0.0, "#E69F00"], [0.5, "#ffffff"], [1.0, "#0072B2"]]
_HEAT_TITLES = {"probability": "D(x) = P(real)", "critic": "critic f(x)", "least-squares": "D(x)"}
_FONT = dict(size=14)
# SVG points: these figures are drawn once per pause or scrub, and SVG works everywhere, where WebGL
# contexts are scarce (a page gets about 16), slow to create and software-emulated without a GPU.
_SCATTER = "scatter"
# Each SVG point is a DOM node, and the paused plane drew ~1,500 of them (a third of a second of a
# page switch): the interactive figure shows the first 300 of the real sample (an i.i.d. sample,
# so its first half is one too) and draws arrowheads inside the arrows' single line trace.
PLANE_REAL_POINTS = 300


def heat_range(kind: str, values) -> tuple[float, float]:
    """Colour range of a heatmap: [0, 1] for probabilities; for critic scores (whose offset is
    arbitrary) symmetric around the grid's mean, wide enough for every value."""
    if kind == "probability":
        return 0.0, 1.0
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return -1.0, 1.0
    mid = 0.5 if kind == "least-squares" else float(v.mean())
    half = float(np.max(np.abs(v - mid)))
    half = half if half > 0 else 1.0
    return mid - half, mid + half


def arrow_scale(vectors, extent, fraction: float = 0.08) -> float:
    """Display factor for gradient arrows: the 95th-percentile arrow becomes ``fraction`` of the
    plot's width.  Returns 0 when every vector is zero or not finite (nothing to draw)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1) if v.size else np.zeros(0)
    norms = norms[np.isfinite(norms)]
    if norms.size == 0:
        return 0.0
    ref = float(np.percentile(norms, 95))
    if ref <= 0:
        return 0.0
    return fraction * (extent[1] - extent[0]) / ref


def arrow_heads(starts, tips, fraction: float = 0.3, angle_deg: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """The two barbs of each arrow's head: points ``fraction`` of the way back from the tip along
    the shaft, turned by +-``angle_deg``. Drawn as lines (in data or pixel coordinates, which
    must have equal scales on both axes), so a head costs no marker of its own."""
    back = fraction * (np.asarray(starts, dtype=np.float64) - np.asarray(tips, dtype=np.float64))
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], axis=1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], axis=1)
    return tips + left, tips + right


def _segments(starts, ends) -> tuple[np.ndarray, np.ndarray]:
    # x0, x1, nan, x0, x1, nan ... : one trace draws all segments.
    n = len(starts)
    xs = np.full(3 * n, np.nan)
    ys = np.full(3 * n, np.nan)
    xs[0::3], xs[1::3] = starts[:, 0], ends[:, 0]
    ys[0::3], ys[1::3] = starts[:, 1], ends[:, 1]
    return xs, ys


def _mesh(points, side: int) -> tuple[np.ndarray, np.ndarray]:
    # Rows and columns of the warped latent grid as polylines separated by NaN.
    grid = np.asarray(points, dtype=np.float64).reshape(side, side, 2)
    pad = np.full((side, 1, 2), np.nan)
    rows = np.concatenate([grid, pad], axis=1).reshape(-1, 2)
    cols = np.concatenate([grid.transpose(1, 0, 2), pad], axis=1).reshape(-1, 2)
    both = np.concatenate([rows, cols])
    return both[:, 0], both[:, 1]


# Figures are assembled as plain dicts: plotly's object API (update_layout, add_trace,
# make_subplots) costs 40-200 ms per figure here, a dict validated once by go.Figure ~2 ms,
# and the lab redraws several figures four times a second.

def _figure(data: list, layout: dict) -> go.Figure:
    return go.Figure({"data": data, "layout": layout})


def _axis_pair(i: int) -> tuple[str, str, str, str]:
    """Trace references and layout keys of subplot i (0-based): ('x2', 'y2', 'xaxis2', 'yaxis2')."""
    suffix = "" if i == 0 else str(i + 1)
    return "x" + suffix, "y" + suffix, "xaxis" + suffix, "yaxis" + suffix


def _grid_domains(rows: int, cols: int, hspace: float, vspace: float):
    """Domains ((x0, x1), (y0, y1)) of subplots numbered row by row from the top."""
    w = (1 - hspace * (cols - 1)) / cols
    h = (1 - vspace * (rows - 1)) / rows
    out = []
    for r in range(rows):
        for c in range(cols):
            x0 = c * (w + hspace)
            y1 = 1 - r * (h + vspace)
            # Clamp: float round-off must not push a domain outside [0, 1] (plotly rejects it).
            out.append(((max(0.0, x0), min(1.0, x0 + w)), (max(0.0, y1 - h), min(1.0, y1))))
    return out


def _title_annotation(text, xdom, ydom) -> dict:
    return dict(text=text, x=(xdom[0] + xdom[1]) / 2, y=ydom[1], xref="paper", yref="paper", xanchor="center",
                yanchor="bottom", showarrow=False, font=dict(size=15))


def _plane_traces(view, real, extent, layers, show_scale: bool, legend: bool, axes=("x", "y")):
    """Traces (dicts) of one plane, drawn on the axes ``axes``."""
    traces = []
    layers = set(layers)
    xa, ya = axes
    common = dict(xaxis=xa, yaxis=ya, hoverinfo="skip")
    if "heatmap" in layers and view.get("heat") is not None:
        heat = view["heat"]
        zmin, zmax = heat_range(view["kind"], heat)
        traces.append(dict(
            type="heatmap", x=view["grid_x"], y=view["grid_y"], z=heat, zmin=zmin, zmax=zmax,
            colorscale=HEAT_SCALE, opacity=0.85, showscale=show_scale, zsmooth="fast",
            # "fast" lets the browser scale a 60 x 60 image; "best" interpolates every pixel in JavaScript.
            colorbar=dict(title=dict(text=_HEAT_TITLES[view["kind"]], side="top"), thickness=10, len=0.6,
                          orientation="h", x=0.5, xanchor="center", y=-0.02, yanchor="top"),
            **common))
    # Arrows and mesh below the samples (drawn later = on top); the legend keeps samples first.
    if "arrows" in layers and view.get("arrow_points") is not None:
        pts, vec = view["arrow_points"], view["arrow_vectors"]
        k = arrow_scale(vec, extent)
        if k > 0:
            tips = pts + k * vec
            left, right = arrow_heads(pts, tips)
            xs, ys = _segments(np.concatenate([pts, left, right]), np.concatenate([tips, tips, tips]))
            traces.append(dict(type=_SCATTER, x=xs, y=ys, mode="lines", name="where G pushes its samples", legendrank=3,
                               line=dict(color="#333333", width=1.5), showlegend=legend, connectgaps=False, **common))
    if "manifold" in layers and view.get("manifold") is not None:
        xs, ys = _mesh(view["manifold"], view["manifold_side"])
        traces.append(dict(type=_SCATTER, x=xs, y=ys, mode="lines", name="G's image of a latent grid", legendrank=4,
                           line=dict(color=GREY, width=1), opacity=0.7, showlegend=legend, connectgaps=False,
                           **common))
    if "real" in layers and real is not None:
        real = np.asarray(real)[:PLANE_REAL_POINTS]
        traces.append(dict(type=_SCATTER, x=real[:, 0], y=real[:, 1], mode="markers", name="real samples", legendrank=1,
                           marker=dict(color=P_COLOR, size=4, opacity=0.6), showlegend=legend, **common))
    if "fake" in layers and view.get("fakes") is not None:
        f = view["fakes"]
        traces.append(dict(type=_SCATTER, x=f[:, 0], y=f[:, 1], mode="markers", name="generated samples", legendrank=2,
                           marker=dict(color=Q_COLOR, size=5, opacity=0.85, line=dict(color="#7a4f00", width=0.5)),
                           showlegend=legend, **common))
    return traces


def _plane_axes(extent, xdom=(0, 1), ydom=(0, 1), anchor_x="x", anchor_y="y", matches=False) -> tuple[dict, dict]:
    x0, x1, y0, y1 = extent
    xa = dict(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain", domain=list(xdom), anchor=anchor_y)
    ya = dict(range=[y0, y1], showgrid=False, zeroline=False, constrain="domain", domain=list(ydom), anchor=anchor_x,
              scaleanchor=anchor_x, scaleratio=1)
    if matches:
        xa["matches"] = "x"
        ya["matches"] = "y"
    return xa, ya


def plane_figure(view: dict, real, extent, layers=LAYERS, title: str = "", height: int = 560,
                 uirevision: str = "plane") -> go.Figure:
    """One configuration on the data plane: heatmap, real and generated points, gradient arrows, manifold.

    Parameters
    ----------
    view : dict
        ``kind`` ("probability" | "critic" | "least-squares"), ``heat`` (G x G), ``grid_x``,
        ``grid_y``, ``fakes`` (n, 2), ``arrow_points`` / ``arrow_vectors`` (m, 2) or None,
        ``manifold`` (side*side, 2) or None, ``manifold_side``.
    real : array (n, 2)
    extent : (xmin, xmax, ymin, ymax)
    layers : iterable of :data:`LAYERS` names to draw.
    """
    xa, ya = _plane_axes(extent)
    layout = dict(
        title=dict(text=title, x=0.0, xanchor="left"), height=height, font=_FONT, xaxis=xa, yaxis=ya,
        margin=dict(l=10, r=10, t=60 if title else 30, b=70), uirevision=uirevision, plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0))
    return _figure(_plane_traces(view, real, extent, layers, show_scale=True, legend=True), layout)


def _grid_shape(n: int) -> tuple[int, int]:
    return (1, n) if n <= 3 else (2, 2)


def planes_figure(views: list, titles: list, real, extent, layers=LAYERS, height: int | None = None,
                  uirevision: str = "planes") -> go.Figure:
    """Several configurations side by side on shared axes (zoom one, zoom all)."""
    rows, cols = _grid_shape(len(views))
    doms = _grid_domains(rows, cols, 0.03, 0.08)
    data, layout = [], dict(
        height=height or (480 if rows == 1 else 860), font=_FONT, uirevision=uirevision, plot_bgcolor="white",
        margin=dict(l=10, r=10, t=70, b=10), annotations=[],
        legend=dict(orientation="h", yanchor="bottom", y=1.06, xanchor="left", x=0.0))
    for i, view in enumerate(views):
        xr, yr, xk, yk = _axis_pair(i)
        xdom, ydom = doms[i]
        xa, ya = _plane_axes(extent, xdom, ydom, anchor_x=xr, anchor_y=yr, matches=i > 0)
        layout[xk], layout[yk] = xa, ya
        layout["annotations"].append(_title_annotation(titles[i], xdom, ydom))
        data += _plane_traces(view, real, extent, layers, show_scale=False, legend=(i == 0), axes=(xr, yr))
    return _figure(data, layout)


def _line(x, y, name, color, axes, legend, markers=False, group=None) -> dict:
    y = np.asarray(y, dtype=float)
    return dict(type="scatter", x=np.asarray(x, dtype=float), y=np.where(np.isfinite(y), y, np.nan),
                mode="lines+markers" if markers else "lines", name=name, legendgroup=group or name,
                line=dict(color=color, width=2 if markers else 1.5), marker=dict(size=4), showlegend=legend,
                xaxis=axes[0], yaxis=axes[1])


def _charts_layout(rows, cols, titles, height, uirevision, xtitle="generator step", hspace=0.1, vspace=0.2):
    doms = _grid_domains(rows, cols, hspace, vspace)
    layout = dict(height=height, font=_FONT, uirevision=uirevision, margin=dict(l=10, r=10, t=60, b=10),
                  annotations=[], legend=dict(orientation="h", yanchor="bottom", y=1.1, xanchor="left", x=0.0))
    for i, (xdom, ydom) in enumerate(doms):
        xr, yr, xk, yk = _axis_pair(i)
        bottom = i // cols == rows - 1
        layout[xk] = dict(domain=list(xdom), anchor=yr, matches="x" if i > 0 else None,
                          title=dict(text=xtitle) if bottom else None, showticklabels=bottom)
        layout[yk] = dict(domain=list(ydom), anchor=xr)
        layout["annotations"].append(_title_annotation(titles[i], xdom, ydom))
    return layout


def loss_figure(histories: list, labels: list, height: int = 380) -> go.Figure:
    """Discriminator and generator losses against generator steps, one colour per configuration.

    ``histories[i]`` is a dict with ``step``, ``d_loss``, ``g_loss`` arrays.
    """
    layout = _charts_layout(2, 1, ("discriminator / critic loss", "generator loss"), height, "losses", vspace=0.18)
    data = []
    for i, (h, label) in enumerate(zip(histories, labels)):
        color = member_color(i)
        data.append(_line(h["step"], h["d_loss"], label, color, ("x", "y"), True))
        data.append(_line(h["step"], h["g_loss"], label, color, ("x2", "y2"), False))
    return _figure(data, layout)


def metrics_figure(histories: list, labels: list, n_modes: int, height: int = 440) -> go.Figure:
    """Mode metrics against generator steps: modes captured, high-quality %, reverse KL, W1.

    ``histories[i]`` has ``step``, ``modes_captured``, ``high_quality`` (fraction),
    ``reverse_kl`` (nats; infinite values are left out), ``w1`` (data units).
    """
    layout = _charts_layout(2, 2, (f"modes captured (of {n_modes})", "high-quality samples (%)",
                                   "reverse KL (nats)", "W1 to the data (data units)"), height, "metrics")
    layout["yaxis"]["range"] = [0, n_modes + 0.5]
    layout["yaxis2"]["range"] = [0, 100]
    data = []
    for i, (h, label) in enumerate(zip(histories, labels)):
        color = member_color(i)
        for k, y in enumerate(metric_series(h)):
            xr, yr, _, _ = _axis_pair(k)
            data.append(_line(h["step"], y, label, color, (xr, yr), k == 0, markers=True))
    return _figure(data, layout)


def metric_series(history: dict) -> list:
    """The four metric panels' y values of one member, in panel order: modes captured,
    high-quality samples (%), reverse KL (nats), W1 (data units)."""
    return [history["modes_captured"], 100 * np.asarray(history["high_quality"], float), history["reverse_kl"],
            history["w1"]]


def latent_figure(encoded_list: list, titles: list, modes, prior, height: int = 380,
                  prior_name: str = "prior z ~ N(0, I)") -> go.Figure:
    """BiGAN: the encoder's latent codes E(x) of real points, coloured by the mode they came from,
    over samples of the prior p(z) in grey."""
    n = len(encoded_list)
    layout = _charts_layout(1, n, titles, height, "latents", xtitle="z₁", hspace=0.06)
    palette = [P_COLOR, Q_COLOR, ACCENT, DARK, ALT, "#56B4E9", "#F0E442", "#000000"]
    colors = [palette[int(m) % len(palette)] for m in np.asarray(modes)]
    data = []
    for i, enc in enumerate(encoded_list):
        xr, yr, _, yk = _axis_pair(i)
        layout[yk]["title"] = dict(text="z₂") if i == 0 else None
        if prior is not None and prior.shape[1] >= 2:
            data.append(dict(type=_SCATTER, x=prior[:, 0], y=prior[:, 1], mode="markers", name=prior_name,
                             marker=dict(color="#bbbbbb", size=3), showlegend=(i == 0), xaxis=xr, yaxis=yr))
        y = enc[:, 1] if enc.shape[1] > 1 else np.zeros(len(enc))
        data.append(dict(type=_SCATTER, x=enc[:, 0], y=y, mode="markers", name="E(x), colour = mode of x",
                         marker=dict(color=colors, size=4), showlegend=(i == 0), xaxis=xr, yaxis=yr))
    return _figure(data, layout)


def picker_figure(candidates, extent, height: int = 360) -> go.Figure:
    """Candidate points to click or lasso (grey; plotly highlights the chosen ones)."""
    xa, ya = _plane_axes(extent)
    layout = dict(height=height, font=dict(size=12), margin=dict(l=10, r=10, t=10, b=10), dragmode="lasso",
                  uirevision="picker", clickmode="event+select", plot_bgcolor="white", xaxis=xa, yaxis=ya,
                  showlegend=False)
    data = [dict(type="scatter", x=candidates[:, 0], y=candidates[:, 1], mode="markers", name="candidates",
                 marker=dict(color=P_COLOR, size=8), unselected=dict(marker=dict(color="#cccccc", opacity=1.0)),
                 hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>")]
    return _figure(data, layout)


def timeline_steps_label(steps) -> str:
    """'step 1200' or 'steps 1200 / 1195' when members differ (one diverged early)."""
    uniq = sorted(set(int(s) for s in steps))
    return f"step {uniq[0]}" if len(uniq) == 1 else "steps " + " / ".join(str(int(s)) for s in steps)
