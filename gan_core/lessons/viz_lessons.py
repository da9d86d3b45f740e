"""Plotly figure builders for the lessons "Vanishing gradients", "f-divergences and f-GAN" and
"Wasserstein distance": data in, figure out, no science here (it lives in gradients1d, fgan,
transport).  Same palette and layout helper as :mod:`gan_core.lessons.viz`.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core.lessons.viz import layout, visible_window
from gan_core.palette import ACCENT, ALT, DARK, GREY, P_COLOR, Q_COLOR

SAT_COLOR = DARK  # the saturating loss
NS_COLOR = P_COLOR  # the non-saturating loss


def _legend_below(fig: go.Figure, height: int) -> go.Figure:
    """Legend under the plot, for figures whose subplot titles would collide with a top legend."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-62.0 / (height - 150), xanchor="left", x=0.0),
                      margin=dict(l=10, r=10, t=60, b=90))
    return fig


def _finite(values) -> np.ndarray:
    arr = np.asarray(values, float)
    return np.where(np.isfinite(arr), arr, np.nan)


# ------------------------------------------------------------------ vanishing gradients
def generator_losses_figure(d, loss_sat, loss_ns, grad_sat, grad_ns, wrt: str) -> go.Figure:
    """Left: the two generator losses over D(G(z)); right: their gradients (w.r.t. the logit or D)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Generator loss (nats)", f"Gradient of the loss with respect to {wrt}"))
    fig.add_scatter(x=d, y=loss_sat, name="saturating: log(1 − D)", line=dict(color=SAT_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=d, y=loss_ns, name="non-saturating: −log D", line=dict(color=NS_COLOR, width=3, dash="dash"),
                    row=1, col=1)
    fig.add_scatter(x=d, y=grad_sat, name="gradient of log(1 − D)",
                    line=dict(color=SAT_COLOR, width=3), showlegend=False, row=1, col=2)
    fig.add_scatter(x=d, y=grad_ns, name="gradient of −log D", line=dict(color=NS_COLOR, width=3, dash="dash"),
                    showlegend=False, row=1, col=2)
    fig.add_vrect(x0=0.0, x1=0.1, fillcolor=GREY, opacity=0.12, line_width=0, row=1, col=2,
                  annotation_text="fakes rejected", annotation_position="top left")
    fig.update_xaxes(title_text="D(G(z)), the discriminator's probability that a fake is real", range=[0, 1])
    if not wrt.startswith("the logit"):
        fig.update_yaxes(range=[-12, 0.5], row=1, col=2)
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_yaxes(title_text="nats per unit", row=1, col=2)
    return _legend_below(layout(fig, "The two generator losses and the gradients they pass back", height=460), 460)


def saturation_figure(x, p, q, d_star, density_sat, density_ns) -> go.Figure:
    """Top: data, generator and the optimal D; bottom: where each loss's gradient comes from."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.55, 0.45],
                        specs=[[{"secondary_y": True}], [{}]],
                        subplot_titles=("Data p, generator q and the optimal discriminator D*",
                                        "Per-x contribution to dL/dθ (the area is the generator's gradient)"))
    fig.add_scatter(x=x, y=p, name="p_data", line=dict(color=P_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=x, y=q, name="p_g (generator)", line=dict(color=Q_COLOR, width=3, dash="dash"), row=1, col=1)
    fig.add_scatter(x=x, y=d_star, name="D*(x)", line=dict(color=ACCENT, width=2), row=1, col=1, secondary_y=True)
    fig.add_scatter(x=x, y=density_ns, name="non-saturating −log D", fill="tozeroy",
                    line=dict(color=NS_COLOR, width=2), row=2, col=1)
    fig.add_scatter(x=x, y=density_sat, name="saturating log(1 − D)", fill="tozeroy",
                    line=dict(color=SAT_COLOR, width=2), row=2, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="D*(x)", range=[-0.02, 1.02], tickvals=[0, 0.25, 0.5, 0.75, 1], showgrid=False,
                     row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="nats per unit θ per unit x", row=2, col=1)
    fig.update_xaxes(title_text="x", row=2, col=1, range=visible_window(x, p, q))
    return _legend_below(layout(fig, "Pull the generator away: D* saturates at 0 on the fakes", height=620), 620)


def gradient_sweep_figure(thetas, sat, ns, theta_now: float) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=thetas, y=np.abs(ns), name="non-saturating −log D", line=dict(color=NS_COLOR, width=3, dash="dash"))
    fig.add_scatter(x=thetas, y=np.abs(sat), name="saturating log(1 − D)", line=dict(color=SAT_COLOR, width=3))
    fig.add_vline(x=theta_now, line=dict(color=GREY, width=2, dash="dot"),
                  annotation_text=f"θ = {theta_now:+.2f}", annotation_position="bottom right")
    fig.update_yaxes(type="log", title="|dL/dθ| (nats per unit θ, log scale)", exponentformat="power")
    fig.update_xaxes(title="θ, the generator's mean (the data sits at 0)")
    return layout(fig, "Size of the generator's gradient as it moves away from the data", height=400)


