"""Plotly figure builders for the 1-D lessons: data in, figure out, no science here.

Colours and line thinning come from :mod:`gan_core.palette` (shared by the three rooms).
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core.palette import (  # noqa: F401  (re-exported: pages draw with viz.P_COLOR ...)
    ACCENT, ALT, DARK, DISPLAY_POINTS, GREY, P_COLOR, Q_COLOR, thin_indices, thin_lines)


def layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        uirevision=title,
    )
    return fig


def visible_window(x: np.ndarray, *densities: np.ndarray, pad: float = 0.5) -> list[float]:
    """x-range that holds every density above 0.1% of its peak, so plots zoom on the action."""
    lows, highs = [], []
    for density in densities:
        finite = np.where(np.isfinite(density), density, 0.0)
        if finite.max() <= 0:
            continue
        keep = np.where(finite > finite.max() * 1e-3)[0]
        lows.append(x[keep[0]])
        highs.append(x[keep[-1]])
    if not lows:
        return [float(x[0]), float(x[-1])]
    return [max(float(min(lows)) - pad, float(x[0])), min(float(max(highs)) + pad, float(x[-1]))]


def bars_pq(labels: list[str], p: np.ndarray, q: np.ndarray) -> go.Figure:
    """Two discrete distributions side by side."""
    fig = go.Figure()
    fig.add_bar(x=labels, y=p, name="P", marker_color=P_COLOR)
    fig.add_bar(x=labels, y=q, name="Q", marker_color=Q_COLOR)
    fig.update_yaxes(title="probability", range=[0, 1])
    fig.update_xaxes(title="outcome")
    return layout(fig, "The two distributions P and Q", height=320)


def code_lengths(labels: list[str], p: np.ndarray, q: np.ndarray, unit: str) -> go.Figure:
    """Ideal code length -log p(x) vs -log q(x) for each outcome."""
    k = math.log(2) if unit == "bits" else 1.0
    with np.errstate(divide="ignore"):
        lp = -np.log(p) / k
        lq = -np.log(q) / k
    fig = go.Figure()
    fig.add_bar(x=labels, y=np.where(np.isfinite(lp), lp, np.nan), name="−log P(x): code built for P", marker_color=P_COLOR)
    fig.add_bar(x=labels, y=np.where(np.isfinite(lq), lq, np.nan), name="−log Q(x): code built for Q", marker_color=Q_COLOR)
    fig.update_yaxes(title=f"code length ({unit})")
    fig.update_xaxes(title="outcome")
    return layout(fig, "Code length of each outcome (no bar = probability 0: infinite)", height=320)


def infinite_points(integrand, p_density, q_density) -> list[tuple[str, np.ndarray]]:
    """The points where the integrand is infinite, grouped by which density is 0 there (legend name, mask)."""
    infinite = np.isinf(np.asarray(integrand, float))
    p, q = np.asarray(p_density, float), np.asarray(q_density, float)
    groups = [("infinite here (Q = 0 < P)", infinite & (q == 0) & (p > 0)),
              ("infinite here (P = 0 < Q)", infinite & (p == 0) & (q > 0))]
    rest = infinite & ~groups[0][1] & ~groups[1][1]
    groups.append(("infinite here", rest))
    return [(name, mask) for name, mask in groups if mask.any()]


def densities_with_integrand(x, p_density, q_density, integrand, integrand_name: str, unit: str) -> go.Figure:
    """P and Q on top; the chosen measure's pointwise integrand, shaded, below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.55, 0.45], vertical_spacing=0.08)
    fig.add_scatter(x=x, y=p_density, name="P", line=dict(color=P_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=x, y=q_density, name="Q", line=dict(color=Q_COLOR, width=3, dash="dash"), row=1, col=1)
    finite = np.where(np.isfinite(integrand), integrand, np.nan)
    fig.add_scatter(x=x, y=finite, name=f"integrand of {integrand_name}", fill="tozeroy",
                    line=dict(color=ACCENT, width=2), row=2, col=1)
    top = np.nanmax(np.abs(finite)) if np.isfinite(np.nanmax(np.abs(finite))) else 1.0
    for name, where in infinite_points(integrand, p_density, q_density):
        fig.add_scatter(x=x[where], y=np.full(where.sum(), top), mode="markers",
                        marker=dict(color=DARK, symbol="triangle-up", size=7), name=name, row=2, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    per = "per unit x" if integrand_name not in {"Total variation", "Wasserstein-1"} else ""
    ylabel = {"Total variation": "½|p − q|", "Wasserstein-1": "|F_P − F_Q|"}.get(integrand_name, f"{unit} {per}")
    fig.update_yaxes(title_text=ylabel, row=2, col=1)
    fig.update_xaxes(title_text="x", row=2, col=1, range=visible_window(x, p_density, q_density))
    return layout(fig, f"P and Q (top); the shaded area below is {integrand_name}", height=520)


def fits_figure(x, target_density, forward_density, reverse_density, reverse_optima_locs) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=x, y=target_density, name="target P (bimodal)", fill="tozeroy",
                    line=dict(color=GREY, width=2))
    fig.add_scatter(x=x, y=forward_density, name="argmin KL(P‖Q): mode covering",
                    line=dict(color=P_COLOR, width=3))
    fig.add_scatter(x=x, y=reverse_density, name="argmin KL(Q‖P): mode seeking",
                    line=dict(color=DARK, width=3, dash="dash"))
    for loc in reverse_optima_locs:
        fig.add_vline(x=loc, line=dict(color=DARK, width=1, dash="dot"))
    fig.update_xaxes(title="x", range=visible_window(x, target_density, forward_density))
    fig.update_yaxes(title="density")
    return layout(fig, "One Gaussian fitted to two modes, each way round (dotted: local optima of the reverse fit)", height=420)


def d_star_figure(x, p_data, p_g, d_star) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=x, y=p_data, name="p_data", line=dict(color=P_COLOR, width=3), secondary_y=False)
    fig.add_scatter(x=x, y=p_g, name="p_g", line=dict(color=Q_COLOR, width=3, dash="dash"), secondary_y=False)
    fig.add_scatter(x=x, y=d_star, name="D*(x) = p_data / (p_data + p_g)", line=dict(color=ACCENT, width=3),
                    secondary_y=True)
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dot"), secondary_y=True)
    fig.update_yaxes(title_text="density", secondary_y=False)
    fig.update_yaxes(title_text="D*(x), probability 'real'", range=[-0.02, 1.02], tickvals=[0, 0.25, 0.5, 0.75, 1],
                     showgrid=False, secondary_y=True)
    fig.update_xaxes(title_text="x", range=visible_window(x, p_data, p_g))
    return layout(fig, "The optimal discriminator: 1 where only data lives, 0 where only fakes live, ½ where they agree", height=420)


