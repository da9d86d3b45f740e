"""Controls and number display shared by the lessons: a 1-D toy density's sliders, the bits/nats
choice, and numbers (metric tiles) that never read 'nan'."""
from __future__ import annotations

import math

import streamlit as st


def format_value(value: float, unit: str = "", infinite_reason: str = "") -> str:
    """A number for display: 4 significant digits, '∞' (with a reason) for infinities, never 'nan'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "undefined"
    if math.isinf(value):
        text = "∞" if value > 0 else "−∞"
        return f"{text} ({infinite_reason})" if infinite_reason else text
    magnitude = abs(value)
    text = f"{value:.4g}" if magnitude >= 1e-3 or magnitude == 0 else f"{value:.2e}"
    return f"{text} {unit}".strip()


def metric(column, label: str, value: float, unit: str = "", infinite_reason: str = "", help: str | None = None) -> None:
    """A metric tile; an infinite value shows as ∞ with its reason underneath, never 'nan'."""
    column.metric(label, format_value(value, unit), help=help)
    if isinstance(value, float) and math.isinf(value) and infinite_reason:
        column.caption(f"∞ because {infinite_reason}")


FAMILY_LABELS = {"gaussian": "Gaussian", "mixture": "Mixture of two Gaussians", "uniform": "Uniform"}


def toy_controls(label: str, prefix: str, default, families=("gaussian", "mixture", "uniform")):
    """Sliders for one 1-D toy density; returns a ``gan_core.lessons.toy1d.Toy1D``.

    Every widget is keyed ``<prefix>_<field>`` and bound to the URL, so a copied link
    reopens the same densities.
    """
    from gan_core.lessons.toy1d import Toy1D

    st.markdown(f"**{label}**")
    family = st.selectbox(
        "Family", families, index=families.index(default.family), format_func=FAMILY_LABELS.get,
        key=f"{prefix}_family", bind="query-params",
    )
    if family == "uniform":
        scale_label, scale_help = "Half-width", "The density is flat on [location − half-width, location + half-width]."
    else:
        scale_label, scale_help = "Standard deviation σ", "How spread out the (first) bump is."
    loc = st.slider("Location", -6.0, 6.0, float(default.loc), 0.1, key=f"{prefix}_loc", bind="query-params")
    scale = st.slider(scale_label, 0.1, 3.0, float(default.scale), 0.05, key=f"{prefix}_scale",
                      help=scale_help, bind="query-params")
    weight, loc2, scale2 = default.weight, default.loc2, default.scale2
    if family == "mixture":
        loc2 = st.slider("Second bump's location", -6.0, 6.0, float(default.loc2), 0.1, key=f"{prefix}_loc2",
                         bind="query-params")
        scale2 = st.slider("Second bump's σ", 0.1, 3.0, float(default.scale2), 0.05, key=f"{prefix}_scale2",
                           bind="query-params")
        weight = st.slider("Weight of the second bump", 0.0, 1.0, float(default.weight), 0.05,
                           key=f"{prefix}_weight", bind="query-params")
    return Toy1D(family, loc, scale, weight, loc2, scale2)


def unit_choice(key: str = "unit") -> str:
    """Bits or nats, for every logarithmic quantity on the page."""
    return st.radio("Unit for entropies and divergences", ["bits", "nats"], horizontal=True, key=key,
                    bind="query-params",
                    help="bits use log base 2, nats the natural log; 1 nat = 1/ln 2 ≈ 1.443 bits.")


def literal(text: str) -> str:
    """``text`` as a Markdown code span, so that text a visitor typed (or a link carried) is shown
    exactly as written and never rendered: no link, no image fetched, no colour or icon directive,
    no LaTeX, no HTML.  The fence is one backtick longer than the longest run of backticks inside,
    with a space inside each fence when the text starts or ends with a backtick (CommonMark's
    code-span rules).  Whitespace (newlines included) becomes single spaces."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    run = longest = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"