def contrast_figure(d, parts: dict, thetas, exact, approx) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Tangent approximations of the two log terms", "The game's value V(G, D*) and its approximation"))
    fig.add_scatter(x=d, y=parts["log_d"], name="log D (real)", line=dict(color=P_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=d, y=parts["approx_log_d"], name="D − 1", line=dict(color=P_COLOR, width=2, dash="dot"),
                    fill="tonexty", fillcolor="rgba(0,114,178,0.15)", row=1, col=1)
    fig.add_scatter(x=d, y=parts["log_1md"], name="log(1 − D) (fake)", line=dict(color=Q_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=d, y=parts["approx_log_1md"], name="−D", line=dict(color=Q_COLOR, width=2, dash="dot"),
                    fill="tonexty", fillcolor="rgba(230,159,0,0.15)", row=1, col=1)
    fig.add_scatter(x=thetas, y=exact, name="V(G, D*) exact", line=dict(color=ACCENT, width=3), row=1, col=2)
    fig.add_scatter(x=thetas, y=approx, name="E_p D* − E_q D* − 1", line=dict(color=ALT, width=3, dash="dash"),
                    fill="tonexty", fillcolor="rgba(204,121,167,0.18)", row=1, col=2)
    fig.update_xaxes(title_text="D", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="nats", range=[-3, 0.3], row=1, col=1)
    fig.update_xaxes(title_text="θ, the generator's mean", row=1, col=2)
    fig.update_yaxes(title_text="nats", row=1, col=2)
    return _legend_below(layout(fig, "Contrast maximisation: tangents at D = 1 and D = 0 (shaded: the error)", height=480), 480)


# --------------------------------------------------------------------------- f-GAN
def legendre_figure(u, f_vals, t, conj_vals, tangent, label: str) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"f(u) and its tangent at u₀ = {tangent.u0:.2f}",
                                                        "the conjugate f*(t)"))
    fig.add_scatter(x=u, y=f_vals, name="f(u)", line=dict(color=P_COLOR, width=3), row=1, col=1)
    fig.add_scatter(x=u, y=tangent.line(u), name=f"tangent: slope t₀ = {tangent.t0:.3f}",
                    line=dict(color=DARK, width=2, dash="dash"), row=1, col=1)
    fig.add_scatter(x=[tangent.u0], y=[tangent.f_u0], mode="markers", marker=dict(color=DARK, size=11),
                    name="touching point (u₀, f(u₀))", row=1, col=1)
    fig.add_scatter(x=[0.0], y=[tangent.intercept], mode="markers", marker=dict(color=ACCENT, size=11, symbol="diamond"),
                    name="intercept = −f*(t₀)", row=1, col=1)
    fig.add_scatter(x=t, y=conj_vals, name="f*(t)", line=dict(color=Q_COLOR, width=3), row=1, col=2)
    fig.add_scatter(x=[tangent.t0], y=[tangent.conjugate_t0], mode="markers",
                    marker=dict(color=ACCENT, size=11, symbol="diamond"), name="(t₀, f*(t₀))", row=1, col=2)
    finite = np.asarray(f_vals, float)
    finite = finite[np.isfinite(finite)]
    top = float(np.nanmax(finite)) if finite.size else 1.0
    bottom = float(min(np.nanmin(finite) if finite.size else 0.0, tangent.intercept))
    pad = 0.1 * max(top - bottom, 1e-3)
    fig.update_yaxes(range=[bottom - pad, top + pad], row=1, col=1)
    fig.update_xaxes(title_text="u = p(x)/q(x)", row=1, col=1)
    fig.update_xaxes(title_text="t", row=1, col=2)
    return _legend_below(layout(fig, f"{label}: the Legendre construction", height=460), 460)


def densities_figure(x, p, q, title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=x, y=p, name="P", fill="tozeroy", line=dict(color=P_COLOR, width=3))
    fig.add_scatter(x=x, y=q, name="Q", fill="tozeroy", line=dict(color=Q_COLOR, width=3, dash="dash"))
    fig.update_xaxes(title="x", range=visible_window(x, p, q))
    fig.update_yaxes(title="density")
    return layout(fig, title, height=300)