def sweep_figure(thetas, kl, js, w1, theta_now: float, unit_label: str) -> go.Figure:
    fig = go.Figure()
    kl = np.asarray(kl, float)
    finite = np.isfinite(kl)
    top = 1.15 * float(np.nanmax(np.concatenate([np.asarray(js, float), np.asarray(w1, float), kl[finite]])))
    # Infinite KL cannot be plotted; draw those points on a band at the top, labelled as infinite.
    fig.add_scatter(x=thetas, y=np.where(finite, kl, np.nan), name=f"KL(P‖Q) ({unit_label})",
                    line=dict(color=DARK, width=3))
    if (~finite).any():
        fig.add_scatter(x=thetas[~finite], y=np.full((~finite).sum(), top), mode="markers",
                        marker=dict(color=DARK, symbol="triangle-up", size=6), name="KL(P‖Q) = ∞ (drawn at the top)")
    fig.add_scatter(x=thetas, y=js, name=f"JS(P, Q) ({unit_label})", line=dict(color=P_COLOR, width=3))
    fig.add_scatter(x=thetas, y=w1, name="W1(P, Q) (units of x)", line=dict(color=ACCENT, width=3, dash="dash"))
    fig.add_vline(x=theta_now, line=dict(color=GREY, width=2, dash="dot"),
                  annotation_text=f"θ = {theta_now:+.2f}", annotation_position="bottom right")
    fig.update_xaxes(title="θ (where Q sits; P sits at 0)")
    fig.update_yaxes(title="value", rangemode="tozero")
    return layout(fig, "Distance between P at 0 and Q at θ, as θ moves", height=420)


