"""Streamlit helpers shared by every page: the lesson list, headers, footers, number display.

Pages stay thin: they read widgets, call ``gan_core`` and draw.  What they share lives here.
"""
from __future__ import annotations

import functools
import importlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException, StreamlitPageNotFoundError

from gan_core import palette

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Lesson:
    path: str  # relative to the repo root, as st.Page wants it
    title: str
    icon: str
    section: str
    question: str  # the key question the lesson answers, shown on the home page
    url_path: str


# The guided path, in order.  Only pages that exist and work are listed; app.py builds the
# navigation from this list and every page's "next lesson" link follows it.
LESSONS: list[Lesson] = [
    Lesson("pages/information_theory.py", "Information theory", ":material/functions:", "Foundations",
           "How do we measure how different two distributions are?", "information-theory"),
    Lesson("pages/gan_objective.py", "The GAN objective", ":material/balance:", "Foundations",
           "What does the original GAN game minimise, and why does it stall when supports are disjoint?",
           "gan-objective"),
    Lesson("pages/vanishing_gradients.py", "Vanishing gradients", ":material/trending_down:", "Why GANs are hard to train",
           "Why does the original generator loss stop teaching once the discriminator wins?", "vanishing-gradients"),
    Lesson("pages/f_divergences.py", "f-divergences and f-GAN", ":material/function:", "Why GANs are hard to train",
           "Which divergences can a GAN minimise, and how does a network estimate them from below?", "f-divergences"),
    Lesson("pages/wasserstein.py", "Wasserstein distance", ":material/local_shipping:", "Why GANs are hard to train",
           "What does it cost to move one distribution onto another, and how does a critic measure it?", "wasserstein"),
    Lesson("pages/gan_lab.py", "Training lab", ":material/science:", "Training lab",
           "What does training look like, and why does the original GAN collapse where WGAN-GP covers every mode?",
           "gan-lab"),
    Lesson("pages/dcgan.py", "DCGAN", ":material/grid_view:", "Image GANs",
           "How do convolutions turn the GAN game into one that draws images?", "dcgan"),
    Lesson("pages/cyclegan.py", "CycleGAN", ":material/sync_alt:", "Image GANs",
           "How can a GAN translate between two domains without paired examples?", "cyclegan"),
]


def lesson_for(path: str) -> Lesson | None:
    name = Path(path).name
    return next((lesson for lesson in LESSONS if Path(lesson.path).name == name), None)


_PAGE_TITLE_KEY = "_page_title"  # set by page_header: the title of exported charts that have none


def page_header(title: str, lead: str, link: bool = True) -> None:
    """Title, the one-sentence 'what you will see' that opens every page, and a permalink.

    ``link=False``: the page places :func:`link_to_this_view` itself (the lab puts it beside its
    controls, to keep its plane above the fold)."""
    st.title(title)
    st.session_state[_PAGE_TITLE_KEY] = title
    st.markdown(f"*{lead}*")
    if link:
        link_to_this_view()


_LINK_SLOT_KEY = "_link_to_this_view_slot"


def _current_query() -> str:
    """The query string of every bound widget's value as this run leaves it (repeated keys kept)."""
    params = st.query_params
    return urlencode([(key, value) for key in params for value in params.get_all(key)])


def _link_text(query: str) -> str:
    base = st.context.url or ""
    return f"{base}?{query}" if query else base


def link_to_this_view() -> None:
    """A popover with the URL that reopens this page exactly as it is now (every bound widget).

    The link is written when the page's run ends (:func:`finish_page`), once every widget below
    has its value: a preset or a callback may change widgets further down the page."""
    with st.popover("Link to this view", icon=":material/link:"):
        slot = st.empty()
        slot.code(_link_text(_current_query()), language=None, wrap_lines=True)
        st.caption("Every control on this page is kept in the address bar: this link (or the browser's own "
                   "address) reopens exactly this view — handy for bookmarking slides.")
    st.session_state[_LINK_SLOT_KEY] = slot


# Streamlit (1.67) writes a bound widget's value to the address bar when the browser sends it. A
# value set by the app itself (a preset, a callback) reaches the server's query parameters at
# once, but the address bar only at the visitor's next interaction: a link copied in between
# reopened the previous state. This script brings the address bar to the server's query string
# whenever that changes (the element, and so the script, is replaced only then).
_ADDRESS_SYNC = """<script>
(() => {{
  const w = window, want = {want};  // st.html runs in the app's own document
  const fix = () => {{
    try {{
      const u = new URL(w.location.href);
      if (u.search !== want) w.history.replaceState(w.history.state, "", u.pathname + want + u.hash);
    }} catch (e) {{}}  // never let the address bar break the page
  }};
  (w.__ganQuerySync || []).forEach(clearTimeout);
  fix();
  w.__ganQuerySync = [setTimeout(fix, 300)];  // after Streamlit's own end-of-run update, if any
}})();
</script>"""


# Streamlit fetches the code of each kind of element (charts, sliders, tables...) the first time a
# tab shows one, so the first visit of a lesson cost up to 0.6 s more than later switches. Once
# the first page of a tab is drawn and the browser is idle, this script loads the code of the
# kinds the lessons use (the same files, so Streamlit later finds them loaded).
_WARM_KINDS = ("PlotlyChart", "Slider", "Radio", "Selectbox", "Metric", "Table", "NumberInput", "ImageList",
               "DownloadButton", "Button")