def bound_training_figure(steps, bounds, exact: float, unit: str = "nats") -> go.Figure:
    fig = go.Figure()
    if np.isfinite(exact):
        fig.add_hline(y=exact, line=dict(color=P_COLOR, width=3), annotation_text=f"exact D_f = {exact:.4g} {unit}".strip(),
                      annotation_position="top left")
    shown = _finite(bounds)
    fig.add_scatter(x=steps, y=shown, name="variational bound E_P[T] − E_Q[f*(T)]", mode="lines+markers",
                    line=dict(color=DARK, width=3), marker=dict(size=4))
    finite = shown[np.isfinite(shown)]
    if finite.size and np.isfinite(exact):
        low = float(np.percentile(finite, 10))
        low = min(low, exact - 0.1 * (abs(exact) + 0.1))
        high = exact + 0.08 * (abs(exact - low) + 0.05)
        fig.update_yaxes(range=[low, high])
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title=unit or "D_f (no unit: no logarithm)")
    return layout(fig, "The bound climbs towards D_f from below", height=360)


def critic_vs_optimal_figure(x, t_learned, t_optimal, p, q, unit: str = "nats") -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=x, y=p, name="P", line=dict(color=P_COLOR, width=1), fill="tozeroy", opacity=0.3,
                    secondary_y=True)
    fig.add_scatter(x=x, y=q, name="Q", line=dict(color=Q_COLOR, width=1), fill="tozeroy", opacity=0.3,
                    secondary_y=True)
    fig.add_scatter(x=x, y=_finite(t_optimal), name="optimal T*(x) = f′(p/q)", line=dict(color=GREY, width=3, dash="dot"))
    fig.add_scatter(x=x, y=_finite(t_learned), name="learned T(x)", line=dict(color=DARK, width=3))
    window = visible_window(x, p, q)
    inside = (np.asarray(x) >= window[0]) & (np.asarray(x) <= window[1])
    vals = np.concatenate([_finite(t_learned)[inside], _finite(t_optimal)[inside]])
    vals = vals[np.isfinite(vals)]
    if vals.size:
        lo, hi = np.percentile(vals, [2, 98])
        pad = 0.15 * max(hi - lo, 0.1)
        fig.update_yaxes(range=[lo - pad, hi + pad], secondary_y=False)
    fig.update_yaxes(title_text=f"T(x) ({unit})" if unit else "T(x) (no unit)", secondary_y=False)
    fig.update_yaxes(title_text="density", showgrid=False, secondary_y=True)
    fig.update_xaxes(title_text="x", range=window)
    return layout(fig, "The critic the network learned, against the best possible one", height=380)


# ------------------------------------------------------------------------ Wasserstein
def transport_plan_figure(x, p, q, plan) -> go.Figure:
    """P's histogram on top (y from 1 up), Q's below (y from 0 down), flows as lines between."""
    fig = go.Figure()
    width = float(np.min(np.diff(x))) if len(x) > 1 else 1.0
    scale = 0.9 / max(float(np.max(p)), float(np.max(q)), 1e-12)
    fig.add_bar(x=x, y=np.asarray(p) * scale, base=1.0, width=width * 0.9, name="P (mass to move)",
                marker_color=P_COLOR)
    fig.add_bar(x=x, y=-np.asarray(q) * scale, base=0.0, width=width * 0.9, name="Q (where it must go)",
                marker_color=Q_COLOR)
    mass = np.asarray(plan.mass)
    top = float(mass.max()) if mass.size else 1.0
    min_drawn = 1e-3  # flows carrying less than 0.1% of the mass (Gaussian tails) would only add clutter
    buckets = [(0.66, 1.01, 6), (0.33, 0.66, 4), (0.1, 0.33, 2.5), (0.0, 0.1, 1)]
    for low, high, line_width in buckets:
        sel = (mass > low * top) & (mass <= high * top) & (mass >= min_drawn)
        if not sel.any():
            continue
        xs, ys = [], []
        for i, j in zip(plan.source[sel], plan.target[sel]):
            xs += [float(plan.x[i]), float(plan.y[j]), None]
            ys += [1.0, 0.0, None]
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=ACCENT, width=line_width),
                        opacity=0.75, name=f"flow, mass {max(low * top, min_drawn):.2g}–{high * top:.2g}",
                        hoverinfo="skip")
    window = visible_window(np.asarray(x, float), np.asarray(p, float), np.asarray(q, float), pad=width)
    fig.update_xaxes(title="x", range=window)
    fig.update_yaxes(showticklabels=False, title="", range=[-1.0, 2.0], zeroline=False)
    fig.update_layout(barmode="overlay")
    return layout(fig, "The optimal plan: each line carries mass from P (top) to Q (bottom); thicker = more "
                        "(flows under 0.1% of the mass not drawn)", height=420)


