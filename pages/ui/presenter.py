"""Presenter navigation, around every page (``app.py`` calls it):

- in presenter mode a bar at the top: Previous, the lesson's outline, reset, leave, Next;
- the keys: left/right arrows and a clicker's PageUp/PageDown move along the guided path,
  ``o`` opens the outline (the page's sections as numbered steps), ``1``-``9`` jump to a section;
- "Reset this lesson" (the bar, or the sidebar outside presenter mode): every widget of the page
  back to its default and the address bar cleared (presenter mode kept).

The bottom Previous/Next links are :func:`pages.ui.chrome.next_lesson`'s.
"""
from __future__ import annotations

import json

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.session_state_proxy import get_session_state

from pages.ui.chrome import PRESENTER_KEY, nav_link, neighbours, presenter_mode

_IDS_BEFORE_KEY = "_gan_widget_ids_before_page"
_PAGE_WIDGETS_KEY = "_gan_page_widgets"  # (url_path, widget keys) of the page's last full run


def _widget_ids() -> frozenset[str]:
    """The ids of the widgets registered so far in this run (Streamlit's own record of them).

    A keyed widget's id ends with ``-<its key>`` (``streamlit.elements.lib.utils._compute_element_id``);
    tests/app/test_presenter.py checks both facts on this Streamlit."""
    ctx = get_script_run_ctx()
    try:
        return ctx.shared.widget_ids_this_run.snapshot()
    except AttributeError:  # another Streamlit: reset falls back to the address bar's keys
        return frozenset()


def start_lesson() -> None:
    """Before the page's script: remember which widgets are the app's own (sidebar, bar)."""
    st.session_state[_IDS_BEFORE_KEY] = _widget_ids()


def page_widget_keys() -> list[str]:
    """Keys of the widgets the page's script created in this run (not the app's own)."""
    before = st.session_state.get(_IDS_BEFORE_KEY, frozenset())
    keys = {wid.split("-", 2)[2] for wid in _widget_ids() - before if wid.count("-") >= 2}
    return sorted(key for key in keys if key in st.session_state and key != PRESENTER_KEY)


def reset_lesson() -> None:
    """Button callback: the page's widgets back to their defaults, its query parameters gone.

    A widget's state is deleted, so the widget starts afresh from its default.  A widget bound to the
    address bar would read its old value again from the address the click came from: it is given
    its default instead (what it reads from no value at all, as Streamlit does when the browser goes
    back to an address without it), which takes it out of the address bar.  Only widgets that
    accept a value are ever bound (buttons, uploads and charts are not)."""
    url_path, keys = st.session_state.get(_PAGE_WIDGETS_KEY, ("", ()))
    state = get_session_state()._state  # the SessionState (its safe wrapper exposes only values)
    for key in {*keys, *st.query_params.keys()} - {PRESENTER_KEY}:
        metadata = state.get_widget_metadata(state.get_widget_id_from_key(key) or "")
        if metadata is not None and state.query_params.is_bound(key):
            st.session_state[key] = metadata.deserializer(None)
        else:
            st.session_state.pop(key, None)
    for key in set(st.query_params.keys()) - {PRESENTER_KEY}:
        try:
            del st.query_params[key]
        except StreamlitAPIException:
            pass  # bound: the widget writes its default back, which takes it out of the address bar


def lesson_bar(page) -> None:
    """Before the page's script: the presenter's bar at the top, or the reset button in the sidebar."""
    if not presenter_mode():
        st.sidebar.button("Reset this lesson", icon=":material/restart_alt:", key="gan_reset", on_click=reset_lesson,
                          help="Every control of this page back to its default.")
        return
    previous, following = neighbours(page.url_path)
    with st.container(horizontal=True, key="gan_presenter_bar", vertical_alignment="center", gap="small"):
        with st.container(key="gan_nav_prev", width="content"):
            if previous is not None:
                nav_link(previous, "previous")
        st.html('<button type="button" class="gan-outline-button" data-gan-outline '
                'title="The sections of this lesson (key: o; 1-9 jump to a section)">☰ Outline</button>',
                width="content")
        st.button("Reset this lesson", icon=":material/restart_alt:", key="gan_reset", on_click=reset_lesson,
                  type="tertiary", help="Every control of this page back to its default.")
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", key="leave_presenter", type="tertiary",
                  on_click=lambda: st.session_state.update({PRESENTER_KEY: False}))
        with st.container(key="gan_nav_next", width="content"):
            if following is not None:
                nav_link(following, "next")


def finish_lesson(page) -> None:
    """After the page's script: record its widgets (for reset); the keys and outline script."""
    st.session_state[_PAGE_WIDGETS_KEY] = (page.url_path, tuple(page_widget_keys()))
    st.session_state.pop(_IDS_BEFORE_KEY, None)
    with st.sidebar:
        st.html(_KEYS_SCRIPT.replace("__ACTIVE__", json.dumps(presenter_mode())), unsafe_allow_javascript=True)


