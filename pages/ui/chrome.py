"""Page chrome shared by every page: the lesson list (the guided path), headers and the permalink,
"next lesson" links, error messages, presenter mode, and the scripts ``app.py`` adds around each page.

Pages stay thin: they read widgets, call ``gan_core`` and draw.  Figures live in
:mod:`pages.ui.figures`, controls and number display in :mod:`pages.ui.widgets`, the
background-training protocol in :mod:`pages.ui.background`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError


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
    Lesson("pages/sweeps.py", "Collapse as a rate", ":material/scatter_plot:", "Training lab",
           "Does a loss collapse, or was one run unlucky? Many seeds at once give a rate with an interval.",
           "sweeps"),
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


#: The start page, first on the guided path (it is no lesson: app.py gives it the root URL).
HOME = Lesson("pages/home.py", "Start here", ":material/home:", "", "", "")


def neighbours(url_path: str) -> tuple[Lesson | None, Lesson | None]:
    """The pages before and after ``url_path`` on the guided path: the start page, then
    :data:`LESSONS`; after the last lesson comes the start page again.  Off the path (the
    glossary): no previous page, and the start page next."""
    path = [HOME, *LESSONS]
    where = [lesson.url_path for lesson in path]
    if url_path not in where:
        return None, HOME
    i = where.index(url_path)
    return (path[i - 1] if i > 0 else None), (path[i + 1] if i + 1 < len(path) else HOME)


def nav_link(lesson: Lesson, direction: str) -> None:
    """A "Previous: ..." or "Next: ..." link (``direction``: "previous" or "next"); the start page's
    is "Start here" going back and "Back to the start" going on."""
    if lesson is HOME:
        label, icon = ("Start here", ":material/home:") if direction == "previous" else \
            ("Back to the start", ":material/home:")
    elif direction == "previous":
        label, icon = f"Previous: {lesson.title}", ":material/arrow_back:"
    else:
        label, icon = f"Next: {lesson.title} →", ":material/arrow_forward:"
    try:
        st.page_link(lesson.path, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        # Only when a page runs on its own (AppTest of one file): there is no navigation to link into.
        st.markdown(f"**{label}**")


def next_lesson(current_file: str, summary: list[str] | None = None) -> None:
    """Close a page: what the visitor should have seen, and links to the previous and next pages."""
    st.divider()
    if summary:
        st.markdown("**What you should have seen**")
        st.markdown("\n".join(f"- {line}" for line in summary))
    lesson = lesson_for(current_file)
    # A reference page (the glossary) is off the path: only the way back to the start.
    previous, following = neighbours(lesson.url_path) if lesson else (None, HOME)
    with st.container(horizontal=True, gap="medium", key="gan_bottom_nav"):
        if previous is not None:
            nav_link(previous, "previous")
        if following is not None:
            nav_link(following, "next")


def show_error(message: str) -> None:
    """A problem the visitor can act on, in plain words, never a traceback."""
    st.error(message, icon=":material/error:")


PRESENTER_KEY = "present"

# Projector styling: bigger type everywhere (Streamlit sizes in rem), no sidebar or toolbar.
_PRESENTER_CSS = """
<style>
html { font-size: 22px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 2.5rem !important; }
.gan-outline-button { font: inherit; font-size: 0.9rem; background: none; border: none; color: inherit;
  cursor: pointer; padding: 0.25rem 0.5rem; border-radius: 0.5rem; }
.gan-outline-button:hover { color: #ff4b4b; }
#gan-outline { position: fixed; z-index: 1000100; top: 4vh; left: 50%; transform: translateX(-50%);
  width: min(60rem, 92vw); max-height: 92vh; overflow-y: auto; padding: 1rem 1.5rem; border-radius: 0.75rem;
  background: #ffffff; color: #262730; box-shadow: 0 0.5rem 2.5rem rgba(0, 0, 0, 0.35); font-family: inherit; }
#gan-outline[hidden] { display: none; }
#gan-outline .gan-outline-title { font-size: 1.3rem; font-weight: 700; margin-bottom: 0.5rem; }
#gan-outline ol { margin: 0; padding-left: 1.8rem; }
#gan-outline li { font-size: 1.05rem; margin: 0.3rem 0; }
#gan-outline button { font: inherit; text-align: left; background: none; border: none; padding: 0.15rem 0.3rem;
  color: #0054a3; cursor: pointer; border-radius: 0.3rem; }
#gan-outline button:hover, #gan-outline button:focus { background: #e8f0fa; outline: none; }
#gan-outline .gan-outline-hint { margin-top: 0.6rem; font-size: 0.75rem; color: #6b6f7b; }
</style>
"""


# Outside presenter mode: half of Streamlit's 6rem top margin, so that more of each page
# (the lab's plane on a 1280 x 800 laptop) fits on the first screen.
_COMPACT_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem !important; }
</style>
"""

# Both modes: a chart's title above it (pages.ui.figures.plot) in the weight and size Plotly drew it
# in; a metric's value wraps rather than ending in "…" when its column is narrow (1280 px windows).
_LAYOUT_CSS = """
<style>
.gan-chart-title { font-weight: 600; font-size: 1.05rem; margin: 0; line-height: 1.3; }
[data-testid="stMetricValue"] > div { white-space: normal !important; overflow-wrap: anywhere;
  text-overflow: clip !important; }
</style>
"""


def presenter_mode() -> bool:
    return bool(st.session_state.get(PRESENTER_KEY, False))


def presenter_mode_controls() -> None:
    """The presenter switch (sidebar, and `?present=true` in the URL); styles the page when on.
    Presenter navigation (keys, bar, outline, reset) is :mod:`pages.ui.presenter`'s."""
    st.sidebar.toggle("Presenter mode", key=PRESENTER_KEY, bind="query-params",
                      help="Large type and figures for a projector, no sidebar. Add ?present=true to any link.")
    st.html((_PRESENTER_CSS if presenter_mode() else _COMPACT_CSS) + _LAYOUT_CSS)
    # "Leave presenter mode" sits in the presenter's bar (pages.ui.presenter.lesson_bar).