_WARM_SCRIPT = """<script>
(() => {{
  if (window.__ganWarmed) return;
  window.__ganWarmed = true;
  const main = document.querySelector('script[src*="/static/js/index."]');
  if (!main) return;
  const base = main.src.slice(0, main.src.lastIndexOf("/") + 1);
  const load = () => {files}.forEach(f => import(base + f).catch(() => {{}}));
  (window.requestIdleCallback || (cb => setTimeout(cb, 2000)))(load, {{timeout: 5000}});
}})();
</script>"""


@functools.lru_cache(maxsize=1)
def _warm_files() -> list[str]:
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    return sorted(p.name for p in folder.glob("*.js") if p.name.split(".")[0] in _WARM_KINDS)


def start_page() -> None:
    """Before the page's script (app.py): no permalink slot left by a run that stopped early."""
    st.session_state.pop(_LINK_SLOT_KEY, None)


def finish_page() -> None:
    """After the page's script (app.py): the permalink popover and the address bar get the query
    string that the whole run left (see :func:`link_to_this_view`)."""
    query = _current_query()
    slot = st.session_state.pop(_LINK_SLOT_KEY, None)
    if slot is not None:
        slot.code(_link_text(query), language=None, wrap_lines=True)
    with st.sidebar:
        st.html(_ADDRESS_SYNC.format(want=json.dumps(f"?{query}" if query else ""))
                + _WARM_SCRIPT.format(files=json.dumps(_warm_files())), unsafe_allow_javascript=True)


def next_lesson(current_file: str, summary: list[str] | None = None) -> None:
    """Close a page: what the visitor should have seen, and a link to the next lesson."""
    st.divider()
    if summary:
        st.markdown("**What you should have seen**")
        st.markdown("\n".join(f"- {line}" for line in summary))
    names = [Path(lesson.path).name for lesson in LESSONS]
    name = Path(current_file).name
    if name in names and names.index(name) + 1 < len(LESSONS):
        following = LESSONS[names.index(name) + 1]
        target, label, icon = following.path, f"Next: {following.title} →", ":material/arrow_forward:"
    else:
        target, label, icon = "pages/home.py", "Back to the start", ":material/home:"
    try:
        st.page_link(target, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        # Only when a page runs on its own (AppTest of one file): there is no navigation to link into.
        st.markdown(f"**{label}**")


def show_error(message: str) -> None:
    """A problem the visitor can act on, in plain words, never a traceback."""
    st.error(message, icon=":material/error:")


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


PRESENTER_KEY = "present"

# Projector styling: bigger type everywhere (Streamlit sizes in rem), no sidebar or toolbar.
_PRESENTER_CSS = """
<style>
html { font-size: 22px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 2.5rem !important; }
</style>
"""


# Outside presenter mode: half of Streamlit's 6rem top margin, so that more of each page
# (the lab's plane on a 1280 x 800 laptop) fits on the first screen.
_COMPACT_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem !important; }
</style>
"""


def presenter_mode() -> bool:
    return bool(st.session_state.get(PRESENTER_KEY, False))


def presenter_mode_controls() -> None:
    """The presenter switch (sidebar, and `?present=true` in the URL); styles the page when on."""
    st.sidebar.toggle("Presenter mode", key=PRESENTER_KEY, bind="query-params",
                      help="Large type and figures for a projector, no sidebar. Add ?present=true to any link.")
    st.html(_PRESENTER_CSS if presenter_mode() else _COMPACT_CSS)
    if presenter_mode():
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", key="leave_presenter",
                  on_click=lambda: st.session_state.update({PRESENTER_KEY: False}))


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


def plot(fig, key: str, title: str | None = None) -> None:
    """Every chart the same way: full width, keyed so reruns keep zoom; larger in presenter mode.

    Under it, outside presenter mode, a small "Download" control offers the chart as PNG and SVG
    (see :func:`figure_downloads`); ``title`` is the title written on those files.
    """
    if presenter_mode():
        import plotly.graph_objects as go

        fig = go.Figure(fig)  # a copy: figures from figure() are shared
        fig.update_layout(font=dict(size=20), height=int((fig.layout.height or 450) * 1.3))
    palette.thin_lines(fig)  # display only: dense grids drawn with a few hundred points per line (in place)
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})
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


# ------------------------------------------------------------------ live training state
# A page that trains a small network in a background thread keeps four session keys under one
# prefix: <prefix>_thread, <prefix>_trainer, <prefix>_setup (the settings it trains for) and
# <prefix>_running.  The thread never calls Streamlit; a fragment polls it.
def _clear_training(prefix: str, setup=None, running: bool = False) -> None:
    old = st.session_state.get(f"{prefix}_thread")
    if old is not None:
        old.cancel()
    st.session_state[f"{prefix}_thread"] = None
    st.session_state[f"{prefix}_trainer"] = None
    st.session_state[f"{prefix}_setup"] = setup
    st.session_state[f"{prefix}_running"] = running


def start_training(prefix: str, setup) -> None:
    """Button callback: only flags here; the fragment builds the network (and imports torch)."""
    _clear_training(prefix, setup, running=True)


def training_state(prefix: str, setup, changed_message: str) -> bool:
    """Drop a run made for other settings (saying so); return whether a run is in progress."""
    if st.session_state.get(f"{prefix}_setup") not in (None, setup):
        _clear_training(prefix)
        st.info(changed_message)
    return bool(st.session_state.get(f"{prefix}_running"))


def poll_again(seconds: float = 0.5) -> None:
    """Look at the training thread again shortly by rerunning only this fragment.

    During a full-page run Streamlit refuses a fragment-scoped rerun; the fragment's
    ``run_every`` timer (set whenever a full run sees training in progress) polls instead.
    """
    time.sleep(seconds)
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        pass