def likelihood_figure(locs, avg_loglik, minus_ce, kl, n_samples: int) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=locs, y=avg_loglik, name=f"average log-likelihood of {n_samples} samples",
                    line=dict(color=P_COLOR, width=3), secondary_y=False)
    fig.add_scatter(x=locs, y=minus_ce, name="E_p[log q] (infinite data)",
                    line=dict(color=P_COLOR, width=2, dash="dot"), secondary_y=False)
    fig.add_scatter(x=locs, y=kl, name="KL(p_data ‖ q_μ)", line=dict(color=DARK, width=3, dash="dash"),
                    secondary_y=True)
    fig.update_xaxes(title="μ, the model's location")
    fig.update_yaxes(title_text="log-likelihood (nats)", secondary_y=False)
    fig.update_yaxes(title_text="KL (nats)", secondary_y=True)
    return layout(fig, "Maximising likelihood (solid, left axis) = minimising KL (dashed, right axis)", height=380)


def journey_dot(steps) -> str:
    """The guided path as a Graphviz DOT string: ``steps`` is a list of ``(title, section)`` in
    order; consecutive lessons are joined by arrows, and each section is a labelled box whose
    lessons form one row."""
    def quote(text: str) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph journey {", '  rankdir=TB; bgcolor="transparent"; nodesep=0.3; ranksep=0.25;',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=13, color="#444444", '
             'fillcolor="#cfe3f3"];', '  edge [color="#444444"];']
    sections: dict[str, list[int]] = {}
    for i, (_, section) in enumerate(steps):
        sections.setdefault(section, []).append(i)
    for k, (section, members) in enumerate(sections.items()):
        lines.append(f"  subgraph cluster_{k} {{ label={quote(section)}; fontname=\"Helvetica\"; fontsize=12; "
                     'style="rounded,dashed"; color="#999999";')
        for i in members:
            lines.append(f"    n{i} [label={quote(f'{i + 1}. {steps[i][0]}')}];")
        # A section's lessons form one row, read left to right; the sections follow top to bottom.
        lines.append("    {rank=same; " + " ".join(f"n{i};" for i in members) + "}")
        lines.append("  }")
    lines += [f"  n{i} -> n{i + 1};" for i in range(len(steps) - 1)]
    return "\n".join(lines + ["}"])


def gan_architecture_dot() -> str:
    """The GAN's data flow as a Graphviz DOT string (rendered in the browser, offline)."""
    return """
digraph GAN {
  rankdir=LR; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=13, color="#444444"];
  edge [fontname="Helvetica", fontsize=11, color="#444444"];
  z [label="noise z ~ p_z", fillcolor="#f0f0f0"];
  G [label="Generator G(z; θ)", fillcolor="#E69F00"];
  fake [label="fake sample G(z)", fillcolor="#fde8c4"];
  data [label="training data x ~ p_data", fillcolor="#cfe3f3"];
  D [label="Discriminator D(·; φ)\\noutputs P(real)", fillcolor="#0072B2", fontcolor="white"];
  dloss [label="D's loss:\\n−log D(x) − log(1 − D(G(z)))", shape=note, fillcolor="#ffffff"];
  gloss [label="G's loss:\\nlog(1 − D(G(z)))  or  −log D(G(z))", shape=note, fillcolor="#ffffff"];
  z -> G; G -> fake; fake -> D [label="fake path"];
  data -> D [label="real path"];
  D -> dloss [label="update φ"];
  D -> gloss [label="gradient flows back through D"];
  gloss -> G [style=dashed, label="update θ"];
}
"""
