"""How long a presenter waits: cold page opens and page switches, in Chromium.

    python scripts/bench_start.py [--json out.json]

Starts the app (``scripts/serve.py``) on a free port and measures, in Debian's Chromium at
1920x1080, the time from navigation until the page has finished rendering (Streamlit's
"running" indicator gone and the page's charts or pictures drawn, as the browser tests wait):

* **first page of a fresh server**: the home page right after the server answers its
  health check (what the very first visitor waits);
* **cold open**: every page opened by URL in a new browser session (a presenter opening a
  bookmark): the session is new, the server and its model caches may be warm;
* **page switch**: inside one session that has seen every page once (models cached), a
  click on each page's link in the sidebar.

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
from pages.common import LESSONS  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGES = [("home", "", "Start here")] + [(l.url_path, l.url_path, l.title) for l in LESSONS] + [
    ("glossary", "glossary", "Glossary of symbols")]


def rendered(page, timeout: float = 120.0) -> float:
    """Seconds until the current page has finished rendering (see module doc)."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    seen_running = False
    while time.perf_counter() < deadline:
        running = page.locator("[data-testid=stStatusWidget]").count() > 0
        seen_running |= running
        charts = (page.locator(".js-plotly-plot .main-svg").count()
                  + page.locator("[data-testid=stGraphVizChart] svg").count()
                  + page.locator("[data-testid=stImage] img").count())
        if not running and charts and page.locator("h1").count():
            return time.perf_counter() - t0
        time.sleep(0.02)
    raise TimeoutError("page did not finish rendering")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    result = {"load_before": os.getloadavg()}
    t_start = time.perf_counter()
    with LocalApp() as app:
        url = app.url
        result["server_ready_s"] = time.perf_counter() - t_start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

            def new_page():
                ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
                return ctx, ctx.new_page()

            ctx, page = new_page()
            t0 = time.perf_counter()
            page.goto(url + "/")
            rendered(page)
            result["first_page_fresh_server_s"] = time.perf_counter() - t0
            ctx.close()
            print(f"server ready after {result['server_ready_s']:.1f} s; first page (home) on the fresh server: "
                  f"{result['first_page_fresh_server_s']:.2f} s", flush=True)

            cold = {}
            for name, path, _ in PAGES:
                ctx, page = new_page()
                t0 = time.perf_counter()
                page.goto(f"{url}/{path}")
                rendered(page)
                cold[name] = time.perf_counter() - t0
                ctx.close()
                print(f"cold open  {name:22s} {cold[name]:6.2f} s", flush=True)
            result["cold_open_s"] = cold

            ctx, page = new_page()
            page.goto(url + "/")
            rendered(page)
            for _, path, _ in PAGES[1:]:  # see every page once: models load into the caches
                page.goto(f"{url}/{path}")
                rendered(page)
            switch = {}
            for name, _, title in PAGES:
                link = page.locator("[data-testid=stSidebarNav] a").filter(has_text=title).first
                t0 = time.perf_counter()
                link.click()
                page.wait_for_function(
                    "t => [...document.querySelectorAll('h1')].some(h => h.textContent.length > 0) && "
                    "document.title !== ''", arg=title)
                time.sleep(0.05)  # let the new run start before polling for its end
                rendered(page)
                switch[name] = time.perf_counter() - t0
                print(f"page switch {name:21s} {switch[name]:6.2f} s", flush=True)
            result["page_switch_s"] = switch
            ctx.close()
            browser.close()
    result["load_after"] = os.getloadavg()
    c, s = list(result["cold_open_s"].values()), list(result["page_switch_s"].values())
    print(f"cold open: median {statistics.median(c):.2f} s, max {max(c):.2f} s (target 5 s); "
          f"page switch: median {statistics.median(s):.2f} s, max {max(s):.2f} s (target 1 s); "
          f"load {result['load_before'][0]:.1f} -> {result['load_after'][0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
