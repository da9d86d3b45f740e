"""A visitor's tour in a real browser: a slider changes a number, the Next links walk the path.  Every
page's render, layout and offline check (no request to another host): test_layouts.py."""
import time

from pages.ui.chrome import LESSONS

PAGES = [("home", "")] + [(lesson.url_path, lesson.url_path) for lesson in LESSONS] + [("glossary", "glossary")]
#: Charts a page draws before the visitor does anything (the sweeps page draws its charts only
#: once a sweep has run: its browser test runs one).
MIN_CHARTS = {"sweeps": 0}


def wait_for_page(page, min_charts: int = 1, timeout: float = 90) -> None:
    """Wait until the script has finished running and the charts (plots, diagrams or images) are drawn."""
    page.wait_for_selector("[data-testid=stApp]")
    deadline = time.time() + timeout
    while time.time() < deadline:
        running = page.locator("[data-testid=stStatusWidget]").count() > 0
        charts = (page.locator(".js-plotly-plot .main-svg").count()
                  + page.locator("[data-testid=stGraphVizChart] svg").count()
                  + page.locator("[data-testid=stImage] img").count())  # image pages draw pictures
        if not running and charts >= min_charts and page.locator("h1").count() > 0:
            return
        time.sleep(0.25)
    raise AssertionError(f"page did not finish rendering {min_charts} chart(s) within {timeout} s")


# Every page rendering without an exception, with its charts, asking no other host for anything, at
# both sizes and in both modes, with screenshots: tests/e2e/test_layouts.py (one load per page and
# mode serves all those checks).


def test_a_slider_changes_a_number(page, server_url):
    page.goto(f"{server_url}/gan-objective")
    wait_for_page(page)
    metric = page.locator("[data-testid=stMetric]").filter(has_text="W1(P, Q)")
    assert "1" in metric.inner_text()
    slider = page.get_by_role("slider", name="θ, where Q sits")
    slider.focus()
    for _ in range(10):  # 10 steps of 0.01 to the left: θ = 0.9
        page.keyboard.press("ArrowLeft")
    deadline = time.time() + 30
    while time.time() < deadline and "0.9" not in metric.inner_text():
        time.sleep(0.2)
    assert "0.9" in metric.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0


def test_next_links_walk_the_whole_path(page, server_url):
    page.goto(f"{server_url}/{LESSONS[0].url_path}")
    wait_for_page(page)
    for following in LESSONS[1:]:
        page.get_by_role("link", name=f"Next: {following.title}").click()
        page.wait_for_url(f"**/{following.url_path}")
        wait_for_page(page, MIN_CHARTS.get(following.url_path, 1))
        assert page.locator("[data-testid=stException]").count() == 0
