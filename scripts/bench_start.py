"""How long a presenter waits: cold page opens and page switches, in Chromium.

    python scripts/bench_start.py [--json out.json] [--rounds 3]

Starts the app (``scripts/serve.py``) on a free port and measures, in Debian's Chromium at
1920x1080:

* **first page of a fresh server**: the home page right after the server answers its
  health check (what the very first visitor waits);
* **cold open**: every page opened by URL in a new browser session (a presenter opening a
  bookmark): the session is new, the server and its model caches may be warm;
* **first visit in a tab**: a new tab opened on the home page, then a click on each page's
  link in the sidebar, once each. The server's caches are warm (the cold opens ran every
  page), but the tab still fetches and compiles the code of element kinds it has not shown
  yet (Plotly, sliders, tables...);
* **page switch**: in that tab, ``--rounds`` more times through all pages by their links
  (the presenter clicking between slides already seen: models and figures cached).

What is timed is what the visitor waits, on the browser's own clock: from the navigation's
start (cold open) or the click's ``click`` event (switch) to the **last change of the page**,
when it is complete. A script added to every document records the time of each DOM change;
the page counts as complete when Streamlit's "running" indicator is gone, the page's own
title (its ``h1``) is shown, as many Plotly charts and pictures are drawn as on the first
visit, and nothing has changed for ``QUIET_S``. The end is the last change before that quiet
time, so the quiet time itself is not counted.

The harness's own wall-clock time (Playwright's click, its polling of a busy page) is printed
beside it: it is longer, by the round trips to a renderer that is busy drawing.

Targets (issue 9): cold open at most 5 s, page switch at most 1 s.  The machine's load
average is printed; on a shared machine it matters.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_app import LocalApp  # noqa: E402
from pages.ui.chrome import LESSONS  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGES = [("home", "", "Start here")] + [(l.url_path, l.url_path, l.title) for l in LESSONS] + [
    ("glossary", "glossary", "Glossary of symbols")]
QUIET_S = 0.5

# Runs in every document before the app's own code: the time of the last DOM change and of
# the last click, on the page's clock (performance.now(), 0 at the navigation's start).
RECORDER = """
window.__bench = {last: 0, click: null};
new MutationObserver(() => { window.__bench.last = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
document.addEventListener('click', () => { window.__bench.click = performance.now(); }, true);
"""
STATE = """() => ({
  now: performance.now(), last: window.__bench.last, click: window.__bench.click,
  running: !!document.querySelector('[data-testid=stStatusWidget]'),
  h1: (document.querySelector('h1') || {}).textContent || '',
  charts: document.querySelectorAll('.js-plotly-plot .main-svg').length
        + document.querySelectorAll('[data-testid=stGraphVizChart] svg').length
        + document.querySelectorAll('[data-testid=stImage] img').length,
})"""


def complete(page, h1: str | None = None, charts: int = 1, timeout: float = 120.0) -> dict:
    """Wait until the page is complete (see the module doc); its state then.

    ``h1``: the page's title, when known (on a switch the old page's title is still shown at
    first); ``charts``: how many chart layers and pictures it must show."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        s = page.evaluate(STATE)
        if (not s["running"] and s["h1"] and (h1 is None or s["h1"] == h1) and s["charts"] >= charts
                and s["now"] - s["last"] >= QUIET_S * 1000):
            return s
        time.sleep(0.05)
    raise TimeoutError(f"page did not complete: {s}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--rounds", type=int, default=3, help="times through every page's switch")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    result = {"load_before": os.getloadavg(), "quiet_s": QUIET_S}
    t_start = time.perf_counter()
    with LocalApp() as app:
        url = app.url
        result["server_ready_s"] = time.perf_counter() - t_start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

            def new_page():
                ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
                ctx.add_init_script(RECORDER)
                return ctx, ctx.new_page()

            ctx, page = new_page()
            page.goto(url + "/")
            result["first_page_fresh_server_s"] = complete(page)["last"] / 1000
            ctx.close()
            print(f"server ready after {result['server_ready_s']:.1f} s; first page (home) on the fresh server: "
                  f"{result['first_page_fresh_server_s']:.2f} s", flush=True)

            cold, shown = {}, {}
            for name, path, _ in PAGES:
                ctx, page = new_page()
                page.goto(f"{url}/{path}")
                s = complete(page)
                cold[name], shown[name] = s["last"] / 1000, s
                ctx.close()
                print(f"cold open  {name:22s} {cold[name]:6.2f} s   ({s['charts']} chart layers and pictures)",
                      flush=True)
            result["cold_open_s"] = cold

            ctx, page = new_page()
            page.goto(url + "/")
            complete(page, h1=shown["home"]["h1"], charts=shown["home"]["charts"])
            first = {}
            switch = {name: [] for name, _, _ in PAGES}
            harness = {name: [] for name, _, _ in PAGES}
            for round_ in range(args.rounds + 1):
                for name, _, title in PAGES[1:] + PAGES[:1]:  # round 0 starts on home: home comes last
                    link = page.locator("[data-testid=stSidebarNav] a").filter(has_text=title).first
                    t0 = time.perf_counter()
                    link.click()
                    s = complete(page, h1=shown[name]["h1"], charts=shown[name]["charts"])
                    wall, waited = time.perf_counter() - t0 - QUIET_S, (s["last"] - s["click"]) / 1000
                    if round_ == 0:
                        first[name] = waited
                        print(f"first visit {name:21s} {waited:6.2f} s", flush=True)
                        continue
                    harness[name].append(wall)
                    switch[name].append(waited)
                    print(f"page switch {name:21s} {waited:6.2f} s   (harness {wall:.2f} s)", flush=True)
            result["first_visit_in_tab_s"] = first
            result["page_switch_s"] = switch
            result["page_switch_harness_s"] = harness
            ctx.close()
            browser.close()
    result["load_after"] = os.getloadavg()
    c, f = list(result["cold_open_s"].values()), list(result["first_visit_in_tab_s"].values())
    s = [v for vs in result["page_switch_s"].values() for v in vs]
    h = [v for vs in result["page_switch_harness_s"].values() for v in vs]
    slowest = max(result["page_switch_s"], key=lambda k: max(result["page_switch_s"][k]))
    print(f"cold open: median {statistics.median(c):.2f} s, max {max(c):.2f} s (target 5 s); "
          f"first visit in a tab: median {statistics.median(f):.2f} s, max {max(f):.2f} s; "
          f"page switch: median {statistics.median(s):.2f} s, max {max(s):.2f} s ({slowest}; target 1 s); "
          f"harness wall time: median {statistics.median(h):.2f} s, max {max(h):.2f} s; "
          f"load {result['load_before'][0]:.1f} -> {result['load_after'][0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
