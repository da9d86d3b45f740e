"""Figures for every page: built once per distinct settings (:func:`figure`), drawn the same way
(:func:`plot`: larger in presenter mode), with PNG/SVG downloads (:func:`figure_downloads`)."""
from __future__ import annotations

import html
import importlib

import streamlit as st

from gan_core import palette
from pages.ui.chrome import _PAGE_TITLE_KEY, presenter_mode


@st.cache_resource(show_spinner=False, max_entries=256)
def _built_figure(module: str, name: str, args: tuple, kwargs: dict):
    return palette.thin_lines(getattr(importlib.import_module(module), name)(*args, **kwargs))


def figure(builder, *args, **kwargs):
    """``builder(*args, **kwargs)``, a Plotly figure built once for each distinct set of arguments.

    Building a figure validates every property in Python (10-60 ms a figure, twice that while
    the browser draws on the same cores); the cached figure costs nothing. So a presenter
    switching back to a page whose settings did not change waits only for the browser.
    ``builder`` is a module-level function of ``gan_core``; its arguments must be hashable by
    Streamlit's caches (numbers, strings, numpy arrays, lists, dicts, tuples).

    The figure is shared by every session: hand it to :func:`plot`, which never changes it.
    """
    return _built_figure(builder.__module__, builder.__name__, args, kwargs)


# Room above the plot for a legend laid out on one row above it (the figures' common layout).
_LEGEND_ROOM = {False: 34, True: 48}  # px: normal type, presenter mode's


def plot(fig, key: str, title: str | None = None) -> None:
    """Every chart the same way: full width, keyed so reruns keep zoom; larger in presenter mode.

    The chart's title is written above it as text, which wraps: inside the figure, a long title ran
    off the chart's right edge and under its legend in a 1280-pixel window (the legend sits in the
    title's band above the plot).  The figure itself is not changed (figures from :func:`figure`
    are shared): a copy of its description is drawn.

    Under it, outside presenter mode, a small "Download" control offers the chart as PNG and SVG
    (see :func:`figure_downloads`); ``title`` is the title written on those files (by default the
    figure's own, drawn in the picture).
    """
    palette.thin_lines(fig)  # display only: dense grids drawn with a few hundred points per line (in place)
    spec = fig.to_dict()
    layout = spec.setdefault("layout", {})
    heading = (layout.pop("title", None) or {}).get("text")
    if heading:
        st.markdown(f'<p class="gan-chart-title">{html.escape(heading, quote=False)}</p>', unsafe_allow_html=True)
        legend = layout.get("legend") or {}
        above = legend.get("y", 1.02) >= 1 and layout.get("showlegend", True) is not False
        layout["margin"] = {**layout.get("margin", {}), "t": _LEGEND_ROOM[presenter_mode()] if above else 10}
    if presenter_mode():
        layout["font"] = {**layout.get("font", {}), "size": 20}
        layout["height"] = int((layout.get("height") or 450) * 1.3)
    st.plotly_chart(spec, width="stretch", key=key, config={"displaylogo": False})
    if not presenter_mode():
        figure_downloads(fig, key, title)


def figure_downloads(fig, key: str, title: str | None = None) -> None:
    """A small popover with PNG and SVG downloads of ``fig``, rendered on the server by
    ``gan_core.exports.figure_image`` only when the visitor clicks (Streamlit calls the
    function it was given then, on its own thread): a page render only registers them.

    The title on the file is ``title``, else the figure's own, else the page's.
    """
    from gan_core import exports

    name = title or fig.layout.title.text or st.session_state.get(_PAGE_TITLE_KEY) or ""
    stem = key.replace("_", "-")
    with st.popover("Download", icon=":material/download:", type="tertiary",
                    help="This chart as a picture file, for slides or notes."):
        try:
            exports.browser_path()
        except RuntimeError as exc:
            st.caption(f"Downloads are not available on this server: {exc}")
            return
        for fmt, label, mime, icon, what in (
            ("png", "PNG image", "image/png", ":material/image:", "a sharp picture (twice screen resolution)"),
            ("svg", "SVG drawing", "image/svg+xml", ":material/draw:", "a vector drawing that scales to any size"),
        ):
            st.download_button(
                label, data=lambda fmt=fmt: exports.figure_image(fig, fmt, title=name or None),
                file_name=f"{stem}.{fmt}", mime=mime, key=f"{key}__{fmt}", icon=icon, on_click="ignore",
                type="tertiary", help=f"{fmt.upper()}: {what}. Made on the server when you click; the first "
                                      "one takes a few seconds.")


def diagram(dot: str) -> None:
    """A Graphviz diagram, full width at most (its text is never larger than the page's: see
    ``pages.ui.presenter``).  In presenter mode a left-to-right diagram is laid out top to bottom:
    narrower, so its text can grow with presenter mode's type on a 1280-pixel projector."""
    if presenter_mode():
        dot = dot.replace("rankdir=LR", "rankdir=TB")
    st.graphviz_chart(dot, width="stretch")