def cdf_area_figure(x, cdf_p, cdf_q, w1: float) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=x, y=cdf_p, name="F_P", line=dict(color=P_COLOR, width=3, shape="hv"))
    fig.add_scatter(x=x, y=cdf_q, name="F_Q", line=dict(color=Q_COLOR, width=3, shape="hv", dash="dash"),
                    fill="tonexty", fillcolor="rgba(0,158,115,0.3)")
    fig.update_xaxes(title="x", range=visible_window(np.asarray(x, float), np.gradient(np.asarray(cdf_p, float)),
                                                        np.gradient(np.asarray(cdf_q, float)), pad=1.0))
    fig.update_yaxes(title="cumulative probability", range=[0, 1.05])
    return layout(fig, f"W1 is the shaded area between the CDFs: {w1:.4g} (units of x)", height=360)


def assignment_figure(a, b, col) -> go.Figure:
    fig = go.Figure()
    xs, ys = [], []
    for i, j in enumerate(col):
        xs += [float(a[i, 0]), float(b[j, 0]), None]
        ys += [float(a[i, 1]), float(b[j, 1]), None]
    fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=ACCENT, width=2), name="optimal assignment",
                    hoverinfo="skip")
    fig.add_scatter(x=a[:, 0], y=a[:, 1], mode="markers", marker=dict(color=P_COLOR, size=11), name="P points")
    fig.add_scatter(x=b[:, 0], y=b[:, 1], mode="markers", marker=dict(color=Q_COLOR, size=11, symbol="square"),
                    name="Q points")
    fig.update_yaxes(scaleanchor="x", scaleratio=1, title="y")
    fig.update_xaxes(title="x")
    return layout(fig, "Each P point moves to one Q point; the lines are the cheapest way to do it", height=460)


def critic_figure(x, p, q, snapshot, method_label: str) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.6, 0.4],
                        specs=[[{"secondary_y": True}], [{}]],
                        subplot_titles=(f"The critic f(x) ({method_label})", "Its slope f′(x): 1-Lipschitz means |f′| ≤ 1"))
    width = float(np.min(np.diff(x))) if len(x) > 1 else 1.0
    fig.add_bar(x=x, y=p, width=width * 0.45, offset=-width * 0.45, name="P", marker_color=P_COLOR, opacity=0.45,
                row=1, col=1, secondary_y=True)
    fig.add_bar(x=x, y=q, width=width * 0.45, offset=0.0, name="Q", marker_color=Q_COLOR, opacity=0.45,
                row=1, col=1, secondary_y=True)
    fig.add_scatter(x=snapshot.x, y=snapshot.f, name="critic f(x)", line=dict(color=DARK, width=3), row=1, col=1)
    fig.add_scatter(x=snapshot.x, y=snapshot.slope, name="slope f′(x)", line=dict(color=ACCENT, width=3, shape="hv"),
                    row=2, col=1)
    for level in (-1.0, 1.0):
        fig.add_hline(y=level, line=dict(color=GREY, dash="dot"), row=2, col=1)
    fig.update_yaxes(title_text="f(x)", row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="mass", showgrid=False, row=1, col=1, secondary_y=True)
    slope = np.asarray(snapshot.slope, float)
    top = max(1.3, float(np.nanmax(np.abs(slope))) * 1.1 if slope.size else 1.3)
    fig.update_yaxes(title_text="f′(x)", range=[-top, top], row=2, col=1)
    fig.update_xaxes(title_text="x", row=2, col=1)
    window = visible_window(np.asarray(x, float), np.asarray(p, float), np.asarray(q, float), pad=1.0)
    fig.update_xaxes(range=window)
    fig.update_layout(barmode="overlay")
    return _legend_below(layout(fig, "The trained critic and its slope", height=620), 620)


def critic_history_figure(steps, estimates, w1: float) -> go.Figure:
    fig = go.Figure()
    fig.add_hline(y=w1, line=dict(color=P_COLOR, width=3), annotation_text=f"true W1 = {w1:.4g}",
                  annotation_position="top left")
    fig.add_scatter(x=steps, y=_finite(estimates), name="E_P f − E_Q f", mode="lines+markers",
                    line=dict(color=DARK, width=3), marker=dict(size=4))
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="units of x")
    return layout(fig, "The critic's estimate during training, against the true W1", height=340)