# Installed once per tab (the listeners live on the app's own window); each run only says whether
# presenter mode is on.  It also sizes the diagrams, in both modes.  The outline is built from the
# page's own section headings (h2, else h3) when it opens, so it always matches what the page shows.
_KEYS_SCRIPT = """<script>
(() => {
  const w = window, doc = document;
  w.__ganPresenter = {active: __ACTIVE__};
  const panel = () => {
    let p = doc.getElementById("gan-outline");
    if (!p) {
      p = doc.createElement("nav");
      p.id = "gan-outline";
      p.setAttribute("aria-label", "Outline of this lesson");
      p.hidden = true;
      doc.body.appendChild(p);
    }
    return p;
  };
  if (!w.__ganPresenter.active) panel().hidden = true;
  if (w.__ganPresenterReady) return;
  w.__ganPresenterReady = true;
  // Diagrams (Graphviz) are drawn to the column's width, so their text was as small as 7 px beside
  // 16 px prose, and did not grow with presenter mode's type.  Each is now at most as wide as makes
  // its largest text the size of the page's body text (smaller when the column is narrower).
  const sizeDiagrams = () => {
    const body = parseFloat(getComputedStyle(doc.documentElement).fontSize) || 16;  // 1rem: the prose's size
    doc.querySelectorAll("[data-testid=stGraphVizChart] svg").forEach(svg => {
      const box = svg.viewBox && svg.viewBox.baseVal;
      const sizes = [...svg.querySelectorAll("text[font-size]")].map(t => parseFloat(t.getAttribute("font-size")));
      const largest = Math.max(0, ...sizes.filter(size => size > 0));
      if (!box || !box.width || !largest) return;
      const want = `${Math.round(box.width * body / largest)}px`;
      if (svg.style.maxWidth !== want) { svg.style.maxWidth = want; svg.style.height = "auto"; }
    });
  };
  let pending = false;
  new MutationObserver(() => {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; sizeDiagrams(); }); }
  }).observe(doc.body, {childList: true, subtree: true});
  sizeDiagrams();
  const sections = () => {
    const main = doc.querySelector("[data-testid=stMain]") || doc.body;
    for (const level of ["h2", "h3"]) {
      const found = [...main.querySelectorAll(level + "[id]")].filter(h => h.offsetParent !== null && h.innerText.trim());
      if (found.length) return found;
    }
    return [];
  };
  const jump = i => { const h = sections()[i]; if (h) h.scrollIntoView({block: "start"}); };
  const close = () => { panel().hidden = true; };
  const open = () => {
    const p = panel(), title = doc.querySelector("[data-testid=stMain] h1");
    p.replaceChildren();
    const head = doc.createElement("div");
    head.className = "gan-outline-title";
    head.textContent = title ? title.innerText : "This lesson";
    const list = doc.createElement("ol");
    sections().forEach((h, i) => {
      const item = doc.createElement("li"), button = doc.createElement("button"), text = h.innerText.trim();
      button.type = "button";
      button.textContent = /^\d/.test(text) ? text : `${i + 1}. ${text}`;  // the key that jumps there
      button.addEventListener("click", () => { close(); jump(i); });
      item.appendChild(button);
      list.appendChild(item);
    });
    const hint = doc.createElement("div");
    hint.className = "gan-outline-hint";
    hint.textContent = "Keys: 1-9 jump to a section · ← → or PageUp/PageDown: previous/next lesson · o or Esc: close";
    p.append(head, list, hint);
    p.hidden = false;
    const first = p.querySelector("button");
    if (first) first.focus();
  };
  const toggle = () => (panel().hidden ? open() : close());
  doc.addEventListener("click", e => {
    if (e.target.closest && e.target.closest("[data-gan-outline]")) { e.preventDefault(); toggle(); }
  }, true);
  const typing = "input, textarea, select, [contenteditable=true], [role=slider], [role=combobox], [role=listbox], "
    + "[role=radiogroup], [role=radio], [role=tab], [role=spinbutton], .js-plotly-plot";
  w.addEventListener("keydown", e => {
    if (!w.__ganPresenter.active || e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const target = e.target;
    if (target && target.closest && target.closest(typing)) return;
    if (e.key === "Escape" && !panel().hidden) { close(); return; }
    if (e.key === "o" || e.key === "O") { e.preventDefault(); toggle(); return; }
    if (/^[1-9]$/.test(e.key)) {
      const i = Number(e.key) - 1;
      if (i < sections().length) { e.preventDefault(); close(); jump(i); }
      return;
    }
    const where = {ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev"}[e.key];
    const link = where && doc.querySelector(".st-key-gan_nav_" + where + " a");
    if (link) { e.preventDefault(); close(); link.click(); }
  }, true);
})();
</script>"""
